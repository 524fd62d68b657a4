// Inverse frequencies theta_i and the attention factor of every scaling variant, computed in a
// chosen floating type T the way Hugging Face's modeling_rope_utils.py does (spec/rope.md).
#pragma once

#include <cstdint>
#include <vector>

#include "core/rope_config.hpp"

namespace ropecheck {

// theta_i for the d/2 rotated pairs (0 for pairs that do not rotate) and the factor a that
// multiplies cos and sin.
template <class T>
struct Frequencies {
  std::vector<T> theta;
  double attention_factor = 1.0;
};

// Frequencies of `config` for a sequence of length `seq_len` (used by dynamic NTK and
// LongRoPE's short/long switch). Every step is evaluated in T; T is float, double or long double.
template <class T>
Frequencies<T> compute_frequencies(const RopeConfig& config, std::int64_t seq_len);

// The unscaled theta_i = base^(-2i/d) in T, as Hugging Face forms it: 1 / base^((2i)/d).
template <class T>
std::vector<T> default_frequencies(double base, int rotary_dim);

// YaRN's ramp (NTK-by-parts, Peng et al. 2023): pairs below `low` keep theta, pairs above
// `high` are divided by the factor, in between a linear blend in the pair index. The bounds are
// the correction dims of beta_fast and beta_slow, truncated to integers unless `truncate` is
// false, clamped to [0, d - 1], and widened by 0.001 when equal (Hugging Face's guard against a
// zero-width ramp). Python floats in Hugging Face, so double here.
struct YarnRamp {
  double low = 0;
  double high = 0;
};
YarnRamp yarn_ramp(const RopeConfig& config);

// Number of pairs that rotate under p-RoPE with fraction p: floor(p * D/2), the highest
// frequencies (lowest i); the remaining pairs are position-free (NoPE).
int proportional_rotated_pairs(int head_dim, double rotated_fraction);

// LongRoPE's scale s: rope_scaling.factor when given, else max_position_embeddings /
// original_max_position_embeddings (Hugging Face v5).
double longrope_factor(const RopeConfig& config);

}  // namespace ropecheck
