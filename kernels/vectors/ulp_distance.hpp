// Distance in units in the last place between two values of a format, counted across zero.
#pragma once

#include <cstdint>
#include <limits>

#include "core/number_format.hpp"

namespace ropecheck::vectors {

// Returned when exactly one of the two values is NaN: no finite distance.
inline constexpr std::uint64_t kInfiniteUlps = std::numeric_limits<std::uint64_t>::max();

// How many representable values of `dtype` lie between a and b, stepping from one to the
// other (+0 and -0 are one value; the step from the largest finite to infinity counts one).
// 0 when both are NaN, kInfiniteUlps when one is. Both must be representable in `dtype`.
std::uint64_t ulp_distance(double a, double b, Dtype dtype);

// Whether a and b have the same bit pattern in `dtype`, any NaN equal to any NaN.
bool bitwise_equal(double a, double b, Dtype dtype);

}  // namespace ropecheck::vectors
