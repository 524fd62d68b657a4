// Exact conversions between doubles and the bit patterns of f64, f32, bf16 and f16 (rounding a
// double to a format is core's round_to).
#pragma once

#include <cstdint>

#include "core/number_format.hpp"

namespace ropecheck::vectors {

// The bit pattern of `value` in `dtype` (in the low 64, 32 or 16 bits). `value` must be exactly
// representable (throws std::invalid_argument otherwise); a NaN becomes the format's quiet NaN.
std::uint64_t encode_bits(double value, Dtype dtype);

// The value of a bit pattern of `dtype`, exactly, as a double (NaN payloads are not kept).
double decode_bits(std::uint64_t bits, Dtype dtype);

// The spacing of `dtype` at `value`: 2^(max(e, emin) - p + 1) where 2^e <= |value| < 2^(e+1).
double ulp_of(double value, Dtype dtype);

}  // namespace ropecheck::vectors
