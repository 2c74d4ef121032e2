// Sobol' low-discrepancy points with the Joe & Kuo (2008) direction numbers, optionally scrambled.
//
// Sequence. Dimension j (0-based) has direction integers m_1, m_2, ... (Joe & Kuo's table
// new-joe-kuo-6.21201 for j >= 1; all m_k = 1, the van der Corput sequence, for j = 0), extended
// by the recurrence of its primitive polynomial x^s + a_1 x^(s-1) + ... + a_(s-1) x + 1:
//     m_k = 2 a_1 m_(k-1) ^ 4 a_2 m_(k-2) ^ ... ^ 2^(s-1) a_(s-1) m_(k-s+1) ^ 2^s m_(k-s) ^ m_(k-s).
// With B = kSobolBits, direction number v_k = m_k * 2^(B-k) is a B-bit fraction, and point i is
//     x_i = (XOR of v_k over the set bits k of gray(i)) * 2^-B,   gray(i) = i ^ (i >> 1),
// the usual Gray-code ordering (Antonov & Saleev), so point 0 is all zeros and dimension 0 runs
// 0, 1/2, 3/4, 1/4, 3/8, 7/8, 5/8, 1/8, ... This is the same sequence SciPy's
// qmc.Sobol(scramble=False) produces. Every point is computed from its index directly (blocks of
// consecutive points then step with one XOR each), so any index range can be generated on its
// own and the result does not depend on chunking or on the thread count.
//
// Precision: B = 53 bits, the double mantissa, so every point is an exact multiple of 2^-53 in
// [0, 1) and up to 2^53 points (kSobolMaxPoints) are distinct.
//
// Scrambling: random linear matrix scrambling (Matousek 1998) plus a random digital shift, the
// method of SciPy's default scramble, which keeps the (t, m, s)-net properties. For dimension j
// the scramble depends only on (seed, j): it is drawn from Xoshiro256ss(seed, stream = j), so a
// coordinate does not change with the number of dimensions asked for. Draw order, with digits
// numbered r = 0 (weight 1/2) .. B-1 (weight 2^-B) and digit c held in bit B-1-c of a mask:
//   for r = 0 .. B-1: w = next(); row r of the unit lower-triangular matrix L is the mask
//                     (1 << (B-1-r)) | ((w >> (64-r)) << (B-r))   (just the diagonal for r = 0),
//                     i.e. the top r bits of w are its entries for digits 0 .. r-1;
//   shift = next() >> (64 - B).
// The scrambled point is (L applied to the digits of x_i) XOR shift; L is applied to the
// direction numbers once, since it is linear over GF(2).
#pragma once

#include <array>
#include <cstdint>

#include "hyperdial/types.hpp"

namespace hyperdial {

inline constexpr int kSobolMaxDims = 21201;
inline constexpr int kSobolBits = 53;
inline constexpr std::int64_t kSobolMaxPoints = std::int64_t{1} << kSobolBits;
inline constexpr int kSobolMaxDegree = 18;

using SobolDirections = std::array<std::uint64_t, kSobolBits>;

// The published data of dimension dim (0-based): degree s, polynomial bits a = a_1..a_(s-1), and
// m_1..m_s (zero padded). Dimension 0 is reported as degree 0 (meaning every m_k = 1).
struct SobolDirectionRecord {
    int degree = 0;
    std::uint32_t poly = 0;
    std::array<std::uint32_t, kSobolMaxDegree> m_init{};
};
SobolDirectionRecord sobol_direction_record(int dim);

// v_1..v_B of dimension dim (0-based), as B-bit integers: v[k] = m_(k+1) << (B - 1 - k).
SobolDirections sobol_directions(int dim);

// The linear scramble and digital shift of dimension dim for a seed (see the header comment).
struct SobolScramble {
    std::array<std::uint64_t, kSobolBits> rows{};  // rows[r]: B-bit mask of the digits feeding r
    std::uint64_t shift = 0;
};
SobolScramble sobol_scramble(std::uint64_t seed, int dim);

// L applied to the B-bit fraction x: output digit r is the parity of x & rows[r].
std::uint64_t apply_linear_scramble(const SobolScramble& scramble, std::uint64_t x) noexcept;

// Points start_index .. start_index + n - 1 of the n_dims-dimensional sequence, as an
// n x n_dims row-major matrix in [0, 1). Throws std::invalid_argument unless
// 1 <= n_dims <= kSobolMaxDims, 0 <= start_index <= kSobolMaxPoints,
// 0 <= n <= kSobolMaxPoints - start_index and n_threads >= 0 (0 = all available threads).
RowMatrixXd sobol_sample(int n_dims, std::int64_t start_index, std::int64_t n,
                         bool scramble = true, std::uint64_t seed = 0, int n_threads = 0);

}  // namespace hyperdial
