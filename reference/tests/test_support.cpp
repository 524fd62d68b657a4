#include "reference/tests/test_support.hpp"

#include <fmt/format.h>
#include <cmath>
#include <cstdlib>

#include "core/config_error.hpp"
#include "core/hf_config.hpp"
#include "reference/rounding.hpp"

namespace ropecheck::reference::testing {
namespace {

double uniform(std::mt19937_64& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}

template <class T>
T pick(std::mt19937_64& rng, std::initializer_list<T> options) {
  std::uniform_int_distribution<std::size_t> d(0, options.size() - 1);
  return *(options.begin() + d(rng));
}

bool coin(std::mt19937_64& rng, double p = 0.5) {
  return uniform(rng, 0, 1) < p;
}

RopeConfig draw(std::mt19937_64& rng, RopeType type) {
  RopeConfig c;
  c.head_dim = pick(rng, {4, 8, 16, 32, 64, 128});
  c.rotary_dim = c.head_dim;
  if (coin(rng, 0.3) && type != RopeType::proportional)
    c.rotary_dim = std::max(2, c.head_dim / pick(rng, {2, 4}) / 2 * 2);
  c.base = coin(rng, 0.5) ? pick(rng, {10000.0, 500000.0, 1000000.0, 1024.0, 160000.0})
                          : std::exp(uniform(rng, std::log(100.0), std::log(1e7)));
  c.layout = coin(rng) ? Layout::half : Layout::interleaved;
  c.max_position_embeddings = pick<std::int64_t>(rng, {2048, 4096, 8192, 32768, 131072});
  RopeScaling& s = c.scaling;
  s.type = type;
  s.factor = coin(rng) ? pick(rng, {1.0, 2.0, 4.0, 8.0, 32.0, 40.0}) : uniform(rng, 1.0, 64.0);
  s.factor_given = true;
  switch (type) {
    case RopeType::standard:
      s.factor = 1.0;
      break;
    case RopeType::linear:
      break;
    case RopeType::ntk:
    case RopeType::dynamic:
      if (c.rotary_dim < 4) c.rotary_dim = 4;
      break;
    case RopeType::yarn:
      s.original_max_position_embeddings = pick<std::int64_t>(rng, {2048, 4096, 8192, 32768});
      if (coin(rng, 0.3)) {
        s.beta_fast = uniform(rng, 4.0, 64.0);
        s.beta_slow = uniform(rng, 0.25, 2.0);
      }
      if (coin(rng, 0.1)) s.beta_slow = s.beta_fast;  // the zero-width ramp guard
      s.truncate = coin(rng, 0.7);
      if (coin(rng, 0.3)) {
        s.mscale = pick(rng, {1.0, 0.707, 0.5});
        s.mscale_all_dim = pick(rng, {1.0, 0.707, 0.8});
      }
      if (coin(rng, 0.15)) s.attention_factor = uniform(rng, 0.5, 2.0);
      break;
    case RopeType::llama3:
      s.original_max_position_embeddings = pick<std::int64_t>(rng, {2048, 8192, 16384});
      s.low_freq_factor = coin(rng) ? 1.0 : uniform(rng, 0.5, 2.0);
      s.high_freq_factor = s.low_freq_factor + (coin(rng) ? 3.0 : uniform(rng, 0.5, 8.0));
      break;
    case RopeType::longrope: {
      s.original_max_position_embeddings = pick<std::int64_t>(rng, {2048, 4096, 8192});
      s.factor_given = coin(rng);
      // Divisors below 1 give theta_i up to 2^9, which exercises the reduction of m t_hi's
      // error term (m t reaches 2^60 turns).
      const bool large_theta = coin(rng, 0.25);
      for (int i = 0; i < c.rotary_dim / 2; ++i) {
        s.short_factor.push_back(large_theta ? std::exp2(uniform(rng, -9, 0))
                                 : coin(rng) ? 1.0
                                             : uniform(rng, 1.0, 3.0));
        s.long_factor.push_back(large_theta ? std::exp2(uniform(rng, -9, 0))
                                            : uniform(rng, 1.0, 64.0));
      }
      if (coin(rng, 0.15)) s.attention_factor = uniform(rng, 0.9, 1.5);
      break;
    }
    case RopeType::proportional:
      c.rotary_dim = c.head_dim;
      s.rotated_fraction = coin(rng) ? pick(rng, {0.25, 0.5, 1.0}) : uniform(rng, 0.05, 1.0);
      if (coin(rng)) s.factor = 1.0;
      break;
  }
  return c;
}

}  // namespace

bool deep_mode() {
  const char* v = std::getenv("ROPECHECK_DEEP");
  return v != nullptr && std::string(v) == "1";
}

bool sanitized_mode() {
  const char* v = std::getenv("ROPECHECK_SANITIZED");
  return v != nullptr && std::string(v) == "1";
}

std::vector<RopeType> all_rope_types() {
  return {RopeType::standard, RopeType::linear, RopeType::ntk,      RopeType::dynamic,
          RopeType::yarn,     RopeType::llama3, RopeType::longrope, RopeType::proportional};
}

RopeConfig random_config(std::mt19937_64& rng, RopeType type) {
  for (;;) {
    RopeConfig c = draw(rng, type);
    try {
      validate(c);
      return c;
    } catch (const ConfigError&) {
    }
  }
}

RopeConfig random_config(std::mt19937_64& rng) {
  const auto types = all_rope_types();
  return random_config(rng,
                       types[std::uniform_int_distribution<std::size_t>(0, types.size() - 1)(rng)]);
}

std::int64_t random_seq_len(std::mt19937_64& rng, const RopeConfig& config) {
  const std::int64_t l0 = std::max<std::int64_t>(1, config.original_context());
  const std::int64_t lm = config.max_position_embeddings.value_or(l0);
  return pick<std::int64_t>(rng, {1, l0, l0 + 1, lm, lm + 1, 4 * lm, 1 << 20});
}

std::string describe(const RopeConfig& c) {
  return fmt::format("{} D={} d={} base={:a} layout={} maxpos={} orig={} factor={:a}",
                     rope_type_name(c.scaling.type), c.head_dim, c.rotary_dim, c.base,
                     layout_name(c.layout), c.max_position_embeddings.value_or(-1),
                     c.scaling.original_max_position_embeddings.value_or(-1), c.scaling.factor);
}

double random_value(std::mt19937_64& rng, Dtype dtype, int lo_exp, int hi_exp) {
  for (;;) {
    const double mag = std::exp2(uniform(rng, lo_exp, hi_exp));
    const double v = round_double(coin(rng) ? mag : -mag, dtype);
    if (std::isfinite(v)) return v;
  }
}

}  // namespace ropecheck::reference::testing
