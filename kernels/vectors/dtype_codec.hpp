// The codec and ulp of the vector formats are core's measurement toolkit (core/format_codec.hpp,
// core/ulp.hpp); these names keep kernels/vectors' callers as they were.
#pragma once

#include "core/format_codec.hpp"
#include "core/ulp.hpp"

namespace ropecheck::vectors {

using ropecheck::decode_bits;
using ropecheck::encode_bits;

// The spacing of `dtype` at `value` (core's format_ulp).
inline double ulp_of(double value, Dtype dtype) { return format_ulp(value, dtype); }

}  // namespace ropecheck::vectors
