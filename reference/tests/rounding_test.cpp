// Correct rounding into f64/f32/bf16/f16: checked against the hardware's double -> float
// conversion, GCC's _Float16 conversion (MPFR's binary16 emulation under a compiler without
// _Float16), and against each other (double vs MPFR input), plus hand-built ties, subnormals, the
// overflow threshold and signed zeros.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "reference/rounding.hpp"
#include "reference/tests/test_support.hpp"

namespace ropecheck::reference {
namespace {

using testing::same_bits;

// Doubles across the whole range, with a bias to the interesting places of small formats.
double random_double(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> kind(0, 3);
  std::uniform_int_distribution<std::uint64_t> bits;
  switch (kind(rng)) {
    case 0: {  // any finite double
      double v;
      do v = std::bit_cast<double>(bits(rng));
      while (!std::isfinite(v));
      return v;
    }
    case 1:  // near 1, 2^15, 2^127 and the subnormal ranges of the small formats
      return std::ldexp(std::uniform_real_distribution<double>(-2, 2)(rng),
                        std::uniform_int_distribution<int>(-160, 140)(rng));
    case 2: {  // an exact midpoint of f16/bf16/f32 neighbours (ties), or one ulp of double off
      const int p = std::uniform_int_distribution<int>(0, 2)(rng) == 0 ? 8 : 11;
      const int e = std::uniform_int_distribution<int>(-150, 10)(rng);
      const int significand = std::uniform_int_distribution<int>(1 << (p - 1), (1 << p) - 1)(rng);
      const double tie = std::ldexp(double(significand), e) + std::ldexp(1.0, e - 1);
      return std::uniform_int_distribution<int>(0, 2)(rng) == 0 ? tie : std::nextafter(tie, 0.0);
    }
    default:
      return std::ldexp(std::uniform_real_distribution<double>(-1, 1)(rng),
                        std::uniform_int_distribution<int>(-1080, 1025)(rng));
  }
}

TEST(Rounding, F32MatchesHardwareConversion) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 400000; ++i) {
    const double v = random_double(rng);
    const double expected = static_cast<double>(static_cast<float>(v));  // IEEE RNE, subnormals
    ASSERT_TRUE(same_bits(round_double(v, Dtype::f32), expected)) << std::hexfloat << v;
  }
}

// The f16 value nearest v (ties to even) from an oracle outside the code under test: the
// compiler's _Float16 conversion (GCC: libgcc, RNE). Clang 14 on x86-64 has no _Float16 (the
// sanitized build, ci/sanitize.sh, uses it); there the oracle is MPFR's emulation of binary16 as
// its manual gives it: 11 bits in binary16's exponent range (MPFR's exponents are one above
// IEEE's: 2^-24 = 0.5 * 2^-23 and 65504 < 2^16), subnormals by mpfr_subnormalize. round_mpfr
// picks its precision from the exponent instead, so the two share no rounding code.
#ifdef __FLT16_MANT_DIG__
double nearest_f16(double v) {
  return static_cast<double>(static_cast<_Float16>(v));
}
#else
double nearest_f16(double v) {
  thread_local Mp m = make_mp(11);
  const mpfr_exp_t emin = mpfr_get_emin(), emax = mpfr_get_emax();
  mpfr_set_emin(-23);
  mpfr_set_emax(16);
  const int ternary = mpfr_set_d(raw(m), v, MPFR_RNDN);
  mpfr_subnormalize(raw(m), ternary, MPFR_RNDN);
  const double out = mpfr_get_d(raw(m), MPFR_RNDN);  // exact: m fits in a double
  mpfr_set_emin(emin);
  mpfr_set_emax(emax);
  return out;
}
#endif

TEST(Rounding, F16MatchesFloat16Conversion) {
  std::mt19937_64 rng(12);
  for (int i = 0; i < 400000; ++i) {
    const double v = random_double(rng);
    const double expected = nearest_f16(v);
    ASSERT_TRUE(same_bits(round_double(v, Dtype::f16), expected)) << std::hexfloat << v;
  }
}

