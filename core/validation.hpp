// Range checks shared by the config readers: integers are checked before they are narrowed.
#pragma once

#include <cstdint>
#include <string>

namespace ropecheck {

// The largest head_dim (and rotary dim) accepted: 2^16 (spec/rope.md §12). Real models use
// 64..576; the cap keeps every dimension an int and every per-channel buffer of a request or
// vector set within sane memory.
inline constexpr std::int64_t kMaxHeadDim = std::int64_t{1} << 16;

// `value` as an int when it lies in 0..kMaxHeadDim; throws ConfigError(key) otherwise (so
// 4294967300 is refused, not wrapped to 4).
int checked_dimension(const std::string& key, std::int64_t value);

}  // namespace ropecheck
