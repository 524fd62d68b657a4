// A plugin-only audit: the kernel against the correctly rounded reference at log-spaced
// positions 0, 1, 2, 3, 4, 6, 8, 12, ... up to the limit, answering "up to which position does
// it stay within the error bound it claims?" deterministically (the battery's random cases say
// that it leaves the bound, the sweep says where).
#pragma once

#include <cstdint>
#include <optional>
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

// The sweep reported as the audit reports a precision run (audit/, spec/audit.md): one row per
// position band of the audit's default bands holding sweep positions.
struct SweepBand {
  std::int64_t lo = 0, hi = 0;
  bool closed = false;  // the last band: [lo, hi]
  std::size_t positions = 0;
  double max_error = 0;  // max |y - exact| (inputs in [-1, 1], as the audit's)
  std::int64_t max_error_position = 0;
  double max_ratio = 0;  // max |y - exact| / bound
  std::int64_t max_ratio_position = 0;
};

// "Safe up to" by the audit's definition over the sweep's positions: the largest position below
// the first one over the limit (the whole range when none is: `exceeded` false).
struct SweepSafe {
  std::optional<std::int64_t> safe_up_to;  // nullopt: the first position is already over
  bool exceeded = false;
};

struct SweepSummary {
  std::vector<SweepBand> bands;
  std::vector<double> thresholds;  // on max |y - exact|: the audit's defaults
  std::vector<SweepSafe> safe;     // per threshold
  SweepSafe within_bound;          // error / bound <= 1
};

// Bands and safe-up-to of a sweep (empty bands when it has no point), with the audit's band
// edges and thresholds 1e-3 and 1e-2 (the last edge extended to the largest position).
SweepSummary summarise_sweep(const std::vector<SweepPoint>& points);

// The sweep's positions: 0 and every 2^k and 3 * 2^(k-1) not above max_position.
std::vector<std::int64_t> sweep_positions(std::int64_t max_position);

}  // namespace ropecheck::kernels