TEST(Rounding, DoubleAndMpfrInputsAgreeInEveryFormat) {
  std::mt19937_64 rng(13);
  Mp m = make_mp(53);
  for (Dtype dtype : all_dtypes())
    for (int i = 0; i < 100000; ++i) {
      const double v = random_double(rng);
      mpfr_set_d(raw(m), v, MPFR_RNDN);
      ASSERT_TRUE(same_bits(round_mpfr(raw(m), dtype), round_double(v, dtype)))
          << dtype_name(dtype) << " " << std::hexfloat << v;
    }
}

// The value (1 + k 2^-(p-1)) 2^e of format F and its neighbour's midpoint, from the traits.
TEST(Rounding, TiesGoToEvenAndStickyBitsBreakThem) {
  Mp m = make_mp(200);
  for (Dtype dtype : all_dtypes()) {
    const FormatParams f = format_params(dtype);
    const double ulp1 = std::ldexp(1.0, 1 - f.p);  // ulp of 1
    // 1 + ulp/2 is a tie between 1 (even) and 1 + ulp (odd): goes to 1.
    mpfr_set_d(raw(m), 1.0, MPFR_RNDN);
    mpfr_add_d(raw(m), raw(m), ulp1 / 2, MPFR_RNDN);
    EXPECT_EQ(round_mpfr(raw(m), dtype), 1.0) << dtype_name(dtype);
    // 1 + 3 ulp/2 is a tie between 1 + ulp (odd) and 1 + 2 ulp (even): goes up.
    mpfr_set_d(raw(m), 1.0, MPFR_RNDN);
    mpfr_add_d(raw(m), raw(m), 3 * ulp1 / 2, MPFR_RNDN);
    EXPECT_EQ(round_mpfr(raw(m), dtype), 1.0 + 2 * ulp1) << dtype_name(dtype);
    // A sticky bit far below (2^-150 relative) breaks the first tie upwards.
    mpfr_set_d(raw(m), 1.0, MPFR_RNDN);
    mpfr_add_d(raw(m), raw(m), ulp1 / 2, MPFR_RNDN);
    mpfr_add_d(raw(m), raw(m), 0x1p-150, MPFR_RNDN);
    EXPECT_EQ(round_mpfr(raw(m), dtype), 1.0 + ulp1) << dtype_name(dtype);
    // ... and a negative one keeps it down, with the sign mirrored.
    mpfr_set_d(raw(m), -1.0, MPFR_RNDN);
    mpfr_sub_d(raw(m), raw(m), 3 * ulp1 / 2, MPFR_RNDN);
    mpfr_add_d(raw(m), raw(m), 0x1p-150, MPFR_RNDN);
    EXPECT_EQ(round_mpfr(raw(m), dtype), -1.0 - ulp1) << dtype_name(dtype);
  }
}

