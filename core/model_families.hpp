// The model-family table: for each Hugging Face `model_type`, the RoPE class defaults of its
// config class, the channel layout its modeling code rotates, and which RoPE each layer type uses.
// Plain data with its sources (spec/rope.md §11.9); parse_hf_config reads it.
#pragma once

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

#include "core/rope_config.hpp"

namespace ropecheck {

// Which rotary embedding the layers of one type use.
enum class LayerRope {
  model,            // the model's own RoPE: rope_parameters / rope_scaling as written
  local_default,    // default RoPE at the local base (rope_local_base_freq), no scaling (Gemma 3)
  default_at_base,  // default RoPE at the model's base, its scaling dropped (Olmo 3,
                    // transformers 5.x)
  none,             // no rotary embedding at all (NoPE)
  none_when_flag,   // none when the family's `no_rope_flag` key is set, else the model's RoPE
};

struct LayerTypeRule {
  std::string_view name;  // the Hugging Face layer type, e.g. "sliding_attention"
  LayerRope rope;
};

struct ModelFamily {
  std::string_view model_type;     // e.g. "gemma3_text"
  std::string_view config_class;   // e.g. "Gemma3TextConfig"
  std::string_view config_source;  // transformers file (and version) the defaults come from
  // Class defaults of RoPE keys, as a JSON object written like a config.json fragment: used for
  // a key the file omits (rope_theta, head_dim, partial_rotary_factor, rotary_dim,
  // max_position_embeddings, rope_local_base_freq, qk_rope_head_dim, rope_interleave,
  // rope_parameters). A key absent here falls back to Hugging Face's generic default.
  std::string_view defaults;
  Layout layout;                               // the pairing the modeling code rotates
  std::string_view layout_source;              // where that is decided in the modeling code
  std::span<const LayerTypeRule> layer_types;  // every layer type the model has
  std::string_view layers_source;              // where the per-layer choice is made
  std::string_view head_dim_key;  // key holding the rotated head width when not head_dim
  std::string_view no_rope_flag;  // key that removes RoPE from `none_when_flag` layers
};

// Every family, in table order.
std::span<const ModelFamily> model_families();

// The family of `model_type`, or nullptr when it is not in the table.
const ModelFamily* find_model_family(std::string_view model_type);

// `family.defaults` parsed (an object; empty when the family sets none).
nlohmann::json family_defaults(const ModelFamily& family);

// The rule of `layer_type` in `family`, or nullptr when the family has no such layer type.
const LayerTypeRule* find_layer_rule(const ModelFamily& family, std::string_view layer_type);

// "full_attention, sliding_attention": the family's layer types, for messages.
std::string layer_type_names(const ModelFamily& family);

std::string_view layer_rope_name(LayerRope rope);

}  // namespace ropecheck
