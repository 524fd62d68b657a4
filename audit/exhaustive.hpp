// The exhaustive audit: every integer position of a range and every rotated pair. For each, the
// coefficients an implementation applies (c^ = a cos, s^ = a sin as its pipeline computes them,
// read off by rotating the unit input (1, 0) of every pair) against the exact a cos(m theta_i),
// a sin(m theta_i). |(c^ - c, s^ - s)| is the exact worst case, over inputs of unit pair norm, of
// the error the angle and cos/sin cause; spec/audit.md, "Exhaustive mode".
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/rope_config.hpp"

namespace ropecheck::properties {
class Subject;
}

namespace ropecheck::audit {

struct ExhaustiveOptions {
  RopeConfig config;
  nlohmann::json config_json;  // the Hugging Face-style keys the config came from
  std::string layer_type = "full_attention";
  std::string config_label;
  std::vector<std::string> impls;    // registry names
  std::int64_t first = 0, last = 0;  // positions first..last, inclusive, 0 <= first <= last < 2^53
  std::vector<std::int64_t> band_edges;  // bands [edge_k, edge_k+1); the last is closed
  std::vector<double> thresholds;        // for "first position exceeding"
  std::int64_t seq_len = 1;
  int threads = 1;      // never changes a result
  int shard_index = 0;  // this run covers the shard_index-th of shard_count contiguous ranges
  int shard_count = 1;
  // Follow consecutive positions incrementally on the reference side, certifying every result
  // against the per-position path's (false: the per-position path alone, for cross-checks).
  // Never changes a result.
  bool incremental = true;
  // Run each implementation once per run of positions with equal computed positions
  // (PreparedRope::computed_position) and share the row (false: once per position, for
  // cross-checks). Never changes a result.
  bool share_rows = true;
  // What to scan instead of the registry's implementations (plugin kernels): when not empty,
  // subjects[k] is what impls[k] names. Their outputs come thousands of positions per
  // apply_batch call (one round trip to a plugin's worker), and anything the subject throws
  // (properties::KernelFailure for a crash, hang or wild write) ends the scan. Not sharded: a
  // shard file names its implementations, and only the registry's can be found again by name.
  std::vector<std::shared_ptr<const properties::Subject>> subjects;
};

// log2 histogram of the coefficient error d: bin 0 holds d < 2^kHistogramLow (zero included),
// bin k holds 2^(kHistogramLow + k - 1) <= d < 2^(kHistogramLow + k), the last bin d >= 2^
// (kHistogramLow + kHistogramBins - 2) and NaN/inf.
inline constexpr int kHistogramLow = -60;
inline constexpr int kHistogramBins = 64;

// The largest error seen and where; ties keep the smallest (position, pair), so any order of
// reduction gives the same answer.
struct CoefficientWorst {
  double error = -1;  // -1: nothing seen
  std::int64_t position = 0;
  int pair = 0;
  double c_got = 0, s_got = 0;  // the coefficients the implementation applied there
};

// One implementation's results over a set of positions (exactly mergeable).
struct ExhaustiveImpl {
  std::vector<CoefficientWorst> band_max;                    // per band
  std::vector<std::uint64_t> histogram;                      // kHistogramBins
  std::vector<std::optional<std::int64_t>> first_exceeding;  // per threshold
};

struct ExhaustivePart {
  std::int64_t first = 0, last = -1;  // the positions covered (a contiguous range)
  std::vector<ExhaustiveImpl> impls;  // in ExhaustiveOptions::impls order
  std::uint64_t evaluations = 0;      // (position, pair) coefficient pairs per implementation
  std::uint64_t exact_mpfr = 0;       // exact coefficients the fast path could not give
  std::uint64_t refined = 0;          // errors near a threshold recomputed with MPFR
  std::uint64_t undecided = 0;        // ... still within 2^-48 relative of it after MPFR
  // Positions where some implementation went the per-position way (not in the JSON: it depends
  // on how the range was cut into chunks, the results do not).
  std::uint64_t exact_positions = 0;
  // Positions the implementations were run at, summed over them: fewer than the positions
  // scanned where runs of positions share one computed position (PreparedRope::
  // computed_position; not in the JSON either, for the same reason).
  std::uint64_t pipeline_rows = 0;
};

// The shard's position range: the shard_index-th of shard_count near-equal contiguous pieces.
std::pair<std::int64_t, std::int64_t> shard_range(const ExhaustiveOptions& options);

// Progress as (positions done, positions total), from the calling thread only.
using ExhaustiveProgress = std::function<void(std::int64_t, std::int64_t)>;

// Scans this shard's positions. Throws ConfigError for an unknown implementation.
ExhaustivePart run_exhaustive(const ExhaustiveOptions& options, const ExhaustiveProgress& progress);

// Merges parts covering adjacent ranges (any order); throws ConfigError("shard files") unless
// they cover first..last exactly once.
ExhaustivePart merge_parts(const ExhaustiveOptions& options, std::vector<ExhaustivePart> parts);

// The derived rounding of the rotation itself, for inputs of unit pair norm: the pair-norm
// bound a sqrt(2) ((1 + sqrt(2)) u_arith + u_storage) (first order; spec/audit.md).
double rotation_rounding_term(const std::string& impl, const RopeConfig& config,
                              std::int64_t seq_len);
// ... for the k-th scanned implementation (a subject's: from the pipeline whose bound it claims).
double rotation_rounding_term(const ExhaustiveOptions& options, std::size_t k);

// JSON: the fingerprint of what determines every number, a part (exact hex floats), the report.
nlohmann::json exhaustive_fingerprint(const ExhaustiveOptions& options);
ExhaustiveOptions exhaustive_options_from_fingerprint(const nlohmann::json& fingerprint);
nlohmann::json part_to_json(const ExhaustivePart& part);
ExhaustivePart part_from_json(const nlohmann::json& json, const ExhaustiveOptions& options);
nlohmann::json exhaustive_report_json(const ExhaustiveOptions& options, const ExhaustivePart& all);
std::string exhaustive_report_table(const ExhaustiveOptions& options, const ExhaustivePart& all);

}  // namespace ropecheck::audit
