#include "core/hf_config_report.hpp"

#include <fmt/format.h>

namespace ropecheck {
namespace {

std::string origin_of(const ResolvedRope& r, const std::string& key, const std::string& fallback) {
  const auto it = r.origin.find(key);
  return it == r.origin.end() ? fallback : it->second;
}

}  // namespace

std::string attention_factor_origin(const ResolvedRope& r) {
  const RopeScaling& s = r.config.scaling;
  if (s.attention_factor && (s.type == RopeType::yarn || s.type == RopeType::longrope))
    return origin_of(r, "attention_factor", "file: attention_factor");
  switch (s.type) {
    case RopeType::yarn:
      if (s.mscale && s.mscale_all_dim)
        return "derived: g(factor, mscale) / g(factor, mscale_all_dim), g(s, m) = 0.1 m ln s + 1 "
               "(_compute_yarn_parameters)";
      return "derived: 0.1 ln(factor) + 1 (_compute_yarn_parameters)";
    case RopeType::longrope:
      return s.factor_given
                 ? "derived: sqrt(1 + ln(factor) / ln(original_max_position_embeddings)), 1 if "
                   "factor <= 1 (_compute_longrope_parameters)"
                 : "derived: sqrt(1 + ln(s) / ln(original_max_position_embeddings)) with s = "
                   "max_position_embeddings / original_max_position_embeddings, 1 if s <= 1 "
                   "(_compute_longrope_parameters)";
    default:
      return fmt::format("derived: 1 (rope_type {} has no attention factor)",
                         rope_type_name(s.type));
  }
}

nlohmann::ordered_json resolved_json(const ResolvedRope& r, std::optional<std::int64_t> seq_len,
                                     std::optional<double> attention_factor) {
  const RopeConfig& c = r.config;
  const RopeScaling& s = c.scaling;
  nlohmann::ordered_json out;
  std::vector<std::string> notes = r.notes;
  out["model_type"] = r.model_type;
  out["config_class"] = r.config_class;
  out["layer_type"] = r.layer_type;
  auto put = [&](const std::string& key, nlohmann::ordered_json value, const std::string& origin) {
    out[key] = {{"value", std::move(value)}, {"origin", origin}};
  };
  auto put_read = [&](const std::string& key, nlohmann::ordered_json value,
                      const std::string& fallback) {
    put(key, std::move(value), origin_of(r, key, fallback));
  };
  put_read("head_dim", c.head_dim, "");
  put_read("rotary_dim", c.rotary_dim, "");
  put_read("rope_theta", c.base, "");
  put_read("layout", std::string(layout_name(c.layout)), "");
  put_read("rope_type", std::string(rope_type_name(s.type)), "");
  if (c.max_position_embeddings)
    put_read("max_position_embeddings", *c.max_position_embeddings, "");
  const std::string l0_origin =
      s.original_max_position_embeddings
          ? origin_of(r, "original_max_position_embeddings", "")
          : "derived: max_position_embeddings (standardize_rope_params fills the pretraining "
            "context from it)";
  switch (s.type) {
    case RopeType::standard:
      break;
    case RopeType::linear:
    case RopeType::ntk:
    case RopeType::dynamic:
      put_read("factor", s.factor, "");
      break;
    case RopeType::yarn:
      put_read("factor", s.factor, "");
      put("original_max_position_embeddings", c.original_context(), l0_origin);
      put_read("beta_fast", s.beta_fast, "");
      put_read("beta_slow", s.beta_slow, "");
      put_read("truncate", s.truncate, "");
      put("mscale", s.mscale ? nlohmann::ordered_json(*s.mscale) : nullptr,
          origin_of(r, "mscale", "absent"));
      put("mscale_all_dim", s.mscale_all_dim ? nlohmann::ordered_json(*s.mscale_all_dim) : nullptr,
          origin_of(r, "mscale_all_dim", "absent"));
      break;
    case RopeType::llama3:
      put_read("factor", s.factor, "");
      put_read("low_freq_factor", s.low_freq_factor, "");
      put_read("high_freq_factor", s.high_freq_factor, "");
      put("original_max_position_embeddings", c.original_context(), l0_origin);
      if (s.low_freq_factor == s.high_freq_factor)
        notes.push_back(
            "low_freq_factor == high_freq_factor: the medium band is empty (every "
            "pair is kept or divided by factor)");
      break;
    case RopeType::longrope: {
      if (s.factor_given)
        put_read("factor", s.factor, "");
      else if (c.max_position_embeddings && c.original_context() > 0)
        put("factor",
            static_cast<double>(*c.max_position_embeddings) /
                static_cast<double>(c.original_context()),
            "derived: max_position_embeddings / original_max_position_embeddings (attention "
            "factor only)");
      put("original_max_position_embeddings", c.original_context(), l0_origin);
      put_read("short_factor", s.short_factor, "");
      put_read("long_factor", s.long_factor, "");
      if (seq_len)
        put("longrope_list", *seq_len > c.original_context() ? "long_factor" : "short_factor",
            fmt::format("derived: seq_len {} {} original_max_position_embeddings {}", *seq_len,
                        *seq_len > c.original_context() ? ">" : "<=", c.original_context()));
      else
        put("longrope_list", nullptr,
            fmt::format("short_factor for seq_len <= {}, long_factor above (give a seq_len)",
                        c.original_context()));
      break;
    }
    case RopeType::proportional:
      put_read("factor", s.factor, "");
      put("rotated_fraction", s.rotated_fraction,
          origin_of(r, "partial_rotary_factor", "default: 1 (no partial_rotary_factor)"));
      break;
  }
  if (attention_factor) put("attention_factor", *attention_factor, attention_factor_origin(r));
  if (seq_len) out["seq_len"] = *seq_len;
  out["notes"] = notes;
  return out;
}

}  // namespace ropecheck
