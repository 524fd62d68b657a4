// A plugin-only audit: the kernel against the correctly rounded reference at log-spaced
// positions 0, 1, 2, 3, 4, 6, 8, 12, ... up to the limit, answering "up to which position does
// it stay within the error bound it claims?" deterministically (the battery's random cases say
// that it leaves the bound, the sweep says where).
#pragma once

#include <cstdint>
#include <vector>

#include "properties/battery.hpp"
#include "properties/subject.hpp"

namespace ropecheck::kernels {

// The worst output of the rows run at one position.
struct SweepPoint {
  std::int64_t position = 0;
  double max_error = 0;  // max |y - exact| over the rows' channels
  double max_ratio = 0;  // max |y - exact| / bound (> 1: outside the bound)
};

struct SweepResult {
  properties::Finding finding;  // property "position-sweep"
  std::vector<SweepPoint> points;
};

// Runs 4 random rows (exact in the subject's dtype) at each position in one batch and
// compares every channel with the subject's claimed pipeline bound (properties/error_model).
// A KernelFailure fails the finding with its message.
SweepResult position_sweep(const properties::Subject& subject,
                           const properties::NamedConfig& config, std::int64_t max_position,
                           std::uint64_t seed);

// The sweep's positions: 0 and every 2^k and 3 * 2^(k-1) not above max_position.
std::vector<std::int64_t> sweep_positions(std::int64_t max_position);

}  // namespace ropecheck::kernels
