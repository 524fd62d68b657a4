// NaN and infinity propagation: finite inputs give finite outputs, and a NaN input poisons only
// its own pair (a pass-through channel only itself); every other output is unchanged bit for bit.
#include <fmt/format.h>
#include <cmath>
#include <cstdlib>

#include "properties/checks.hpp"
#include "properties/harness.hpp"

namespace ropecheck::properties {

CheckResult check_nonfinite_propagation(const Subject& s, const TestCase& c) {
  const Harness h(s, c);
  const RopeConfig& cfg = c.config;
  const std::int64_t m = h.in_domain(c.m);
  const auto clean = h.rotate(m, c.q);
  CheckResult result;
  for (std::size_t j = 0; j < clean.size(); ++j)
    result.observe(std::isfinite(clean[j]) ? 0.0 : 1.0, 0.0, m,
                   [&] { return fmt::format("finite input gave {} in channel {}", clean[j], j); });

  // Poison one rotary channel, chosen from the case, and one pass-through channel if any.
  std::vector<int> targets = {static_cast<int>(std::llabs(c.n) % cfg.rotary_dim)};
  if (cfg.head_dim > cfg.rotary_dim)
    targets.push_back(cfg.rotary_dim +
                      static_cast<int>(std::llabs(c.t) % (cfg.head_dim - cfg.rotary_dim)));
  for (int target : targets) {
    auto x = c.q;
    x[target] = std::nan("");
    const auto y = h.rotate(m, x);
    int partner = target;
    for (int i = 0; i < cfg.pairs(); ++i) {
      const auto [a, b] = pair_channels(cfg.layout, cfg.rotary_dim, i);
      if (a == target) partner = b;
      if (b == target) partner = a;
    }
    for (int j = 0; j < cfg.head_dim; ++j) {
      const bool poisoned = j == target || j == partner;
      const bool ok = poisoned ? std::isnan(y[j])
                               : (y[j] == clean[j] || (std::isnan(y[j]) && std::isnan(clean[j])));
      result.observe(ok ? 0.0 : 1.0, 0.0, m, [&] {
        return fmt::format("NaN in channel {}: channel {} became {:a} (clean run {:a})", target, j,
                           y[j], clean[j]);
      });
    }
  }
  return result;
}

}  // namespace ropecheck::properties
