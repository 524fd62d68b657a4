// The registry and the behaviour each named pipeline is meant to model.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <random>
#include <set>

#include "core/config_error.hpp"
#include "core/presets.hpp"
#include "impl/frequencies.hpp"
#include "impl/implementation.hpp"
#include "impl/tests/random_configs.hpp"

namespace ropecheck {
namespace {

TEST(Registry, ThreeFormsAndElevenPipelines) {
  std::set<std::string> names, forms, pipelines;
  for (const Implementation& impl : all_implementations()) {
    EXPECT_TRUE(names.insert(impl.name()).second) << "duplicate " << impl.name();
    forms.insert(std::string(form_name(impl.form)));
    pipelines.insert(std::string(impl.pipeline->name));
  }
  EXPECT_EQ(forms, (std::set<std::string>{"matrix", "complex", "elementwise"}));
  for (const char* name : {"f64", "f32", "f32-exact-angle", "bf16-hf", "bf16-cache", "bf16-invfreq",
                           "f16-positions", "ggml-f32", "fastmath-f32", "tf32-angle", "f32-fma"})
    EXPECT_TRUE(pipelines.contains(name)) << name;
  for (const char* name : {"elementwise:f64", "complex:f64", "matrix:f64", "elementwise:f32",
                           "complex:f32", "matrix:f32"})
    EXPECT_TRUE(names.contains(name)) << name;
  // bf16 arithmetic has no std::complex, so the complex form does not run that pipeline.
  EXPECT_FALSE(names.contains("complex:bf16-hf"));
  // Fused multiply-adds are written for the elementwise form only.
  EXPECT_TRUE(names.contains("elementwise:f32-fma"));
  EXPECT_FALSE(names.contains("matrix:f32-fma"));
  EXPECT_THROW(find_implementation("elementwise:f128"), ConfigError);
}

TEST(Registry, EveryDescriptionIsValidAndNamedOnce) {
  std::set<std::string> names;
  for (const PipelineDescription& p : all_pipelines()) {
    EXPECT_NO_THROW(validate_pipeline(p)) << p.name;
    EXPECT_TRUE(names.insert(std::string(p.name)).second) << "duplicate " << p.name;
    EXPECT_EQ(&find_pipeline(p.name), &p);
    // No registered pipeline evaluates cos/sin in a way that has no error bound.
    EXPECT_NE(p.trig, TrigMethod::unreduced_polynomial) << p.name;
  }
}

TEST(Registry, UnknownPipelineNamesTheAcceptedOnes) {
  try {
    find_pipeline("f128");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key(), "pipeline");
    for (const PipelineDescription& p : all_pipelines())
      EXPECT_NE(std::string(e.what()).find(std::string(p.name)), std::string::npos) << p.name;
  }
}

TEST(Registry, InvalidStageCombinationsAreRejected) {
  PipelineDescription p = find_pipeline("f32");
  p.trig_type = Precision::bf16;  // cos/sin are not evaluated in bf16
  EXPECT_THROW(validate_pipeline(p), std::logic_error);
  p = find_pipeline("f64");
  p.theta_held = Precision::bf16;  // only an f32 theta is held narrower
  EXPECT_THROW(validate_pipeline(p), std::logic_error);
  p = find_pipeline("bf16-hf");
  p.contraction = Contraction::fma;
  EXPECT_THROW(validate_pipeline(p), std::logic_error);
}

// A long double evaluation of exact RoPE for one pair; its own error is about 2^-64 |m| theta,
// negligible against the double pipeline's bound below.
struct LongDoubleRope {
  std::vector<long double> theta;
  long double attention;
  LongDoubleRope(const RopeConfig& c, std::int64_t seq_len) {
    auto f = compute_frequencies<long double>(c, seq_len);
    theta = f.theta;
    attention = f.attention_factor;
  }
};

// The f64 pipeline's error relative to the pair norm: theta carries at most (ln(base) + 8) u
// relative error (the exponent 2i/d is rounded once, which pow magnifies by ln(base); pow,
// division and the variant's few operations add a handful of u), the angle product adds u, so
// the angle is off by at most (ln(base) + 9) u |m| theta; cos/sin add u each, the attention
// product u, the rotation gamma_2 per component: in all ((ln(base) + 9)|m| theta_max + 8) u a.
TEST(Pipelines, F64WithinDerivedBoundOfLongDouble) {
  std::mt19937_64 rng(testing::kUnitTestSeed + 3);
  for (RopeType type : testing::all_rope_types()) {
    for (int trial = 0; trial < 8; ++trial) {
      const RopeConfig config = testing::random_config(rng, type);
      const std::int64_t seq_len = 1 << 20;
      const LongDoubleRope exact(config, seq_len);
      long double theta_max = 0;
      for (long double t : exact.theta) theta_max = std::max(theta_max, t);
      for (Form form : {Form::elementwise, Form::complex, Form::matrix}) {
        auto prepared = Implementation{form, &all_pipelines()[0]}.prepare(config, seq_len);
        for (int k = 0; k < 6; ++k) {
          const std::int64_t m = testing::random_position(rng, 20);
          const auto x = testing::random_head(rng, config.head_dim, Dtype::f64);
          std::vector<double> y(x.size());
          prepared->apply(m, x, y);
          const double bound = ((std::log(config.base) + 9) * static_cast<double>(m) *
                                    static_cast<double>(theta_max) +
                                8) *
                               0x1p-53 * static_cast<double>(exact.attention);
          for (int i = 0; i < config.pairs(); ++i) {
            const auto [a, b] = pair_channels(config.layout, config.rotary_dim, i);
            const long double phi = static_cast<long double>(m) * exact.theta[i];
            const long double c = std::cos(phi) * exact.attention,
                              s = std::sin(phi) * exact.attention;
            const long double ya = x[a] * c - x[b] * s, yb = x[a] * s + x[b] * c;
            const double norm = std::hypot(x[a], x[b]);
            ASSERT_LE(std::fabs(static_cast<double>(y[a] - ya)), bound * norm)
                << rope_type_name(type) << " position " << m << " pair " << i;
            ASSERT_LE(std::fabs(static_cast<double>(y[b] - yb)), bound * norm);
          }
        }
      }
    }
  }
}

double max_error_vs_long_double(const Implementation& impl, const RopeConfig& config,
                                std::int64_t m) {
  const LongDoubleRope exact(config, m + 1);
  auto prepared = impl.prepare(config, m + 1);
  std::vector<double> x(static_cast<std::size_t>(config.head_dim), 0.0), y(x.size());
  for (int i = 0; i < config.pairs(); ++i)
    x[pair_channels(config.layout, config.rotary_dim, i).a] = 1.0;
  prepared->apply(m, x, y);
  double worst = 0;
  for (int i = 0; i < config.pairs(); ++i) {
    const auto [a, b] = pair_channels(config.layout, config.rotary_dim, i);
    const long double phi = static_cast<long double>(m) * exact.theta[i];
    worst = std::max({worst, std::fabs(static_cast<double>(y[a] - std::cos(phi))),
                      std::fabs(static_cast<double>(y[b] - std::sin(phi)))});
  }
  return worst;
}

TEST(Pipelines, F32AngleLossAndItsFix) {
  // At m = 2^30 the f32 angle m*theta has an ulp of 64 rad: cos/sin are garbage (error O(1)),
  // while forming and reducing the angle in long double keeps f32 accuracy (a few 2^-24).
  const RopeConfig& config = find_preset("llama-2-7b").rope;
  const std::int64_t m = 1LL << 30;
  EXPECT_GT(max_error_vs_long_double(find_implementation("elementwise:f32"), config, m), 0.1);
  EXPECT_LT(max_error_vs_long_double(find_implementation("elementwise:f32-exact-angle"), config, m),
            8 * 0x1p-24);
  // Near m = 2^20 the f32 error is of order 1e-2 (ulp(2^20) / 2 = 2^-4 rad of angle at most).
  const double at_2_20 =
      max_error_vs_long_double(find_implementation("elementwise:f32"), config, (1 << 20) + 3);
  EXPECT_GT(at_2_20, 1e-3);
  EXPECT_LT(at_2_20, 0.07);
}

TEST(Pipelines, F16PositionsOverflowPast65504) {
  const RopeConfig& config = find_preset("llama-2-7b").rope;
  auto f16pos = find_implementation("elementwise:f16-positions").prepare(config, 1);
  auto f32 = find_implementation("elementwise:f32").prepare(config, 1);
  std::vector<double> x(128, 0.5), y16(128), y32(128);
  f16pos->apply(2048, x, y16);  // integers up to 2048 are exact in f16
  f32->apply(2048, x, y32);
  EXPECT_EQ(y16, y32);
  f16pos->apply(2049, x, y16);  // 2049 rounds to 2048 in f16
  EXPECT_EQ(y16, y32);
  f16pos->apply(70000, x, y16);  // rounds to inf: cos(inf) is NaN
  EXPECT_TRUE(std::isnan(y16[0]));
}

TEST(Pipelines, Bf16InvFreqIsWrongAtModestPositions) {
  // HF #25681: inv_freq rounded to bf16 has relative error up to 2^-9, i.e. at m = 1000 up to
  // about 2 rad of angle error on the fast pairs.
  const RopeConfig& config = find_preset("llama-2-7b").rope;
  EXPECT_GT(max_error_vs_long_double(find_implementation("elementwise:bf16-invfreq"), config, 1000),
            0.1);
  EXPECT_LT(max_error_vs_long_double(find_implementation("elementwise:f32"), config, 1000), 1e-4);
}

TEST(Pipelines, GgmlRecurrenceDriftsBeyondPowf) {
  // theta_i from a running f32 product accumulates about i roundings; at large m that exceeds
  // the f32 pipeline's powf frequencies on the slow pairs (llama.cpp CPU path).
  const RopeConfig& config = find_preset("llama-2-7b").rope;
  const double ggml =
      max_error_vs_long_double(find_implementation("elementwise:ggml-f32"), config, 100000);
  EXPECT_GT(ggml, 1e-4);
  EXPECT_LT(ggml, 0.5);
}

TEST(Pipelines, FastMathLosesBitsWithAngleSize) {
  // The f32 turn count x/(2 pi) keeps 23 - log2|x/2pi| fractional bits: at m = 2^16 that is
  // about 2^-11 turns of extra error, far above f32's accurate cosf.
  const RopeConfig& config = find_preset("llama-2-7b").rope;
  const std::int64_t m = (1 << 16) + 5;
  const double fast =
      max_error_vs_long_double(find_implementation("elementwise:fastmath-f32"), config, m);
  const double accurate =
      max_error_vs_long_double(find_implementation("elementwise:f32"), config, m);
  EXPECT_GT(fast, accurate);
  EXPECT_LT(fast, 0.05);
}

// tf32(v) by its definition: v's significand cut to 11 bits, to nearest, ties to even.
double tf32_reference(double v) {
  if (v == 0) return v;
  const int e = std::ilogb(v);
  return std::ldexp(std::nearbyint(std::ldexp(v, 10 - e)), e - 10);
}

TEST(Pipelines, Tf32AngleRoundsPositionsAbove2048AndTheta) {
  // The matmul inv_freq @ position_ids with TF32 inputs: positions up to 2048 are exact, 2049
  // rounds to 2048 (a tie, to even) and 2051 to 2052; theta keeps 11 bits.
  const RopeConfig& config = find_preset("llama-2-7b").rope;
  const auto& tf32 = find_implementation("elementwise:tf32-angle");
  auto prepared = tf32.prepare(config, 1);
  auto theta = compute_frequencies<float>(config, 1).theta;
  std::vector<double> x(128, 0.0), y(128);
  for (int i = 0; i < config.pairs(); ++i)
    x[pair_channels(config.layout, config.rotary_dim, i).a] = 1.0;
  for (std::int64_t m : {std::int64_t{1000}, std::int64_t{2048}, std::int64_t{2049},
                         std::int64_t{2051}, std::int64_t{3000001}}) {
    prepared->apply(m, x, y);
    const double position = tf32_reference(static_cast<double>(static_cast<float>(m)));
    for (int i = 0; i < config.pairs(); ++i) {
      // Both factors hold 11 bits, so their product is exact in f32.
      const auto angle = static_cast<float>(position * tf32_reference(theta[i]));
      const auto [a, b] = pair_channels(config.layout, config.rotary_dim, i);
      ASSERT_EQ(y[a], std::cos(angle)) << "m " << m << " pair " << i;
      ASSERT_EQ(y[b], std::sin(angle)) << "m " << m << " pair " << i;
    }
  }
  EXPECT_EQ(tf32_reference(2049), 2048);
  EXPECT_EQ(tf32_reference(2051), 2052);
  // Against exact RoPE, TF32 is wrong already at modest positions (theta's 2^-11 relative error).
  EXPECT_GT(max_error_vs_long_double(tf32, config, 1000), 0.05);
}

TEST(Pipelines, F32FmaRoundsTheRotationOnceLess) {
  // fma(x_a, c, -(x_b s)) skips the rounding of x_a c: on random inputs some outputs differ from
  // the f32 recipe's, by no more than the two roundings of a two-term dot product can move it.
  const RopeConfig& config = find_preset("llama-2-7b").rope;
  auto fma = find_implementation("elementwise:f32-fma").prepare(config, 1 << 20);
  auto plain = find_implementation("elementwise:f32").prepare(config, 1 << 20);
  std::mt19937_64 rng(testing::kUnitTestSeed + 11);
  int differ = 0;
  for (int trial = 0; trial < 50; ++trial) {
    const std::int64_t m = testing::random_position(rng, 12);
    const auto x = testing::random_head(rng, config.head_dim, Dtype::f32);
    std::vector<double> yf(x.size()), yp(x.size());
    fma->apply(m, x, yf);
    plain->apply(m, x, yp);
    for (std::size_t j = 0; j < x.size(); ++j) {
      if (yf[j] != yp[j]) ++differ;
      ASSERT_LE(std::fabs(yf[j] - yp[j]), 4 * 0x1p-24 * (std::fabs(yp[j]) + 1)) << j;
    }
  }
  EXPECT_GT(differ, 0);
}

// computed_position() is a promise the exhaustive audit relies on to run an implementation once
// per run of positions: two positions with equal computed positions get identical outputs. A
// claim coarser than what the pipeline computes with (f32 positions claimed for an f64 angle,
// say) fails here on the first pair of positions it merges wrongly.
TEST(Pipelines, EqualComputedPositionsGiveIdenticalOutputs) {
  std::mt19937_64 rng(testing::kUnitTestSeed);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  const RopeConfig config = find_preset("llama-3.1-8b").rope;
  const auto dim = static_cast<std::size_t>(config.head_dim);
  // Where f16 positions repeat (above 2048), where f32 positions start to (2^24) and where they
  // repeat 128 at a time (2^30).
  const std::vector<std::int64_t> starts = {2047,          40000,   65500,
                                            (1 << 24) - 2, 1 << 30, (std::int64_t{1} << 31) - 300};
  for (const Implementation& impl : all_implementations()) {
    const auto rope = impl.prepare(config, 1 << 20);
    int shared = 0;
    for (std::int64_t start : starts) {
      for (std::int64_t m = start; m < start + 260; ++m) {
        if (rope->computed_position(m) != rope->computed_position(m + 1)) continue;
        ++shared;
        std::vector<double> x(dim), ya(dim), yb(dim);
        for (double& v : x) v = round_to(unit(rng), impl.dtype());
        rope->apply(m, x, ya);
        rope->apply(m + 1, x, yb);
        for (std::size_t j = 0; j < dim; ++j)
          ASSERT_EQ(std::bit_cast<std::uint64_t>(ya[j]), std::bit_cast<std::uint64_t>(yb[j]))
              << impl.name() << " at positions " << m << " and " << m + 1 << ", channel " << j
              << " (replay: seed " << testing::kUnitTestSeed << ")";
      }
    }
    // Every pipeline that converts positions to f32 (all but f64's and the long double
    // reduction's) merges positions somewhere above 2^24; f64 positions never merge.
    const bool f32_positions = impl.pipeline->position != Precision::f64 &&
                               impl.pipeline->position != Precision::long_double &&
                               impl.pipeline->angle != AngleMethod::reduced_long_double;
    EXPECT_EQ(shared > 0, f32_positions) << impl.name() << ": " << shared << " merged positions";
  }
}

TEST(Pipelines, ApplyRowsChecksShape) {
  const RopeConfig& config = find_preset("llama-2-7b").rope;
  const std::vector<std::int64_t> positions = {0, 1};
  const std::vector<double> x(128, 1.0);  // one row short
  EXPECT_THROW(apply_rows(find_implementation("elementwise:f64"), config, positions, x, 2),
               ConfigError);
}

}  // namespace
}  // namespace ropecheck
