// Deterministic random configurations of every scaling variant and layout for the unit tests
// (property-based generators with shrinking live in properties/).
#pragma once

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "core/hf_config.hpp"

namespace ropecheck::testing {

inline constexpr std::uint64_t kUnitTestSeed = 20261123;

// A valid config of the given type with random dims, base, layout and parameters.
inline RopeConfig random_config(std::mt19937_64& rng, RopeType type) {
  std::uniform_int_distribution<int> half_dim(1, 64);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  RopeConfig c;
  c.rotary_dim = 2 * half_dim(rng);
  if (type == RopeType::ntk || type == RopeType::dynamic) c.rotary_dim = std::max(c.rotary_dim, 4);
  c.head_dim = c.rotary_dim + 2 * std::uniform_int_distribution<int>(0, 4)(rng);
  c.base = std::pow(10.0, 1.0 + 7.0 * unit(rng));  // log-uniform in [10, 1e8]
  c.layout = unit(rng) < 0.5 ? Layout::half : Layout::interleaved;
  c.max_position_embeddings = 4096;
  RopeScaling& s = c.scaling;
  s.type = type;
  s.factor = 1.0 + 31.0 * unit(rng);
  s.original_max_position_embeddings = 1024 << std::uniform_int_distribution<int>(0, 4)(rng);
  switch (type) {
    case RopeType::yarn:
      s.truncate = unit(rng) < 0.5;
      break;
    case RopeType::llama3:
      s.low_freq_factor = 1.0;
      s.high_freq_factor = 4.0;
      break;
    case RopeType::longrope:
      for (int i = 0; i < c.rotary_dim / 2; ++i) {
        s.short_factor.push_back(1.0 + unit(rng));
        s.long_factor.push_back(1.0 + 40.0 * unit(rng));
      }
      c.max_position_embeddings = *s.original_max_position_embeddings * 32;
      break;
    case RopeType::proportional:
      c.rotary_dim = c.head_dim;
      s.rotated_fraction = 0.05 + 0.95 * unit(rng);
      break;
    default:
      break;
  }
  validate(c);
  return c;
}

inline const std::vector<RopeType>& all_rope_types() {
  static const std::vector<RopeType> types = {
      RopeType::standard, RopeType::linear,  RopeType::ntk,      RopeType::dynamic,
      RopeType::yarn,     RopeType::llama3,  RopeType::longrope, RopeType::proportional};
  return types;
}

// A head vector with entries exactly representable in `dtype`, roughly N(0, 1).
inline std::vector<double> random_head(std::mt19937_64& rng, int head_dim, Dtype dtype) {
  std::normal_distribution<double> normal;
  std::vector<double> x(static_cast<std::size_t>(head_dim));
  for (double& v : x) {
    v = std::clamp(normal(rng), -3.9, 3.9);  // |v| < 4 keeps 6 fractional bits inside bf16
    if (dtype == Dtype::f32) v = static_cast<float>(v);
    if (dtype == Dtype::bf16 || dtype == Dtype::f16) v = std::ldexp(std::round(std::ldexp(v, 6)), -6);
  }
  return x;
}

// Positions log-uniform over [0, 2^max_log2) plus small ones.
inline std::int64_t random_position(std::mt19937_64& rng, int max_log2) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  return static_cast<std::int64_t>(std::floor(std::exp2(max_log2 * unit(rng)))) - 1;
}

}  // namespace ropecheck::testing
