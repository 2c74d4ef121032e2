// Internal: the Joe & Kuo direction-number table defined in the generated sobol_directions.cpp.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hyperdial::detail {

// Number of dimensions the table covers, dimension 1 (van der Corput) included.
extern const int sobol_table_dims;
// Records for dimensions 2..sobol_table_dims, in order: s, a, m_1, ..., m_s.
extern const std::uint32_t sobol_table[];
extern const std::size_t sobol_table_size;

}  // namespace hyperdial::detail
