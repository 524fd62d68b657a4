// The format codec: the bit patterns of f64, f32, bf16 and f16 values, exactly (rounding a
// double to a format is round_to in core/number_format.hpp: one rounding, never two).
#pragma once

#include <cstdint>

#include "core/number_format.hpp"

namespace ropecheck {

// The bit pattern of `value` in `dtype` (in the low 64, 32 or 16 bits). `value` must be exactly
// representable (throws std::invalid_argument naming it otherwise); a NaN becomes the format's
// quiet NaN.
std::uint64_t encode_bits(double value, Dtype dtype);

// The value of a bit pattern of `dtype`, exactly, as a double (NaN payloads are not kept).
double decode_bits(std::uint64_t bits, Dtype dtype);

// The width of `dtype`'s bit patterns: 64, 32 or 16.
int format_bits(Dtype dtype);

}  // namespace ropecheck
