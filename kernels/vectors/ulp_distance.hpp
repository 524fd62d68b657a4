// Distance in units in the last place between two values of a format, counted across zero.
#pragma once

#include <cstdint>

#include "core/number_format.hpp"
#include "core/ulp.hpp"

namespace ropecheck::vectors {

using ropecheck::kInfiniteUlps;

// How many representable values of `dtype` lie between a and b (core's ulp_steps).
std::uint64_t ulp_distance(double a, double b, Dtype dtype);

// Whether a and b have the same bit pattern in `dtype`, any NaN equal to any NaN.
bool bitwise_equal(double a, double b, Dtype dtype);

}  // namespace ropecheck::vectors
