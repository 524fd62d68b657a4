#include "kernels/vectors/vector_set.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <functional>

#include "core/config_error.hpp"
#include "core/hf_config.hpp"
#include "core/hf_config_report.hpp"
#include "core/json_input.hpp"
#include "core/json_numbers.hpp"
#include "kernels/vectors/input_draw.hpp"
#include "reference/reference.hpp"

namespace ropecheck::vectors {
namespace {

constexpr std::int64_t kPositionLimit = std::int64_t{1} << 53;

// A normalized summary of the parsed configuration, so a consumer need not read HF keys.
std::string rope_summary(const RopeConfig& config, double attention_factor) {
  const nlohmann::ordered_json rope = {{"head_dim", config.head_dim},
                                       {"rotary_dim", config.rotary_dim},
                                       {"rope_theta", config.base},
                                       {"layout", layout_name(config.layout)},
                                       {"rope_type", rope_type_name(config.scaling.type)},
                                       {"factor", config.scaling.factor},
                                       {"attention_factor", attention_factor},
                                       {"attention_factor_hex", hex_float(attention_factor)}};
  return rope.dump();
}

std::map<std::string, std::string> make_metadata(const VectorSpec& spec,
                                                 const ResolvedRope& resolved, std::int64_t seq_len,
                                                 double attention_factor) {
  const RopeConfig& config = resolved.config;
  std::map<std::string, std::string> metadata = {
      {"ropecheck_vectors", std::string(kVectorsVersion)},
      {"config", spec.config.dump()},
      {"layer_type", spec.layer_type},
      {"rope", rope_summary(config, attention_factor)},
      {"rope_resolved", resolved_json(resolved, seq_len, attention_factor).dump()},
      {"dtype", std::string(dtype_name(spec.dtype))},
      {"seq_len", std::to_string(seq_len)},
      {"seed", std::to_string(spec.seed)},
      {"positions_spec", spec.positions_spec},
      {"expected",
       "the exact RoPE of x, correctly rounded to dtype (nearest, ties to even): "
       "|expected - exact| <= 0.5 ulp"}};
  if (!spec.preset.empty()) metadata["preset"] = spec.preset;
  return metadata;
}

std::size_t checked_values(std::size_t tokens, std::int64_t heads, int head_dim,
                           const std::string& what) {
  const auto size = checked_byte_size(
      std::vector<std::int64_t>{static_cast<std::int64_t>(tokens), heads, head_dim}, 1);
  if (!size || *size > kMaxVectorValues)
    throw ConfigError(what, fmt::format("{} tokens x {} heads x {} channels is more than the {} "
                                        "values a vector set may hold",
                                        tokens, heads, head_dim, kMaxVectorValues));
  return static_cast<std::size_t>(*size);
}

const std::string& required(const std::map<std::string, std::string>& metadata,
                            const std::string& key, const std::string& name) {
  const auto it = metadata.find(key);
  if (it == metadata.end())
    throw ConfigError(name, fmt::format("not a ropecheck vector set: metadata lacks \"{}\"", key));
  return it->second;
}

void check_tensor(const Tensor* tensor, const std::string& tensor_name, TensorDtype dtype,
                  const std::vector<std::int64_t>& shape, const std::string& name) {
  if (!tensor) throw ConfigError(name, fmt::format("vector set lacks tensor '{}'", tensor_name));
  if (tensor->dtype != dtype)
    throw ConfigError(name,
                      fmt::format("tensor '{}' is {} but the set's dtype needs {}", tensor_name,
                                  tensor_dtype_name(tensor->dtype), tensor_dtype_name(dtype)));
  if (tensor->shape != shape)
    throw ConfigError(name, fmt::format("tensor '{}' has shape {}; expected {}", tensor_name,
                                        shape_text(tensor->shape), shape_text(shape)));
}

// The metadata's "rope" summary, when present, must describe the config it accompanies: a set
// whose summary says one head_dim and whose config says another was not written by ropecheck.
void check_rope_summary(const std::map<std::string, std::string>& metadata,
                        const RopeConfig& config, const std::string& name) {
  const auto it = metadata.find("rope");
  if (it == metadata.end()) return;
  const nlohmann::json rope = parse_json_text(it->second, name + ": metadata rope");
  const nlohmann::json want = {{"head_dim", config.head_dim},
                               {"rotary_dim", config.rotary_dim},
                               {"layout", layout_name(config.layout)},
                               {"rope_type", rope_type_name(config.scaling.type)}};
  if (!rope.is_object()) throw ConfigError(name, "metadata rope must be a JSON object");
  for (const auto& [key, value] : want.items())
    if (!rope.contains(key) || rope[key] != value)
      throw ConfigError(name, fmt::format("metadata rope.{} is {} but the metadata config gives "
                                          "{}",
                                          key, rope.contains(key) ? dump_json(rope[key]) : "absent",
                                          value.dump()));
}

}  // namespace

std::vector<std::int64_t> VectorSet::shape() const {
  return {tokens(), heads, config.head_dim};
}

namespace {

// A set from `spec` whose inputs `inputs(count)` supplies once the size is known and checked.
VectorSet build_vectors(const VectorSpec& spec,
                        const std::function<std::vector<double>(std::size_t)>& inputs) {
  VectorSet set;
  const ResolvedRope resolved = resolve_hf_config(spec.config, {.layer_type = spec.layer_type});
  set.config = resolved.config;
  if (spec.heads < 1 || spec.heads > 4096)
    throw ConfigError("--heads", fmt::format("{} is out of range; accepted: 1..4096", spec.heads));
  if (spec.positions.empty()) throw ConfigError("--positions", "selects no position");
  for (const std::int64_t position : spec.positions)
    if (position < 0 || position >= kPositionLimit)
      throw ConfigError("--positions", fmt::format("{} is outside [0, 2^53)", position));
  if (spec.seq_len && *spec.seq_len < 1) throw ConfigError("--seq-len", "must be at least 1");
  const std::size_t count =
      checked_values(spec.positions.size(), spec.heads, set.config.head_dim, "--positions");
  const std::int64_t max_position = *std::max_element(spec.positions.begin(), spec.positions.end());
  const std::int64_t seq_len = effective_seq_len(max_position, spec.seq_len);

  set.dtype = spec.dtype;
  set.seq_len = seq_len;
  set.heads = spec.heads;
  set.positions = spec.positions;
  set.x = inputs(count);
  set.expected.resize(count);
  const reference::Reference oracle(set.config, seq_len);
  const auto width = static_cast<std::size_t>(set.config.head_dim);
  for (std::size_t row = 0; row < count / width; ++row) {
    const std::int64_t position = set.positions[row / static_cast<std::size_t>(spec.heads)];
    oracle.apply(position, std::span<const double>(set.x).subspan(row * width, width), spec.dtype,
                 std::span<double>(set.expected).subspan(row * width, width));
  }
  set.metadata = make_metadata(spec, resolved, seq_len, oracle.attention_factor());
  return set;
}

}  // namespace

VectorSet generate_vectors(const VectorSpec& spec) {
  return build_vectors(
      spec, [&](std::size_t count) { return draw_inputs(spec.dtype, count, spec.seed); });
}

VectorSet vectors_from_inputs(const VectorSpec& spec, std::vector<double> x) {
  return build_vectors(spec, [&](std::size_t count) {
    if (x.size() != count)
      throw ConfigError("x", fmt::format("holds {} values; {} tokens x {} heads x head_dim need {}",
                                         x.size(), spec.positions.size(), spec.heads, count));
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!std::isfinite(x[i]) || !representable(x[i], spec.dtype))
        throw ConfigError("x", fmt::format("value {} at flat index {} is not a finite {} value",
                                           hex_float(x[i]), i, dtype_name(spec.dtype)));
    return std::move(x);
  });
}