TEST(Rounding, SubnormalsAndUnderflowToSignedZero) {
  Mp m = make_mp(200), tiny = make_mp(200);
  for (Dtype dtype : all_dtypes()) {
    const FormatParams f = format_params(dtype);
    mpfr_set_ui_2exp(raw(tiny), 1, f.qmin, MPFR_RNDN);  // the smallest subnormal
    const double t = mpfr_get_d(raw(tiny), MPFR_RNDN);
    // Exactly half the smallest subnormal ties to 0 (even); a hair above goes to it.
    mpfr_div_2ui(raw(m), raw(tiny), 1, MPFR_RNDN);
    EXPECT_TRUE(same_bits(round_mpfr(raw(m), dtype), 0.0)) << dtype_name(dtype);
    mpfr_neg(raw(m), raw(m), MPFR_RNDN);
    EXPECT_TRUE(same_bits(round_mpfr(raw(m), dtype), -0.0)) << dtype_name(dtype);
    mpfr_nextbelow(raw(m));  // a hair larger in magnitude
    EXPECT_EQ(round_mpfr(raw(m), dtype), -t) << dtype_name(dtype);
    // 3/2 of it ties to 2 of it (even); far below rounds to a zero of the same sign.
    mpfr_mul_ui(raw(m), raw(tiny), 3, MPFR_RNDN);
    mpfr_div_2ui(raw(m), raw(m), 1, MPFR_RNDN);
    EXPECT_EQ(round_mpfr(raw(m), dtype), 2 * t) << dtype_name(dtype);
    mpfr_neg(raw(m), raw(tiny), MPFR_RNDN);
    mpfr_mul_2si(raw(m), raw(m), -500, MPFR_RNDN);
    EXPECT_TRUE(same_bits(round_mpfr(raw(m), dtype), -0.0)) << dtype_name(dtype);
    // The largest subnormal plus half a quantum (a tie) rounds to the smallest normal (even).
    mpfr_set_ui_2exp(raw(m), 1, f.emin, MPFR_RNDN);
    mpfr_sub(raw(m), raw(m), raw(tiny), MPFR_RNDN);
    mpfr_div_2ui(raw(tiny), raw(tiny), 1, MPFR_RNDN);
    mpfr_add(raw(m), raw(m), raw(tiny), MPFR_RNDN);
    EXPECT_EQ(round_mpfr(raw(m), dtype), std::ldexp(1.0, f.emin)) << dtype_name(dtype);
    EXPECT_TRUE(same_bits(round_double(-0.0, dtype), -0.0));
  }
}

TEST(Rounding, OverflowThresholdIsMaxPlusHalfUlp) {
  Mp m = make_mp(200);
  const double inf = std::numeric_limits<double>::infinity();
  for (Dtype dtype : all_dtypes()) {
    const FormatParams f = format_params(dtype);
    const double half_ulp = std::ldexp(1.0, f.emax - f.p);
    mpfr_set_d(raw(m), f.max_finite, MPFR_RNDN);
    mpfr_add_d(raw(m), raw(m), half_ulp, MPFR_RNDN);
    EXPECT_EQ(round_mpfr(raw(m), dtype), inf) << dtype_name(dtype);  // the tie goes up: inf
    mpfr_neg(raw(m), raw(m), MPFR_RNDN);
    EXPECT_EQ(round_mpfr(raw(m), dtype), -inf) << dtype_name(dtype);
    mpfr_set_d(raw(m), f.max_finite, MPFR_RNDN);
    mpfr_add_d(raw(m), raw(m), half_ulp, MPFR_RNDN);
    mpfr_nextbelow(raw(m));  // just below the threshold
    EXPECT_EQ(round_mpfr(raw(m), dtype), f.max_finite) << dtype_name(dtype);
    mpfr_set_d(raw(m), 1.0, MPFR_RNDN);
    mpfr_mul_2si(raw(m), raw(m), 5000, MPFR_RNDN);
    EXPECT_EQ(round_mpfr(raw(m), dtype), inf) << dtype_name(dtype);
    if (dtype != Dtype::f64) {
      EXPECT_EQ(round_double(f.max_finite + half_ulp, dtype), inf) << dtype_name(dtype);
      EXPECT_EQ(round_double(std::nextafter(f.max_finite + half_ulp, 0.0), dtype), f.max_finite);
    }
  }
}

TEST(Rounding, NonFiniteValues) {
  for (Dtype dtype : all_dtypes()) {
    EXPECT_TRUE(std::isnan(round_double(std::numeric_limits<double>::quiet_NaN(), dtype)));
    EXPECT_EQ(round_double(-std::numeric_limits<double>::infinity(), dtype),
              -std::numeric_limits<double>::infinity());
    EXPECT_TRUE(is_representable(std::numeric_limits<double>::infinity(), dtype));
  }
  EXPECT_TRUE(is_representable(0x1.fep-1, Dtype::bf16));
  EXPECT_FALSE(is_representable(0x1.ffp-1, Dtype::bf16));
  EXPECT_TRUE(is_representable(0x1p-24, Dtype::f16));  // smallest f16 subnormal
  EXPECT_FALSE(is_representable(0x1p-25, Dtype::f16));
}

}  // namespace
}  // namespace ropecheck::reference
