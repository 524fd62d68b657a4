// The inputs of golden vectors: uniform values in [-1, 1) rounded to the format, from a
// SplitMix64 stream keyed by the seed, with the format's special values spread among them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/number_format.hpp"
#include "core/splitmix64.hpp"

namespace ropecheck::vectors {

using ropecheck::SplitMix64;

// The special values every vector set contains (each once at least when there are as many
// values): +0, -0, the smallest subnormal and its negation, the largest subnormal, the smallest
// normal, and +-1.5 * 2^floor(emax / 2), a magnitude near sqrt(max) that a kernel must not
// overflow on.
std::vector<double> special_values(Dtype dtype);

// `count` values for a flat [tokens, heads, head_dim] input (spec/vectors.md §Inputs).
std::vector<double> draw_inputs(Dtype dtype, std::size_t count, std::uint64_t seed);

}  // namespace ropecheck::vectors
