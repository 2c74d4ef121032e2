// exp() in a form the compiler can vectorise: no branches, no library call, no errno.
//
// exp(x) = 2^n e^r with n = round(x / ln 2) and r = x - n ln 2 (Cody-Waite split of ln 2 into a
// head with trailing zero bits and a tail, so n * ln2_hi is exact), |r| <= ln(2) / 2; e^r by its
// Taylor series to degree 12 (truncation error < r^13 / 13! < 2e-16 relative), 2^n assembled in
// the exponent bits. Rounding uses the 1.5 * 2^52 shifter, whose low mantissa bits then hold n.
// Accuracy: within a few ulp of std::exp over the whole range (tests compare with NumPy at
// rtol 1e-14). x < -708.39 gives 0 (std::exp underflows to subnormals there, below 1e-307),
// x > 709 gives exp(709); NaN propagates.
#pragma once

#include <cstdint>
#include <cstring>

namespace hyperdial {

// The algorithm above with the Horner steps p * r + c evaluated by mul_add(p, r, c), so that a
// caller compiled for FMA can fuse them (dense_impl.inc); exp_vec does them unfused.
template <class MulAdd>
inline double exp_with(double x, MulAdd mul_add) {
    constexpr double kLog2e = 1.4426950408889634074;
    constexpr double kLn2Hi = 6.93147180369123816490e-01;
    constexpr double kLn2Lo = 1.90821492927058770002e-10;
    constexpr double kShifter = 6755399441055744.0;  // 1.5 * 2^52
    const double xc = x > 709.0 ? 709.0 : (x < -708.39 ? -708.39 : x);
    const double t = xc * kLog2e + kShifter;
    const double n = t - kShifter;
    const double r = (xc - n * kLn2Hi) - n * kLn2Lo;
    double p = 1.0 / 479001600.0;  // 1 / 12!
    p = mul_add(p, r, 1.0 / 39916800.0);
    p = mul_add(p, r, 1.0 / 3628800.0);
    p = mul_add(p, r, 1.0 / 362880.0);
    p = mul_add(p, r, 1.0 / 40320.0);
    p = mul_add(p, r, 1.0 / 5040.0);
    p = mul_add(p, r, 1.0 / 720.0);
    p = mul_add(p, r, 1.0 / 120.0);
    p = mul_add(p, r, 1.0 / 24.0);
    p = mul_add(p, r, 1.0 / 6.0);
    p = mul_add(p, r, 0.5);
    p = mul_add(p, r, 1.0);
    p = mul_add(p, r, 1.0);
    std::int64_t tb = 0;
    std::int64_t sb = 0;
    std::memcpy(&tb, &t, sizeof tb);
    std::memcpy(&sb, &kShifter, sizeof sb);
    const std::int64_t bits = (tb - sb + 1023) << 52;
    double scale = 0.0;
    std::memcpy(&scale, &bits, sizeof scale);
    const double out = p * scale;
    return x < -708.39 ? 0.0 : (x != x ? x : out);
}

inline double exp_vec(double x) {
    return exp_with(x, [](double a, double b, double c) { return a * b + c; });
}

}  // namespace hyperdial
