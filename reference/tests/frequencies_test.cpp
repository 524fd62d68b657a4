// The exact frequencies and attention factors: enclosures that are valid and tight, and the
// defining identities of each scaling variant (spec/properties.md, `scaling_invariants`), checked
// between enclosures so that no float computation is trusted.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/config_error.hpp"
#include "reference/exact_frequencies.hpp"
#include "reference/tests/test_support.hpp"

namespace ropecheck::reference {
namespace {

using testing::random_config;

bool overlap(const Interval& a, const Interval& b) {
  return !(mpfr_less_p(a.hi(), b.lo()) || mpfr_less_p(b.hi(), a.lo()));
}
// Relative width of an enclosure (as a double, for tightness checks).
double rel_width(const Interval& a) {
  const double w = mpfr_get_d(raw(width(a, 64)), MPFR_RNDU);
  const double mid = std::fabs(mpfr_get_d(a.lo(), MPFR_RNDN));
  return mid == 0 ? w : w / mid;
}
Interval scaled(const Interval& a, double divisor) {
  return a / Interval::point(divisor, a.prec());
}
double ulp_diff(double a, double b) {
  return std::fabs(a - b) / std::fabs(std::nextafter(a, 2 * a) - a);
}

RopeConfig with_type(RopeConfig c, RopeType type) {
  c.scaling.type = type;
  return c;
}

TEST(Interval, OperationsContainTheExactResult) {
  std::mt19937_64 rng(21);
  std::uniform_real_distribution<double> u(-4, 4);
  for (int i = 0; i < 2000; ++i) {
    const double a = u(rng), b = u(rng);
    const Interval x = Interval::point(a, 64), y = Interval::point(b, 64);
    const long double exact_mul = static_cast<long double>(a) * b;
    const Interval m = x * y;
    EXPECT_LE(mpfr_get_ld(m.lo(), MPFR_RNDD), exact_mul);
    EXPECT_GE(mpfr_get_ld(m.hi(), MPFR_RNDU), exact_mul);
    if (b != 0) {  // q_lo b and q_hi b bracket a (products exact at 128 bits)
      const Interval q = x / y;
      Mp lo = make_mp(128), hi = make_mp(128);
      mpfr_mul_d(raw(lo), q.lo(), b, MPFR_RNDN);
      mpfr_mul_d(raw(hi), q.hi(), b, MPFR_RNDN);
      if (b < 0) mpfr_swap(raw(lo), raw(hi));
      EXPECT_LE(mpfr_cmp_d(raw(lo), a), 0);
      EXPECT_GE(mpfr_cmp_d(raw(hi), a), 0);
    }
  }
  EXPECT_THROW(Interval::point(1, 64) / (Interval::point(-1, 64) + Interval::point(1, 64)),
               NeedMorePrecision);
  EXPECT_THROW(
      floor_exact(Interval::point(1, 64) / Interval::point(3, 64) * Interval::point(3, 64)),
      NeedMorePrecision);
  EXPECT_NO_THROW(floor_exact(Interval::point(2.5, 64)));
}

TEST(ExactFrequencies, EnclosuresNestAndShrinkWithPrecision) {
  std::mt19937_64 rng(22);
  for (int n = 0; n < 60; ++n) {
    const RopeConfig c = random_config(rng);
    const ExactFrequencies f(c, testing::random_seq_len(rng, c));
    const auto lo = f.at(128), hi = f.at(512);
    for (int i = 0; i < f.pairs(); ++i) {
      ASSERT_TRUE(overlap(lo->theta[i], hi->theta[i])) << testing::describe(c) << " pair " << i;
      if (!f.theta_is_zero(i)) {
        EXPECT_LT(rel_width(lo->theta[i]), 0x1p-110) << testing::describe(c) << " pair " << i;
        EXPECT_LT(rel_width(hi->theta[i]), 0x1p-490) << testing::describe(c) << " pair " << i;
      }
    }
    EXPECT_TRUE(overlap(lo->attention, hi->attention));
    EXPECT_LT(rel_width(hi->attention), 0x1p-490);
  }
}

TEST(ExactFrequencies, DefaultIsBaseToTheMinusTwoIOverD) {
  std::mt19937_64 rng(23);
  for (int n = 0; n < 40; ++n) {
    const RopeConfig c = random_config(rng, RopeType::standard);
    const ExactFrequencies f(c, 1);
    EXPECT_EQ(f.theta_double(0), 1.0);
    for (int i = 1; i < f.pairs(); ++i) {
      const long double approx =
          1.0L / std::pow(static_cast<long double>(c.base), 2.0L * i / c.rotary_dim);
      EXPECT_LE(ulp_diff(f.theta_double(i), static_cast<double>(approx)), 1.0);
      EXPECT_LT(f.theta_double(i), f.theta_double(i - 1));
    }
  }
}

TEST(ExactFrequencies, ScalingVariantIdentities) {
  std::mt19937_64 rng(24);
  for (int n = 0; n < 30; ++n) {
    // linear at theta = default / s; NTK's lowest frequency is exactly default / s.
    RopeConfig c = random_config(rng, RopeType::linear);
    if (c.rotary_dim < 4) c.rotary_dim = 4;
    const auto def = ExactFrequencies(with_type(c, RopeType::standard), 1).at(256);
    const auto lin = ExactFrequencies(c, 1).at(256);
    const auto ntk = ExactFrequencies(with_type(c, RopeType::ntk), 1).at(256);
    const int last = c.rotary_dim / 2 - 1;
    for (int i = 0; i < c.rotary_dim / 2; ++i)
      EXPECT_TRUE(overlap(lin->theta[i], scaled(def->theta[i], c.scaling.factor)));
    EXPECT_TRUE(overlap(ntk->theta[last], scaled(def->theta[last], c.scaling.factor)));
    EXPECT_TRUE(overlap(ntk->theta[0], def->theta[0]));
  }
}

TEST(ExactFrequencies, Llama3KeepsShortWavelengthsAndDividesLongOnes) {
  std::mt19937_64 rng(25);
  for (int n = 0; n < 30; ++n) {
    const RopeConfig c = random_config(rng, RopeType::llama3);
    const auto def = ExactFrequencies(with_type(c, RopeType::standard), 1).at(256);
    const auto l3 = ExactFrequencies(c, 1).at(256);
    const double l0 = static_cast<double>(c.original_context());
    for (int i = 0; i < c.rotary_dim / 2; ++i) {
      const double wavelen = 2 * M_PI / mpfr_get_d(def->theta[i].lo(), MPFR_RNDN);
      const double s = c.scaling.factor;
      if (wavelen < l0 / c.scaling.high_freq_factor * (1 - 1e-9)) {
        EXPECT_TRUE(overlap(l3->theta[i], def->theta[i])) << "pair " << i;
      } else if (wavelen > l0 / c.scaling.low_freq_factor * (1 + 1e-9)) {
        EXPECT_TRUE(overlap(l3->theta[i], scaled(def->theta[i], s))) << "pair " << i;
      } else {  // the smooth band lies between the two
        EXPECT_LE(mpfr_cmp(scaled(def->theta[i], s).lo(), l3->theta[i].hi()), 0);
        EXPECT_LE(mpfr_cmp(l3->theta[i].lo(), def->theta[i].hi()), 0);
      }
    }
  }
}

TEST(ExactFrequencies, Llama3WithEqualFactorsHasNoMediumBand) {
  // Llama 4 Scout: low_freq_factor == high_freq_factor == 1, factor 16, L0 = 8192. Every pair is
  // either kept (wavelength below L0) or divided by 16 (above): no blend.
  RopeConfig c;
  c.head_dim = c.rotary_dim = 128;
  c.base = 500000.0;
  c.max_position_embeddings = 10485760;
  c.scaling.type = RopeType::llama3;
  c.scaling.factor = 16.0;
  c.scaling.low_freq_factor = c.scaling.high_freq_factor = 1.0;
  c.scaling.original_max_position_embeddings = 8192;
  const auto def = ExactFrequencies(with_type(c, RopeType::standard), 1).at(256);
  const auto l3 = ExactFrequencies(c, 1).at(256);
  int kept = 0, divided = 0;
  for (int i = 0; i < c.rotary_dim / 2; ++i) {
    const double wavelen = 2 * M_PI / mpfr_get_d(def->theta[i].lo(), MPFR_RNDN);
    if (wavelen < 8192) {
      EXPECT_TRUE(overlap(l3->theta[i], def->theta[i])) << "pair " << i;
      ++kept;
    } else {
      EXPECT_TRUE(overlap(l3->theta[i], scaled(def->theta[i], 16.0))) << "pair " << i;
      ++divided;
    }
  }
  EXPECT_GT(kept, 0);
  EXPECT_GT(divided, 0);
}

TEST(ExactFrequencies, YarnLiesBetweenInterpolationAndExtrapolation) {
  std::mt19937_64 rng(26);
  for (int n = 0; n < 60; ++n) {
    const RopeConfig c = random_config(rng, RopeType::yarn);
    const auto def = ExactFrequencies(with_type(c, RopeType::standard), 1).at(256);
    const auto yarn = ExactFrequencies(c, 1).at(256);
    for (int i = 0; i < c.rotary_dim / 2; ++i) {
      EXPECT_LE(mpfr_cmp(scaled(def->theta[i], c.scaling.factor).lo(), yarn->theta[i].hi()), 0);
      EXPECT_LE(mpfr_cmp(yarn->theta[i].lo(), def->theta[i].hi()), 0);
    }
    // The highest frequency is never interpolated, the lowest always is (beta_fast = 32 with
    // d up to 128 keeps pair 0 below the ramp) unless the ramp was clamped away.
    EXPECT_TRUE(overlap(yarn->theta[0], def->theta[0]));
  }
}

TEST(ExactFrequencies, LongRopeSwitchesListsAfterTheOriginalContext) {
  std::mt19937_64 rng(27);
  const RopeConfig c = random_config(rng, RopeType::longrope);
  const std::int64_t l0 = c.original_context();
  const auto def = ExactFrequencies(with_type(c, RopeType::standard), 1).at(256);
  const auto at_l0 = ExactFrequencies(c, l0).at(256);
  const auto past_l0 = ExactFrequencies(c, l0 + 1).at(256);
  for (int i = 0; i < c.rotary_dim / 2; ++i) {
    EXPECT_TRUE(overlap(at_l0->theta[i], scaled(def->theta[i], c.scaling.short_factor[i])));
    EXPECT_TRUE(overlap(past_l0->theta[i], scaled(def->theta[i], c.scaling.long_factor[i])));
  }
}

TEST(ExactFrequencies, DynamicNtkGrowsTheBaseOnlyPastTheContext) {
  std::mt19937_64 rng(28);
  RopeConfig c = random_config(rng, RopeType::dynamic);
  c.scaling.factor = 4.0;
  const std::int64_t lm = *c.max_position_embeddings;
  const auto def = ExactFrequencies(with_type(c, RopeType::standard), 1).at(256);
  const auto short_seq = ExactFrequencies(c, lm).at(256);
  const auto long_seq = ExactFrequencies(c, 4 * lm).at(256);
  for (int i = 0; i < c.rotary_dim / 2; ++i) {
    EXPECT_TRUE(overlap(short_seq->theta[i], def->theta[i]));
    if (i > 0) {
      EXPECT_LT(mpfr_cmp(long_seq->theta[i].hi(), def->theta[i].lo()), 0);
    }
  }
}

// The enclosures are shared (one computation) exactly where they are equal: across sequence
// lengths the variant ignores and across channel layouts, never across lengths it reads.
TEST(ExactFrequencies, SharesEnclosuresOnlyWhereTheFrequenciesAreEqual) {
  std::mt19937_64 rng(31);
  const auto same = [](const RopeConfig& a, std::int64_t la, const RopeConfig& b, std::int64_t lb) {
    return ExactFrequencies(a, la).at(192) == ExactFrequencies(b, lb).at(192);
  };
  RopeConfig c = random_config(rng, RopeType::yarn);
  RopeConfig interleaved = c;
  interleaved.layout = c.layout == Layout::half ? Layout::interleaved : Layout::half;
  EXPECT_TRUE(same(c, 7, c, 1 << 30));
  EXPECT_TRUE(same(c, 7, interleaved, 9));
  RopeConfig dynamic = random_config(rng, RopeType::dynamic);
  const std::int64_t lm = *dynamic.max_position_embeddings;
  EXPECT_TRUE(same(dynamic, 1, dynamic, lm));  // L = max(seq_len, Lm) = Lm for both
  EXPECT_FALSE(same(dynamic, lm + 1, dynamic, lm));
  EXPECT_FALSE(same(dynamic, 2 * lm, dynamic, lm + 1));
  const RopeConfig longrope = random_config(rng, RopeType::longrope);
  const std::int64_t l0 = longrope.original_context();
  EXPECT_TRUE(same(longrope, 1, longrope, l0));
  EXPECT_TRUE(same(longrope, l0 + 1, longrope, 100 * l0));
  EXPECT_FALSE(same(longrope, l0, longrope, l0 + 1));
}

TEST(ExactFrequencies, ProportionalRotatesTheFirstFloorOfPDOverTwoPairs) {
  RopeConfig c;
  c.head_dim = c.rotary_dim = 256;
  c.scaling.type = RopeType::proportional;
  for (double p : {0.25, 0.5, 1.0, 0.3}) {
    c.scaling.rotated_fraction = p;
    const ExactFrequencies f(c, 1);
    const int k = static_cast<int>(std::floor(p * 256 / 2));
    for (int i = 0; i < f.pairs(); ++i) EXPECT_EQ(f.theta_is_zero(i), i >= k) << p << " " << i;
    EXPECT_EQ(f.theta_double(f.pairs() - 1) == 0.0, k < f.pairs());
  }
}

TEST(ExactFrequencies, AttentionFactors) {
  RopeConfig c;
  c.head_dim = c.rotary_dim = 64;
  c.max_position_embeddings = 131072;
  c.scaling.type = RopeType::yarn;
  c.scaling.original_max_position_embeddings = 4096;
  c.scaling.factor = 32.0;
  {
    const ExactFrequencies f(c, 1);  // 0.1 ln s + 1
    EXPECT_FALSE(f.exact_attention().has_value());
    EXPECT_LE(ulp_diff(f.attention_double(), static_cast<double>(0.1L * std::log(32.0L) + 1.0L)),
              1.0);
  }
  c.scaling.mscale = 0.707;
  c.scaling.mscale_all_dim = 0.707;
  EXPECT_EQ(ExactFrequencies(c, 1).attention_double(), 1.0);  // DeepSeek's ratio of equals
  EXPECT_TRUE(ExactFrequencies(c, 1).exact_attention().has_value());

  c.scaling = RopeScaling{};
  c.scaling.type = RopeType::longrope;
  c.scaling.short_factor.assign(32, 1.0);
  c.scaling.long_factor.assign(32, 2.0);
  c.scaling.original_max_position_embeddings = 16;
  c.max_position_embeddings = 512;  // S = 32 = 16^(5/4): a = sqrt(9/4) = 3/2 exactly
  {
    const ExactFrequencies f(c, 1);
    ASSERT_TRUE(f.exact_attention().has_value());
    EXPECT_EQ(f.exact_attention()->num / static_cast<double>(f.exact_attention()->den), 1.5);
    EXPECT_EQ(f.attention_double(), 1.5);
  }
  c.scaling.original_max_position_embeddings = 4096;
  c.max_position_embeddings = 16384;  // S = 4 = 4096^(1/6): a = sqrt(7/6), irrational
  {
    const ExactFrequencies f(c, 1);
    EXPECT_FALSE(f.exact_attention().has_value());
    EXPECT_LE(ulp_diff(f.attention_double(),
                       static_cast<double>(std::sqrt(1.0L + std::log(4.0L) / std::log(4096.0L)))),
              1.0);
  }
  c.scaling.factor = 8.0;  // given: S = 8 = 2^3 with L0 = 2: a = sqrt(4) = 2
  c.scaling.factor_given = true;
  c.scaling.original_max_position_embeddings = 2;
  EXPECT_EQ(ExactFrequencies(c, 1).attention_double(), 2.0);
  EXPECT_TRUE(ExactFrequencies(c, 1).exact_attention().has_value());
}

TEST(ExactFrequencies, YarnZeroWidthRampGuard) {
  RopeConfig c;
  c.head_dim = c.rotary_dim = 64;
  c.base = 10000;
  c.max_position_embeddings = 32768;
  c.scaling.type = RopeType::yarn;
  c.scaling.factor = 4;
  c.scaling.original_max_position_embeddings = 4096;
  c.scaling.beta_fast = c.scaling.beta_slow = 8.0;
  for (bool truncate : {false, true}) {
    c.scaling.truncate = truncate;
    const ExactFrequencies f(c, 1);
    for (int i = 0; i < f.pairs(); ++i) EXPECT_TRUE(std::isfinite(f.theta_double(i)));
  }
}

TEST(ExactFrequencies, RejectsInvalidConfigs) {
  RopeConfig c;
  c.head_dim = 8;
  c.rotary_dim = 7;
  EXPECT_THROW(ExactFrequencies(c, 1), ConfigError);
}

}  // namespace
}  // namespace ropecheck::reference
