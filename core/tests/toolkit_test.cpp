// The measurement toolkit: hex floats, ulps and ulp distances, the format codec, SplitMix64.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <stdexcept>

#include "core/format_codec.hpp"
#include "core/hex_float.hpp"
#include "core/splitmix64.hpp"
#include "core/ulp.hpp"

namespace ropecheck {
namespace {

TEST(HexFloat, RoundTripsEveryDrawnDouble) {
  SplitMix64 rng(1);
  for (int k = 0; k < 100000; ++k) {
    const double v = std::bit_cast<double>(rng.next());
    const std::string text = hex_float(v);
    if (std::isnan(v)) {
      EXPECT_EQ(text, "nan");
      continue;
    }
    ASSERT_EQ(std::bit_cast<std::uint64_t>(std::strtod(text.c_str(), nullptr)),
              std::bit_cast<std::uint64_t>(v))
        << text;
  }
  EXPECT_EQ(hex_float(0.1875), "0x1.8p-3");
  EXPECT_EQ(hex_float(-0.0), "-0x0p+0");
  EXPECT_EQ(hex_float(std::numeric_limits<double>::denorm_min()), "0x0.0000000000001p-1022");
  EXPECT_EQ(hex_float(-HUGE_VAL), "-inf");
}

// The smallest positive subnormal of each format.
double min_subnormal(Dtype d) {
  const FormatTraits f = format_traits(d);
  return std::ldexp(1.0, f.emin - f.precision + 1);
}

TEST(Ulp, AcrossZeroAndSignInEveryFormat) {
  for (Dtype d : all_dtypes()) {
    const double tiny = min_subnormal(d);
    const FormatTraits f = format_traits(d);
    EXPECT_EQ(ulp_steps(0.0, -0.0, d), 0u) << dtype_name(d);
    EXPECT_EQ(ulp_steps(-tiny, tiny, d), 2u) << dtype_name(d);
    EXPECT_EQ(ulp_steps(tiny, -tiny, d), 2u) << dtype_name(d);
    EXPECT_EQ(ulp_steps(-0.0, tiny, d), 1u) << dtype_name(d);
    // 1 and its successor; -1 and its predecessor (away from zero).
    const double next = 1 + std::ldexp(1.0, 1 - f.precision);
    EXPECT_EQ(ulp_steps(1.0, next, d), 1u) << dtype_name(d);
    EXPECT_EQ(ulp_steps(-next, -1.0, d), 1u) << dtype_name(d);
    // From -1 to +1: both halves of [0, 1] counted.
    EXPECT_EQ(ulp_steps(-1.0, 1.0, d), 2 * static_cast<std::uint64_t>(format_ordinal(1.0, d)));
    EXPECT_EQ(format_ordinal(-1.0, d), -format_ordinal(1.0, d));
    // The largest finite value and infinity are one step apart.
    EXPECT_EQ(ulp_steps(f.max_finite, HUGE_VAL, d), 1u) << dtype_name(d);
    // The smallest normal is one step above the largest subnormal.
    const double min_normal = std::ldexp(1.0, f.emin);
    EXPECT_EQ(ulp_steps(min_normal - tiny, min_normal, d), 1u) << dtype_name(d);
    // NaN: 0 against NaN, infinite against a number.
    EXPECT_EQ(ulp_steps(NAN, NAN, d), 0u);
    EXPECT_EQ(ulp_steps(NAN, 1.0, d), kInfiniteUlps);
    // format_ulp: the spacing at 1, at the subnormals, and beyond max_finite.
    EXPECT_EQ(format_ulp(1.0, d), std::ldexp(1.0, 1 - f.precision)) << dtype_name(d);
    EXPECT_EQ(format_ulp(-1.5, d), format_ulp(1.5, d));
    EXPECT_EQ(format_ulp(0.0, d), tiny);
    EXPECT_EQ(format_ulp(tiny, d), tiny);
    EXPECT_EQ(format_ulp(HUGE_VAL, d), format_ulp(f.max_finite, d));
    EXPECT_TRUE(std::isnan(format_ulp(NAN, d)));
  }
}

TEST(Ulp, ValuesOutsideTheFormatAreErrors) {
  EXPECT_THROW(ulp_steps(1.0, 1 + 0x1p-30, Dtype::f32), std::invalid_argument);
  EXPECT_THROW(format_ordinal(NAN, Dtype::f64), std::invalid_argument);
  EXPECT_THROW(format_ordinal(0x1p-25, Dtype::f16), std::invalid_argument);
  EXPECT_THROW(format_ordinal(1 + 0x1p-8, Dtype::bf16), std::invalid_argument);
}

TEST(FormatCodec, RoundTripsAndRejectsInexactValues) {
  for (Dtype d : all_dtypes()) {
    for (double v : {0.0, -0.0, 1.0, -1.5, min_subnormal(d), format_traits(d).max_finite,
                     -HUGE_VAL})
      EXPECT_EQ(decode_bits(encode_bits(v, d), d), v) << dtype_name(d) << " " << hex_float(v);
    EXPECT_TRUE(std::isnan(decode_bits(encode_bits(NAN, d), d)));
  }
  EXPECT_EQ(encode_bits(1.0, Dtype::bf16), 0x3F80u);
  EXPECT_EQ(encode_bits(-2.0, Dtype::f16), 0xC000u);
  EXPECT_EQ(encode_bits(0x1p-24, Dtype::f16), 0x0001u);
  // An inexact value is an error naming it, never a silent rounding.
  try {
    encode_bits(0.1, Dtype::f32);
    FAIL() << "0.1 encoded in f32";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("0x1.999999999999ap-4"), std::string::npos) << e.what();
  }
  EXPECT_THROW(encode_bits(1 + 0x1p-9, Dtype::bf16), std::invalid_argument);
  EXPECT_THROW(encode_bits(65520.0, Dtype::f16), std::invalid_argument);
  EXPECT_EQ(format_bits(Dtype::bf16), 16);
}

TEST(SplitMix64, MatchesVignasSequenceAndHashesByKey) {
  // First outputs for seed 0 from Vigna's splitmix64.c.
  SplitMix64 rng(0);
  EXPECT_EQ(rng.next(), 0xE220A8397B1DCDAFULL);
  EXPECT_EQ(rng.next(), 0x6E789E6AA1B965F4ULL);
  EXPECT_EQ(SplitMix64::hash(0), 0xE220A8397B1DCDAFULL);
  EXPECT_NE(SplitMix64::hash(1), SplitMix64::hash(2));
}

}  // namespace
}  // namespace ropecheck
