#include "core/hf_config.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/config_error.hpp"
#include "core/model_families.hpp"

namespace ropecheck {
namespace {

using nlohmann::json;

// Layer type names that mark a rope_parameters object as a per-layer table even for a model
// outside the family table (Hugging Face's own layer type vocabulary).
constexpr std::string_view kKnownLayerTypes[] = {"full_attention", "sliding_attention",
                                                 "chunked_attention", "linear_attention"};

// A value found for a key: the JSON value, its name for errors and its origin for reports.
struct Found {
  const json* value = nullptr;
  std::string name;    // "text_config.rope_scaling.factor"
  std::string origin;  // "file: text_config.rope_scaling.factor" or "default of ..."
  explicit operator bool() const { return value != nullptr; }
};

// A JSON object that may be absent: the file (or its text_config, or a parameter dict) or a
// model class's defaults. A JSON null counts as absent, as in Hugging Face.
struct Section {
  const json* object = nullptr;
  std::string path;   // "" for the top level, "rope_scaling." for a sub-object
  std::string label;  // "" for the file; else the origin of every value ("default of ...")

  Found get(std::string_view key) const {
    if (object == nullptr || !object->is_object()) return {};
    auto it = object->find(key);
    if (it == object->end() || it->is_null()) return {};
    std::string name = path + std::string(key);
    return {&*it, name, label.empty() ? "file: " + name : label};
  }
  std::string name(std::string_view key) const { return path + std::string(key); }
};

Found first_of(std::initializer_list<Found> candidates) {
  for (const Found& f : candidates)
    if (f) return f;
  return {};
}

std::optional<double> number(const Found& f) {
  if (!f) return std::nullopt;
  if (!f.value->is_number())
    throw ConfigError(f.name, fmt::format("must be a number, got {}", f.value->dump()));
  const double v = f.value->get<double>();
  if (!std::isfinite(v)) throw ConfigError(f.name, "must be a finite number");
  return v;
}

std::optional<std::int64_t> integer(const Found& f) {
  auto v = number(f);
  if (!v) return std::nullopt;
  if (*v != std::floor(*v) || std::fabs(*v) > 9.007199254740992e15)
    throw ConfigError(f.name, fmt::format("must be a whole number, got {}", f.value->dump()));
  return static_cast<std::int64_t>(*v);
}

// A channel count: range-checked before it is narrowed to int (0 and odd values are left to
// validate(), which says what is wrong with them).
std::optional<int> dimension(const Found& f) {
  auto v = integer(f);
  if (!v) return std::nullopt;
  if (*v < 0 || *v > kMaxHeadDim)
    throw ConfigError(f.name, fmt::format("must lie in 0..{} (head dims are capped at 2^16), "
                                          "got {}",
                                          kMaxHeadDim, *v));
  return static_cast<int>(*v);
}

std::optional<bool> boolean(const Found& f) {
  if (!f) return std::nullopt;
  if (!f.value->is_boolean())
    throw ConfigError(f.name, fmt::format("must be true or false, got {}", f.value->dump()));
  return f.value->get<bool>();
}

std::optional<std::string> string(const Found& f) {
  if (!f) return std::nullopt;
  if (!f.value->is_string())
    throw ConfigError(f.name, fmt::format("must be a string, got {}", f.value->dump()));
  return f.value->get<std::string>();
}

std::vector<double> numbers(const Found& f) {
  if (!f) return {};
  if (!f.value->is_array())
    throw ConfigError(f.name, "must be a list of numbers, one per rotated pair");
  std::vector<double> out;
  for (const auto& item : *f.value) {
    if (!item.is_number()) throw ConfigError(f.name, "must hold numbers only");
    double v = item.get<double>();
    if (!std::isfinite(v)) throw ConfigError(f.name, "must hold finite numbers only");
    out.push_back(v);
  }
  return out;
}

// A parameter dict (rope_scaling, rope_parameters, text_config): an object or absent. Hugging
// Face would treat `"rope_scaling": "linear"` as no scaling at all; ropecheck refuses it.
const json* object_or_absent(const Section& section, std::string_view key) {
  const Found f = section.get(key);
  if (!f) return nullptr;
  if (!f.value->is_object())
    throw ConfigError(f.name,
                      fmt::format("must be a JSON object of parameters, got {}", f.value->dump()));
  return f.value;
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string joined(const std::vector<std::string>& list) {
  std::string out;
  for (const std::string& item : list) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// Everything about the document that does not depend on the layer type.
struct Document {
  Section top;  // the file's keys (possibly those of text_config)
  std::string model_type;
  const ModelFamily* family = nullptr;
  // The family's class defaults; shared so that `def` (which points into it) survives copies.
  std::shared_ptr<const json> defaults = std::make_shared<const json>(json::object());
  Section def;
  std::vector<std::string> file_layer_types;  // distinct entries of `layer_types`
  const json* rope_parameters = nullptr;
  bool table = false;  // rope_parameters is keyed by layer type
  std::vector<std::string> table_keys;

  std::string model_label() const {
    return model_type.empty() ? "this config (no model_type)" : "model_type " + model_type;
  }
  std::string default_origin() const {
    return fmt::format("default of {} ({})", family->config_class, family->config_source);
  }
  // The layer types a request may name.
  std::vector<std::string> accepted_layer_types() const {
    std::vector<std::string> out;
    if (family != nullptr) {
      for (const LayerTypeRule& rule : family->layer_types) out.emplace_back(rule.name);
      return out;
    }
    out = {"full_attention", "sliding_attention"};
    for (const auto* list : {&file_layer_types, &table_keys})
      for (const std::string& name : *list)
        if (!contains(out, name)) out.push_back(name);
    return out;
  }
};

Document read_document(const json& document) {
  if (!document.is_object())
    throw ConfigError("config", "must be a JSON object of Hugging Face config.json keys");
  Document d;
  const Section file{&document, "", ""};
  // Multimodal configs (Gemma 3, Llama 4, Qwen3.5) keep the language model's keys under
  // text_config.
  const json* text = object_or_absent(file, "text_config");
  const bool nested = text != nullptr && !document.contains("head_dim");
  d.top = nested ? Section{text, "text_config.", ""} : file;

  std::optional<std::string> type = string(d.top.get("model_type"));
  if (!type && nested) type = string(file.get("model_type"));
  d.model_type = type.value_or("");
  if (!d.model_type.empty()) {
    d.family = find_model_family(d.model_type);
    if (d.family == nullptr && nested)
      if (auto outer = string(file.get("model_type"))) d.family = find_model_family(*outer);
  }
  if (d.family != nullptr) {
    d.defaults = std::make_shared<const json>(family_defaults(*d.family));
    d.def = Section{d.defaults.get(), "", d.default_origin()};
  }

  if (const Found f = d.top.get("layer_types")) {
    if (!f.value->is_array())
      throw ConfigError(f.name, "must be a list of layer type names, one per layer");
    for (const json& item : *f.value) {
      if (!item.is_string())
        throw ConfigError(f.name, fmt::format("must hold layer type names, got {}", item.dump()));
      const std::string name = item.get<std::string>();
      if (d.family != nullptr && find_layer_rule(*d.family, name) == nullptr)
        throw ConfigError(f.name, fmt::format("lists \"{}\", which {} does not have; its layer "
                                              "types: {}",
                                              name, d.model_label(), layer_type_names(*d.family)));
      if (!contains(d.file_layer_types, name)) d.file_layer_types.push_back(name);
    }
  }

  d.rope_parameters = object_or_absent(d.top, "rope_parameters");
  if (d.rope_parameters != nullptr && !d.rope_parameters->empty()) {
    // Hugging Face's test: the keys are a subset of the layer types.
    d.table =
        std::all_of(d.rope_parameters->items().begin(), d.rope_parameters->items().end(),
                    [&](const auto& item) {
                      const std::string& key = item.key();
                      return contains(d.file_layer_types, key) ||
                             std::find(std::begin(kKnownLayerTypes), std::end(kKnownLayerTypes),
                                       key) != std::end(kKnownLayerTypes) ||
                             (d.family != nullptr && find_layer_rule(*d.family, key) != nullptr);
                    });
    if (d.table)
      for (const auto& [key, value] : d.rope_parameters->items()) {
        if (d.family != nullptr && find_layer_rule(*d.family, key) == nullptr)
          throw ConfigError(d.top.name("rope_parameters"),
                            fmt::format("has an entry for \"{}\", which {} does not have; its "
                                        "layer types: {}",
                                        key, d.model_label(), layer_type_names(*d.family)));
        if (!value.is_object() && !value.is_null())
          throw ConfigError(
              d.top.name("rope_parameters.") + key,
              fmt::format("must be a JSON object of parameters, got {}", value.dump()));
        d.table_keys.push_back(key);
      }
  }
  return d;
}

// The rotary embedding of `layer_type`, or the reason it has none.
struct LayerChoice {
  LayerRope rope = LayerRope::model;
  bool generic = false;  // no family: the generic rule
  std::string no_rope_reason;
};

LayerChoice choose_layer(const Document& d, const std::string& layer_type) {
  const std::vector<std::string> accepted = d.accepted_layer_types();
  if (!contains(accepted, layer_type))
    throw ConfigError("layer_type", fmt::format("unknown layer type \"{}\" for {}; accepted: {}",
                                                layer_type, d.model_label(), joined(accepted)));
  if (!d.file_layer_types.empty() && !contains(d.file_layer_types, layer_type))
    throw ConfigError("layer_type",
                      fmt::format("{} has no \"{}\" layers (its layer_types: {})", d.model_label(),
                                  layer_type, joined(d.file_layer_types)));
  LayerChoice choice;
  if (d.family == nullptr) {
    // Without a family, only Gemma 3's legacy keys say how sliding layers rotate; anything else
    // would be a guess (other models use their global RoPE there).
    if (layer_type == "sliding_attention" && !contains(d.table_keys, layer_type) &&
        !d.top.get("rope_local_base_freq"))
      throw ConfigError("layer_type",
                        fmt::format("{} is not in the family table and does not say how its "
                                    "sliding_attention layers rotate (no rope_local_base_freq, no "
                                    "per-layer rope_parameters)",
                                    d.model_label()));
    choice.generic = true;
    return choice;
  }
  choice.rope = find_layer_rule(*d.family, layer_type)->rope;
  if (choice.rope == LayerRope::none_when_flag) {
    const Found flag = d.top.get(d.family->no_rope_flag);
    const bool set = flag && !(flag.value->is_boolean() && !flag.value->get<bool>());
    choice.rope = set ? LayerRope::none : LayerRope::model;
    if (set)
      choice.no_rope_reason =
          fmt::format("{} is set; {}", d.family->no_rope_flag, d.family->layers_source);
  } else if (choice.rope == LayerRope::none) {
    choice.no_rope_reason = std::string(d.family->layers_source);
  }
  return choice;
}

void require_rotary(const Document& d, const std::string& layer_type, const LayerChoice& c) {
  if (c.rope != LayerRope::none) return;
  std::vector<std::string> rotary;
  for (const LayerTypeRule& rule : d.family->layer_types)
    if (rule.name != layer_type && rule.rope != LayerRope::none) rotary.emplace_back(rule.name);
  throw ConfigError("layer_type",
                    fmt::format("layer type {} of model {} uses no rotary embedding ({}){}",
                                layer_type, d.model_type, c.no_rope_reason,
                                rotary.empty() ? "" : "; layer types with one: " + joined(rotary)));
}

struct Resolver {
  const Document& d;
  ResolvedRope& out;

  void note_origin(const std::string& key, const std::string& origin) { out.origin[key] = origin; }

  int read_head_dim(bool proportional) {
    const Section& top = d.top;
    std::vector<Found> candidates;
    // Gemma 4's p-RoPE layers use a wider head: HF passes head_dim_key="global_head_dim" to
    // proportional RoPE only.
    if (proportional) candidates.push_back(top.get("global_head_dim"));
    if (d.family != nullptr && !d.family->head_dim_key.empty()) {
      // DeepSeek's multi-head latent attention rotates only the qk_rope_head_dim slice; its
      // config class sets head_dim = qk_rope_head_dim whatever the file says.
      candidates.push_back(top.get(d.family->head_dim_key));
      candidates.push_back(d.def.get(d.family->head_dim_key));
    }
    candidates.push_back(top.get("head_dim"));
    candidates.push_back(top.get("qk_rope_head_dim"));
    candidates.push_back(d.def.get("head_dim"));
    for (const Found& f : candidates)
      if (f) {
        note_origin("head_dim", f.origin);
        return *dimension(f);
      }
    auto quotient = [&](const char* total, const char* heads) -> std::optional<int> {
      auto t = integer(top.get(total));
      auto h = integer(top.get(heads));
      if (!t || !h) return std::nullopt;
      if (*h <= 0 || *t <= 0 || *t % *h != 0)
        throw ConfigError(top.name(total),
                          fmt::format("{} = {} is not divisible by {} = {}", total, *t, heads, *h));
      if (*t / *h > kMaxHeadDim)
        throw ConfigError("head_dim", fmt::format("{} / {} = {} exceeds the cap of {}", total,
                                                  heads, *t / *h, kMaxHeadDim));
      note_origin("head_dim",
                  fmt::format("derived: {}{} / {}{}", top.path, total, top.path, heads));
      return static_cast<int>(*t / *h);
    };
    if (auto v = quotient("hidden_size", "num_attention_heads")) return *v;
    if (auto v = quotient("n_embd", "n_head")) return *v;
    throw ConfigError("head_dim",
                      "missing: give head_dim (or hidden_size and num_attention_heads)");
  }

  // PhimoeRotaryEmbedding multiplies cos and sin by short_mscale or long_mscale (by the same
  // switch as the lists) instead of LongRoPE's derived factor. One attention factor serves both
  // lists here, so the two must agree (they do in Phi-3.5-MoE); anything else is refused.
  void read_phimoe_mscale(const Section& params) {
    const Found short_found = params.get("short_mscale");
    const Found long_found = params.get("long_mscale");
    if (!short_found && !long_found) return;
    const auto short_v = number(short_found), long_v = number(long_found);
    if (!short_v || !long_v || *short_v != *long_v)
      throw ConfigError(params.name("long_mscale"),
                        "short_mscale and long_mscale must both be given and equal (PhiMoE's "
                        "per-list attention factor is modelled as one value)");
    out.config.scaling.attention_factor = *short_v;
    note_origin("attention_factor", short_found.origin + " (= long_mscale; PhimoeRotaryEmbedding)");
  }

  void read_scaling(const Section& params, bool model_scaling) {
    RopeConfig& config = out.config;
    RopeScaling& s = config.scaling;
    if (!model_scaling || params.object == nullptr) {
      note_origin("rope_type", !model_scaling
                                   ? "rule of the layer type: default RoPE, scaling not applied"
                                   : "default: no rope_scaling / rope_parameters");
      return;
    }
    Found type_found = first_of({params.get("rope_type"), params.get("type")});
    std::optional<std::string> type = string(type_found);
    if (!type) {
      if (params.get("factor"))
        throw ConfigError(params.name("rope_type"), "missing: give rope_type; accepted: " +
                                                        accepted_rope_types() + ", mrope");
      type = "default";
      note_origin("rope_type", "default: no rope_type in " + params.path);
    } else {
      note_origin("rope_type", type_found.origin);
    }
    if (*type == "mrope") {
      // Qwen2-VL / Qwen2.5-VL: Hugging Face maps type "mrope" to default RoPE; for 1-D text
      // positions (all three position components equal) M-RoPE is exactly default RoPE.
      out.notes.push_back(
          "rope type \"mrope\" read as default RoPE: exact for 1-D text positions (all three "
          "M-RoPE position components equal); 3-D multimodal positions are out of scope");
      type = "default";
    }
    if (params.get("mrope_section"))
      out.notes.push_back(
          "M-RoPE sections (mrope_section) ignored: for 1-D text positions every section sees "
          "the same position, which is default RoPE; 3-D multimodal positions are out of scope");
    auto parsed = parse_rope_type(*type);
    if (!parsed)
      throw ConfigError(
          params.name("rope_type"),
          fmt::format("unknown value \"{}\"; accepted: {}, mrope", *type, accepted_rope_types()));
    s.type = *parsed;

    auto read_number = [&](const char* key) {
      const Found f = params.get(key);
      auto v = number(f);
      if (v) note_origin(key, f.origin);
      return v;
    };
    auto require = [&](const char* key) {
      auto v = read_number(key);
      if (!v)
        throw ConfigError(params.name(key),
                          fmt::format("missing: rope_type \"{}\" requires it", *type));
      return *v;
    };
    auto defaulted = [&](const char* key, const std::string& why) {
      if (!out.origin.contains(key)) note_origin(key, why);
    };
    if (const Found f = params.get("original_max_position_embeddings"))
      if (auto v = integer(f)) {
        s.original_max_position_embeddings = *v;
        note_origin("original_max_position_embeddings", f.origin);
      }
    if (auto v = read_number("attention_factor")) s.attention_factor = *v;
    s.factor_given = static_cast<bool>(params.get("factor"));

    switch (s.type) {
      case RopeType::standard:
        break;
      case RopeType::linear:
      case RopeType::ntk:
      case RopeType::dynamic:
        s.factor = require("factor");
        break;
      case RopeType::yarn: {
        s.factor = require("factor");
        // HF reads these with Python's `or`: an absent key and a zero mean the same.
        const std::string hf = "default of _compute_yarn_parameters (modeling_rope_utils.py)";
        if (auto v = read_number("beta_fast"); v && *v != 0)
          s.beta_fast = *v;
        else
          out.origin["beta_fast"] = hf + (v ? " (0 means absent)" : "");
        if (auto v = read_number("beta_slow"); v && *v != 0)
          s.beta_slow = *v;
        else
          out.origin["beta_slow"] = hf + (v ? " (0 means absent)" : "");
        const Found truncate = params.get("truncate");
        if (auto v = boolean(truncate)) {
          s.truncate = *v;
          note_origin("truncate", truncate.origin);
        } else {
          note_origin("truncate", hf);
        }
        if (auto v = read_number("mscale"); v && *v != 0)
          s.mscale = *v;
        else
          out.origin.erase("mscale");
        if (auto v = read_number("mscale_all_dim"); v && *v != 0)
          s.mscale_all_dim = *v;
        else
          out.origin.erase("mscale_all_dim");
        break;
      }
      case RopeType::llama3:
        s.factor = require("factor");
        s.low_freq_factor = require("low_freq_factor");
        s.high_freq_factor = require("high_freq_factor");
        break;
      case RopeType::longrope: {
        const Found short_found = params.get("short_factor");
        const Found long_found = params.get("long_factor");
        s.short_factor = numbers(short_found);
        s.long_factor = numbers(long_found);
        if (!short_found) require("short_factor");
        if (!long_found) require("long_factor");
        note_origin("short_factor", short_found.origin);
        note_origin("long_factor", long_found.origin);
        if (auto v = read_number("factor")) s.factor = *v;
        if (d.family != nullptr && d.family->model_type == "phimoe") read_phimoe_mscale(params);
        break;
      }
      case RopeType::proportional:
        if (auto v = read_number("factor"))
          s.factor = *v;
        else
          defaulted("factor", "default: 1");
        break;
    }
  }
};

ResolvedRope resolve(const Document& d, const HfConfigOptions& options) {
  ResolvedRope out;
  out.model_type = d.model_type;
  out.layer_type = options.layer_type;
  if (d.family != nullptr)
    out.config_class = std::string(d.family->config_class);
  else
    out.notes.push_back(
        d.model_type.empty()
            ? "no model_type: generic reading (spec/rope.md §11), no class defaults"
            : fmt::format("model_type \"{}\" is not in the family table: generic reading "
                          "(spec/rope.md §11), no class defaults",
                          d.model_type));
  const LayerChoice choice = choose_layer(d, options.layer_type);
  if (d.family != nullptr) require_rotary(d, options.layer_type, choice);

  Resolver r{d, out};
  RopeConfig& config = out.config;
  const Section& top = d.top;

  // The parameter dict of this layer type.
  Section params;
  bool per_layer = false;
  if (d.rope_parameters != nullptr) {
    if (d.table) {
      per_layer = true;
      auto it = d.rope_parameters->find(options.layer_type);
      if (it == d.rope_parameters->end() || it->is_null())
        throw ConfigError(top.name("rope_parameters"),
                          fmt::format("has no entry for layer type \"{}\"", options.layer_type));
      params = {&*it, top.name("rope_parameters.") + options.layer_type + ".", ""};
    } else {
      params = {d.rope_parameters, top.name("rope_parameters."), ""};
    }
  } else if (const json* rs = object_or_absent(top, "rope_scaling")) {
    params = {rs, top.name("rope_scaling."), ""};
  } else if (d.family != nullptr && d.defaults->contains("rope_parameters")) {
    params = {&d.defaults->at("rope_parameters"), "rope_parameters.", d.default_origin()};
  }

  // Which rule applies; a per-layer table entry is that layer's complete parameter dict.
  const bool sliding = options.layer_type == "sliding_attention";
  const bool generic_legacy_sliding =
      !per_layer && choice.generic && sliding && d.rope_parameters == nullptr;
  const bool local =
      generic_legacy_sliding || (!per_layer && choice.rope == LayerRope::local_default);
  const bool use_scaling = !local && !(!per_layer && choice.rope == LayerRope::default_at_base);

  const bool proportional =
      use_scaling && string(params.get("rope_type")).value_or("") == "proportional";
  config.head_dim = r.read_head_dim(proportional);

  Found theta;
  std::string theta_default =
      "default_theta of RotaryEmbeddingConfigMixin (10000, transformers "
      "5.x modeling_rope_utils.py)";
  if (local) {
    // Local layers use rope_local_base_freq, whose Gemma3TextConfig default is 10000 (the
    // generic legacy form also honours a rope_theta written inside rope_scaling).
    theta = first_of({generic_legacy_sliding ? params.get("rope_theta") : Found{},
                      top.get("rope_local_base_freq"), d.def.get("rope_local_base_freq")});
    theta_default =
        "default of Gemma3TextConfig (rope_local_base_freq = 10000; transformers "
        "models/gemma3/configuration_gemma3.py)";
  } else if (!per_layer && choice.generic && sliding) {
    theta = first_of({params.get("rope_theta"), top.get("rope_local_base_freq"),
                      top.get("rope_theta"), top.get("rotary_emb_base")});
  } else {
    theta = first_of({params.get("rope_theta"), top.get("rope_theta"), top.get("rotary_emb_base"),
                      d.def.get("rope_theta")});
  }
  config.base = number(theta).value_or(10000.0);
  r.note_origin("rope_theta", theta ? theta.origin : theta_default);

  // HF v5 standardize_rope_params: a top-level partial_rotary_factor overwrites the dict's.
  const Found partial_file = first_of({top.get("partial_rotary_factor"),
                                       params.get("partial_rotary_factor"), top.get("rotary_pct")});
  const Found partial_default = d.def.get("partial_rotary_factor");
  const Found partial_found = first_of({partial_file, partial_default});
  const std::optional<double> partial = number(partial_found);
  const Found rotary_file = top.get("rotary_dim");
  const Found rotary_default = d.def.get("rotary_dim");
  // Precedence: the file's rotary_dim or partial factor, then the class's (GPT-J's rotary_dim,
  // Phi's or StableLM's partial factor), then the whole head.
  const Found rotary_found = rotary_file ? rotary_file : (partial_file ? Found{} : rotary_default);
  if (rotary_found) {
    config.rotary_dim = *dimension(rotary_found);
    r.note_origin("rotary_dim", rotary_found.origin);
  } else if (partial) {
    if (!(*partial > 0.0 && *partial <= 1.0))
      throw ConfigError(partial_found.name, fmt::format("must lie in (0, 1], got {}", *partial));
    // Hugging Face truncates: dim = int(head_dim * partial_rotary_factor).
    config.rotary_dim = static_cast<int>(config.head_dim * *partial);
    r.note_origin("partial_rotary_factor", partial_found.origin);
    r.note_origin("rotary_dim", "derived: int(head_dim * partial_rotary_factor)");
  } else {
    config.rotary_dim = config.head_dim;
    r.note_origin("rotary_dim", "derived: head_dim (no partial_rotary_factor)");
  }

  const Found max_pos = first_of({top.get("max_position_embeddings"), top.get("n_positions"),
                                  d.def.get("max_position_embeddings")});
  if (auto v = integer(max_pos)) {
    config.max_position_embeddings = *v;
    r.note_origin("max_position_embeddings", max_pos.origin);
  }

  r.read_scaling(params, use_scaling);
  // HF v5 standardisation: for a flat dict a top-level original_max_position_embeddings (Phi-3)
  // wins; a per-layer entry keeps its own and otherwise falls back to max_position_embeddings
  // (RopeConfig::original_context()).
  if (use_scaling && !per_layer)
    if (const Found f = top.get("original_max_position_embeddings"))
      if (auto v = integer(f)) {
        config.scaling.original_max_position_embeddings = *v;
        r.note_origin("original_max_position_embeddings", f.origin);
      }
  if (config.scaling.type == RopeType::proportional) {
    // p-RoPE keeps the whole head: partial_rotary_factor is the share of pairs that rotate.
    config.scaling.rotated_fraction = partial.value_or(1.0);
    config.rotary_dim = config.head_dim;
    r.note_origin("rotary_dim", "derived: head_dim (proportional RoPE keeps the whole head)");
  }

  // Layout: ropecheck's explicit key, then Hugging Face's rope_interleave (file, then class
  // default), then the layout the family's modeling code rotates.
  const Found layout_found = top.get("layout");
  const Found interleave_found =
      first_of({top.get("rope_interleave"), d.def.get("rope_interleave")});
  if (auto layout = string(layout_found)) {
    auto parsed = parse_layout(*layout);
    if (!parsed)
      throw ConfigError(layout_found.name,
                        fmt::format("unknown value \"{}\"; accepted: half, interleaved", *layout));
    config.layout = *parsed;
    r.note_origin("layout", layout_found.origin);
  } else if (auto interleave = boolean(interleave_found)) {
    config.layout = *interleave ? Layout::interleaved : Layout::half;
    r.note_origin("layout", interleave_found.origin + " (rope_interleave)");
  } else if (d.family != nullptr) {
    config.layout = d.family->layout;
    r.note_origin("layout", fmt::format("modeling code of {}: {}", d.family->model_type,
                                        d.family->layout_source));
  } else {
    config.layout = Layout::half;
    r.note_origin("layout",
                  "default: half (Hugging Face rotate_half); no model family to infer "
                  "another");
  }

  if (local && !choice.generic)
    out.notes.push_back(
        fmt::format("layer type {}: default RoPE at rope_local_base_freq, the "
                    "global rope_scaling not applied ({})",
                    options.layer_type, d.family->layers_source));
  if (!local && !use_scaling)
    out.notes.push_back(
        fmt::format("layer type {}: default RoPE at the model's rope_theta, "
                    "rope_scaling not applied ({})",
                    options.layer_type, d.family->layers_source));

  validate(config, params.object != nullptr && use_scaling ? params.path : "rope_scaling.");
  return out;
}

}  // namespace

ResolvedRope resolve_hf_config(const json& document, const HfConfigOptions& options) {
  return resolve(read_document(document), options);
}

RopeConfig parse_hf_config(const json& document, const HfConfigOptions& options) {
  return resolve_hf_config(document, options).config;
}

std::vector<LayerTypeInfo> hf_layer_types(const json& document) {
  const Document d = read_document(document);
  std::vector<std::string> names = d.file_layer_types;
  if (names.empty()) names = d.table_keys;
  if (names.empty() && d.family != nullptr)
    for (const LayerTypeRule& rule : d.family->layer_types) names.emplace_back(rule.name);
  if (names.empty()) names = {"full_attention"};
  std::vector<LayerTypeInfo> out;
  for (const std::string& name : names) {
    const LayerChoice choice = choose_layer(d, name);
    out.push_back({name, choice.rope != LayerRope::none, choice.no_rope_reason});
  }
  return out;
}

}  // namespace ropecheck
