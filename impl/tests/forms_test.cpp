// The three forms agree, and interleaved equals half-split under the channel permutation.
#include <gtest/gtest.h>

#include <cmath>
#include <fmt/format.h>

#include "impl/implementation.hpp"
#include "impl/tests/random_configs.hpp"

namespace ropecheck {
namespace {

using testing::random_config;

double unit_roundoff(std::string_view type) {
  if (type == "f64") return 0x1p-53;
  if (type == "f32") return 0x1p-24;
  return 0x1p-8;  // bf16
}

const Implementation& with_form(const Implementation& impl, Form form) {
  return find_implementation(fmt::format("{}:{}", form_name(form), impl.pipeline->name));
}

// Given the same cos c and sin s (|c|, |s| <= a(1+u)), each form computes x c - y s with two
// roundings of products and one of the sum, so each is within gamma_2 (|x c| + |y s|) of the
// exact value for that c, s (Higham, Accuracy and Stability, Lemma 3.1); two forms differ by at
// most twice that, plus one rounding to the storage type each: 2 gamma_2 a (1+u) (|x|+|y|) +
// u_S (|y_f| + |y_g|).
TEST(Forms, AgreeWithinDerivedBoundOverRandomConfigs) {
  std::mt19937_64 rng(testing::kUnitTestSeed);
  int checked = 0;
  for (RopeType type : testing::all_rope_types()) {
    for (int trial = 0; trial < 6; ++trial) {
      const RopeConfig config = random_config(rng, type);
      const std::int64_t seq_len = 1 << 20;
      for (const Implementation& impl : all_implementations()) {
        if (impl.form == Form::elementwise) continue;
        const Implementation& elementwise = with_form(impl, Form::elementwise);
        auto a = impl.prepare(config, seq_len);
        auto b = elementwise.prepare(config, seq_len);
        const double u = unit_roundoff(impl.pipeline->arithmetic);
        const double u_storage = unit_roundoff(dtype_name(impl.dtype()));
        const double gamma2 = 2 * u / (1 - 2 * u);
        const double att = a->attention_factor() * (1 + u);
        for (int k = 0; k < 4; ++k) {
          const std::int64_t m = testing::random_position(rng, 20);
          const auto x = testing::random_head(rng, config.head_dim, impl.dtype());
          std::vector<double> ya(x.size()), yb(x.size());
          a->apply(m, x, ya);
          b->apply(m, x, yb);
          for (int i = 0; i < config.pairs(); ++i) {
            const auto [ca, cb] = pair_channels(config.layout, config.rotary_dim, i);
            const double bound = 2 * gamma2 * att * (std::fabs(x[ca]) + std::fabs(x[cb]));
            for (int ch : {ca, cb}) {
              const double tol = bound + u_storage * (std::fabs(ya[ch]) + std::fabs(yb[ch]));
              if (std::isnan(ya[ch]) && std::isnan(yb[ch])) continue;  // f16 positions past 65504
              ASSERT_LE(std::fabs(ya[ch] - yb[ch]), tol)
                  << impl.name() << " vs elementwise, position " << m << ", channel " << ch;
            }
          }
          for (int ch = config.rotary_dim; ch < config.head_dim; ++ch) ASSERT_EQ(ya[ch], x[ch]);
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 1000);
}

// x_half = P x_interleaved with P moving channel 2i to i and 2i+1 to i + d/2.
std::vector<double> to_half(const std::vector<double>& x, int rotary_dim) {
  std::vector<double> out = x;
  for (int i = 0; i < rotary_dim / 2; ++i) {
    out[i] = x[2 * i];
    out[i + rotary_dim / 2] = x[2 * i + 1];
  }
  return out;
}

TEST(Forms, InterleavedEqualsHalfSplitUnderPermutation) {
  // RoPE_half(P x) = P RoPE_interleaved(x): the same pair arithmetic on moved channels, so the
  // results must be bit-identical for every implementation.
  std::mt19937_64 rng(testing::kUnitTestSeed + 1);
  for (RopeType type : testing::all_rope_types()) {
    RopeConfig interleaved = random_config(rng, type);
    interleaved.layout = Layout::interleaved;
    RopeConfig half = interleaved;
    half.layout = Layout::half;
    for (const Implementation& impl : all_implementations()) {
      auto pi = impl.prepare(interleaved, 5000);
      auto ph = impl.prepare(half, 5000);
      for (std::int64_t m : {0LL, 1LL, 77LL, 4999LL, 1LL << 24, (1LL << 31) - 1}) {
        const auto x = testing::random_head(rng, interleaved.head_dim, impl.dtype());
        std::vector<double> yi(x.size()), yh(x.size());
        pi->apply(m, x, yi);
        ph->apply(m, to_half(x, half.rotary_dim), yh);
        const auto expected = to_half(yi, half.rotary_dim);
        for (std::size_t j = 0; j < x.size(); ++j)
          ASSERT_TRUE(expected[j] == yh[j] || (std::isnan(expected[j]) && std::isnan(yh[j])))
              << impl.name() << " " << rope_type_name(type) << " position " << m << " channel "
              << j;
      }
    }
  }
}

TEST(Forms, PositionZeroIsIdentityWithoutAttentionFactor) {
  std::mt19937_64 rng(testing::kUnitTestSeed + 2);
  const RopeConfig config = random_config(rng, RopeType::standard);
  for (const Implementation& impl : all_implementations()) {
    auto prepared = impl.prepare(config, 1);
    const auto x = testing::random_head(rng, config.head_dim, impl.dtype());
    std::vector<double> y(x.size());
    prepared->apply(0, x, y);
    EXPECT_EQ(y, x) << impl.name();
  }
}

}  // namespace
}  // namespace ropecheck
