// Sobol' points: _core.sobol_sample, _core._sobol_direction_table, SOBOL_MAX_DIMS, SOBOL_BITS.
#include <cstdint>
#include <string>

#include "hyperdial/sobol.hpp"
#include "pybind.hpp"

namespace hyperdial::bindings {

// Any Python integer (int, numpy integer, anything with __index__) in [0, 2**64) -> uint64.
// Done here rather than by pybind11's uint64_t caster so that a negative or too large seed is a
// ValueError that names the argument, not an "incompatible function arguments" TypeError.
std::uint64_t seed_from_python(const py::handle& seed) {
    auto index = py::reinterpret_steal<py::object>(PyNumber_Index(seed.ptr()));
    if (!index) {
        PyErr_Clear();
        throw py::type_error("seed must be an int in [0, 2**64), got " +
                             std::string(py::str(py::type::handle_of(seed).attr("__name__"))));
    }
    const unsigned long long value = PyLong_AsUnsignedLongLong(index.ptr());
    if (value == static_cast<unsigned long long>(-1) && PyErr_Occurred() != nullptr) {
        PyErr_Clear();
        throw py::value_error("seed must be an int in [0, 2**64), got " +
                              std::string(py::repr(index)));
    }
    return static_cast<std::uint64_t>(value);
}

namespace {

RowMatrixXd sobol_sample_py(int n_dims, std::int64_t start_index, std::int64_t n, bool scramble,
                            const py::object& seed, int n_threads) {
    const std::uint64_t seed_value = seed_from_python(seed);  // needs the GIL
    RowMatrixXd points;
    {
        // Not a call_guard: the seed conversion above must run with the GIL held. The matrix is
        // returned by value and becomes a NumPy array (moved, not copied) after the GIL is back.
        py::gil_scoped_release release;
        points = sobol_sample(n_dims, start_index, n, scramble, seed_value, n_threads);
    }
    return points;
}

py::tuple direction_table(int n_dims) {
    if (n_dims < 1 || n_dims > kSobolMaxDims) {
        throw py::value_error("n_dims must be in [1, " + std::to_string(kSobolMaxDims) +
                              "], got " + std::to_string(n_dims));
    }
    const auto rows = static_cast<py::ssize_t>(n_dims);
    py::array_t<std::uint32_t> degree(rows);
    py::array_t<std::uint32_t> poly(rows);
    py::array_t<std::uint32_t> m_init({rows, static_cast<py::ssize_t>(kSobolMaxDegree)});
    auto d = degree.mutable_unchecked<1>();
    auto p = poly.mutable_unchecked<1>();
    auto m = m_init.mutable_unchecked<2>();
    for (py::ssize_t j = 0; j < rows; ++j) {
        const SobolDirectionRecord record = sobol_direction_record(static_cast<int>(j));
        d(j) = static_cast<std::uint32_t>(record.degree);
        p(j) = record.poly;
        for (py::ssize_t k = 0; k < kSobolMaxDegree; ++k) {
            m(j, k) = record.m_init[static_cast<std::size_t>(k)];
        }
    }
    return py::make_tuple(degree, poly, m_init);
}

}  // namespace

void bind_sobol(py::module_& m) {
    m.attr("SOBOL_MAX_DIMS") = kSobolMaxDims;
    m.attr("SOBOL_BITS") = kSobolBits;
    m.def("sobol_sample", &sobol_sample_py, py::arg("n_dims"), py::arg("start_index"),
          py::arg("n"), py::arg("scramble") = true, py::arg("seed") = 0, py::arg("n_threads") = 0,
          R"doc(Points start_index .. start_index + n - 1 of the Sobol' sequence (Joe & Kuo 2008).

Returns a C-ordered float64 array of shape (n, n_dims) in [0, 1), exact multiples of 2**-53.
Unscrambled, point 0 is all zeros and the points equal scipy.stats.qmc.Sobol(scramble=False).
Scrambled (linear matrix scramble + digital shift), column j depends only on (seed, j), so it is
the same whatever n_dims is, and no point depends on how the index range is chunked or on
n_threads (0 = all available threads). Raises ValueError for n_dims outside
[1, SOBOL_MAX_DIMS], start_index outside [0, 2**53], n outside [0, 2**53 - start_index],
seed outside [0, 2**64) and n_threads < 0. Runs without the GIL.)doc");
    m.def("_sobol_direction_table", &direction_table, py::arg("n_dims"),
          R"doc(The published direction-number data of dimensions 0 .. n_dims - 1.

Returns (degree, poly, m_init) as uint32 arrays of shapes (n_dims,), (n_dims,) and
(n_dims, 18): the degree s of each primitive polynomial, its middle coefficients a_1..a_(s-1)
as bits (a_1 highest) and the initial direction integers m_1..m_s, zero padded. Dimension 0
has degree 0, meaning every m_k = 1 (van der Corput). For the NumPy reference.)doc");
}

}  // namespace hyperdial::bindings
