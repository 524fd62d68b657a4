#include "core/hf_config.hpp"

#include <cmath>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/config_error.hpp"
#include "core/validation.hpp"

namespace ropecheck {
namespace {

using nlohmann::json;

// A JSON object that may be absent: lookups through it name the key with its path.
struct Section {
  const json* object;
  std::string path;  // "" for the top level, "rope_scaling." for a sub-object

  const json* find(const char* key) const {
    if (object == nullptr || !object->is_object()) return nullptr;
    auto it = object->find(key);
    if (it == object->end() || it->is_null()) return nullptr;
    return &*it;
  }
  std::string name(const char* key) const { return path + key; }

  std::optional<double> number(const char* key) const {
    const json* value = find(key);
    if (value == nullptr) return std::nullopt;
    if (!value->is_number())
      throw ConfigError(name(key), fmt::format("must be a number, got {}", value->dump()));
    double v = value->get<double>();
    if (!std::isfinite(v)) throw ConfigError(name(key), "must be a finite number");
    return v;
  }
  std::optional<std::int64_t> integer(const char* key) const {
    auto v = number(key);
    if (!v) return std::nullopt;
    if (*v != std::floor(*v) || std::fabs(*v) > 9.007199254740992e15)
      throw ConfigError(name(key), fmt::format("must be a whole number, got {}", *v));
    return static_cast<std::int64_t>(*v);
  }
  std::optional<bool> boolean(const char* key) const {
    const json* value = find(key);
    if (value == nullptr) return std::nullopt;
    if (!value->is_boolean())
      throw ConfigError(name(key), fmt::format("must be true or false, got {}", value->dump()));
    return value->get<bool>();
  }
  std::optional<std::string> string(const char* key) const {
    const json* value = find(key);
    if (value == nullptr) return std::nullopt;
    if (!value->is_string())
      throw ConfigError(name(key), fmt::format("must be a string, got {}", value->dump()));
    return value->get<std::string>();
  }
  std::vector<double> numbers(const char* key) const {
    const json* value = find(key);
    if (value == nullptr) return {};
    if (!value->is_array())
      throw ConfigError(name(key), "must be a list of numbers, one per rotated pair");
    std::vector<double> out;
    for (const auto& item : *value) {
      if (!item.is_number()) throw ConfigError(name(key), "must hold numbers only");
      double v = item.get<double>();
      if (!std::isfinite(v)) throw ConfigError(name(key), "must hold finite numbers only");
      out.push_back(v);
    }
    return out;
  }
};

bool is_layer_table(const json& params) {
  // Per-layer-type form: {"full_attention": {...}, "sliding_attention": {...}}.
  if (!params.is_object() || params.empty()) return false;
  for (const auto& [key, value] : params.items())
    if (!value.is_object()) return false;
  return true;
}

int read_head_dim(const Section& top, bool proportional) {
  // Gemma 4's p-RoPE layers use a wider head: HF passes head_dim_key="global_head_dim" to
  // proportional RoPE only.
  if (proportional)
    if (auto v = top.integer("global_head_dim"))
      return checked_dimension(top.name("global_head_dim"), *v);
  if (auto v = top.integer("head_dim")) return checked_dimension(top.name("head_dim"), *v);
  // DeepSeek's multi-head latent attention rotates only the qk_rope_head_dim slice.
  if (auto v = top.integer("qk_rope_head_dim"))
    return checked_dimension(top.name("qk_rope_head_dim"), *v);
  auto quotient = [&](const char* total, const char* heads) -> std::optional<int> {
    auto t = top.integer(total);
    auto h = top.integer(heads);
    if (!t || !h) return std::nullopt;
    if (*h <= 0 || *t % *h != 0)
      throw ConfigError(top.name(total),
                        fmt::format("{} = {} is not divisible by {} = {}", total, *t, heads, *h));
    return checked_dimension(top.name(total), *t / *h);
  };
  if (auto v = quotient("hidden_size", "num_attention_heads")) return *v;
  if (auto v = quotient("n_embd", "n_head")) return *v;
  throw ConfigError("head_dim",
                    "missing: give head_dim (or hidden_size and num_attention_heads)");
}

void read_scaling(const Section& params, RopeConfig& config) {
  RopeScaling& s = config.scaling;
  std::optional<std::string> type = params.string("rope_type");
  if (!type) type = params.string("type");
  if (!type) {
    if (params.find("factor") != nullptr)
      throw ConfigError(params.name("rope_type"), "missing: give rope_type; accepted: " +
                                                      accepted_rope_types());
    type = "default";
  }
  auto parsed = parse_rope_type(*type);
  if (!parsed)
    throw ConfigError(params.name("rope_type"), fmt::format("unknown value \"{}\"; accepted: {}",
                                                            *type, accepted_rope_types()));
  s.type = *parsed;

  auto require = [&](const char* key) {
    auto v = params.number(key);
    if (!v)
      throw ConfigError(params.name(key),
                        fmt::format("missing: rope_type \"{}\" requires it", *type));
    return *v;
  };
  if (auto v = params.integer("original_max_position_embeddings"))
    s.original_max_position_embeddings = *v;
  if (auto v = params.number("attention_factor")) s.attention_factor = *v;
  s.factor_given = params.find("factor") != nullptr;

  switch (s.type) {
    case RopeType::standard:
      break;
    case RopeType::linear:
    case RopeType::ntk:
    case RopeType::dynamic:
      s.factor = require("factor");
      break;
    case RopeType::yarn:
      s.factor = require("factor");
      // HF reads these with Python's `or`: an absent key and a zero mean the same.
      if (auto v = params.number("beta_fast"); v && *v != 0) s.beta_fast = *v;
      if (auto v = params.number("beta_slow"); v && *v != 0) s.beta_slow = *v;
      if (auto v = params.boolean("truncate")) s.truncate = *v;
      if (auto v = params.number("mscale"); v && *v != 0) s.mscale = *v;
      if (auto v = params.number("mscale_all_dim"); v && *v != 0) s.mscale_all_dim = *v;
      break;
    case RopeType::llama3:
      s.factor = require("factor");
      s.low_freq_factor = require("low_freq_factor");
      s.high_freq_factor = require("high_freq_factor");
      break;
    case RopeType::longrope:
      s.short_factor = params.numbers("short_factor");
      s.long_factor = params.numbers("long_factor");
      if (params.find("short_factor") == nullptr) require("short_factor");
      if (params.find("long_factor") == nullptr) require("long_factor");
      if (auto v = params.number("factor")) s.factor = *v;
      break;
    case RopeType::proportional:
      if (auto v = params.number("factor")) s.factor = *v;
      break;
  }
}

}  // namespace

RopeConfig parse_hf_config(const json& document, const HfConfigOptions& options) {
  if (!document.is_object())
    throw ConfigError("config", "must be a JSON object of Hugging Face config.json keys");
  // Multimodal configs (Gemma 3) keep the language model's keys under text_config.
  const json& root = document.contains("text_config") && document["text_config"].is_object() &&
                             !document.contains("head_dim")
                         ? document["text_config"]
                         : document;
  Section top{&root, root.is_object() && &root != &document ? "text_config." : ""};

  RopeConfig config;

  // rope_parameters (newer format) may hold theta, partial factor and scaling, possibly per layer type.
  Section params{nullptr, ""};
  bool per_layer = false;
  if (const json* rp = top.find("rope_parameters")) {
    if (is_layer_table(*rp)) {
      per_layer = true;
      auto it = rp->find(options.layer_type);
      if (it == rp->end())
        throw ConfigError(top.name("rope_parameters"),
                          fmt::format("has no entry for layer type \"{}\"", options.layer_type));
      params = {&*it, top.name("rope_parameters.") + options.layer_type + "."};
    } else {
      params = {rp, top.name("rope_parameters.")};
    }
  } else if (const json* rs = top.find("rope_scaling")) {
    params = {rs, top.name("rope_scaling.")};
  }

  const bool sliding = options.layer_type == "sliding_attention";
  const bool proportional = params.string("rope_type").value_or("") == "proportional";
  config.head_dim = read_head_dim(top, proportional);
  std::optional<double> theta = params.number("rope_theta");
  if (!theta && sliding) {
    // Legacy Gemma 3: local layers use rope_local_base_freq, whose class default is 10000.
    theta = top.number("rope_local_base_freq");
    if (!theta && top.find("rope_parameters") == nullptr) theta = 10000.0;
  }
  if (!theta) theta = top.number("rope_theta");
  if (!theta) theta = top.number("rotary_emb_base");
  config.base = theta.value_or(10000.0);

  // HF v5 standardize_rope_params: a top-level partial_rotary_factor overwrites the dict's.
  std::optional<double> partial = top.number("partial_rotary_factor");
  if (!partial) partial = params.number("partial_rotary_factor");
  if (!partial) partial = top.number("rotary_pct");
  if (auto rotary = top.integer("rotary_dim")) {
    config.rotary_dim = checked_dimension(top.name("rotary_dim"), *rotary);
  } else if (partial) {
    if (!(*partial > 0.0 && *partial <= 1.0))
      throw ConfigError(top.name("partial_rotary_factor"),
                        fmt::format("must lie in (0, 1], got {}", *partial));
    // Hugging Face truncates: dim = int(head_dim * partial_rotary_factor).
    config.rotary_dim = static_cast<int>(config.head_dim * *partial);
  } else {
    config.rotary_dim = config.head_dim;
  }

  if (auto v = top.integer("max_position_embeddings")) config.max_position_embeddings = *v;
  else if (auto n = top.integer("n_positions")) config.max_position_embeddings = *n;

  // Legacy sliding layers of Gemma 3 use the local base without the global scaling.
  const bool legacy_sliding = sliding && top.find("rope_parameters") == nullptr;
  if (params.object != nullptr && !legacy_sliding) read_scaling(params, config);
  // HF v5 standardisation: for a flat dict a top-level original_max_position_embeddings (Phi-3)
  // wins; a per-layer entry keeps its own and otherwise falls back to max_position_embeddings
  // (RopeConfig::original_context()).
  if (!per_layer)
    if (auto v = top.integer("original_max_position_embeddings"))
      config.scaling.original_max_position_embeddings = *v;
  if (config.scaling.type == RopeType::proportional) {
    // p-RoPE keeps the whole head: partial_rotary_factor is the share of pairs that rotate.
    config.scaling.rotated_fraction = partial.value_or(1.0);
    config.rotary_dim = config.head_dim;
  }

  if (auto layout = top.string("layout")) {
    auto parsed = parse_layout(*layout);
    if (!parsed)
      throw ConfigError(top.name("layout"),
                        fmt::format("unknown value \"{}\"; accepted: half, interleaved", *layout));
    config.layout = *parsed;
  } else if (top.boolean("rope_interleave").value_or(false)) {
    config.layout = Layout::interleaved;
  }

  validate(config, params.object != nullptr ? params.path : "rope_scaling.");
  return config;
}

}  // namespace ropecheck
