// One implementation prepared for a configuration and sequence length.
#pragma once

#include <cstdint>
#include <span>

namespace ropecheck {

// apply() may be called from several threads at once.
class PreparedRope {
 public:
  virtual ~PreparedRope() = default;
  // Rotates one head (head_dim values, each exactly representable in the implementation's
  // dtype, widened to double) at integer `position`; writes head_dim values to y.
  virtual void apply(std::int64_t position, std::span<const double> x,
                     std::span<double> y) const = 0;
  // Rotates rows of x (positions.size() heads of head_dim values, row-major) into y. The
  // default loops over apply(); an out-of-process kernel overrides it to pay one round trip.
  virtual void apply_batch(std::span<const std::int64_t> positions, std::span<const double> x,
                           std::span<double> y) const;
  // The factor a multiplying cos and sin, as this implementation uses it.
  virtual double attention_factor() const = 0;
  // The position as the implementation computes with it: apply() depends on its position only
  // through this value, so positions with equal values get identical outputs for identical
  // inputs (a pipeline that converts positions to f32 sees 2^23 values per binade above 2^24,
  // which the exhaustive audit evaluates once each). The default, the position itself (exact
  // below 2^53), claims nothing.
  virtual double computed_position(std::int64_t position) const {
    return static_cast<double>(position);
  }
};

}  // namespace ropecheck
