// Rotations are orthogonal (up to the attention factor): norms, inverse, composition, layouts.
#include <fmt/format.h>
#include <cmath>

#include "properties/check_support.hpp"
#include "properties/checks.hpp"
#include "properties/error_model.hpp"
#include "properties/harness.hpp"

namespace ropecheck::properties {
namespace {

// Per channel: the first application's error carried through an exact rotation (scaled by a)
// lands on both channels of the pair: a (B_a + B_b).
std::vector<double> carried(const RopeConfig& c, const std::vector<double>& bound, double a) {
  std::vector<double> out(bound.size(), 0.0);
  for (int i = 0; i < c.pairs(); ++i) {
    const auto [ca, cb] = pair_channels(c.layout, c.rotary_dim, i);
    out[ca] = out[cb] = a * (bound[ca] + bound[cb]);
  }
  for (std::size_t j = static_cast<std::size_t>(c.rotary_dim); j < bound.size(); ++j)
    out[j] = a * bound[j];
  return out;
}

}  // namespace

CheckResult check_norm_preservation(const Subject& s, const TestCase& c) {
  const Harness h(s, c);
  const std::int64_t m = h.in_domain(c.m);
  const auto y = h.rotate(m, c.q);
  const auto bound = h.bounds(m, c.q);
  long double squared = 0;
  for (int j = 0; j < c.config.rotary_dim; ++j)
    squared += static_cast<long double>(bound[j]) * bound[j];
  const long double expected = h.attention() * rotary_norm(c.config, c.q);
  const long double got = rotary_norm(c.config, y);
  // | |y_hat| - |y| | <= |y_hat - y| (triangle inequality); a itself is known to u64.
  const double limit = static_cast<double>(std::sqrt(squared) + 2 * kU64 * expected);
  CheckResult result;
  result.observe(static_cast<double>(std::fabs(got - expected)), limit, m,
                 fmt::format("|R x| = {:a}, a |x| = {:a}", static_cast<double>(got),
                             static_cast<double>(expected)));
  return result;
}

CheckResult check_inverse(const Subject& s, const TestCase& c) {
  const Harness h(s, c);
  const std::int64_t m = h.in_domain(c.m);
  const auto y1 = h.rotate(m, c.q);
  const auto y2 = h.rotate(-m, y1);
  const double a = h.attention();
  const auto b1 = carried(c.config, h.bounds(m, c.q), a);
  const auto b2 = h.bounds(-m, y1);
  CheckResult result;
  for (std::size_t j = 0; j < y2.size(); ++j) {
    const bool rotary = static_cast<int>(j) < c.config.rotary_dim;
    const long double expected = (rotary ? static_cast<long double>(a) * a : 1.0L) * c.q[j];
    const double limit = b1[j] + b2[j] + 4 * kU64 * std::fabs(static_cast<double>(expected));
    result.observe(nan_aware_distance(y2[j], static_cast<double>(expected)), limit, m, [&] {
      return fmt::format("R_-m R_m x: {}",
                         channel_detail(static_cast<int>(j), y2[j], static_cast<double>(expected)));
    });
  }
  return result;
}

CheckResult check_composition(const Subject& s, const TestCase& c) {
  const Harness h(s, c);
  // Both steps and their sum must lie in the claimed domain.
  const std::int64_t half = position_domain(s.bound_model()) / 2;
  const std::int64_t m = fold_position(c.m, half), n = fold_position(c.n, half);
  const auto y1 = h.rotate(n, c.q);
  const auto y2 = h.rotate(m, y1);
  const auto y3 = h.rotate(m + n, c.q);
  const double a = h.attention();
  const auto b1 = carried(c.config, h.bounds(n, c.q), a);
  const auto b2 = h.bounds(m, y1);
  const auto b3 = h.bounds(m + n, c.q);
  CheckResult result;
  for (std::size_t j = 0; j < y2.size(); ++j) {
    const bool rotary = static_cast<int>(j) < c.config.rotary_dim;
    const double scale = rotary ? a : 1.0;
    const double expected = scale * y3[j];
    const double limit = b1[j] + b2[j] + scale * b3[j] + 2 * kU64 * std::fabs(expected);
    result.observe(nan_aware_distance(y2[j], expected), limit, m, [&] {
      return fmt::format("R_m R_n x vs a R_(m+n) x at n = {}: {}", n,
                         channel_detail(static_cast<int>(j), y2[j], expected));
    });
  }
  return result;
}

CheckResult check_layout_equivalence(const Subject& s, const TestCase& c) {
  RopeConfig half = c.config, interleaved = c.config;
  half.layout = Layout::half;
  interleaved.layout = Layout::interleaved;
  const Harness hh(s, c, half), hi(s, c, interleaved);
  const std::int64_t m = hh.in_domain(c.m);
  const int d = c.config.rotary_dim;
  // P moves interleaved channel 2i to i and 2i + 1 to i + d/2.
  auto permute = [d](const std::vector<double>& v) {
    std::vector<double> out = v;
    for (int i = 0; i < d / 2; ++i) {
      out[i] = v[2 * i];
      out[i + d / 2] = v[2 * i + 1];
    }
    return out;
  };
  const auto y_half = hh.rotate(m, permute(c.q));
  const auto y_inter = permute(hi.rotate(m, c.q));
  const auto b_half = hh.bounds(m, permute(c.q));
  const auto b_inter = permute(hi.bounds(m, c.q));
  CheckResult result;
  for (std::size_t j = 0; j < y_half.size(); ++j)
    result.observe(nan_aware_distance(y_half[j], y_inter[j]), b_half[j] + b_inter[j], m, [&] {
      return fmt::format("half(P x) vs P interleaved(x): {}",
                         channel_detail(static_cast<int>(j), y_half[j], y_inter[j]));
    });
  return result;
}

}  // namespace ropecheck::properties
