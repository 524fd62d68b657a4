// Reading a RoPE configuration from Hugging Face config.json keys (plus ropecheck's "layout").
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "core/rope_config.hpp"

namespace ropecheck {

// Which attention layers' RoPE to read from a config that has several (Gemma 3): the
// `rope_parameters` sub-object of that name, or for legacy configs `rope_local_base_freq`
// (sliding_attention) versus `rope_theta` + `rope_scaling` (full_attention).
struct HfConfigOptions {
  std::string layer_type = "full_attention";
};

// Reads and validates a config; throws ConfigError naming the key and what is accepted.
// Keys: head_dim (or qk_rope_head_dim, hidden_size/num_attention_heads, n_embd/n_head),
// rotary_dim or partial_rotary_factor (or rotary_pct), rope_theta (or rotary_emb_base; 10000
// when absent, as in Hugging Face), max_position_embeddings (or n_positions),
// original_max_position_embeddings, rope_scaling / rope_parameters with rope_type or legacy
// type, rope_interleave, and "layout": "half" | "interleaved".
RopeConfig parse_hf_config(const nlohmann::json& config, const HfConfigOptions& options = {});

// Throws ConfigError if the configuration is unusable (odd or zero rotary dim, base <= 1,
// factor < 1, missing parameters, list lengths, non-finite numbers, ...). Errors about scaling
// parameters name them under `scaling_path` ("rope_scaling.", "rope_parameters.", ...).
void validate(const RopeConfig& config, const std::string& scaling_path = "rope_scaling.");

}  // namespace ropecheck
