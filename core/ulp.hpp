// Units in the last place of a format: the ulp at a value and the distance between two values
// counted in representable steps, correct across zero, through the subnormals and up to inf.
#pragma once

#include <cstdint>
#include <limits>

#include "core/number_format.hpp"

namespace ropecheck {

// The quantum (ulp) of `dtype` at |v|: 2^(max(floor(log2 |v|), emin) - p + 1); the smallest
// subnormal at 0; the ulp of max_finite for |v| beyond it and for infinities; NaN for NaN.
double format_ulp(double v, Dtype dtype);

// The signed index of a value among the values of `dtype`: 0 for both zeros, k for the k-th
// positive value above zero (the smallest subnormal is 1), -k for its negation; +-inf sit one
// past +-max_finite. Throws std::invalid_argument for NaN or a value not in the format.
std::int64_t format_ordinal(double v, Dtype dtype);

// Returned by ulp_steps when exactly one of the two values is NaN: no finite distance.
inline constexpr std::uint64_t kInfiniteUlps = std::numeric_limits<std::uint64_t>::max();

// How many representable values of `dtype` lie between a and b, stepping from one to the other:
// |ordinal(a) - ordinal(b)|, so distance(+0, -0) = 0 and distance(-min, +min) = 2. 0 when both
// are NaN, kInfiniteUlps when one is. Both must be in the format (std::invalid_argument).
std::uint64_t ulp_steps(double a, double b, Dtype dtype);

}  // namespace ropecheck
