// What a kernel author asks of a graded run, beyond pass or fail: how wrong per position band
// (relative to the pair norm), up to which position it stays under a threshold, in ulps of the
// pair norm, and which registered pipeline it computes like (spec/vectors.md, "Grade report").
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_types.hpp"
#include "kernels/vectors/grading.hpp"
#include "kernels/vectors/vector_set.hpp"

namespace ropecheck::vectors {

// What to analyse: the band edges (the audit's by default) and the thresholds on the error
// relative to the pair norm for "safe up to".
struct GradeAnalysisOptions {
  std::vector<std::int64_t> band_edges;  // empty: audit's default bands, extended to the set
  std::vector<double> thresholds = {1e-3, 1e-2};
  bool behaves_like = true;  // run every registered pipeline of the set's dtype on the inputs
};

// The worst pair seen: its error and the component of it that is further off.
struct PairWorst {
  double error = -1;  // -1: no pair seen
  OutputSite site;
};

// One position band [lo, hi) (the last one closed).
struct GradeBand {
  std::int64_t lo = 0, hi = 0;
  bool closed = false;           // the last band of the edges: [lo, hi]
  std::uint64_t pairs = 0;       // rotated pairs graded in the band
  std::uint64_t unit_pairs = 0;  // ... whose two inputs lie in [-1, 1]
  PairWorst relative;            // |(y - expected) pair| / (a |x pair|), every input
  PairWorst absolute;            // max |y - expected| of a component, inputs in [-1, 1]
};

// Histogram of the pair error in ulps of the pair norm: 0, (0, 1/2], (1/2, 1], (1, 2], (2, 4],
// (4, 16], over 16 (infinite errors included).
inline constexpr std::array<std::string_view, 7> kNormUlpBuckets = {
    "0", "(0,1/2]", "(1/2,1]", "(1,2]", "(2,4]", "(4,16]", ">16"};

// A registered pipeline run on the set's inputs: how many of its outputs the kernel matches bit
// for bit, and (closest one only) whether the kernel stays within that pipeline's bound.
struct BehavesLike {
  std::string impl;                  // registry name "form:pipeline"
  std::uint64_t identical = 0;       // outputs bit for bit equal to the kernel's
  std::string not_applicable;        // why the pipeline could not run on this set, else empty
  std::optional<bool> within_bound;  // closest only; nullopt when the pipeline has no bound
  std::string summary;               // the pipeline's one line: what real stack it models
};

struct GradeAnalysis {
  double attention_factor = 1;
  std::uint64_t outputs = 0;
  std::uint64_t pairs = 0;
  std::uint64_t pass_through = 0, pass_through_differ = 0;
  std::vector<GradeBand> bands;  // only bands holding positions of the set
  std::vector<double> thresholds;
  std::vector<std::optional<std::int64_t>> first_over;  // per threshold: first position over it
  std::vector<std::optional<std::int64_t>> safe_up_to;  // per threshold (audit's definition)
  std::int64_t last_position = 0;
  PairWorst worst_relative;  // over every band
  double max_norm_ulps = 0;  // the largest pair error in ulps of the pair norm
  std::array<std::uint64_t, 7> norm_histogram{};
  // Per plot bucket of the audit (audit::bucket_of): the largest rel, -1 where no position.
  std::vector<double> bucket_max_rel;
  // The same for the closest pipeline's own outputs (behaves_like.front()); empty when there is
  // none or it could not run.
  std::vector<double> closest_bucket_max_rel;
  std::vector<BehavesLike> behaves_like;  // most identical first; ties in registry order
  // The same run in the audit's terms (spec/audit.md), for results.json and results.csv: the
  // set as audit options (one implementation, kGradedImpl) and per band the audit's statistics
  // of the rotated outputs whose pair inputs both lie in [-1, 1] (the audit's input domain),
  // measured against expected; safe positions on their absolute error.
  audit::AuditOptions audit_options;
  audit::AuditResult audit_result;
  bool seed_known = true;  // the set's metadata names the seed its inputs were drawn with
};

// The implementation name the graded kernel has in the audit's schema.
inline constexpr std::string_view kGradedImpl = "kernel";

// Analyses y (the shape of set.x, values of set.dtype) against set.expected; throws
// ConfigError("band_edges"/"thresholds") for bad options.
GradeAnalysis analyse_grade(const VectorSet& set, std::span<const double> y,
                            const GradeAnalysisOptions& options);

// The terminal report: the verdict lines of format_grade_report with the analysis in between.
std::string format_grade_analysis(const GradeReport& report, const GradeAnalysis& analysis);

// grade_report_json plus the analysis.
nlohmann::json grade_analysis_json(const GradeReport& report, const GradeAnalysis& analysis);

// One row per band: the relative and absolute worst with the worst input in hex.
std::string grade_analysis_csv(const GradeAnalysis& analysis);

// The error-against-position plot of `grade --out`, drawn by the audit's plotting: the data
// (max rel per plot bucket: the kernel's, then the closest pipeline's) and the gnuplot script
// naming data_file, png_file and svg_file.
std::string grade_plot_data(const GradeAnalysis& analysis);
std::string grade_plot_script(const GradeAnalysis& analysis, const std::string& title,
                              const std::string& data_file, const std::string& png_file,
                              const std::string& svg_file);

}  // namespace ropecheck::vectors
