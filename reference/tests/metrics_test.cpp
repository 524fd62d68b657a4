// The error metrics on hand-built cases: ulp distance across zero and through the subnormals
// (checked against the formats' bit patterns, whose integer order is the value order), bf16 and
// f16, infinities and NaN, and the other metrics on inputs whose answer is known.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "reference/metrics.hpp"
#include "reference/rounding.hpp"
#include "reference/tests/test_support.hpp"

namespace ropecheck::reference {
namespace {

const double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::numeric_limits<double>::quiet_NaN();

// f16's bit pattern comes from the compiler's _Float16 (GCC on x86-64). A compiler without it
// (clang 14, which ci/sanitize.sh uses) leaves f16 out of the bit-pattern check below; the
// normal build, with GCC, checks it.
#ifdef __FLT16_MANT_DIG__
constexpr bool kHasFloat16 = true;
#else
constexpr bool kHasFloat16 = false;
#endif

// For a non-negative value of F, its bit pattern read as an integer is its ordinal.
std::int64_t bit_pattern(double v, Dtype dtype) {
  switch (dtype) {
    case Dtype::f64:
      return static_cast<std::int64_t>(std::bit_cast<std::uint64_t>(v));
    case Dtype::f32:
      return std::bit_cast<std::uint32_t>(static_cast<float>(v));
    case Dtype::bf16:
      return std::bit_cast<std::uint32_t>(static_cast<float>(v)) >> 16;
    case Dtype::f16:
#ifdef __FLT16_MANT_DIG__
      return std::bit_cast<std::uint16_t>(static_cast<_Float16>(v));
#else
      break;  // not reached: kHasFloat16 is false
#endif
  }
  ADD_FAILURE() << "no bit pattern for " << dtype_name(dtype);
  return 0;
}

TEST(Metrics, OrdinalIsTheBitPatternOrder) {
  std::mt19937_64 rng(51);
  for (Dtype dtype : all_dtypes()) {
    if (dtype == Dtype::f16 && !kHasFloat16) continue;
    const FormatParams f = format_params(dtype);
    for (int i = 0; i < 20000; ++i) {
      const double v = testing::random_value(rng, dtype, f.qmin, f.emax + 1);
      const std::int64_t expected = bit_pattern(std::fabs(v), dtype);
      ASSERT_EQ(format_ordinal(v, dtype), std::signbit(v) ? -expected : expected)
          << dtype_name(dtype) << " " << std::hexfloat << v;
    }
    EXPECT_EQ(format_ordinal(kInf, dtype), bit_pattern(kInf, dtype));
  }
}

TEST(Metrics, UlpDistanceAcrossZeroAndSubnormals) {
  for (Dtype dtype : all_dtypes()) {
    const FormatParams f = format_params(dtype);
    const double tiny = std::ldexp(1.0, f.qmin);
    EXPECT_EQ(ulp_distance(0.0, -0.0, dtype), 0.0);
    EXPECT_EQ(ulp_distance(tiny, -tiny, dtype), 2.0);
    EXPECT_EQ(ulp_distance(-2 * tiny, 3 * tiny, dtype), 5.0);
    EXPECT_EQ(ulp_distance(0.0, std::ldexp(1.0, f.emin), dtype), f.half_pow);  // the subnormals
    EXPECT_EQ(ulp_distance(1.0, 2.0, dtype), f.half_pow);                      // one binade
    EXPECT_EQ(ulp_distance(1.0, 1.0 + std::ldexp(1.0, 1 - f.p), dtype), 1.0);
    EXPECT_EQ(ulp_distance(f.max_finite, kInf, dtype), 1.0);
    EXPECT_EQ(ulp_distance(-kInf, kInf, dtype), 2.0 * (format_ordinal(f.max_finite, dtype) + 1));
    EXPECT_EQ(ulp_distance(kNaN, kNaN, dtype), 0.0);
    EXPECT_EQ(ulp_distance(kNaN, 1.0, dtype), kInf);
  }
  EXPECT_EQ(ulp_distance(0.0, 65504.0, Dtype::f16), 1023 + 30 * 1024);  // every positive f16
  EXPECT_EQ(ulp_distance(1.0, 0x1.02p0, Dtype::bf16), 1.0);
  EXPECT_THROW(ulp_distance(1.0, 0x1.01p0, Dtype::bf16), std::invalid_argument);  // not bf16
}

TEST(Metrics, BitsAndUlps) {
  EXPECT_EQ(bits_of_error(0), 0.0);
  EXPECT_EQ(bits_of_error(1), 1.0);
  EXPECT_EQ(bits_of_error(3), 2.0);
  EXPECT_EQ(format_ulp(1.0, Dtype::f32), 0x1p-23);
  EXPECT_EQ(format_ulp(-1.5, Dtype::bf16), 0x1p-7);
  EXPECT_EQ(format_ulp(0.0, Dtype::f16), 0x1p-24);
  EXPECT_EQ(format_ulp(0x1p-20, Dtype::f16), 0x1p-24);  // subnormal range: fixed quantum
  EXPECT_EQ(format_ulp(65504.0, Dtype::f16), 32.0);
  EXPECT_EQ(format_ulp(kInf, Dtype::f16), 32.0);
  EXPECT_EQ(format_ulp(1.0, Dtype::f64), 0x1p-52);
}

TEST(Metrics, AbsoluteRelativeAndNormErrors) {
  EXPECT_EQ(absolute_error(1.0, 1.0, 0x1p-60), 0x1p-60);  // the exact value's low part counts
  EXPECT_EQ(absolute_error(1.0 + 0x1p-52, 1.0, 0x1p-60), 0x1p-52 - 0x1p-60);
  EXPECT_EQ(relative_error(3.0, 2.0), 0.5);
  EXPECT_EQ(relative_error(0.0, 0.0), 0.0);
  EXPECT_EQ(relative_error(1e-300, 0.0), kInf);
  EXPECT_EQ(absolute_error(kInf, kInf), 0.0);
  EXPECT_EQ(absolute_error(kInf, 1.0), kInf);
  // A component of 2^-20 inside a pair of norm ~1, off by 2^-40: 2^-17 ulps of |v| in f32, while
  // in ulps of the component itself it would be 2^-40 / 2^-43 = 8.
  const double exact_a = 0x1p-20, exact_b = 1.0;
  const double norm = std::hypot(exact_a, exact_b);
  EXPECT_EQ(norm_ulp_error(exact_a + 0x1p-40, exact_a, 0.0, norm, Dtype::f32), 0x1p-17);
}

TEST(Metrics, Nmse) {
  const std::vector<double> exact{1, -2, 3}, same{1, -2, 3}, doubled{2, -4, 6}, zero{0, 0, 0};
  EXPECT_EQ(nmse(same, exact), 0.0);
  EXPECT_EQ(nmse(doubled, exact), 1.0);
  EXPECT_EQ(nmse(zero, zero), 0.0);
  EXPECT_EQ(nmse(exact, zero), kInf);
}

TEST(Metrics, ScoreError) {
  const std::vector<double> q{3, 0, 4, 0}, k{0, 1, 0, 0};  // |q| = 5, |k| = 1
  const std::vector<double> rq{3, 0, 4, 0}, rk{0.5, 1, 0, 0};
  EXPECT_EQ(score_error(rq, rk, 1.5, q, k), 0.0);
  EXPECT_EQ(score_error(rq, rk, 1.0, q, k), 0.1);
  // Compensated: the products' rounding does not show up as error.
  const std::vector<double> a{1 + 0x1p-30, 1}, b{1 - 0x1p-30, -1};
  EXPECT_EQ(score_error(a, b, -0x1p-60, a, b), 0.0);
}

TEST(Metrics, MaxTrackerKeepsTheWorstInputAndReplaysIt) {
  MaxTracker t("ulps");
  EXPECT_TRUE(t.empty());
  const std::vector<double> x1{0.1, -2.5}, x2{0x1.8p+0, 0x1p-1074}, x3{7.0};
  t.add(0.5, 10, x1);
  t.add(3.0, 2147483647, x2, "bf16");
  t.add(1.0, 5, x3);
  EXPECT_EQ(t.max(), 3.0);
  EXPECT_EQ(t.count(), 3u);
  EXPECT_EQ(t.worst_position(), 2147483647);
  EXPECT_EQ(t.worst_input(), x2);
  const std::string line = t.describe();
  EXPECT_NE(line.find("0x1.8p+0"), std::string::npos) << line;
  EXPECT_NE(line.find("0x0.0000000000001p-1022"), std::string::npos) << line;
  EXPECT_NE(line.find("2147483647"), std::string::npos);
  EXPECT_EQ(std::strtod(hex_float(0.1).c_str(), nullptr), 0.1);  // replays exactly

  MaxTracker other("ulps");
  other.add(kNaN, 77, x3);  // a NaN error is never hidden
  t.merge(other);
  EXPECT_TRUE(std::isnan(t.max()));
  EXPECT_EQ(t.worst_position(), 77);
  EXPECT_EQ(t.count(), 4u);
  t.add(1e300, 1, x1);
  EXPECT_TRUE(std::isnan(t.max()));
}

}  // namespace
}  // namespace ropecheck::reference
