// The fast path's exact outputs and scores (spec/precision.md, "Exact outputs", "Exact scores"):
// Reference::apply_with_exact against the MPFR path's apply_exact and apply, and
// exact_score (fast path first) against exact_score_mpfr, on hard inputs of every variant.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "reference/exact_frequencies.hpp"
#include "reference/reference.hpp"
#include "reference/tests/hard_inputs.hpp"
#include "reference/tests/test_support.hpp"

namespace ropecheck::reference {
namespace {

using testing::deep_mode;
using testing::describe;
using testing::random_config;
using testing::random_seq_len;
using testing::same_bits;

TEST(ExactOutputs, WithinTheirBoundOfTheMpfrPath) {
  std::mt19937_64 rng(20261130);
  const int configs = deep_mode() ? 400 : 40, heads = 25;
  std::uint64_t fast_pairs = 0, checked = 0;
  double worst_ratio = 0;
  for (int t = 0; t < configs; ++t) {
    const RopeConfig c = random_config(rng);
    const std::int64_t seq_len = random_seq_len(rng, c);
    const Reference ref(c, seq_len);
    const ExactFrequencies freqs(c, seq_len);
    const auto dim = static_cast<std::size_t>(c.head_dim);
    for (int h = 0; h < heads; ++h) {
      const std::int64_t m = testing::hard_position(rng, freqs);
      const Dtype dtype = all_dtypes()[static_cast<std::size_t>(h) % all_dtypes().size()];
      const std::vector<double> x = testing::hard_head(rng, freqs, m, dtype);
      std::vector<double> y(dim), hi(dim), lo(dim), bound(static_cast<std::size_t>(ref.pairs()));
      std::vector<double> y_ref(dim), hi_ref(dim), lo_ref(dim);
      const std::size_t mpfr = ref.apply_with_exact(m, x, dtype, y, hi, lo, bound);
      ref.apply(m, x, dtype, y_ref);
      ref.apply_exact(m, x, hi_ref, lo_ref);
      fast_pairs += static_cast<std::uint64_t>(ref.pairs()) - mpfr;
      for (std::size_t j = 0; j < dim; ++j)
        ASSERT_TRUE(same_bits(y[j], y_ref[j]) || (std::isnan(y[j]) && std::isnan(y_ref[j])))
            << describe(c) << " m=" << m << " channel " << j;
      for (int i = 0; i < ref.pairs(); ++i) {
        const auto [a, b] = pair_channels(c.layout, c.rotary_dim, i);
        for (const int ch : {a, b}) {
          const auto j = static_cast<std::size_t>(ch);
          if (!std::isfinite(x[static_cast<std::size_t>(a)]) ||
              !std::isfinite(x[static_cast<std::size_t>(b)])) {
            EXPECT_TRUE(same_bits(hi[j], hi_ref[j]) ||
                        (std::isnan(hi[j]) && std::isnan(hi_ref[j])));
            continue;
          }
          if (!std::isfinite(hi_ref[j])) {  // an exact output beyond the double range
            EXPECT_TRUE(same_bits(hi[j], hi_ref[j])) << describe(c) << " m=" << m;
            continue;
          }
          // Both are double-doubles of the same real number; long double holds hi - hi_ref
          // exactly when they are close (they agree to about 2^-74 relative).
          const long double diff = (static_cast<long double>(hi[j]) - hi_ref[j]) +
                                   (static_cast<long double>(lo[j]) - lo_ref[j]);
          // apply_exact's own error: 2^-100 a (|x_a| + |x_b|), far below `bound`.
          const double allowed = bound[static_cast<std::size_t>(i)] * (1 + 0x1p-20);
          ASSERT_LE(std::fabs(static_cast<double>(diff)), allowed)
              << describe(c) << " m=" << m << " pair " << i << " x=("
              << x[static_cast<std::size_t>(a)] << ", " << x[static_cast<std::size_t>(b)] << ")";
          if (allowed > 0)
            worst_ratio = std::max(worst_ratio, std::fabs(static_cast<double>(diff)) / allowed);
          ++checked;
        }
      }
      for (std::size_t j = static_cast<std::size_t>(c.rotary_dim); j < dim; ++j) {
        EXPECT_TRUE(same_bits(hi[j], x[j]));
        EXPECT_EQ(lo[j], 0.0);
      }
    }
  }
  EXPECT_GT(fast_pairs, checked / 4);  // the fast path did most of the work
  RecordProperty("worst_error_over_bound", std::to_string(worst_ratio));
}

TEST(ExactOutputs, PairByMpfrMatchesApplyExact) {
  std::mt19937_64 rng(7);
  const RopeConfig c = random_config(rng);
  const Reference ref(c, 4096);
  const auto dim = static_cast<std::size_t>(c.head_dim);
  std::vector<double> x(dim), hi(dim), lo(dim);
  for (double& v : x) v = testing::random_value(rng, Dtype::f32, -4, 2) * (rng() % 2 ? 1 : -1);
  const std::int64_t m = 1234567;
  ref.apply_exact(m, x, hi, lo);
  for (int i = 0; i < ref.pairs(); ++i) {
    const auto [a, b] = pair_channels(c.layout, c.rotary_dim, i);
    const ExactPair e =
        ref.exact_pair_mpfr(m, i, x[static_cast<std::size_t>(a)], x[static_cast<std::size_t>(b)]);
    EXPECT_TRUE(same_bits(e.a_hi, hi[static_cast<std::size_t>(a)]));
    EXPECT_TRUE(same_bits(e.a_lo, lo[static_cast<std::size_t>(a)]));
    EXPECT_TRUE(same_bits(e.b_hi, hi[static_cast<std::size_t>(b)]));
    EXPECT_TRUE(same_bits(e.b_lo, lo[static_cast<std::size_t>(b)]));
  }
}

TEST(ExactScores, FastPathEqualsTheMpfrPath) {
  std::mt19937_64 rng(99);
  const int configs = deep_mode() ? 300 : 30, samples = 20;
  std::uint64_t fast = 0, total = 0;
  for (int t = 0; t < configs; ++t) {
    const RopeConfig c = random_config(rng);
    const std::int64_t seq_len = random_seq_len(rng, c);
    const Reference ref(c, seq_len);
    const ExactFrequencies freqs(c, seq_len);
    const auto dim = static_cast<std::size_t>(c.head_dim);
    for (int s = 0; s < samples; ++s) {
      std::vector<double> q(dim), k(dim);
      const Dtype dtype = s % 2 ? Dtype::bf16 : Dtype::f32;
      for (double& v : q) v = testing::random_value(rng, dtype, -8, 3) * (rng() % 2 ? 1 : -1);
      for (double& v : k) v = testing::random_value(rng, dtype, -8, 3) * (rng() % 2 ? 1 : -1);
      const std::int64_t m = testing::hard_position(rng, freqs) / 2;
      const std::int64_t n = s % 3 == 0 ? m : m - static_cast<std::int64_t>(rng() % 100000);
      double got = 0;
      const bool certified = ref.exact_score_fast(q, k, m, n, got);
      const double want = ref.exact_score_mpfr(q, k, m, n);
      total += 1;
      if (!certified) continue;
      fast += 1;
      ASSERT_TRUE(same_bits(got, want))
          << describe(c) << " m=" << m << " n=" << n << " got " << got << " want " << want;
      EXPECT_TRUE(same_bits(ref.exact_score(q, k, m, n), want));
    }
  }
  // Random scores sit far from rounding boundaries: nearly all must be certified.
  EXPECT_GT(fast, total * 9 / 10);
}

}  // namespace
}  // namespace ropecheck::reference
