#include "kernels/plugin/dtype_codec.hpp"

#include <cstring>
#include <stdexcept>

#include "core/format_codec.hpp"
#include "kernels/abi/ropecheck_kernel.h"

namespace ropecheck::kernels {
namespace {

// Quiet NaNs with a recognisable payload: a kernel that leaves an output untouched produces
// NaN (so the battery fails it) and the pattern tells "unwritten" apart from "computed NaN".
constexpr std::uint64_t kUnwritten64 = 0x7FF8DEADBEEFCAFEull;
constexpr std::uint32_t kUnwritten32 = 0x7FDEADBEu;
constexpr std::uint16_t kUnwrittenBf16 = 0x7FDEu;
constexpr std::uint16_t kUnwrittenF16 = 0x7EADu;

template <class T>
void fill_pattern(void* out, std::size_t count, T pattern) {
  auto* p = static_cast<unsigned char*>(out);
  for (std::size_t i = 0; i < count; ++i) std::memcpy(p + i * sizeof(T), &pattern, sizeof(T));
}

template <class T>
std::size_t count_pattern(const void* in, std::size_t count, T pattern) {
  const auto* p = static_cast<const unsigned char*>(in);
  std::size_t n = 0;
  for (std::size_t i = 0; i < count; ++i) {
    T v;
    std::memcpy(&v, p + i * sizeof(T), sizeof(T));
    n += v == pattern;
  }
  return n;
}

}  // namespace

std::uint32_t abi_dtype_bit(Dtype dtype) {
  switch (dtype) {
    case Dtype::f64: return RC_DTYPE_F64;
    case Dtype::f32: return RC_DTYPE_F32;
    case Dtype::bf16: return RC_DTYPE_BF16;
    case Dtype::f16: return RC_DTYPE_F16;
  }
  return RC_DTYPE_F64;
}

Dtype dtype_of_abi_bit(std::uint32_t bit) {
  switch (bit) {
    case RC_DTYPE_F64: return Dtype::f64;
    case RC_DTYPE_F32: return Dtype::f32;
    case RC_DTYPE_BF16: return Dtype::bf16;
    case RC_DTYPE_F16: return Dtype::f16;
    default: throw std::invalid_argument("not a single RC_DTYPE_* bit");
  }
}

std::size_t dtype_size(Dtype dtype) {
  switch (dtype) {
    case Dtype::f64: return 8;
    case Dtype::f32: return 4;
    case Dtype::bf16:
    case Dtype::f16: return 2;
  }
  return 8;
}

// Both directions go through the one format codec (core/format_codec.hpp): an inexact value is
// an error there, never rounded twice through float on its way to bf16 or f16.
void encode(Dtype dtype, std::span<const double> values, void* out) {
  auto* p = static_cast<unsigned char*>(out);
  const std::size_t size = dtype_size(dtype);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::uint64_t bits = encode_bits(values[i], dtype);
    switch (dtype) {
      case Dtype::f64: std::memcpy(p + i * size, &bits, size); break;
      case Dtype::f32: {
        const auto b = static_cast<std::uint32_t>(bits);
        std::memcpy(p + i * size, &b, size);
        break;
      }
      case Dtype::bf16:
      case Dtype::f16: {
        const auto b = static_cast<std::uint16_t>(bits);
        std::memcpy(p + i * size, &b, size);
        break;
      }
    }
  }
}

void decode(Dtype dtype, const void* in, std::span<double> values) {
  const auto* p = static_cast<const unsigned char*>(in);
  const std::size_t size = dtype_size(dtype);
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::uint64_t bits = 0;
    switch (dtype) {
      case Dtype::f64: std::memcpy(&bits, p + i * size, size); break;
      case Dtype::f32: {
        std::uint32_t b;
        std::memcpy(&b, p + i * size, size);
        bits = b;
        break;
      }
      case Dtype::bf16:
      case Dtype::f16: {
        std::uint16_t b;
        std::memcpy(&b, p + i * size, size);
        bits = b;
        break;
      }
    }
    values[i] = decode_bits(bits, dtype);
  }
}

void fill_unwritten(Dtype dtype, void* out, std::size_t count) {
  switch (dtype) {
    case Dtype::f64: fill_pattern(out, count, kUnwritten64); break;
    case Dtype::f32: fill_pattern(out, count, kUnwritten32); break;
    case Dtype::bf16: fill_pattern(out, count, kUnwrittenBf16); break;
    case Dtype::f16: fill_pattern(out, count, kUnwrittenF16); break;
  }
}

std::size_t count_unwritten(Dtype dtype, const void* in, std::size_t count) {
  switch (dtype) {
    case Dtype::f64: return count_pattern(in, count, kUnwritten64);
    case Dtype::f32: return count_pattern(in, count, kUnwritten32);
    case Dtype::bf16: return count_pattern(in, count, kUnwrittenBf16);
    case Dtype::f16: return count_pattern(in, count, kUnwrittenF16);
  }
  return 0;
}

}  // namespace ropecheck::kernels