VectorSet assemble_vector_set(const std::map<std::string, std::string>& metadata, const Tensor* x,
                              const Tensor* positions, const Tensor* expected,
                              const std::string& name) {
  const std::string& version = required(metadata, "ropecheck_vectors", name);
  if (version != kVectorsVersion)
    throw ConfigError(name, fmt::format("vector set version \"{}\" is not supported; accepted: "
                                        "\"{}\"",
                                        version, kVectorsVersion));
  VectorSet set;
  set.metadata = metadata;
  const std::string& dtype = required(metadata, "dtype", name);
  const auto parsed_dtype = parse_dtype(dtype);
  if (!parsed_dtype)
    throw ConfigError(name, fmt::format("metadata dtype \"{}\" is unknown; accepted: {}", dtype,
                                        accepted_dtypes()));
  set.dtype = *parsed_dtype;
  const std::string& seq_len = required(metadata, "seq_len", name);
  char* end = nullptr;
  errno = 0;
  set.seq_len = std::strtoll(seq_len.c_str(), &end, 10);
  if (seq_len.empty() || *end != '\0' || errno != 0 || set.seq_len < 1)
    throw ConfigError(name,
                      fmt::format("metadata seq_len \"{}\" is not a positive integer", seq_len));
  const auto layer = metadata.find("layer_type");
  try {
    set.config =
        parse_hf_config(parse_json_text(required(metadata, "config", name), ""),
                        {.layer_type = layer == metadata.end() ? "full_attention" : layer->second});
  } catch (const ConfigError& error) {
    throw ConfigError(name, std::string("metadata config: ") + error.what());
  }
  if (!x) throw ConfigError(name, "vector set lacks tensor 'x'");
  if (x->shape.size() != 3 || x->shape[2] != set.config.head_dim)
    throw ConfigError(name, fmt::format("tensor 'x' has shape {}; expected [tokens, heads, {}]",
                                        shape_text(x->shape), set.config.head_dim));
  if (x->shape[1] < 1 || x->shape[1] > 4096)
    throw ConfigError(name, fmt::format("tensor 'x' has {} heads; accepted: 1..4096", x->shape[1]));
  if (x->shape[0] < 1)
    throw ConfigError(name, "tensor 'x' holds 0 tokens; a vector set needs at least one");
  checked_values(static_cast<std::size_t>(x->shape[0]), x->shape[1], set.config.head_dim, name);
  set.heads = static_cast<int>(x->shape[1]);
  check_tensor(x, "x", tensor_dtype(set.dtype), x->shape, name);
  check_tensor(positions, "positions", TensorDtype::i64, {x->shape[0]}, name);
  check_tensor(expected, "expected", tensor_dtype(set.dtype), x->shape, name);
  set.positions = int64_values(*positions);
  for (const std::int64_t position : set.positions)
    if (position < 0 || position >= kPositionLimit)
      throw ConfigError(name, fmt::format("position {} is outside [0, 2^53)", position));
  set.x = float_values(*x);
  set.expected = float_values(*expected);
  for (const auto& [values, tensor_name] : {std::pair{&set.x, "x"}, {&set.expected, "expected"}})
    for (std::size_t i = 0; i < values->size(); ++i)
      if (!std::isfinite((*values)[i]))
        throw ConfigError(name, fmt::format("tensor '{}' holds the non-finite value {} at flat "
                                            "index {}; vector sets hold finite values only",
                                            tensor_name, (*values)[i], i));
  check_rope_summary(metadata, set.config, name);
  return set;
}

}  // namespace ropecheck::vectors
