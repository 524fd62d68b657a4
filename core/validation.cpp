// validate(): the checks a configuration must pass before any RoPE math runs.
#include <cmath>
#include <fmt/format.h>

#include "core/config_error.hpp"
#include "core/hf_config.hpp"
#include "core/validation.hpp"

namespace ropecheck {
namespace {

void require_finite(const std::string& key, double value) {
  if (!std::isfinite(value)) throw ConfigError(key, "must be a finite number");
}

void require_factor(const std::string& key, double factor) {
  require_finite(key, factor);
  if (factor < 1.0)
    throw ConfigError(key, fmt::format("must be >= 1 (a context extension), got {}", factor));
}

void require_context(const RopeConfig& config, const char* variant) {
  if (config.original_context() <= 0)
    throw ConfigError("original_max_position_embeddings",
                      fmt::format("missing or not positive: rope_type \"{}\" needs the "
                                  "pretraining context (or max_position_embeddings)",
                                  variant));
}

void validate_scaling(const RopeConfig& config, const std::string& path) {
  const RopeScaling& s = config.scaling;
  const auto key = [&](const char* name) { return path + name; };
  switch (s.type) {
    case RopeType::standard:
      break;
    case RopeType::linear:
      require_factor(key("factor"), s.factor);
      break;
    case RopeType::ntk:
      require_factor(key("factor"), s.factor);
      // base * s^(d/(d-2)) divides by zero at d = 2.
      if (config.rotary_dim < 4)
        throw ConfigError("rotary_dim", "ntk scaling needs a rotary dim of at least 4");
      break;
    case RopeType::dynamic:
      require_factor(key("factor"), s.factor);
      if (config.rotary_dim < 4)
        throw ConfigError("rotary_dim", "dynamic scaling needs a rotary dim of at least 4");
      if (!config.max_position_embeddings)
        throw ConfigError("max_position_embeddings",
                          "missing: rope_type \"dynamic\" scales relative to it");
      break;
    case RopeType::yarn:
      require_factor(key("factor"), s.factor);
      require_finite(key("beta_fast"), s.beta_fast);
      require_finite(key("beta_slow"), s.beta_slow);
      if (!(s.beta_fast > 0 && s.beta_slow > 0))
        throw ConfigError(key("beta_fast"),
                          "beta_fast and beta_slow must be positive numbers of rotations");
      if (s.mscale && !(*s.mscale > 0))
        throw ConfigError(key("mscale"), "must be positive (0 means absent)");
      if (s.mscale_all_dim && !(*s.mscale_all_dim > 0))
        throw ConfigError(key("mscale_all_dim"), "must be positive (0 means absent)");
      require_context(config, "yarn");
      break;
    case RopeType::llama3:
      require_factor(key("factor"), s.factor);
      // low == high is accepted: the medium band is then empty (every pair is either kept or
      // divided by s), as Hugging Face computes Llama 4 Scout's configuration.
      require_finite(key("low_freq_factor"), s.low_freq_factor);
      require_finite(key("high_freq_factor"), s.high_freq_factor);
      if (!(s.low_freq_factor > 0 && s.high_freq_factor >= s.low_freq_factor))
        throw ConfigError(key("high_freq_factor"),
                          fmt::format("need 0 < low_freq_factor <= high_freq_factor, got {} and {}",
                                      s.low_freq_factor, s.high_freq_factor));
      require_context(config, "llama3");
      break;
    case RopeType::longrope: {
      const auto pairs = static_cast<std::size_t>(config.pairs());
      for (const auto& [list_key, list] : {std::pair{key("short_factor"), &s.short_factor},
                                           std::pair{key("long_factor"), &s.long_factor}}) {
        if (list->size() != pairs)
          throw ConfigError(list_key, fmt::format("has {} entries; rotary dim {} needs {} (one per pair)",
                                             list->size(), config.rotary_dim, pairs));
        for (double f : *list)
          if (!(f > 0)) throw ConfigError(list_key, "entries must be positive divisors");
      }
      require_factor(key("factor"), s.factor);
      require_context(config, "longrope");
      break;
    }
    case RopeType::proportional:
      require_factor(key("factor"), s.factor);
      if (!(s.rotated_fraction > 0 && s.rotated_fraction <= 1))
        throw ConfigError("partial_rotary_factor",
                          fmt::format("must lie in (0, 1], got {}", s.rotated_fraction));
      break;
  }
  if (s.attention_factor && !(std::isfinite(*s.attention_factor) && *s.attention_factor > 0))
    throw ConfigError(key("attention_factor"), "must be a positive finite number");
}

}  // namespace

int checked_dimension(const std::string& key, std::int64_t value) {
  if (value < 0 || value > kMaxHeadDim)
    throw ConfigError(
        key, fmt::format("{} is out of range; accepted: 0..{} (2^16)", value, kMaxHeadDim));
  return static_cast<int>(value);
}

void validate(const RopeConfig& config, const std::string& scaling_path) {
  if (config.head_dim > kMaxHeadDim)
    throw ConfigError("head_dim",
                      fmt::format("{} exceeds the cap of {} (2^16)", config.head_dim, kMaxHeadDim));
  if (config.head_dim <= 0 || config.head_dim % 2 != 0)
    throw ConfigError("head_dim",
                      fmt::format("must be a positive even number, got {}", config.head_dim));
  if (config.rotary_dim <= 0 || config.rotary_dim % 2 != 0)
    throw ConfigError("rotary_dim", fmt::format("rotary dim (head_dim x partial_rotary_factor) "
                                                "must be a positive even number, got {}",
                                                config.rotary_dim));
  if (config.rotary_dim > config.head_dim)
    throw ConfigError("rotary_dim", fmt::format("rotary dim {} exceeds head_dim {}",
                                                config.rotary_dim, config.head_dim));
  require_finite("rope_theta", config.base);
  if (!(config.base > 1.0))
    throw ConfigError("rope_theta", fmt::format("base must be > 1, got {}", config.base));
  if (config.max_position_embeddings && *config.max_position_embeddings <= 0)
    throw ConfigError("max_position_embeddings", "must be positive");
  validate_scaling(config, scaling_path);
}

}  // namespace ropecheck
