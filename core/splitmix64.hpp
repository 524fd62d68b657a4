// SplitMix64 (Steele, Lea, Flood 2014; Vigna's splitmix64.c): the generator behind every drawn
// input, chosen because its stream is fixed by the seed alone on every platform.
#pragma once

#include <cstdint>

namespace ropecheck {

class SplitMix64 {
 public:
  explicit constexpr SplitMix64(std::uint64_t seed) : state_(seed) {}

  // The next output: the state advances by the golden-ratio increment and is then mixed.
  constexpr std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  // The first output of a generator seeded with `z`: a 64-bit hash of z, so that a value can
  // depend on a key (seed, position, head) alone, never on which thread or shard draws it.
  static constexpr std::uint64_t hash(std::uint64_t z) { return SplitMix64(z).next(); }

 private:
  std::uint64_t state_;
};

}  // namespace ropecheck
