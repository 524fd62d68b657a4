// Converting rows of doubles to and from a kernel's storage format (f64, f32, bf16/f16 bits).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/number_format.hpp"

namespace ropecheck::kernels {

// The RC_DTYPE_* bit of a format, and back (nullopt-free: callers pass known bits).
std::uint32_t abi_dtype_bit(Dtype dtype);
Dtype dtype_of_abi_bit(std::uint32_t bit);

// Bytes one value of `dtype` occupies.
std::size_t dtype_size(Dtype dtype);

// Writes each value into `out` in that format; a value not exactly representable in `dtype` is
// an error (std::invalid_argument from the core codec), never rounded on the way.
void encode(Dtype dtype, std::span<const double> values, void* out);

// Reads `values.size()` values of `dtype` from `in`, widened exactly to double.
void decode(Dtype dtype, const void* in, std::span<double> values);

// Fills `count` values at `out` with a quiet NaN whose payload marks "never written".
void fill_unwritten(Dtype dtype, void* out, std::size_t count);

// Counts values at `in` still holding the "never written" pattern.
std::size_t count_unwritten(Dtype dtype, const void* in, std::size_t count);

}  // namespace ropecheck::kernels
