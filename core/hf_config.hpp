// Reading a RoPE configuration from Hugging Face config.json keys (plus ropecheck's "layout"),
// the way transformers 5.x resolves them: explicit key, then the model class's default
// (core/model_families.hpp), then Hugging Face's generic default (spec/rope.md §11).
#pragma once

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "core/rope_config.hpp"
#include "core/validation.hpp"

namespace ropecheck {

// Which attention layers' RoPE to read from a config whose layer types differ (Gemma 3,
// gpt-oss, Olmo 3, EXAONE 4, Llama 4, Qwen3-Next ...). The name must be a layer type of the
// model (its family's, or the file's `layer_types`); a layer type without RoPE is an error.
struct HfConfigOptions {
  std::string layer_type = "full_attention";
};

// A configuration as resolved, with where each value came from.
struct ResolvedRope {
  RopeConfig config;
  std::string model_type;    // as read ("" when the file has none)
  std::string config_class;  // the family's config class ("" when model_type is not in the table)
  std::string layer_type;
  // Parameter name -> origin: "file: rope_scaling.factor", "default of Gemma3TextConfig
  // (transformers 5.x ...)", "derived: hidden_size / num_attention_heads", ...
  std::map<std::string, std::string> origin;
  std::vector<std::string> notes;  // readings worth knowing (generic reading, mrope, ...)
};

// One layer type of a model and whether it rotates.
struct LayerTypeInfo {
  std::string name;
  bool rotary = true;
  std::string reason;  // for a layer type without RoPE: why (the modeling code's rule)
};

// Reads and validates a config; throws ConfigError naming the key and what is accepted.
ResolvedRope resolve_hf_config(const nlohmann::json& config, const HfConfigOptions& options = {});

// resolve_hf_config(...).config.
RopeConfig parse_hf_config(const nlohmann::json& config, const HfConfigOptions& options = {});

// Every layer type of the model described by `config`, in order: the file's `layer_types`
// (distinct, first appearance first), else its per-layer rope_parameters table, else the
// family's layer types, else full_attention. Throws ConfigError for malformed layer types.
std::vector<LayerTypeInfo> hf_layer_types(const nlohmann::json& config);

// Throws ConfigError if the configuration is unusable (odd or zero rotary dim, base <= 1,
// factor < 1, missing parameters, list lengths, non-finite numbers, ...). Errors about scaling
// parameters name them under `scaling_path` ("rope_scaling.", "rope_parameters.", ...).
void validate(const RopeConfig& config, const std::string& scaling_path = "rope_scaling.");

}  // namespace ropecheck
