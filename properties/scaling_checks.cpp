// Invariants of the scaling variants, read off the subject's rotation at position 1.
#include <fmt/format.h>
#include <cmath>
#include <numbers>

#include "properties/checks.hpp"
#include "properties/harness.hpp"
#include "reference/reference.hpp"

namespace ropecheck::properties {

// At m = 1 a unit input (x_a, x_b) = (1, 0) turns into a (cos theta_i, sin theta_i), so the
// subject's frequency is atan2(y_b, y_a). With each component within B of exact, the point
// moves at most sqrt(2) B off the circle of radius a, which turns the angle by at most
// asin(sqrt(2) B / a) <= 2 B / a while B < a / 4 (spec/precision.md).
CheckResult check_scaling_invariants(const Subject& s, const TestCase& c) {
  CheckResult result;
  const RopeConfig& cfg = c.config;
  const RopeScaling& sc = cfg.scaling;
  if (sc.type != RopeType::linear && sc.type != RopeType::llama3 && sc.type != RopeType::yarn &&
      sc.type != RopeType::ntk) {
    result.detail = "no frequency invariant for this variant";
    return result;
  }
  const Harness h(s, c);
  std::vector<double> x(static_cast<std::size_t>(cfg.head_dim), 0.0);
  for (int i = 0; i < cfg.pairs(); ++i) x[pair_channels(cfg.layout, cfg.rotary_dim, i).a] = 1.0;
  const auto y = h.rotate(1, x);
  const auto bound = h.bounds(1, x);
  RopeConfig plain = cfg;
  plain.scaling = RopeScaling{};
  const reference::Reference unscaled(plain, h.seq_len());
  const double a = h.attention();
  const double s_factor = sc.factor;
  const double context = static_cast<double>(cfg.original_context());

  for (int i = 0; i < cfg.pairs(); ++i) {
    const auto [ca, cb] = pair_channels(cfg.layout, cfg.rotary_dim, i);
    const double theta0 = unscaled.theta(i);
    if (theta0 > 3.0 || !(bound[ca] < a / 4)) continue;  // atan2 cannot tell the angle apart
    const double got = std::atan2(y[cb], y[ca]);
    const double tol = 2 * bound[ca] / a + 4 * 0x1p-53 * theta0;
    auto expect_near = [&](double want, const char* what) {
      result.observe(std::isnan(got) ? HUGE_VAL : std::fabs(got - want), tol, 1, [&] {
        return fmt::format("pair {}: theta {:a}, {} {:a}", i, got, what, want);
      });
    };
    const double wavelength = 2 * std::numbers::pi / theta0;
    switch (sc.type) {
      case RopeType::linear:
        expect_near(theta0 / s_factor, "linear: theta/s =");
        break;
      case RopeType::llama3:
        if (wavelength < context / sc.high_freq_factor)
          expect_near(theta0, "llama3 short wavelength: theta =");
        if (wavelength > context / sc.low_freq_factor)
          expect_near(theta0 / s_factor, "llama3 long wavelength: theta/s =");
        break;
      case RopeType::yarn: {
        // Between interpolation and extrapolation: theta/s <= theta_yarn <= theta.
        const double below = std::max(0.0, theta0 / s_factor - got);
        const double above = std::max(0.0, got - theta0);
        result.observe(std::isnan(got) ? HUGE_VAL : std::max(below, above), tol, 1, [&] {
          return fmt::format("pair {}: yarn theta {:a} outside [{:a}, {:a}]", i, got,
                             theta0 / s_factor, theta0);
        });
        break;
      }
      case RopeType::ntk:
        if (i == cfg.pairs() - 1) expect_near(theta0 / s_factor, "ntk lowest frequency: theta/s =");
        break;
      default:
        break;
    }
  }
  return result;
}

}  // namespace ropecheck::properties
