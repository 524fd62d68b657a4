// Agreement with the correctly rounded reference, and the identity at position 0.
#include <fmt/format.h>

#include "properties/bound_matcher.hpp"
#include "properties/check_support.hpp"
#include "properties/checks.hpp"
#include "properties/harness.hpp"

namespace ropecheck::properties {

CheckResult check_reference_agreement(const Subject& s, const TestCase& c) {
  const Harness h(s, c);
  const std::int64_t m = h.in_domain(c.m);
  WithinBound match;
  for (const auto* x : {&c.q, &c.k}) {
    const auto y = h.rotate(m, *x);
    const auto exact = h.exact(m, *x);
    const auto bound = h.bounds(m, *x);
    for (std::size_t j = 0; j < y.size(); ++j)
      match.expect(y[j], exact[j], bound[j], m, static_cast<int>(j));
  }
  CheckResult result;
  const MatchCase& worst = match.worst();
  result.observe(worst.error, worst.bound, worst.position, match.worst_values());
  return result;
}

CheckResult check_identity_at_zero(const Subject& s, const TestCase& c) {
  const Harness h(s, c);
  CheckResult result;
  const auto y = h.rotate(0, c.q);
  if (h.attention() == 1.0) {
    // cos 0 = 1 and sin 0 = 0 are exact in every format, so nothing may change.
    for (std::size_t j = 0; j < y.size(); ++j)
      result.observe(nan_aware_distance(y[j], c.q[j]), 0.0, 0,
                     [&] { return channel_detail(static_cast<int>(j), y[j], c.q[j]); });
  } else {
    const auto exact = h.exact(0, c.q);
    const auto bound = h.bounds(0, c.q);
    for (std::size_t j = 0; j < y.size(); ++j)
      result.observe(nan_aware_distance(y[j], exact[j]), bound[j], 0,
                     [&] { return channel_detail(static_cast<int>(j), y[j], exact[j]); });
  }
  return result;
}

}  // namespace ropecheck::properties
