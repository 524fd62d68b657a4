// The data of a precision audit: options, per-block statistics and the merged result.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/rope_config.hpp"

namespace ropecheck::audit {

// What to audit. Everything that changes a number is part of the fingerprint shards must share.
struct AuditOptions {
  RopeConfig config;           // parsed from config_json
  nlohmann::json config_json;  // the Hugging Face-style keys the config came from
  std::string layer_type = "full_attention";
  std::string config_label;              // "preset llama-3.1-8b" or the config file's path
  std::vector<std::string> impls;        // registry names
  std::string positions_spec;            // the --positions text
  std::vector<std::int64_t> positions;   // parsed, ascending
  std::vector<std::int64_t> band_edges;  // bands are [edge_k, edge_k+1); the last is closed
  std::vector<double> thresholds;        // absolute error thresholds for "safe up to"
  std::uint64_t seed = 0;
  std::int64_t seq_len = 1;
  int heads = 2;    // random head vectors per position
  int threads = 1;  // never changes a result
  // Measure every pair by the per-pair definition instead of the vectorized ordinary case
  // (for cross-checks); never changes a result.
  bool per_pair_metrics = false;
  int shard_index = 0;  // this run computes blocks b with b % count == index
  int shard_count = 1;
};

// Positions are processed in blocks of this many consecutive indices; results are reduced in
// block order, which makes them independent of threads and shards.
inline constexpr std::size_t kBlockSize = 1024;
// Plot resolution: 4 buckets per octave of (1 + m).
inline constexpr int kBucketsPerOctave = 4;
inline constexpr int kBucketCount = 4 * 54;

// The worst output seen, with what it takes to replay it.
struct Worst {
  double error = -1;  // -1: nothing seen yet
  std::int64_t position = 0;
  int channel = 0;
  double x_a = 0, x_b = 0;       // the input pair of that channel
  double got = 0, expected = 0;  // implementation output and correctly rounded reference
};

// Statistics of one implementation over a set of positions (a band, or one block of it).
struct CellStats {
  std::uint64_t outputs = 0;
  std::uint64_t correctly_rounded = 0;
  double sum_abs_err = 0;
  double sum_err_ulp_norm = 0;
  Worst max_abs_err;
  Worst max_err_ulp_norm;
  double max_score_err = 0;  // |<R_m q, R_n k> - g(q, k, m - n)| / (|q| |k|)
  std::int64_t max_score_err_position = 0;
  double max_invariance_drift = 0;  // |score(m, n) - score(m - n, 0)| / (|q| |k|), same impl
  std::int64_t max_invariance_drift_position = 0;
  double max_norm_drift = 0;  // | |y| - a |x| | / (a |x|) over the rotary channels
  std::int64_t max_norm_drift_position = 0;
  std::uint64_t score_samples = 0;

  void merge(const CellStats& other);
};

// One implementation's share of one block.
struct ImplBlock {
  std::vector<CellStats> bands;                            // one per band
  std::vector<std::optional<std::int64_t>> first_failure;  // per threshold: first position over it
  std::vector<double> bucket_max;  // per plot bucket: max abs error, -1 if none
};

// How the reference side was computed: counts, deterministic (they depend on the positions
// and inputs only), summed over blocks and shards. spec/audit.md, "Reference work".
struct ReferenceWork {
  std::uint64_t pairs = 0;        // rotated pairs whose exact output the audit computed
  std::uint64_t exact_mpfr = 0;   // ... that the fast path could not evaluate (MPFR path)
  std::uint64_t refined = 0;      // errors within the fast bound of a threshold: redone by MPFR
  std::uint64_t scores = 0;       // exact scores
  std::uint64_t scores_mpfr = 0;  // ... that the fast path could not certify (MPFR path)

  void merge(const ReferenceWork& other);
};

struct BlockResult {
  std::size_t index = 0;
  std::vector<ImplBlock> impls;  // in AuditOptions::impls order
  ReferenceWork work;
};

// The merged audit: per implementation, per band, and the safe positions.
struct AuditResult {
  std::vector<std::vector<CellStats>> cells;                            // [impl][band]
  std::vector<std::vector<std::optional<std::int64_t>>> first_failure;  // [impl][threshold]
  std::vector<std::vector<double>> bucket_max;                          // [impl][bucket]
  std::vector<double> attention_factor;                                 // [impl]
  ReferenceWork work;
};

}  // namespace ropecheck::audit
