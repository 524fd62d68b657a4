// The .safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length N, N bytes of JSON (tensor entries and "__metadata__"), then the data buffer.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kernels/vectors/tensor.hpp"

namespace ropecheck::vectors {

// A tensor with its name in the file.
struct NamedTensor {
  std::string name;
  Tensor tensor;
};

// The contents of a .safetensors file: named tensors (in data order) and string metadata.
struct SafetensorsFile {
  std::vector<NamedTensor> tensors;
  std::map<std::string, std::string> metadata;

  // The tensor called `name`, or nullptr.
  const Tensor* find(std::string_view name) const;
};

// The largest header accepted, as in the reference implementation (100 MB).
inline constexpr std::uint64_t kMaxSafetensorsHeader = 100'000'000;

// The bytes of a .safetensors file: tensors laid out in the given order, the header padded
// with spaces so the data starts on an 8-byte boundary.
std::string write_safetensors(const SafetensorsFile& file);

// Parses .safetensors bytes; dtypes F64, F32, BF16, F16 and I64. Throws ConfigError(`name`,
// what is wrong) for a truncated file, a header length past the end or over the limit, invalid
// JSON, unknown keys or dtypes, non-string metadata, duplicate names, offsets out of range,
// overlapping or leaving holes, and sizes that disagree with dtype x shape. Allocates no more
// than a small multiple of the size of `bytes`.
SafetensorsFile read_safetensors(std::string_view bytes, const std::string& name);

}  // namespace ropecheck::vectors
