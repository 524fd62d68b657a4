// The resolved RoPE of one layer type as JSON: every parameter with its value and origin. One
// shape for `ropecheck config --json`, `rotate` responses and golden-vector metadata.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/hf_config.hpp"

namespace ropecheck {

// {"model_type", "config_class", "layer_type", then for each parameter of the variant
// {"value": v, "origin": "..."}: head_dim, rotary_dim, rope_theta, layout, rope_type,
// max_position_embeddings, factor, original_max_position_embeddings, beta_fast, beta_slow,
// truncate, mscale, mscale_all_dim, low_freq_factor, high_freq_factor, short_factor,
// long_factor, longrope_list (at `seq_len`), rotated_fraction, attention_factor; "seq_len";
// "notes"}. `attention_factor` is the value the oracle derives (core holds no RoPE math); its
// origin names the formula.
nlohmann::ordered_json resolved_json(const ResolvedRope& resolved,
                                     std::optional<std::int64_t> seq_len,
                                     std::optional<double> attention_factor);

// How the attention factor of `config` is obtained: "file: ..." when explicit, else the formula.
std::string attention_factor_origin(const ResolvedRope& resolved);

}  // namespace ropecheck
