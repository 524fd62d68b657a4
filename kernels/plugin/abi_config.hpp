// Translating ropecheck's RopeConfig into the C ABI's resolved rc_rope_config.
#pragma once

#include <cstdint>
#include <vector>

#include "core/rope_config.hpp"
#include "kernels/abi/ropecheck_kernel.h"

namespace ropecheck::kernels {

// An rc_rope_config with the factor lists it points to kept alongside. `attention` is the
// correctly rounded attention factor (from the reference), so kernels need not derive it.
struct AbiConfig {
  rc_rope_config config{};
  std::vector<double> short_factor;
  std::vector<double> long_factor;

  AbiConfig(const RopeConfig& rope, std::int64_t seq_len, double attention);

  // Copies the struct to `at` and the lists to `short_at` / `long_at` (either may be null when
  // its list is empty), pointing the copy's list pointers at those copies.
  void write(void* at, double* short_at, double* long_at) const;
};

// The RC_ROPE_* value and RC_LAYOUT_* bit of a config.
std::uint32_t abi_rope_type(RopeType type);
std::uint32_t abi_layout(Layout layout);

}  // namespace ropecheck::kernels
