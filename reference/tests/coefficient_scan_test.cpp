// The exhaustive audit's incremental coefficients (reference/coefficient_scan.hpp) against the
// certified fast path's double-double ones: within the scan's error bound at every step, across
// resynchronisations, from hard starting positions, for random configurations of every variant.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include "reference/coefficient_scan.hpp"
#include "reference/exact_frequencies.hpp"
#include "reference/fast_path.hpp"
#include "reference/tests/hard_inputs.hpp"
#include "reference/tests/test_support.hpp"

namespace ropecheck::reference {
namespace {

TEST(CoefficientScan, WithinItsBoundAcrossResynchronisations) {
  std::mt19937_64 rng(2024);
  const int configs = testing::deep_mode() ? 200 : 24;
  double worst = 0;
  long checked = 0;
  int usable = 0;
  for (int n = 0; n < configs; ++n) {
    const RopeConfig c = testing::random_config(rng);
    const ExactFrequencies f(c, testing::random_seq_len(rng, c));
    const FastPathData data = build_fast_path(f);
    if (!CoefficientScan::usable(data)) continue;
    ++usable;
    CoefficientScan scan(data);
    // Start at a hard position (or 0) and run past two resynchronisations.
    const std::int64_t limit = (std::int64_t{1} << 53) - 4 * CoefficientScan::kResync;
    const std::int64_t start =
        n % 4 == 0 ? 0
                   : std::clamp<std::int64_t>(std::llabs(testing::hard_position(rng, f)), 0, limit);
    scan.start(start);
    std::vector<double> cs(static_cast<std::size_t>(scan.pairs())), ss(cs.size());
    for (int step = 0; step < 2 * CoefficientScan::kResync + 40; ++step) {
      scan.next(cs.data(), ss.data());
      const std::int64_t m = start + step;
      // Every step near a resynchronisation and near the end, every 13th elsewhere.
      const int phase = step % CoefficientScan::kResync;
      if (!(phase < 4 || phase > CoefficientScan::kResync - 4 || step % 13 == 0)) continue;
      for (int i = 0; i < scan.pairs(); ++i) {
        const FastPairTrace t = fast_trace(data, i, m, 1.0, 0.0, FastVariant::generic);
        const double s = std::ldexp(1.0, t.sigma), dd_bound = t.bound * s;
        const double ec = std::fabs((cs[static_cast<std::size_t>(i)] - t.za_hi * s) - t.za_lo * s);
        const double es = std::fabs((ss[static_cast<std::size_t>(i)] - t.zb_hi * s) - t.zb_lo * s);
        const double err = std::max(ec, es) + dd_bound;
        ASSERT_LE(err, scan.error_bound()) << testing::describe(c) << " m=" << m << " pair " << i;
        worst = std::max(worst, err / scan.error_bound());
        ++checked;
      }
    }
  }
  EXPECT_GT(usable, configs / 3);
  std::printf("coefficient scan: %ld pairs checked, worst error / bound = %.3g\n", checked, worst);
}

TEST(CoefficientScan, RejectsWhatItCannotServe) {
  RopeConfig c;
  c.head_dim = 8;
  c.rotary_dim = 8;
  const FastPathData data = build_fast_path(ExactFrequencies(c, 1));
  CoefficientScan scan(data);
  EXPECT_THROW(scan.start(-1), std::out_of_range);
  EXPECT_THROW(scan.start(std::int64_t{1} << 53), std::out_of_range);
  FastPathData still = data;
  still.kind[1] = PairKind::zero_theta;
  EXPECT_FALSE(CoefficientScan::usable(still));
  EXPECT_THROW(CoefficientScan{still}, std::invalid_argument);
}

}  // namespace
}  // namespace ropecheck::reference
