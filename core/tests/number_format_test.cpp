// Format parameters and the exact-representability test used to validate inputs.
#include <gtest/gtest.h>

#include <cmath>

#include "core/number_format.hpp"

namespace ropecheck {
namespace {

TEST(NumberFormat, TraitsMatchIeeeAndBfloat16) {
  // IEEE 754-2008 binary16/32/64 and Google's bfloat16 (8-bit exponent, 7 stored bits).
  EXPECT_EQ(format_traits(Dtype::f16).precision, 11);
  EXPECT_EQ(format_traits(Dtype::f16).max_finite, std::ldexp(2.0 - std::ldexp(1.0, -10), 15));
  EXPECT_EQ(format_traits(Dtype::bf16).max_finite, std::ldexp(2.0 - std::ldexp(1.0, -7), 127));
  EXPECT_EQ(format_traits(Dtype::f32).max_finite, std::ldexp(2.0 - std::ldexp(1.0, -23), 127));
  EXPECT_EQ(format_traits(Dtype::bf16).emin, -126);
}

TEST(NumberFormat, Representable) {
  EXPECT_TRUE(representable(0.1, Dtype::f64));
  EXPECT_FALSE(representable(0.1, Dtype::f32));
  EXPECT_TRUE(representable(1.0 + std::ldexp(1.0, -7), Dtype::bf16));
  EXPECT_FALSE(representable(1.0 + std::ldexp(1.0, -8), Dtype::bf16));
  EXPECT_TRUE(representable(std::ldexp(1.0, -24), Dtype::f16));   // smallest f16 subnormal
  EXPECT_FALSE(representable(std::ldexp(1.0, -25), Dtype::f16));
  EXPECT_FALSE(representable(65536.0, Dtype::f16));                // above f16's range
  EXPECT_TRUE(representable(NAN, Dtype::bf16));
}

TEST(NumberFormat, ParseNames) {
  EXPECT_EQ(parse_dtype("bfloat16"), Dtype::bf16);
  EXPECT_EQ(parse_dtype("f16"), Dtype::f16);
  EXPECT_FALSE(parse_dtype("f8").has_value());
}

}  // namespace
}  // namespace ropecheck

namespace ropecheck {
namespace {

TEST(NumberFormat, RoundToOnceFromDouble) {
  // 1 + 2^-8 + 2^-30 is just above the bf16 midpoint 1 + 2^-8: it rounds up. Through f32 it
  // would first land exactly on the midpoint and then tie to even (down): double rounding.
  const double v = 1.0 + std::ldexp(1.0, -8) + std::ldexp(1.0, -30);
  EXPECT_EQ(round_to(v, Dtype::bf16), 1.0 + std::ldexp(1.0, -7));
  EXPECT_EQ(round_to(1.0 + std::ldexp(1.0, -8), Dtype::bf16), 1.0);  // a tie goes to even
  EXPECT_EQ(round_to(std::ldexp(1.0, -25), Dtype::f16), 0.0);         // half the smallest subnormal: tie to 0
  EXPECT_EQ(round_to(std::ldexp(1.5, -25), Dtype::f16), std::ldexp(1.0, -24));
  EXPECT_TRUE(std::isinf(round_to(65520.0, Dtype::f16)));             // f16 overflows at 65520
  EXPECT_EQ(round_to(65519.0, Dtype::f16), 65504.0);
  EXPECT_TRUE(std::signbit(round_to(-std::ldexp(1.0, -30), Dtype::f16)));
  EXPECT_EQ(round_to(0.1, Dtype::f32), static_cast<double>(0.1f));
}

}  // namespace
}  // namespace ropecheck
