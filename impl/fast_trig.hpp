// Trigonometric helpers that model how real kernels evaluate sin/cos.
#pragma once

#include <cmath>
#include <numbers>

namespace ropecheck {

// A model of GPU fast-math sin/cos (CUDA __sinf/__cosf): the argument is scaled to turns by
// one f32 multiply with fl32(1/2pi), only the fraction of a turn is kept (in f32), and sin/cos
// of that fraction are then evaluated accurately. The modelled error is the reduction: at
// |x| ~ 2^k the f32 turn count keeps only 23 - k + 2.65 fractional bits (spec/rope.md).
inline void fast_sincos_f32(float x, float& sine, float& cosine) {
  constexpr float kInvTwoPi = static_cast<float>(0.5 / std::numbers::pi);
  const float turns = x * kInvTwoPi;
  const float fraction = turns - std::nearbyint(turns);  // exact: both are close f32 values
  const double radians = 2.0 * std::numbers::pi * static_cast<double>(fraction);
  sine = static_cast<float>(std::sin(radians));
  cosine = static_cast<float>(std::cos(radians));
}

// The angle m * theta formed and reduced to [-pi, pi] in long double (64-bit significand on
// x86), the known fix for f32 angle loss: for |m| < 2^31 its error stays below about 2^-30,
// far under the final rounding of the reduced angle to f32 (at most 2^-23 near pi).
inline float reduced_angle_f32(long double position, long double theta) {
  constexpr long double kTwoPi = 2.0L * std::numbers::pi_v<long double>;
  return static_cast<float>(std::remainder(position * theta, kTwoPi));
}

}  // namespace ropecheck
