// The RoPE configuration every layer shares: dimensions, base, layout and the scaling variant.
// Plain data only; the math lives in impl/ (implementations) and reference/ (the oracle).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ropecheck {

// Which channels form a rotated pair (spec/rope.md §Layouts).
enum class Layout {
  half,         // pairs (i, i + d/2): GPT-NeoX, Hugging Face rotate_half, ggml NEOX
  interleaved,  // pairs (2i, 2i + 1): RoFormer, GPT-J, Meta's complex form, ggml NORMAL
};

// The frequency-scaling variant (spec/rope.md §Scaling variants).
enum class RopeType {
  standard,      // "default": theta_i = base^(-2i/d)
  linear,        // position interpolation: theta_i / s
  ntk,           // static NTK-aware: base * s^(d/(d-2))
  dynamic,       // dynamic NTK: base grows with the sequence length
  yarn,          // NTK-by-parts ramp plus attention factor
  llama3,        // wavelength-banded interpolation of Llama 3.1
  longrope,      // per-pair short/long rescale lists (Phi-3)
  proportional,  // p-RoPE: only the highest-frequency fraction of pairs rotates
};

std::string_view rope_type_name(RopeType type);
std::optional<RopeType> parse_rope_type(std::string_view text);
std::string accepted_rope_types();

std::string_view layout_name(Layout layout);
std::optional<Layout> parse_layout(std::string_view text);

// Parameters of the scaling variant; only those of `type` are meaningful.
struct RopeScaling {
  RopeType type = RopeType::standard;
  double factor = 1.0;  // s
  bool factor_given =
      false;  // whether the config states the factor (LongRoPE derives it otherwise)
  // Pretraining context L0 (yarn, llama3, longrope); falls back to max_position_embeddings.
  std::optional<std::int64_t> original_max_position_embeddings;
  // yarn
  double beta_fast = 32.0;
  double beta_slow = 1.0;
  bool truncate = true;
  std::optional<double> mscale;
  std::optional<double> mscale_all_dim;
  // yarn and longrope: an explicit attention factor overrides the derived one
  std::optional<double> attention_factor;
  // llama3
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  // longrope: one divisor per rotated pair
  std::vector<double> short_factor;
  std::vector<double> long_factor;
  // proportional: fraction p of the head's pairs that rotate (the highest frequencies); read
  // from partial_rotary_factor, which for this type does not shorten the rotary dim
  double rotated_fraction = 1.0;

  bool operator==(const RopeScaling&) const = default;
};

// A complete, validated RoPE configuration (see core/hf_config.hpp for how it is read).
struct RopeConfig {
  int head_dim = 0;     // D: channels of one head
  int rotary_dim = 0;   // d <= D, even: channels that rotate; the rest pass through
  double base = 10000;  // rope_theta
  Layout layout = Layout::half;
  std::optional<std::int64_t> max_position_embeddings;
  RopeScaling scaling;

  int pairs() const { return rotary_dim / 2; }
  // L0 for variants that need it: original_max_position_embeddings, else max_position_embeddings.
  std::int64_t original_context() const;

  // Every field equal (numbers by value: a validated configuration holds no NaN, and no zero
  // whose sign changes a result).
  bool operator==(const RopeConfig&) const = default;
};

// The sequence length a length-dependent variant (dynamic NTK, LongRoPE) uses for positions
// 0..max_position: max_position + 1, as Hugging Face does, unless the caller fixes it.
std::int64_t effective_seq_len(std::int64_t max_position, std::optional<std::int64_t> seq_len);

// Channel indices (a, b) of rotated pair i under a layout: (2i, 2i+1) or (i, i + d/2).
struct PairChannels {
  int a;
  int b;
};
constexpr PairChannels pair_channels(Layout layout, int rotary_dim, int pair) {
  return layout == Layout::interleaved ? PairChannels{2 * pair, 2 * pair + 1}
                                       : PairChannels{pair, pair + rotary_dim / 2};
}

}  // namespace ropecheck
