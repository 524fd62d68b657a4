#include "kernels/plugin/batch_shape_probe.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <random>
#include <vector>

#include "kernels/plugin/check_run.hpp"

namespace ropecheck::kernels {

properties::Finding batch_shape_finding(const PluginSubject& subject,
                                        const properties::NamedConfig& named,
                                        std::int64_t max_position, std::uint64_t seed) {
  constexpr std::int64_t tokens = 5, heads = 3;
  properties::Finding f;
  f.property = kBatchShape;
  f.config = named.name;
  const RopeConfig& config = named.config;
  const auto d = static_cast<std::size_t>(config.head_dim);
  std::mt19937_64 rng(seed);
  std::vector<std::int64_t> positions;
  for (std::int64_t m : {0, 1, 4097, 65537, 1000003}) positions.push_back(std::min(m, max_position));
  // Values with 7 significant bits in [-2, 2]: exact in every format, bf16 included.
  std::uniform_int_distribution<int> mantissa(-127, 127);
  std::vector<double> x(static_cast<std::size_t>(tokens * heads) * d);
  for (double& v : x) v = std::ldexp(mantissa(rng), -6);
  std::vector<std::int64_t> row_positions;
  for (std::int64_t t = 0; t < tokens; ++t)
    for (std::int64_t h = 0; h < heads; ++h) row_positions.push_back(positions[static_cast<std::size_t>(t)]);

  std::vector<double> batched(x.size()), alone(x.size());
  try {
    const std::int64_t seq_len = *std::max_element(positions.begin(), positions.end()) + 1;
    const auto prepared = subject.prepare(config, seq_len);
    const auto& plugin = dynamic_cast<const PreparedPlugin&>(*prepared);
    plugin.apply_shaped(positions, heads, x, batched);
    plugin.apply_shaped(row_positions, 1, x, alone);
  } catch (const properties::KernelFailure& failure) {
    f.passed = false;
    f.detail = fmt::format("could not run: {}", failure.what());
    return f;
  }
  for (std::size_t i = 0; i < x.size(); ++i) {
    const bool same = batched[i] == alone[i] || (std::isnan(batched[i]) && std::isnan(alone[i]));
    if (same) continue;
    const std::size_t row = i / d;
    f.passed = false;
    f.position = row_positions[row];
    f.measured = std::abs(batched[i] - alone[i]);
    f.detail = fmt::format("token {} head {} channel {} at position {}: {:a} in a [{}, {}] call, "
                           "{:a} as a one-head row",
                           row / static_cast<std::size_t>(heads), row % static_cast<std::size_t>(heads),
                           i % d, f.position, batched[i], tokens, heads, alone[i]);
    return f;
  }
  return f;
}

}  // namespace ropecheck::kernels
