#include "hyperdial/sobol.hpp"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "hyperdial/parallel.hpp"
#include "hyperdial/rng.hpp"
#include "sobol_directions.hpp"

namespace hyperdial {
namespace {

constexpr int kBits = kSobolBits;
// Points per block of the parallel loop. Fixed, so the split never depends on the thread count.
constexpr std::int64_t kBlock = 1024;

int popcount64(std::uint64_t x) noexcept {
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_popcountll(x);
#else
    int count = 0;
    for (; x != 0; x &= x - 1) {
        ++count;
    }
    return count;
#endif
}

// Index of the lowest set bit; x must not be 0.
int count_trailing_zeros64(std::uint64_t x) noexcept {
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_ctzll(x);
#else
    int count = 0;
    for (; (x & 1U) == 0; x >>= 1) {
        ++count;
    }
    return count;
#endif
}

// Start of each dimension's record (dimensions 1 .. kSobolMaxDims-1) in detail::sobol_table.
const std::vector<std::size_t>& record_offsets() {
    static const std::vector<std::size_t> offsets = [] {
        std::vector<std::size_t> out;
        out.reserve(kSobolMaxDims - 1);
        std::size_t pos = 0;
        while (pos < detail::sobol_table_size) {
            out.push_back(pos);
            pos += 2 + detail::sobol_table[pos];
        }
        if (pos != detail::sobol_table_size || out.size() != kSobolMaxDims - 1 ||
            detail::sobol_table_dims != kSobolMaxDims) {
            throw std::logic_error("the compiled Sobol' direction table is corrupt");
        }
        return out;
    }();
    return offsets;
}

// A B-bit fraction as a double, exactly. Converted as signed (x < 2^53 < 2^63): one instruction,
// where the unsigned conversion needs a branch on the top bit.
inline double to_unit(std::uint64_t x) noexcept {
    static_assert(kBits == 53, "the scale below is 2^-kSobolBits");
    return static_cast<double>(static_cast<std::int64_t>(x)) * 0x1.0p-53;
}

void check_dim(int dim) {
    if (dim < 0 || dim >= kSobolMaxDims) {
        throw std::invalid_argument("dim must be in [0, " + std::to_string(kSobolMaxDims - 1) +
                                    "], got " + std::to_string(dim));
    }
}

}  // namespace

SobolDirectionRecord sobol_direction_record(int dim) {
    check_dim(dim);
    SobolDirectionRecord record;
    if (dim == 0) {
        return record;
    }
    const std::uint32_t* rec = detail::sobol_table + record_offsets()[static_cast<std::size_t>(dim - 1)];
    record.degree = static_cast<int>(rec[0]);
    record.poly = rec[1];
    std::copy(rec + 2, rec + 2 + record.degree, record.m_init.begin());
    return record;
}

SobolDirections sobol_directions(int dim) {
    const SobolDirectionRecord record = sobol_direction_record(dim);
    std::array<std::uint64_t, kBits> m{};  // m[k] holds m_(k+1)
    if (record.degree == 0) {
        m.fill(1);
    } else {
        const int s = record.degree;
        for (int k = 0; k < s; ++k) {
            m[static_cast<std::size_t>(k)] = record.m_init[static_cast<std::size_t>(k)];
        }
        for (int k = s; k < kBits; ++k) {
            const std::uint64_t oldest = m[static_cast<std::size_t>(k - s)];
            std::uint64_t next = oldest ^ (oldest << s);
            for (int i = 1; i < s; ++i) {
                if (((record.poly >> (s - 1 - i)) & 1U) != 0) {
                    next ^= m[static_cast<std::size_t>(k - i)] << i;
                }
            }
            m[static_cast<std::size_t>(k)] = next;
        }
    }
    SobolDirections v{};
    for (int k = 0; k < kBits; ++k) {
        v[static_cast<std::size_t>(k)] = m[static_cast<std::size_t>(k)] << (kBits - 1 - k);
    }
    return v;
}

SobolScramble sobol_scramble(std::uint64_t seed, int dim) {
    check_dim(dim);
    Xoshiro256ss rng(seed, static_cast<std::uint64_t>(dim));
    SobolScramble scramble;
    for (int r = 0; r < kBits; ++r) {
        const std::uint64_t w = rng.next();
        std::uint64_t row = std::uint64_t{1} << (kBits - 1 - r);
        if (r > 0) {
            row |= (w >> (64 - r)) << (kBits - r);
        }
        scramble.rows[static_cast<std::size_t>(r)] = row;
    }
    scramble.shift = rng.next() >> (64 - kBits);
    return scramble;
}

std::uint64_t apply_linear_scramble(const SobolScramble& scramble, std::uint64_t x) noexcept {
    std::uint64_t y = 0;
    for (int r = 0; r < kBits; ++r) {
        const auto parity = static_cast<std::uint64_t>(
            popcount64(x & scramble.rows[static_cast<std::size_t>(r)]) & 1);
        y |= parity << (kBits - 1 - r);
    }
    return y;
}

RowMatrixXd sobol_sample(int n_dims, std::int64_t start_index, std::int64_t n, bool scramble,
                         std::uint64_t seed, int n_threads) {
    if (n_dims < 1 || n_dims > kSobolMaxDims) {
        throw std::invalid_argument("n_dims must be in [1, " + std::to_string(kSobolMaxDims) +
                                    "], got " + std::to_string(n_dims));
    }
    if (start_index < 0 || start_index > kSobolMaxPoints) {
        throw std::invalid_argument("start_index must be in [0, 2**" + std::to_string(kBits) +
                                    "], got " + std::to_string(start_index));
    }
    if (n < 0 || n > kSobolMaxPoints - start_index) {
        throw std::invalid_argument(
            "n must be in [0, 2**" + std::to_string(kBits) + " - start_index] = [0, " +
            std::to_string(kSobolMaxPoints - start_index) + "], got " + std::to_string(n));
    }
    check_n_threads(n_threads);
    if (n > std::numeric_limits<Index>::max() / n_dims) {
        throw std::invalid_argument("n * n_dims is too large: n = " + std::to_string(n) +
                                    ", n_dims = " + std::to_string(n_dims));
    }

    const auto dims = static_cast<std::size_t>(n_dims);
    // Direction numbers bit-major (v[k * dims + j]) so the per-point XOR runs along memory.
    std::vector<std::uint64_t> v(static_cast<std::size_t>(kBits) * dims);
    std::vector<std::uint64_t> shift(dims, 0);
    parallel_for(n_dims, n_threads, [&](std::ptrdiff_t jj) {
        const auto j = static_cast<std::size_t>(jj);
        SobolDirections dir = sobol_directions(static_cast<int>(jj));
        if (scramble) {
            const SobolScramble sc = sobol_scramble(seed, static_cast<int>(jj));
            for (auto& vk : dir) {
                vk = apply_linear_scramble(sc, vk);
            }
            shift[j] = sc.shift;
        }
        for (std::size_t k = 0; k < dir.size(); ++k) {
            v[k * dims + j] = dir[k];
        }
    });

    RowMatrixXd out(static_cast<Index>(n), static_cast<Index>(n_dims));
    double* const data = out.data();
    const std::int64_t n_blocks = (n + kBlock - 1) / kBlock;
    parallel_for(n_blocks, n_threads, [&](std::ptrdiff_t block) {
        const std::int64_t begin = block * kBlock;
        const std::int64_t end = std::min(n, begin + kBlock);
        // First point of the block directly from its index, the rest by one XOR each:
        // gray(i) and gray(i - 1) differ in bit ctz(i).
        std::vector<std::uint64_t> x(shift);
        const auto first = static_cast<std::uint64_t>(start_index + begin);
        const std::uint64_t gray = first ^ (first >> 1);
        for (int k = 0; k < kBits; ++k) {
            if (((gray >> k) & 1U) != 0) {
                const std::uint64_t* vk = v.data() + static_cast<std::size_t>(k) * dims;
                for (std::size_t j = 0; j < dims; ++j) {
                    x[j] ^= vk[j];
                }
            }
        }
        double* row = data + static_cast<std::size_t>(begin) * dims;
        for (std::size_t j = 0; j < dims; ++j) {
            row[j] = to_unit(x[j]);
        }
        for (std::int64_t r = begin + 1; r < end; ++r) {
            const auto index = static_cast<std::uint64_t>(start_index + r);
            const std::uint64_t* vk =
                v.data() + static_cast<std::size_t>(count_trailing_zeros64(index)) * dims;
            row = data + static_cast<std::size_t>(r) * dims;
            for (std::size_t j = 0; j < dims; ++j) {
                x[j] ^= vk[j];
                row[j] = to_unit(x[j]);
            }
        }
    });
    return out;
}

}  // namespace hyperdial
