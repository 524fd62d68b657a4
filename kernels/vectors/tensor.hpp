// Typed n-dimensional arrays as .npy and .safetensors files hold them: dtype, shape, raw bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/number_format.hpp"

namespace ropecheck::vectors {

// The element types the vector files use: the four storage formats and int64 positions.
enum class TensorDtype { f64, f32, bf16, f16, i64 };

// Bytes per element (8, 4, 2, 2, 8).
std::size_t element_size(TensorDtype dtype);

// "f64", "f32", "bf16", "f16", "i64", for messages.
std::string_view tensor_dtype_name(TensorDtype dtype);

// The tensor dtype that stores values of a number format.
TensorDtype tensor_dtype(Dtype dtype);

// A dense array in C (row-major) order; `data` holds the elements little-endian.
struct Tensor {
  TensorDtype dtype = TensorDtype::f64;
  std::vector<std::int64_t> shape;
  std::vector<unsigned char> data;
};

// Bytes that `shape` of `element_bytes`-sized elements occupies; nullopt when a dimension is
// negative or the product overflows 2^63.
std::optional<std::uint64_t> checked_byte_size(std::span<const std::int64_t> shape,
                                               std::size_t element_bytes);

// "[2, 3, 64]", for messages.
std::string shape_text(std::span<const std::int64_t> shape);

// A tensor of `dtype` holding `values`, each of which must be exactly representable in it;
// throws std::invalid_argument when one is not or when the shape does not match the count.
Tensor float_tensor(Dtype dtype, std::vector<std::int64_t> shape, std::span<const double> values);

// An int64 tensor holding `values`.
Tensor int64_tensor(std::vector<std::int64_t> shape, std::span<const std::int64_t> values);

// The elements of a floating-point tensor, widened exactly to double.
std::vector<double> float_values(const Tensor& tensor);

// The elements of an int64 tensor.
std::vector<std::int64_t> int64_values(const Tensor& tensor);

}  // namespace ropecheck::vectors
