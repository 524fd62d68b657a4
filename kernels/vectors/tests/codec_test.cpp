// Exact conversions, correct rounding and ulp distances in every format.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/format_codec.hpp"
#include "core/ulp.hpp"
#include "kernels/vectors/input_draw.hpp"
#include "kernels/vectors/ulp_distance.hpp"

namespace ropecheck::vectors {
namespace {

TEST(DtypeCodec, KnownBitPatterns) {
  EXPECT_EQ(encode_bits(1.0, Dtype::f16), 0x3C00u);
  EXPECT_EQ(encode_bits(-2.0, Dtype::f16), 0xC000u);
  EXPECT_EQ(encode_bits(65504.0, Dtype::f16), 0x7BFFu);
  EXPECT_EQ(encode_bits(std::ldexp(1.0, -24), Dtype::f16), 0x0001u);
  EXPECT_EQ(encode_bits(-0.0, Dtype::f16), 0x8000u);
  EXPECT_EQ(encode_bits(1.0, Dtype::bf16), 0x3F80u);
  EXPECT_EQ(encode_bits(-1.5, Dtype::bf16), 0xBFC0u);
  EXPECT_EQ(encode_bits(1.0, Dtype::f32), 0x3F800000u);
  EXPECT_EQ(encode_bits(1.0, Dtype::f64), 0x3FF0000000000000u);
  EXPECT_EQ(encode_bits(INFINITY, Dtype::f16), 0x7C00u);
  EXPECT_EQ(encode_bits(NAN, Dtype::bf16), 0x7FC0u);
  EXPECT_THROW(encode_bits(1.0 + 0x1p-20, Dtype::f16), std::invalid_argument);
}

TEST(DtypeCodec, EveryF16AndBf16PatternRoundTrips) {
  for (Dtype dtype : {Dtype::f16, Dtype::bf16}) {
    for (std::uint64_t bits = 0; bits < 0x10000; ++bits) {
      const double value = decode_bits(bits, dtype);
      if (std::isnan(value)) continue;
      ASSERT_TRUE(representable(value, dtype)) << bits;
      ASSERT_EQ(encode_bits(value, dtype), bits) << dtype_name(dtype) << " " << bits;
    }
  }
}

TEST(DtypeCodec, SpecialValuesOfEveryFormatRoundTrip) {
  for (Dtype dtype : all_dtypes()) {
    for (double value : special_values(dtype)) {
      ASSERT_TRUE(representable(value, dtype)) << value;
      const double back = decode_bits(encode_bits(value, dtype), dtype);
      EXPECT_EQ(back, value);
      EXPECT_EQ(std::signbit(back), std::signbit(value));
    }
  }
}

TEST(UlpOf, SpacingOfEachFormat) {
  EXPECT_EQ(format_ulp(1.0, Dtype::f32), 0x1p-23);
  EXPECT_EQ(format_ulp(1.5, Dtype::f16), 0x1p-10);
  EXPECT_EQ(format_ulp(0.0, Dtype::f16), 0x1p-24);
  EXPECT_EQ(format_ulp(0x1p-20, Dtype::f16), 0x1p-24);
  EXPECT_EQ(format_ulp(-3.0, Dtype::bf16), 0x1p-6);
}

TEST(UlpDistance, CountsAcrossZeroAndSigns) {
  const double tiny = 0x1p-24;  // least f16 subnormal
  EXPECT_EQ(ulp_distance(0.0, -0.0, Dtype::f16), 0u);
  EXPECT_EQ(ulp_distance(tiny, -tiny, Dtype::f16), 2u);
  EXPECT_EQ(ulp_distance(-tiny, 0.0, Dtype::f16), 1u);
  EXPECT_EQ(ulp_distance(1.0, 1.0 + 0x1p-10, Dtype::f16), 1u);
  EXPECT_EQ(ulp_distance(1.0, 1.0 - 0x1p-11, Dtype::f16), 1u);  // across a binade
  EXPECT_EQ(ulp_distance(65504.0, INFINITY, Dtype::f16), 1u);
  EXPECT_EQ(ulp_distance(NAN, NAN, Dtype::f32), 0u);
  EXPECT_EQ(ulp_distance(NAN, 1.0, Dtype::f32), kInfiniteUlps);
  EXPECT_EQ(ulp_distance(-1.0, 1.0, Dtype::f32), 2u * 0x3F800000u);
  const double max = std::numeric_limits<double>::max();
  EXPECT_EQ(ulp_distance(-max, max, Dtype::f64), 2 * 0x7FEFFFFFFFFFFFFFull);
}

TEST(BitwiseEqual, DistinguishesSignedZerosButNotNaNs) {
  EXPECT_FALSE(bitwise_equal(0.0, -0.0, Dtype::f32));
  EXPECT_TRUE(bitwise_equal(NAN, -NAN, Dtype::bf16));
  EXPECT_TRUE(bitwise_equal(0.5, 0.5, Dtype::f16));
  EXPECT_FALSE(bitwise_equal(0.5, NAN, Dtype::f64));
}

TEST(DrawInputs, DeterministicRoundedAndContainsEverySpecialValue) {
  for (Dtype dtype : all_dtypes()) {
    const auto a = draw_inputs(dtype, 1000, 7);
    const auto b = draw_inputs(dtype, 1000, 7);
    const auto c = draw_inputs(dtype, 1000, 8);
    ASSERT_EQ(a.size(), 1000u);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
    for (double value : a) {
      ASSERT_TRUE(representable(value, dtype)) << value;
      ASSERT_TRUE(std::isfinite(value));
    }
    for (double special : special_values(dtype)) {
      bool found = false;
      for (double value : a)
        found |= value == special && std::signbit(value) == std::signbit(special);
      EXPECT_TRUE(found) << dtype_name(dtype) << " lacks " << special;
    }
  }
}

TEST(SplitMix64, MatchesTheReferenceSequence) {
  // First outputs for seed 0 from Vigna's splitmix64.c.
  SplitMix64 rng(0);
  EXPECT_EQ(rng.next(), 0xE220A8397B1DCDAFull);
  EXPECT_EQ(rng.next(), 0x6E789E6AA1B965F4ull);
}

}  // namespace
}  // namespace ropecheck::vectors
