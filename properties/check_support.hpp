// Small helpers shared by the property checks.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "core/rope_config.hpp"

namespace ropecheck::properties {

// |a - b| with NaN on both sides counting as agreement and NaN on one side as infinitely far.
inline double nan_aware_distance(double a, double b) {
  if (std::isnan(a) && std::isnan(b)) return 0;
  if (std::isnan(a) || std::isnan(b)) return HUGE_VAL;
  if (a == b) return 0;  // also equal infinities
  return std::fabs(a - b);
}

// "channel 5 = 0x1.8p-3 (expected 0x1.80001p-3)".
std::string channel_detail(int channel, double got, double expected);

// Sum over the rotary channels of a_j b_j, in long double (overflow-free for any dtype's values).
long double rotary_dot(const RopeConfig& config, const std::vector<double>& a,
                       const std::vector<double>& b);

// The rotary part's Euclidean norm, in long double.
long double rotary_norm(const RopeConfig& config, const std::vector<double>& a);

// Folds a position into [-limit, limit] (keeps it when already inside).
std::int64_t fold_position(std::int64_t position, std::int64_t limit);

}  // namespace ropecheck::properties
