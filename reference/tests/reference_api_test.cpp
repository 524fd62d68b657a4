// The public Reference: exact rules for zeros and non-finite inputs, pass-through channels,
// argument checks, aliasing, threads, stats, and the exact output and score used by metrics.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <thread>

#include "core/config_error.hpp"
#include "core/presets.hpp"
#include "reference/metrics.hpp"
#include "reference/reference.hpp"
#include "reference/rounding.hpp"
#include "reference/tests/test_support.hpp"

namespace ropecheck::reference {
namespace {

using testing::same_bits;
const double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::numeric_limits<double>::quiet_NaN();

RopeConfig small_config(Layout layout = Layout::half) {
  RopeConfig c;
  c.head_dim = 8;
  c.rotary_dim = 4;
  c.base = 10000;
  c.layout = layout;
  return c;
}

// Both paths, compared with each other; returns apply()'s result.
std::vector<double> both(const Reference& ref, std::int64_t m, std::vector<double> x, Dtype dtype) {
  std::vector<double> y(x.size()), z(x.size());
  ref.apply(m, x, dtype, y);
  ref.apply_mpfr(m, x, dtype, z);
  for (std::size_t j = 0; j < x.size(); ++j)
    EXPECT_TRUE(same_bits(y[j], z[j]))
        << "channel " << j << std::hexfloat << " " << y[j] << " vs " << z[j];
  return y;
}

TEST(ReferenceApi, PositionZeroIsTheIdentityRoundedToTheFormat) {
  std::mt19937_64 rng(61);
  const Reference ref(find_preset("llama-3.1-8b").rope, 131072);
  std::vector<double> x(128);
  for (Dtype dtype : all_dtypes()) {
    for (double& v : x) v = std::ldexp(std::uniform_real_distribution<double>(-1, 1)(rng), -3);
    const std::vector<double> y = both(ref, 0, x, dtype);
    for (std::size_t j = 0; j < x.size(); ++j)
      EXPECT_TRUE(same_bits(y[j], round_double(x[j], dtype)));
  }
}

TEST(ReferenceApi, SignedZerosFollowIeeeRulesWithExactCosAndSin) {
  const Reference ref(small_config(), 1);
  // Position 0: cos = 1, sin = +0. Pair 0 is channels (0, 2), pair 1 is (1, 3).
  // y_a = x_a*1 - x_b*(+0), y_b = x_a*(+0) + x_b*1.
  std::vector<double> y = both(ref, 0, {-0.0, -0.0, 0.0, -5.0, 0, 0, 0, 0}, Dtype::f64);
  EXPECT_TRUE(same_bits(y[0], -0.0));  // -0 - (+0*+0) = -0 - +0 = -0
  EXPECT_TRUE(same_bits(y[2], 0.0));   // -0*+0 + +0*1 = -0 + +0 = +0
  EXPECT_TRUE(same_bits(y[1], 0.0));   // -0*1 - (-5*+0) = -0 - -0 = +0
  EXPECT_EQ(y[3], -5.0);
  // Both components zero at a nonzero angle: the signs of cos and sin decide.
  y = both(ref, 3, {0.0, -0.0, -0.0, -0.0, 0, 0, 0, 0}, Dtype::bf16);
  for (int j = 0; j < 4; ++j) EXPECT_EQ(y[j], 0.0);
}

TEST(ReferenceApi, NonFiniteInputs) {
  const Reference ref(small_config(), 1);
  // NaN poisons both outputs of its pair only.
  std::vector<double> y = both(ref, 7, {kNaN, 1.0, 2.0, 3.0, kNaN, 0, 0, 0}, Dtype::f32);
  EXPECT_TRUE(std::isnan(y[0]) && std::isnan(y[2]));
  EXPECT_FALSE(std::isnan(y[1]) || std::isnan(y[3]));
  EXPECT_TRUE(std::isnan(y[4]));  // passed through
  // Position 0: y_a = inf*1 - 2*(+0) = inf, y_b = inf*(+0) + 2*1 = NaN.
  y = both(ref, 0, {kInf, 1.0, 2.0, 3.0, 0, 0, 0, 0}, Dtype::f64);
  EXPECT_EQ(y[0], kInf);
  EXPECT_TRUE(std::isnan(y[2]));
  // A nonzero angle: inf times a nonzero cos or sin is an infinity of that sign.
  y = both(ref, 5, {kInf, 1.0, 2.0, 3.0, 0, 0, 0, 0}, Dtype::f64);
  EXPECT_TRUE(std::isinf(y[0]) && std::isinf(y[2]));
  EXPECT_EQ(std::signbit(y[0]), std::cos(5.0) < 0);
  EXPECT_EQ(std::signbit(y[2]), std::sin(5.0) < 0);
  // inf - inf: both components infinite with cos and sin of the same sign.
  y = both(ref, 1, {kInf, 0, -kInf, 0, 0, 0, 0, 0}, Dtype::f64);  // cos 1, sin 1 > 0
  EXPECT_EQ(y[0], kInf);                                          // inf*c - (-inf)*s
  EXPECT_TRUE(std::isnan(y[2]));                                  // inf*s + (-inf)*c
}

TEST(ReferenceApi, OverflowAndUnderflowOfOutputs) {
  const Reference ref(small_config(), 1);
  // 1 radian: cos + sin = 1.38 > 1, so 65504 (f16 max) rotates past the overflow threshold.
  const std::vector<double> y = both(ref, 1, {65504.0, 0, 65504.0, 0, 0, 0, 0, 0}, Dtype::f16);
  EXPECT_EQ(y[2], kInf);
  const std::vector<double> z = both(ref, 1, {0x1p-30, 0, 0x1p-30, 0, 0, 0, 0, 0}, Dtype::f16);
  EXPECT_TRUE(same_bits(z[2], 0.0));  // far below f16's smallest subnormal, positive
}

TEST(ReferenceApi, PassThroughChannelsAreRoundedOnly) {
  const Reference ref(small_config(), 1);
  const std::vector<double> y =
      both(ref, 99, {1, 2, 3, 4, 0.1, -0.0, kInf, 0x1.ffffffp0}, Dtype::bf16);
  EXPECT_EQ(y[4], round_double(0.1, Dtype::bf16));
  EXPECT_TRUE(same_bits(y[5], -0.0));
  EXPECT_EQ(y[6], kInf);
  EXPECT_EQ(y[7], 2.0);
}

TEST(ReferenceApi, ArgumentChecks) {
  const Reference ref(small_config(), 1);
  std::vector<double> x(8, 1.0), y(8), short_y(7);
  EXPECT_THROW(ref.apply(0, x, Dtype::f32, short_y), std::invalid_argument);
  EXPECT_THROW(ref.apply(std::int64_t{1} << 53, x, Dtype::f32, y), std::out_of_range);
  EXPECT_THROW(ref.apply_mpfr(-(std::int64_t{1} << 53), x, Dtype::f32, y), std::out_of_range);
  EXPECT_NO_THROW(ref.apply((std::int64_t{1} << 53) - 1, x, Dtype::f32, y));
  EXPECT_THROW(ref.theta(2), std::out_of_range);
  RopeConfig bad = small_config();
  bad.base = 0.5;
  EXPECT_THROW(Reference(bad, 1), ConfigError);
}

TEST(ReferenceApi, InPlaceThreadsAndStats) {
  std::mt19937_64 rng(62);
  Reference ref(find_preset("deepseek-v3").rope, 4096);
  const int dim = ref.config().head_dim;
  std::vector<std::vector<double>> xs(200, std::vector<double>(static_cast<std::size_t>(dim)));
  std::vector<std::int64_t> ms(xs.size());
  for (std::size_t k = 0; k < xs.size(); ++k) {
    for (double& v : xs[k]) v = testing::random_value(rng, Dtype::bf16, -5, 5);
    ms[k] = static_cast<std::int64_t>(rng() % (std::uint64_t{1} << 40));
  }
  std::vector<std::vector<double>> expected(xs.size(), std::vector<double>(xs[0].size()));
  for (std::size_t k = 0; k < xs.size(); ++k) ref.apply_mpfr(ms[k], xs[k], Dtype::f32, expected[k]);
  ref.reset_stats();
  auto work = [&](std::size_t from, std::size_t step) {
    for (std::size_t k = from; k < xs.size(); k += step) {
      std::vector<double> y = xs[k];
      ref.apply(ms[k], y, Dtype::f32, y);  // in place
      for (std::size_t j = 0; j < y.size(); ++j) EXPECT_TRUE(same_bits(y[j], expected[k][j]));
    }
  };
  std::thread t1(work, 0, 2), t2(work, 1, 2);
  t1.join();
  t2.join();
  const ReferenceStats s = ref.stats();
  EXPECT_EQ(s.fast + s.fallback + s.special,
            xs.size() * static_cast<std::size_t>(ref.config().rotary_dim / 2));
  const Reference moved = std::move(ref);
  EXPECT_EQ(moved.config().head_dim, dim);
}

TEST(ReferenceApi, ExactOutputAndScore) {
  std::mt19937_64 rng(63);
  for (const char* preset : {"qwen2.5-7b-yarn", "gpt-neox-20b", "phi-3-mini-128k"}) {
    const Reference ref(find_preset(preset).rope, 200000);
    const auto n = static_cast<std::size_t>(ref.config().head_dim);
    std::vector<double> q(n), k(n), hi(n), lo(n), hk(n), lk(n), y(n);
    for (int it = 0; it < 20; ++it) {
      for (std::size_t j = 0; j < n; ++j) {
        q[j] = testing::random_value(rng, Dtype::f32, -3, 3);
        k[j] = testing::random_value(rng, Dtype::f32, -3, 3);
      }
      const auto m = static_cast<std::int64_t>(rng() % 1000000),
                 p = static_cast<std::int64_t>(rng() % 1000000);
      ref.apply_exact(m, q, hi, lo);
      ref.apply(m, q, Dtype::f64, y);
      for (std::size_t j = 0; j < n; ++j) EXPECT_TRUE(same_bits(hi[j], y[j])) << preset << " " << j;
      // <R_m q, R_p k> from the exact rotated vectors (double-double) equals exact_score.
      ref.apply_exact(p, k, hk, lk);
      long double dot = 0;
      for (std::size_t j = 0; j < n; ++j)
        dot +=
            (static_cast<long double>(hi[j]) + lo[j]) * (static_cast<long double>(hk[j]) + lk[j]);
      const double score = ref.exact_score(q, k, m, p);
      double norms = 0;
      for (std::size_t j = 0; j < n; ++j) norms += std::fabs(q[j] * k[j]);
      EXPECT_LE(std::fabs(static_cast<double>(dot) - score), 1e-17 * norms * 4) << preset;
      // The reference's own f64 outputs are invariant to within a few rounding errors.
      std::vector<double> rq(n), rk(n);
      ref.apply(m, q, Dtype::f64, rq);
      ref.apply(p, k, Dtype::f64, rk);
      EXPECT_LT(score_error(rq, rk, score, q, k), 1e-15);
    }
  }
}

}  // namespace
}  // namespace ropecheck::reference
