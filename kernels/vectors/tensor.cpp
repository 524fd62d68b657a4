#include "kernels/vectors/tensor.hpp"

#include <fmt/format.h>
#include <stdexcept>

#include "core/format_codec.hpp"
#include "core/ulp.hpp"

namespace ropecheck::vectors {
namespace {

void store_le(unsigned char* out, std::uint64_t bits, std::size_t bytes) {
  for (std::size_t i = 0; i < bytes; ++i) out[i] = static_cast<unsigned char>(bits >> (8 * i));
}

std::uint64_t load_le(const unsigned char* in, std::size_t bytes) {
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < bytes; ++i) bits |= static_cast<std::uint64_t>(in[i]) << (8 * i);
  return bits;
}

Dtype float_dtype(TensorDtype dtype) {
  switch (dtype) {
    case TensorDtype::f64: return Dtype::f64;
    case TensorDtype::f32: return Dtype::f32;
    case TensorDtype::bf16: return Dtype::bf16;
    case TensorDtype::f16: return Dtype::f16;
    case TensorDtype::i64: break;
  }
  throw std::invalid_argument("float_values: an i64 tensor holds no floating-point values");
}

std::size_t checked_count(const std::vector<std::int64_t>& shape, std::size_t element_bytes,
                          std::size_t values) {
  const auto bytes = checked_byte_size(shape, element_bytes);
  if (!bytes || *bytes / element_bytes != values)
    throw std::invalid_argument(fmt::format("tensor shape {} does not hold {} values",
                                            shape_text(shape), values));
  return values;
}

}  // namespace

std::size_t element_size(TensorDtype dtype) {
  switch (dtype) {
    case TensorDtype::f64:
    case TensorDtype::i64: return 8;
    case TensorDtype::f32: return 4;
    case TensorDtype::bf16:
    case TensorDtype::f16: return 2;
  }
  return 8;
}

std::string_view tensor_dtype_name(TensorDtype dtype) {
  switch (dtype) {
    case TensorDtype::f64: return "f64";
    case TensorDtype::f32: return "f32";
    case TensorDtype::bf16: return "bf16";
    case TensorDtype::f16: return "f16";
    case TensorDtype::i64: return "i64";
  }
  return "f64";
}

TensorDtype tensor_dtype(Dtype dtype) {
  switch (dtype) {
    case Dtype::f64: return TensorDtype::f64;
    case Dtype::f32: return TensorDtype::f32;
    case Dtype::bf16: return TensorDtype::bf16;
    case Dtype::f16: return TensorDtype::f16;
  }
  return TensorDtype::f64;
}

std::optional<std::uint64_t> checked_byte_size(std::span<const std::int64_t> shape,
                                               std::size_t element_bytes) {
  constexpr std::uint64_t kLimit = std::uint64_t{1} << 63;
  std::uint64_t total = element_bytes;
  for (const std::int64_t dim : shape) {
    if (dim < 0) return std::nullopt;
    const auto d = static_cast<std::uint64_t>(dim);
    if (d != 0 && total > kLimit / d) return std::nullopt;
    total *= d;
  }
  return total;
}

std::string shape_text(std::span<const std::int64_t> shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

Tensor float_tensor(Dtype dtype, std::vector<std::int64_t> shape, std::span<const double> values) {
  Tensor tensor{tensor_dtype(dtype), std::move(shape), {}};
  const std::size_t width = element_size(tensor.dtype);
  checked_count(tensor.shape, width, values.size());
  tensor.data.resize(values.size() * width);
  for (std::size_t i = 0; i < values.size(); ++i)
    store_le(tensor.data.data() + i * width, encode_bits(values[i], dtype), width);
  return tensor;
}

Tensor int64_tensor(std::vector<std::int64_t> shape, std::span<const std::int64_t> values) {
  Tensor tensor{TensorDtype::i64, std::move(shape), {}};
  checked_count(tensor.shape, 8, values.size());
  tensor.data.resize(values.size() * 8);
  for (std::size_t i = 0; i < values.size(); ++i)
    store_le(tensor.data.data() + i * 8, static_cast<std::uint64_t>(values[i]), 8);
  return tensor;
}

std::vector<double> float_values(const Tensor& tensor) {
  const Dtype dtype = float_dtype(tensor.dtype);
  const std::size_t width = element_size(tensor.dtype);
  std::vector<double> values(tensor.data.size() / width);
  for (std::size_t i = 0; i < values.size(); ++i)
    values[i] = decode_bits(load_le(tensor.data.data() + i * width, width), dtype);
  return values;
}

std::vector<std::int64_t> int64_values(const Tensor& tensor) {
  if (tensor.dtype != TensorDtype::i64)
    throw std::invalid_argument("int64_values: the tensor is not i64");
  std::vector<std::int64_t> values(tensor.data.size() / 8);
  for (std::size_t i = 0; i < values.size(); ++i)
    values[i] = static_cast<std::int64_t>(load_le(tensor.data.data() + i * 8, 8));
  return values;
}

}  // namespace ropecheck::vectors
