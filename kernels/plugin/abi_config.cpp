#include "kernels/plugin/abi_config.hpp"

#include <cstring>

namespace ropecheck::kernels {

std::uint32_t abi_rope_type(RopeType type) {
  switch (type) {
    case RopeType::standard: return RC_ROPE_DEFAULT;
    case RopeType::linear: return RC_ROPE_LINEAR;
    case RopeType::ntk: return RC_ROPE_NTK;
    case RopeType::dynamic: return RC_ROPE_DYNAMIC;
    case RopeType::yarn: return RC_ROPE_YARN;
    case RopeType::llama3: return RC_ROPE_LLAMA3;
    case RopeType::longrope: return RC_ROPE_LONGROPE;
    case RopeType::proportional: return RC_ROPE_PROPORTIONAL;
  }
  return RC_ROPE_DEFAULT;
}

std::uint32_t abi_layout(Layout layout) {
  return layout == Layout::half ? RC_LAYOUT_HALF : RC_LAYOUT_INTERLEAVED;
}

AbiConfig::AbiConfig(const RopeConfig& rope, std::int64_t seq_len, double attention)
    : short_factor(rope.scaling.short_factor), long_factor(rope.scaling.long_factor) {
  rc_rope_config& c = config;
  c.struct_size = sizeof(rc_rope_config);
  c.head_dim = rope.head_dim;
  c.rotary_dim = rope.rotary_dim;
  c.layout = abi_layout(rope.layout);
  c.base = rope.base;
  c.rope_type = abi_rope_type(rope.scaling.type);
  c.truncate = rope.scaling.truncate ? 1 : 0;
  c.factor = rope.scaling.factor;
  c.original_max_position_embeddings = rope.original_context();
  c.max_position_embeddings = rope.max_position_embeddings.value_or(0);
  c.seq_len = seq_len;
  c.beta_fast = rope.scaling.beta_fast;
  c.beta_slow = rope.scaling.beta_slow;
  c.mscale = rope.scaling.mscale.value_or(0.0);
  c.mscale_all_dim = rope.scaling.mscale_all_dim.value_or(0.0);
  c.low_freq_factor = rope.scaling.low_freq_factor;
  c.high_freq_factor = rope.scaling.high_freq_factor;
  c.short_factor_count = static_cast<std::int32_t>(short_factor.size());
  c.long_factor_count = static_cast<std::int32_t>(long_factor.size());
  c.rotated_fraction = rope.scaling.rotated_fraction;
  c.attention_factor = attention;
}

void AbiConfig::write(void* at, double* short_at, double* long_at) const {
  rc_rope_config copy = config;
  copy.short_factor = nullptr;
  copy.long_factor = nullptr;
  if (!short_factor.empty()) {
    std::memcpy(short_at, short_factor.data(), short_factor.size() * sizeof(double));
    copy.short_factor = short_at;
  }
  if (!long_factor.empty()) {
    std::memcpy(long_at, long_factor.data(), long_factor.size() * sizeof(double));
    copy.long_factor = long_at;
  }
  std::memcpy(at, &copy, sizeof copy);
}

}  // namespace ropecheck::kernels
