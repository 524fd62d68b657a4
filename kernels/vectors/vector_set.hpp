// Golden vector sets: inputs x, positions and the reference's correctly rounded outputs, with
// the metadata that makes them self-describing (spec/vectors.md).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/number_format.hpp"
#include "core/rope_config.hpp"
#include "kernels/vectors/tensor.hpp"

namespace ropecheck::vectors {

// The format version written to metadata "ropecheck_vectors".
inline constexpr std::string_view kVectorsVersion = "1";

// The most values (tokens x heads x head_dim) one set may hold: 2^24, 128 MiB per f64 tensor.
inline constexpr std::size_t kMaxVectorValues = std::size_t{1} << 24;

// What a golden vector set is generated from.
struct VectorSpec {
  nlohmann::json config;  // Hugging Face-style keys plus "layout"
  std::string layer_type = "full_attention";
  std::string preset;  // the preset's name, empty when the config came from elsewhere
  Dtype dtype = Dtype::f32;
  std::string positions_spec;
  std::vector<std::int64_t> positions;  // ascending, in [0, 2^53)
  int heads = 2;
  std::uint64_t seed = 0;
  std::optional<std::int64_t> seq_len;  // default: max(positions) + 1
};

// A golden vector set: x[t][h][c] at positions[t] and expected = RN_dtype(exact RoPE of x).
struct VectorSet {
  std::map<std::string, std::string> metadata;  // spec/vectors.md §Metadata
  RopeConfig config;
  Dtype dtype = Dtype::f32;
  std::int64_t seq_len = 1;  // for dynamic NTK and LongRoPE (metadata "seq_len")
  int heads = 0;
  std::vector<std::int64_t> positions;  // [tokens]
  std::vector<double> x;                // [tokens, heads, head_dim], row-major
  std::vector<double> expected;         // [tokens, heads, head_dim]

  std::int64_t tokens() const { return static_cast<std::int64_t>(positions.size()); }
  // [tokens, heads, head_dim], the shape of x, expected and a kernel's outputs.
  std::vector<std::int64_t> shape() const;
};

// Draws the inputs and runs the reference; throws ConfigError for a bad spec (config, heads,
// size over kMaxVectorValues).
VectorSet generate_vectors(const VectorSpec& spec);

// A set of the given inputs x ([tokens, heads, head_dim], finite values of spec.dtype) with the
// reference's outputs; spec.seed is only recorded. Throws like generate_vectors, and
// ConfigError("x") for a wrong count or a value that is not a finite value of the dtype.
VectorSet vectors_from_inputs(const VectorSpec& spec, std::vector<double> x);

// Rebuilds a set from metadata and tensors read from a file, checking that they agree (version,
// dtype, config, shapes, positions); throws ConfigError(`name`, what is wrong). Null tensors are
// reported as missing.
VectorSet assemble_vector_set(const std::map<std::string, std::string>& metadata, const Tensor* x,
                              const Tensor* positions, const Tensor* expected,
                              const std::string& name);

}  // namespace ropecheck::vectors
