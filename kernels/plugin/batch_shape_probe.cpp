#include "kernels/plugin/batch_shape_probe.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <fmt/format.h>
#include <random>
#include <vector>

#include "kernels/plugin/check_run.hpp"

namespace ropecheck::kernels {
namespace {

// One-head calls of at most this many tokens are the baseline every shape must equal: the
// battery's own calls are of this kind, and they are checked against the reference.
constexpr std::int64_t kBaselineTokens = 64;

}  // namespace

std::vector<std::pair<std::int64_t, std::int64_t>> batch_shapes() {
  // Many tokens with few heads and few tokens with many: every value of each list appears,
  // in 10059 rows in all.
  return {{1, 64}, {2, 32}, {255, 8}, {256, 4}, {257, 3}, {1000, 2}, {4096, 1}};
}

properties::Finding batch_shape_finding(const PluginSubject& subject,
                                        const properties::NamedConfig& named,
                                        std::int64_t max_position, std::uint64_t seed) {
  properties::Finding f;
  f.property = kBatchShape;
  f.config = named.name;
  const RopeConfig& config = named.config;
  const auto d = static_cast<std::size_t>(config.head_dim);
  std::mt19937_64 rng(seed);
  // Values with 7 significant bits in [-2, 2] (exact in every format, bf16 included), a quarter
  // of them +0 or -0.
  std::uniform_int_distribution<int> mantissa(-127, 127), pick(0, 7);
  const auto value = [&] {
    const int p = pick(rng);
    return p == 0 ? 0.0 : p == 1 ? -0.0 : std::ldexp(mantissa(rng), -6);
  };
  try {
    for (const auto& [tokens, heads] : batch_shapes()) {
      std::vector<std::int64_t> positions(static_cast<std::size_t>(tokens));
      // Position 0 first (where signs of zero show), then odd and large ones.
      for (std::size_t t = 0; t < positions.size(); ++t)
        positions[t] = t == 0 ? 0 : static_cast<std::int64_t>((t * 7919 + 13) % static_cast<std::size_t>(max_position + 1));
      const std::size_t rows = positions.size() * static_cast<std::size_t>(heads);
      std::vector<double> x(rows * d);
      for (double& v : x) v = value();
      std::vector<std::int64_t> row_positions;
      for (std::int64_t m : positions)
        for (std::int64_t h = 0; h < heads; ++h) row_positions.push_back(m);
      // One length for every shape (any length >= the positions is valid), so the configuration
      // is prepared once.
      const std::int64_t seq_len = max_position + 1;
      const auto prepared = subject.prepare(config, seq_len);
      const auto& plugin = dynamic_cast<const PreparedPlugin&>(*prepared);
      std::vector<double> batched(x.size()), alone(x.size());
      plugin.apply_shaped(positions, heads, x, batched);
      for (std::size_t start = 0; start < rows; start += kBaselineTokens) {
        const std::size_t n = std::min<std::size_t>(kBaselineTokens, rows - start);
        plugin.apply_shaped(std::span(row_positions).subspan(start, n), 1,
                            std::span(x).subspan(start * d, n * d),
                            std::span(alone).subspan(start * d, n * d));
      }
      f.cases += 1;
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (std::bit_cast<std::uint64_t>(batched[i]) == std::bit_cast<std::uint64_t>(alone[i])) continue;
        const std::size_t row = i / d;
        f.passed = false;
        f.position = row_positions[row];
        f.measured = std::isnan(batched[i] - alone[i]) ? HUGE_VAL : std::abs(batched[i] - alone[i]);
        f.detail = fmt::format("differs bit for bit: token {} head {} channel {} at position {}: "
                               "{:a} in a [{} tokens, {} heads] call, {:a} as a one-head row",
                               row / static_cast<std::size_t>(heads),
                               row % static_cast<std::size_t>(heads), i % d, f.position,
                               batched[i], tokens, heads, alone[i]);
        return f;
      }
    }
  } catch (const properties::KernelFailure& failure) {
    f.passed = false;
    f.detail = fmt::format("could not run: {}", failure.what());
    return f;
  }
  f.detail = fmt::format("{} shapes equal their rows as one-head calls, bit for bit", f.cases);
  return f;
}

}  // namespace ropecheck::kernels
