// Small deterministic 64-bit random number generators, identical on every platform.
//
// SplitMix64 (Steele, Lea & Flood 2014) seeds; Xoshiro256ss is xoshiro256** (Blackman & Vigna
// 2018) and is the generator the numerics draw from. Streams: Xoshiro256ss(seed, stream) gives a
// generator that depends only on (seed, stream), so work split by stream (one per dimension, one
// per restart, ...) draws the same numbers however it is split or parallelised.
//
// python/hyperdial/_reference/ mirrors these generators bit for bit; change both together.
#pragma once

#include <cstdint>

namespace hyperdial {

// The SplitMix64 output function: a bijective 64-bit mixer.
constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

class SplitMix64 {
public:
    explicit constexpr SplitMix64(std::uint64_t seed) noexcept : state_(seed) {}

    constexpr std::uint64_t next() noexcept {
        state_ += 0x9E3779B97F4A7C15ULL;
        return mix64(state_);
    }

private:
    std::uint64_t state_;
};

class Xoshiro256ss {
public:
    using result_type = std::uint64_t;

    // State = four SplitMix64 outputs started at seed ^ mix64(stream + golden ratio constant).
    // Four consecutive SplitMix64 outputs are never all zero, so the state is always valid.
    explicit constexpr Xoshiro256ss(std::uint64_t seed, std::uint64_t stream = 0) noexcept
        : s_{0, 0, 0, 0} {
        SplitMix64 sm(seed ^ mix64(stream + 0x9E3779B97F4A7C15ULL));
        for (auto& word : s_) {
            word = sm.next();
        }
    }

    static constexpr result_type min() noexcept { return 0; }
    static constexpr result_type max() noexcept { return ~std::uint64_t{0}; }

    constexpr std::uint64_t next() noexcept {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    constexpr result_type operator()() noexcept { return next(); }

    // Uniform double in [0, 1): the top 53 bits scaled by 2^-53 (every value exactly representable).
    constexpr double uniform() noexcept {
        return static_cast<double>(next() >> 11) * 0x1.0p-53;
    }

private:
    static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
        return (x << k) | (x >> (64 - k));
    }

    std::uint64_t s_[4];
};

}  // namespace hyperdial
