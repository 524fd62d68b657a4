// The MPFR path against itself: a Ziv step that decides at p bits must decide the same at 2p
// bits, and the balls at p and 2p bits must intersect (their bounds are valid), on random and
// on deliberately hard inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "reference/mpfr_rotation.hpp"
#include "reference/rounding.hpp"
#include "reference/tests/test_support.hpp"

namespace ropecheck::reference {
namespace {

using testing::same_bits;

// |y_p - y_2p| <= r_p + r_2p.
bool balls_intersect(const Mp& y1, const Mp& r1, const Mp& y2, const Mp& r2) {
  Mp d = make_mp(mpfr_get_prec(raw(y2)) + 64), r = make_mp(64);
  mpfr_sub(raw(d), raw(y1), raw(y2), MPFR_RNDN);
  mpfr_abs(raw(d), raw(d), MPFR_RNDN);
  mpfr_add(raw(r), raw(r1), raw(r2), MPFR_RNDU);
  return mpfr_lessequal_p(raw(d), raw(r)) != 0;
}

TEST(MpfrSelfConsistency, PrecisionPAndTwoPAgree) {
  std::mt19937_64 rng(31);
  const int configs = testing::deep_mode() ? 400 : 80;
  std::uniform_real_distribution<double> u(0, 1);
  int decided = 0, undecided = 0;
  for (int n = 0; n < configs; ++n) {
    const RopeConfig c = testing::random_config(rng);
    const ExactFrequencies f(c, testing::random_seq_len(rng, c));
    for (int k = 0; k < 40; ++k) {
      const int pair = static_cast<int>(rng() % static_cast<unsigned>(f.pairs()));
      std::int64_t m = static_cast<std::int64_t>(std::exp2(u(rng) * 53));
      if (m >= (std::int64_t{1} << 53)) m = (std::int64_t{1} << 53) - 1;
      if (m == 0 || f.theta_is_zero(pair)) m = 1;
      if (u(rng) < 0.5) m = -m;
      const Dtype dtype = all_dtypes()[rng() % 4];
      const double xa = testing::random_value(rng, dtype, -30, 30);
      const double xb = testing::random_value(rng, dtype, -30, 30);
      if (xa == 0 && xb == 0) continue;
      if (f.theta_is_zero(pair)) continue;
      for (mpfr_prec_t p : {64, 128, 256}) {
        const PairBall b1 = pair_ball(f, pair, m, xa, xb, p),
                       b2 = pair_ball(f, pair, m, xa, xb, 2 * p);
        ASSERT_TRUE(balls_intersect(b1.ya, b1.ra, b2.ya, b2.ra)) << testing::describe(c);
        ASSERT_TRUE(balls_intersect(b1.yb, b1.rb, b2.yb, b2.rb)) << testing::describe(c);
        const auto r1 = rotate_pair_at(f, pair, m, xa, xb, dtype, p);
        const auto r2 = rotate_pair_at(f, pair, m, xa, xb, dtype, 2 * p);
        if (!r1) {
          ++undecided;
          continue;
        }
        ++decided;
        ASSERT_TRUE(r2.has_value()) << "decided at " << p << " bits but not at " << 2 * p;
        ASSERT_TRUE(same_bits(r1->a, r2->a) && same_bits(r1->b, r2->b))
            << testing::describe(c) << " m=" << m << " pair " << pair << std::hexfloat << " x=("
            << xa << ", " << xb << ")";
      }
    }
  }
  std::printf("self-consistency: %d decided pairs agree at p and 2p, %d undecided at p\n", decided,
              undecided);
  EXPECT_GT(decided, 1000);
}

// Inputs whose exact output lies within ~2^-100 (relative) of a rounding midpoint of the
// format: the Ziv loop's answer must match the rounding of a far more precise ball.
TEST(MpfrSelfConsistency, NearMidpointInputsAgreeWithAFarMorePreciseBall) {
  std::mt19937_64 rng(32);
  RopeConfig c;
  c.head_dim = c.rotary_dim = 8;
  const ExactFrequencies f(c, 1);
  int beyond_start = 0;
  for (int k = 0; k < 300; ++k) {
    const int pair = static_cast<int>(rng() % 4);
    const std::int64_t m = 1 + static_cast<std::int64_t>(rng() % 100000);
    const Dtype dtype = all_dtypes()[rng() % 4];
    // y_a = x_a cos - x_b sin: pick a midpoint M between two neighbours of the format,
    // x_a = RN(M / cos), then x_b = RN((x_a cos - M) / sin) cancels most of the rest.
    const PairBall unit = pair_ball(f, pair, m, 1.0, 0.0, 400);  // (cos, sin)
    const FormatParams fp = format_params(dtype);
    const double v = testing::random_value(rng, dtype, -3, 3);
    if (v == 0) continue;
    Mp mid = make_mp(400), t = make_mp(400);
    mpfr_set_d(raw(mid), v, MPFR_RNDN);
    mpfr_add_d(raw(mid), raw(mid), std::copysign(std::ldexp(1.0, std::ilogb(v) - fp.p), v),
               MPFR_RNDN);
    mpfr_div(raw(t), raw(mid), raw(unit.ya), MPFR_RNDN);
    const double xa = mpfr_get_d(raw(t), MPFR_RNDN);
    mpfr_mul_d(raw(t), raw(unit.ya), xa, MPFR_RNDN);
    mpfr_sub(raw(t), raw(t), raw(mid), MPFR_RNDN);
    mpfr_div(raw(t), raw(t), raw(unit.yb), MPFR_RNDN);
    const double xb = mpfr_get_d(raw(t), MPFR_RNDN);
    const PairOutput got = rotate_pair_mpfr(f, pair, m, xa, xb, dtype);
    if (!rotate_pair_at(f, pair, m, xa, xb, dtype, ziv_start_precision(m))) ++beyond_start;
    const PairBall precise = pair_ball(f, pair, m, xa, xb, 4096);
    EXPECT_TRUE(same_bits(got.a, round_mpfr(raw(precise.ya), dtype)));
    EXPECT_TRUE(same_bits(got.b, round_mpfr(raw(precise.yb), dtype)));
  }
  std::printf("near-midpoint: %d of 300 needed more than the start precision\n", beyond_start);
}

}  // namespace
}  // namespace ropecheck::reference
