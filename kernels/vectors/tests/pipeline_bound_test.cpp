// Grading against a registry pipeline's derived error bound (--bound PIPELINE).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/number_format.hpp"
#include "impl/implementation.hpp"
#include "kernels/vectors/pipeline_bound.hpp"
#include "kernels/vectors/tests/hostile_bytes.hpp"
#include "properties/error_model.hpp"

namespace ropecheck::vectors {
namespace {

using testing::expect_config_error;

VectorSet make_set(Dtype dtype, nlohmann::json config) {
  VectorSpec spec;
  spec.config = std::move(config);
  spec.dtype = dtype;
  spec.positions_spec = "0,1,1000,2^20,2^31-1";
  spec.positions = {0, 1, 1000, 1 << 20, (std::int64_t{1} << 31) - 1};
  spec.heads = 2;
  return generate_vectors(spec);
}

// The registry implementation's outputs for every row of the set.
std::vector<double> registry_outputs(const VectorSet& set, const std::string& impl) {
  std::vector<std::int64_t> row_positions;
  for (std::int64_t position : set.positions)
    row_positions.insert(row_positions.end(), static_cast<std::size_t>(set.heads), position);
  return apply_rows(find_implementation(impl), set.config, row_positions, set.x, set.seq_len);
}

const nlohmann::json kPartial = {
    {"head_dim", 16}, {"partial_rotary_factor", 0.5}, {"rope_theta", 500000.0}, {"layout", "half"}};

TEST(PipelineBound, RegistryOutputsMeetTheirOwnPipelinesBound) {
  for (const auto& [dtype, pipeline] :
       {std::pair{Dtype::f32, "f32"}, std::pair{Dtype::bf16, "bf16-hf"},
        std::pair{Dtype::f64, "f64"}}) {
    const VectorSet set = make_set(dtype, kPartial);
    const std::vector<double> y = registry_outputs(set, std::string("elementwise:") + pipeline);
    const GradeReport report = grade_outputs(set, y, pipeline_bound(set, pipeline));
    EXPECT_TRUE(report.passed()) << format_grade_report(report);
    EXPECT_EQ(report.bound, std::string("pipeline ") + pipeline);
    EXPECT_TRUE(grade_outputs(set, set.expected, pipeline_bound(set, pipeline)).passed());
  }
}

TEST(PipelineBound, FailsOutputsOutsideTheBoundAndAnyChangedPassThroughChannel) {
  const VectorSet set = make_set(Dtype::f32, kPartial);
  const GradeBound bound = pipeline_bound(set, "f32");
  std::vector<double> y = set.expected;
  y[16 * 3 + 2] = round_to(y[16 * 3 + 2] + 1e-3, Dtype::f32);  // rotated channel 2
  GradeReport report = grade_outputs(set, y, bound);
  EXPECT_EQ(report.violations, 1u);
  EXPECT_EQ(report.first_violation->channel, 2);
  y = set.expected;
  const double passed_through = y[16 * 3 + 12];  // channel 12 >= rotary dim 8
  y[16 * 3 + 12] = std::nextafter(static_cast<float>(passed_through), 2.0f);
  report = grade_outputs(set, y, bound);
  EXPECT_EQ(report.violations, 1u);
  EXPECT_EQ(report.first_violation->pair, -1);
}

TEST(PipelineBound, RefusesUnknownNamesAndOtherDtypes) {
  const VectorSet bf16 = make_set(Dtype::bf16, kPartial);
  expect_config_error([&] { pipeline_bound(bf16, "f32"); }, "--bound",
                      "pipeline f32 stores f32 but the vectors are bf16; accepted: exact, bf16-hf");
  expect_config_error([&] { pipeline_bound(bf16, "nope"); }, "--bound", "unknown bound \"nope\"");
  const VectorSet f16 = make_set(Dtype::f16, kPartial);
  expect_config_error([&] { pipeline_bound(f16, "f32"); }, "--bound", "accepted: exact, cache:f64");
  expect_config_error([&] { pipeline_bound(f16, "cache:f8"); }, "--bound",
                      "unknown rotation arithmetic \"f8\"");
}

// The bound of a kernel fed correctly rounded cos/sin (spec/precision.md, "Cos/sin-cache
// kernels"), by hand for one unit pair: M (u_T + gamma_2(u_A) (1 + u_T)) X + eta_T X + 2 eta_A,
// the final rounding to f16 when the f32 rotation is wider, and the reference's u64 |y|.
TEST(PipelineBound, CacheBoundIsTheTablesAndRotationsRoundingAtEveryPosition) {
  const double u32 = 0x1p-24, u16 = 0x1p-11, eta32 = 0x1p-150, eta16 = 0x1p-25;
  const double gamma2 = 2 * u32 / (1 - 2 * u32);  // the rotation in f32, in both cases
  const double reference = 0x1p-53 + std::numeric_limits<double>::denorm_min();
  const double f32_rotation = 1.25 * (u32 + gamma2 * (1 + u32)) + eta32 + 2 * eta32;
  const double f16_rotation = 1.25 * (u16 + gamma2 * (1 + u16)) + eta16 + 2 * eta32;
  for (const auto& [dtype, expected] :
       {std::pair{Dtype::f32, f32_rotation + reference},
        std::pair{Dtype::f16, f16_rotation + u16 * (1 + f16_rotation) + eta16 + reference}}) {
    const VectorSet set = make_set(dtype, kPartial);
    const GradeBound bound = pipeline_bound(set, "cache:f32");
    EXPECT_EQ(bound.label, "cos/sin cache, rotation in f32");
    for (std::int64_t position : {std::int64_t{0}, (std::int64_t{1} << 31) - 1}) {
      OutputSite site;
      site.pair = 0;
      site.position = position;
      site.x_a = 1;
      EXPECT_DOUBLE_EQ(bound.absolute(site), expected) << dtype_name(dtype) << " at " << position;
    }
    EXPECT_TRUE(grade_outputs(set, set.expected, bound).passed());
  }
  // A kernel that computes its own f32 angle leaves it once the angle's rounding (about
  // m theta u32) outgrows the rotation's: not at positions 0 and 1, but by 1000.
  const VectorSet set = make_set(Dtype::f32, kPartial);
  const GradeReport report = grade_outputs(set, registry_outputs(set, "elementwise:f32"),
                                           pipeline_bound(set, "cache:f32"));
  EXPECT_FALSE(report.passed());
  EXPECT_EQ(report.first_violation->position, 1000);
}

// `ropecheck check` takes the same names (a plugin's claim or --bound), through properties.
TEST(PipelineBound, CacheModelsAreErrorModelsWithoutAPositionLimit) {
  EXPECT_TRUE(properties::has_error_model("cache:f32"));
  EXPECT_TRUE(properties::has_error_model("cache:bf16"));
  EXPECT_FALSE(properties::has_error_model("cache:f8"));
  EXPECT_FALSE(properties::has_error_model("cache"));
  EXPECT_EQ(properties::position_domain("cache:f16"), (std::int64_t{1} << 53) - 1);
  EXPECT_EQ(properties::position_domain("f16-positions"), 65519);
}

}  // namespace
}  // namespace ropecheck::vectors
