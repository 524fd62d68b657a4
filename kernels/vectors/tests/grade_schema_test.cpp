// grade's results.json speaks the audit's schema: it passes the audit report's checker, and on
// the audit's own inputs its shared fields equal what `audit` measures for the same kernel.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "audit/audit_engine.hpp"
#include "audit/audit_json.hpp"
#include "audit/position_spec.hpp"
#include "audit/report_schema.hpp"
#include "core/config_error.hpp"
#include "core/ulp.hpp"
#include "impl/implementation.hpp"
#include "kernels/vectors/grade_report.hpp"
#include "kernels/vectors/grading.hpp"

namespace ropecheck::vectors {
namespace {

using nlohmann::json;

constexpr std::uint64_t kSeed = 7;
constexpr int kHeads = 2;
const char* const kImpl = "elementwise:f32";

// A set whose inputs are the audit's own (audit::random_head at the same seed, positions and
// heads), so that grade and audit measure the same outputs.
VectorSet audit_input_set() {
  VectorSpec spec;
  spec.config = {{"head_dim", 64}, {"rope_theta", 500000.0}, {"layout", "half"}};
  spec.dtype = Dtype::f32;
  spec.positions_spec = "0..63,1000,2^16,2^20,2^24-1,2^24,2^28";
  spec.positions = audit::parse_positions(spec.positions_spec);
  spec.heads = kHeads;
  spec.seed = kSeed;
  std::vector<double> x;
  for (const std::int64_t m : spec.positions)
    for (int h = 0; h < kHeads; ++h) {
      const auto head = audit::random_head(kSeed, m, h, 64, spec.dtype);
      x.insert(x.end(), head.begin(), head.end());
    }
  return vectors_from_inputs(spec, std::move(x));
}

struct Graded {
  VectorSet set;
  GradeAnalysis analysis;
  json grade;
};

Graded grade_registry_kernel() {
  Graded g{audit_input_set(), {}, {}};
  std::vector<std::int64_t> rows;
  for (const std::int64_t m : g.set.positions) rows.insert(rows.end(), kHeads, m);
  const std::vector<double> y =
      apply_rows(find_implementation(kImpl), g.set.config, rows, g.set.x, g.set.seq_len);
  GradeAnalysisOptions options;
  // Abs errors of this f32 pipeline pass 1e-5 below position 1000 and 1e-3 below 2^16: both
  // thresholds are crossed inside the set, so safe_position is a real position for each.
  options.thresholds = {1e-5, 1e-3};
  options.behaves_like = false;
  g.analysis = analyse_grade(g.set, y, options);
  g.grade = grade_analysis_json(grade_outputs(g.set, y, GradeBound::exact()), g.analysis);
  return g;
}

json audit_report(const GradeAnalysis& a) {
  audit::AuditOptions o = a.audit_options;
  o.impls = {kImpl};
  o.threads = 1;
  const audit::AuditResult r = audit::reduce_blocks(o, audit::run_blocks(o, {}));
  return audit::report_json(o, r);
}

TEST(GradeSchema, ResultsJsonPassesTheAuditSchemaCheck) {
  const Graded g = grade_registry_kernel();
  EXPECT_NO_THROW(audit::check_report_json(g.grade)) << g.grade.dump(2);
  // grade's own fields stay beside the audit's.
  for (const char* key : {"bound", "passed", "margin", "bands", "safe_up_to", "behaves_like",
                          "closest_pipeline", "exact", "compared", "norm_ulp_histogram"})
    EXPECT_TRUE(g.grade.contains(key)) << key;
  // The checker holds the audit's own report to the same schema.
  EXPECT_NO_THROW(audit::check_report_json(audit_report(g.analysis)));
}

TEST(GradeSchema, SharedFieldsEqualTheAuditsOnTheSameInputs) {
  const Graded g = grade_registry_kernel();
  const json audit = audit_report(g.analysis);
  const json& grade = g.grade;
  for (const char* key : {"position_count", "max_position"}) EXPECT_EQ(grade[key], audit[key]);
  for (const char* key : {"band_edges", "thresholds", "seed", "heads", "seq_len", "positions",
                          "config", "layer_type"})
    EXPECT_EQ(grade["options"][key], audit["options"][key]) << key;
  EXPECT_EQ(grade["attention_factor"]["kernel"], audit["attention_factor"][kImpl]);
  // grade measures against expected = RN_f32(exact), the audit against the exact value: an
  // output's two errors differ by at most |expected - exact| <= ulp(|expected|) / 2, and
  // |expected| <= a sqrt(2) for inputs in [-1, 1] (spec/vectors.md, "results.json").
  const double a = g.analysis.attention_factor;
  const double tolerance = format_ulp(a * std::sqrt(2.0), Dtype::f32) / 2;
  ASSERT_EQ(grade["results"].size(), audit["results"].size());
  for (std::size_t k = 0; k < audit["results"].size(); ++k) {
    const json& mine = grade["results"][k];
    const json& theirs = audit["results"][k];
    SCOPED_TRACE(theirs["band"].dump());
    EXPECT_EQ(mine["band"], theirs["band"]);
    EXPECT_EQ(mine["outputs"], theirs["outputs"]);
    EXPECT_EQ(mine["correctly_rounded"], theirs["correctly_rounded"]);
    EXPECT_NEAR(mine["max_abs_err"].get<double>(), theirs["max_abs_err"].get<double>(), tolerance);
    EXPECT_NEAR(mine["mean_abs_err"].get<double>(), theirs["mean_abs_err"].get<double>(),
                tolerance);
    EXPECT_EQ(mine["worst"]["expected"], theirs["worst"]["expected"]);
    EXPECT_EQ(mine["worst"]["got"], theirs["worst"]["got"]);
    EXPECT_EQ(mine["worst"]["x_pair"], theirs["worst"]["x_pair"]);
    EXPECT_EQ(mine["worst"]["position"], theirs["worst"]["position"]);
  }
  EXPECT_EQ(grade["safe_position"]["kernel"], audit["safe_position"][kImpl]);
  for (const auto& [threshold, position] : grade["safe_position"]["kernel"].items())
    EXPECT_TRUE(position.is_number_integer()) << threshold << " never crossed";
}

TEST(GradeSchema, TheCheckerRefusesABrokenReport) {
  const json good = grade_registry_kernel().grade;
  const std::vector<std::pair<const char*, std::function<void(json&)>>> breaks = {
      {"version", [](json& j) { j["ropecheck_audit"] = 2; }},
      {"no x_pair", [](json& j) { j["results"][0]["worst"].erase("x_pair"); }},
      {"decimal got", [](json& j) { j["results"][0]["worst"]["got"] = "0.5"; }},
      {"share over 1", [](json& j) { j["results"][0]["correctly_rounded"] = 1.5; }},
      {"foreign band",
       [](json& j) {
         j["results"][0]["band"] = {1, 2};
       }},
      {"foreign impl", [](json& j) { j["results"][0]["impl"] = "elementwise:f32"; }},
      {"missing threshold", [](json& j) { j["safe_position"]["kernel"].erase("0.001"); }},
      {"unmeasured yet sampled", [](json& j) { j["results"][0]["score_samples"] = 3; }},
      {"position as text", [](json& j) { j["safe_position"]["kernel"]["1e-05"] = "5"; }},
      {"no config", [](json& j) { j["options"]["config"] = nullptr; }},
  };
  for (const auto& [what, mutate] : breaks) {
    json bad = good;
    mutate(bad);
    EXPECT_THROW(audit::check_report_json(bad), ConfigError) << what;
  }
}

}  // namespace
}  // namespace ropecheck::vectors
