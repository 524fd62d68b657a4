#include "kernels/vectors/grade_report.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include "audit/audit_engine.hpp"
#include "audit/audit_json.hpp"
#include "audit/audit_report.hpp"
#include "audit/position_spec.hpp"
#include "core/config_error.hpp"
#include "core/format_codec.hpp"
#include "core/json_input.hpp"
#include "core/json_numbers.hpp"
#include "core/parse_number.hpp"
#include "core/ulp.hpp"
#include "impl/implementation.hpp"
#include "kernels/vectors/pipeline_bound.hpp"
#include "kernels/vectors/ulp_distance.hpp"
#include "properties/error_model.hpp"
#include "reference/reference.hpp"

namespace ropecheck::vectors {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// |y - expected| of one component: 0 for two NaNs (they grade as equal), infinite where a NaN
// meets a number or an infinity is missed.
double component_error(double got, double expected) {
  if (std::isnan(got) && std::isnan(expected)) return 0;
  const double e = std::fabs(got - expected);
  return std::isnan(e) ? kInf : e;
}

// err / scale, where an error of 0 stays 0 whatever the scale and any other undefined quotient
// (a NaN input's scale) counts as infinite: it must never read as small.
double ratio(double err, double scale) {
  if (err == 0) return 0;
  const double r = err / scale;
  return std::isnan(r) ? kInf : r;
}

std::size_t norm_bucket(double ulps) {
  if (ulps == 0) return 0;
  if (ulps <= 0.5) return 1;
  if (ulps <= 1) return 2;
  if (ulps <= 2) return 3;
  if (ulps <= 4) return 4;
  if (ulps <= 16) return 5;
  return 6;
}

void update(PairWorst& worst, double error, const OutputSite& site) {
  if (error > worst.error) worst = {error, site};
}

// Shares rounded down, so that 100.00 % means every output.
std::string share_text(std::uint64_t part, std::uint64_t whole) {
  if (whole == 0) return "100.00 %";
  return fmt::format(
      "{:.2f} %",
      std::floor(10000.0 * static_cast<double>(part) / static_cast<double>(whole)) / 100);
}

std::string error_text(double e) {
  return std::isinf(e) ? "inf (NaN/inf)" : fmt::format("{:.2e}", e);
}

// "2^20-1, " where the audit's short form differs from the plain number, else "".
std::string position_alias(std::int64_t position) {
  const std::string alias = audit::format_position(position);
  return alias == std::to_string(position) ? "" : alias + ", ";
}

std::string input_text(const OutputSite& s) {
  return fmt::format("({}, {})", hex_float(s.x_a), hex_float(s.x_b));
}

// The options the audit's band and safe-position helpers take.
audit::AuditOptions band_options(const VectorSet& set, const GradeAnalysisOptions& options) {
  audit::AuditOptions o;
  o.positions = set.positions;
  std::sort(o.positions.begin(), o.positions.end());
  o.positions.erase(std::unique(o.positions.begin(), o.positions.end()), o.positions.end());
  if (o.positions.empty()) throw ConfigError("positions", "the vector set holds no position");
  if (options.band_edges.empty()) {
    o.band_edges = audit::parse_band_edges(audit::kDefaultBandEdges, "band_edges");
    // Vector sets reach 2^53 - 1: positions past the audit's last edge join the last band.
    if (o.positions.back() > o.band_edges.back()) o.band_edges.back() = o.positions.back();
  } else {
    o.band_edges = options.band_edges;
    if (o.band_edges.size() < 2 || !std::is_sorted(o.band_edges.begin(), o.band_edges.end()) ||
        std::adjacent_find(o.band_edges.begin(), o.band_edges.end()) != o.band_edges.end())
      throw ConfigError("band_edges", "needs at least two increasing position edges");
    if (o.positions.front() < o.band_edges.front() || o.positions.back() > o.band_edges.back())
      throw ConfigError("band_edges", fmt::format("edges must cover the positions {}..{}",
                                                  o.positions.front(), o.positions.back()));
  }
  for (double t : options.thresholds)
    if (!(t > 0) || !std::isfinite(t)) throw ConfigError("thresholds", "must be positive");
  o.thresholds = options.thresholds;
  return o;
}

// The set as the audit's options: its config, positions, inputs' seed and heads, and the bands
// and thresholds of `bands` (band_options); one implementation, the graded kernel.
audit::AuditOptions audit_options_of(const VectorSet& set, audit::AuditOptions bands) {
  auto text = [&](const char* key) {
    const auto it = set.metadata.find(key);
    return it == set.metadata.end() ? std::string() : it->second;
  };
  bands.config = set.config;
  // A set built in memory without metadata has no config keys: null, which the schema refuses,
  // rather than keys that were never given.
  bands.config_json =
      text("config").empty() ? nlohmann::json(nullptr) : parse_json_text(text("config"), "config");
  bands.layer_type = text("layer_type").empty() ? "full_attention" : text("layer_type");
  bands.config_label =
      text("preset").empty() ? "the vector set's config" : "preset " + text("preset");
  bands.impls = {std::string(kGradedImpl)};
  bands.positions_spec = text("positions_spec");
  bands.seq_len = set.seq_len;
  bands.heads = set.heads;
  return bands;
}

// The audit's update of a worst output: ties keep the earlier one (audit_engine.cpp).
void update_worst(audit::Worst& worst, double error, std::int64_t position, int channel, double x_a,
                  double x_b, double got, double expected) {
  if (error > worst.error) worst = {error, position, channel, x_a, x_b, got, expected};
}

// The error of one rotated pair of y: its components' errors, their norm, and that norm over
// a |x| (rel, GradeBand::relative).
struct PairError {
  double ea = 0, eb = 0, err = 0, norm = 0, rel = 0;
};

PairError pair_error(const VectorSet& set, std::span<const double> y, std::size_t ia,
                     std::size_t ib, double attention_factor) {
  PairError e;
  e.ea = component_error(y[ia], set.expected[ia]);
  e.eb = component_error(y[ib], set.expected[ib]);
  e.err = std::hypot(e.ea, e.eb);
  // a |x| is the exact output pair's norm (a rotation keeps it): a scale that depends on the
  // inputs alone, not on how expected was rounded.
  e.norm = attention_factor * std::hypot(set.x[ia], set.x[ib]);
  e.rel = ratio(e.err, e.norm);
  return e;
}

// The position of every row of x ([tokens, heads] rows).
std::vector<std::int64_t> row_positions(const VectorSet& set) {
  std::vector<std::int64_t> rows;
  rows.reserve(set.positions.size() * static_cast<std::size_t>(set.heads));
  for (const std::int64_t p : set.positions)
    rows.insert(rows.end(), static_cast<std::size_t>(set.heads), p);
  return rows;
}

// Per plot bucket of the audit, the largest rel of outputs y (-1 where no position).
std::vector<double> bucket_max_rel(const VectorSet& set, std::span<const double> y,
                                   double attention_factor) {
  std::vector<double> out(audit::kBucketCount, -1);
  const RopeConfig& c = set.config;
  const auto width = static_cast<std::size_t>(c.head_dim);
  for (std::size_t row = 0; row < y.size() / width; ++row) {
    const std::int64_t position = set.positions[row / static_cast<std::size_t>(set.heads)];
    double& bucket = out[static_cast<std::size_t>(audit::bucket_of(position))];
    for (int i = 0; i < c.pairs(); ++i) {
      const auto [a, b] = pair_channels(c.layout, c.rotary_dim, i);
      bucket =
          std::max(bucket, pair_error(set, y, row * width + static_cast<std::size_t>(a),
                                      row * width + static_cast<std::size_t>(b), attention_factor)
                               .rel);
    }
  }
  return out;
}

// Every registered pipeline of the set's dtype on the set's inputs, against the kernel's y.
std::vector<BehavesLike> behaves_like(const VectorSet& set, std::span<const double> y) {
  const std::vector<std::int64_t> rows = row_positions(set);
  std::vector<BehavesLike> out;
  for (const Implementation& impl : all_implementations()) {
    if (impl.dtype() != set.dtype) continue;
    BehavesLike b{impl.name(), 0, {}, std::nullopt, std::string(impl.pipeline->summary)};
    // One pipeline's outputs at a time: a set of 2^24 values is 128 MiB of them.
    std::vector<double> theirs;
    try {
      theirs = apply_rows(impl, set.config, rows, set.x, set.seq_len);
    } catch (const ConfigError& e) {
      // A form that cannot express this config (e.g. a layout it lacks) is named, not hidden.
      b.not_applicable = e.what();
    }
    for (std::size_t i = 0; i < theirs.size(); ++i)
      b.identical += bitwise_equal(y[i], theirs[i], set.dtype) ? 1 : 0;
    out.push_back(std::move(b));
  }
  std::vector<std::size_t> order(out.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return out[a].identical > out[b].identical;
  });
  std::vector<BehavesLike> sorted;
  for (std::size_t i : order) sorted.push_back(out[i]);
  if (!sorted.empty() && sorted.front().not_applicable.empty()) {
    const std::string pipeline(find_implementation(sorted.front().impl).pipeline->name);
    // A set with positions outside the pipeline's domain (f16 positions from 65520) is not
    // within its bound, which is derived only inside the domain.
    if (properties::has_error_model(pipeline)) try {
        sorted.front().within_bound = grade_outputs(set, y, pipeline_bound(set, pipeline)).passed();
      } catch (const ConfigError&) {
        sorted.front().within_bound = false;
      }
  }
  return sorted;
}

}  // namespace

GradeAnalysis analyse_grade(const VectorSet& set, std::span<const double> y,
                            const GradeAnalysisOptions& options) {
  if (y.size() != set.expected.size() || y.size() != set.x.size())
    throw std::invalid_argument("analyse_grade: outputs and expected differ in size");
  const audit::AuditOptions bands = band_options(set, options);
  GradeAnalysis r;
  r.attention_factor = reference::Reference(set.config, set.seq_len).attention_factor();
  r.outputs = y.size();
  r.thresholds = bands.thresholds;
  r.first_over.assign(bands.thresholds.size(), std::nullopt);
  r.last_position = bands.positions.back();
  r.bucket_max_rel.assign(audit::kBucketCount, -1);
  std::vector<GradeBand> all(bands.band_edges.size() - 1);
  for (std::size_t b = 0; b < all.size(); ++b)
    all[b].lo = bands.band_edges[b], all[b].hi = bands.band_edges[b + 1];
  all.back().closed = true;
  r.audit_options = audit_options_of(set, bands);
  const std::string seed = set.metadata.contains("seed") ? set.metadata.at("seed") : "";
  if (!seed.empty()) r.audit_options.seed = parse_unsigned(seed, "metadata seed", UINT64_MAX);
  r.seed_known = !seed.empty();
  audit::AuditResult& shared = r.audit_result;
  shared.cells.assign(1, std::vector<audit::CellStats>(all.size()));
  shared.first_failure.assign(1, std::vector<std::optional<std::int64_t>>(r.thresholds.size()));
  shared.bucket_max.assign(1, std::vector<double>(audit::kBucketCount, -1));
  shared.attention_factor = {r.attention_factor};

  const RopeConfig& c = set.config;
  const auto width = static_cast<std::size_t>(c.head_dim);
  const std::size_t rows = y.size() / width;
  for (std::size_t row = 0; row < rows; ++row) {
    const std::int64_t position = set.positions[row / static_cast<std::size_t>(set.heads)];
    const std::size_t band_index = audit::band_of(bands, position);
    GradeBand& band = all[band_index];
    audit::CellStats& cell = shared.cells[0][band_index];
    const std::size_t start = row * width;
    for (int i = 0; i < c.pairs(); ++i) {
      const auto [a, b] = pair_channels(c.layout, c.rotary_dim, i);
      const std::size_t ia = start + static_cast<std::size_t>(a);
      const std::size_t ib = start + static_cast<std::size_t>(b);
      const auto [ea, eb, err, norm, rel] = pair_error(set, y, ia, ib, r.attention_factor);
      const double norm_ulps = ratio(err, format_ulp(norm, set.dtype));
      r.pairs += 1;
      band.pairs += 1;
      r.norm_histogram[norm_bucket(norm_ulps)] += 1;
      r.max_norm_ulps = std::max(r.max_norm_ulps, norm_ulps);
      double& bucket = r.bucket_max_rel[static_cast<std::size_t>(audit::bucket_of(position))];
      bucket = std::max(bucket, rel);
      const bool unit = std::fabs(set.x[ia]) <= 1 && std::fabs(set.x[ib]) <= 1;
      if (unit) band.unit_pairs += 1;
      if (err > 0 || band.relative.error < 0 || (unit && band.absolute.error < 0)) {
        const OutputSite site = output_site(set, y, ea >= eb ? ia : ib);
        update(band.relative, rel, site);
        update(r.worst_relative, rel, site);
        if (unit) update(band.absolute, std::max(ea, eb), site);
      }
      if (unit) {
        // The audit's measures of these two outputs (audit_engine.cpp, measure_position), with
        // expected in place of the exact value: the ulp of the pair norm a |x| in the dtype.
        const double ulp = format_ulp(norm, set.dtype);
        double& bucket_abs =
            shared.bucket_max[0][static_cast<std::size_t>(audit::bucket_of(position))];
        for (const auto& [index, channel, e] : {std::tuple{ia, a, ea}, std::tuple{ib, b, eb}}) {
          const double got = y[index], want = set.expected[index];
          cell.outputs += 1;
          cell.correctly_rounded += (got == want || (std::isnan(got) && std::isnan(want))) ? 1 : 0;
          cell.sum_abs_err += e;
          cell.sum_err_ulp_norm += ratio(e, ulp);
          update_worst(cell.max_abs_err, e, position, channel, set.x[ia], set.x[ib], got, want);
          update_worst(cell.max_err_ulp_norm, ratio(e, ulp), position, channel, set.x[ia],
                       set.x[ib], got, want);
          bucket_abs = std::max(bucket_abs, e);
          for (std::size_t t = 0; t < r.thresholds.size(); ++t) {
            auto& first = shared.first_failure[0][t];
            if (e > r.thresholds[t] && (!first || position < *first)) first = position;
          }
        }
      }
      for (std::size_t t = 0; t < r.thresholds.size(); ++t)
        if (rel > r.thresholds[t] && (!r.first_over[t] || position < *r.first_over[t]))
          r.first_over[t] = position;
    }
    for (int ch = c.rotary_dim; ch < c.head_dim; ++ch) {
      const std::size_t i = start + static_cast<std::size_t>(ch);
      r.pass_through += 1;
      r.pass_through_differ += bitwise_equal(y[i], set.expected[i], set.dtype) ? 0 : 1;
    }
  }
  for (const GradeBand& band : all)
    if (band.pairs > 0) r.bands.push_back(band);
  for (const auto& first : r.first_over) r.safe_up_to.push_back(audit::safe_position(bands, first));
  if (options.behaves_like) r.behaves_like = behaves_like(set, y);
  if (!r.behaves_like.empty() && r.behaves_like.front().not_applicable.empty()) {
    // The closest pipeline's own curve, for the plot: run once more rather than keep every
    // pipeline's outputs in memory.
    const std::vector<double> theirs =
        apply_rows(find_implementation(r.behaves_like.front().impl), set.config, row_positions(set),
                   set.x, set.seq_len);
    r.closest_bucket_max_rel = bucket_max_rel(set, theirs, r.attention_factor);
  }
  return r;
}

std::string format_grade_analysis(const GradeReport& report, const GradeAnalysis& a) {
  const std::string verdict = format_grade_report(report);
  // The verdict's first two lines (what was graded, bit-exact share) open the report; its
  // worst-component and PASS/FAIL lines close it.
  std::size_t split = verdict.find('\n');
  split = verdict.find('\n', split + 1) + 1;
  std::string out = verdict.substr(0, split);
  out += fmt::format(
      "{} rotated pairs, {} pass-through outputs ({} differ from expected); attention factor "
      "a = {}\n\n",
      a.pairs, a.pass_through, a.pass_through_differ, hex_float(a.attention_factor));
  out +=
      "Worst pair error per position band: rel = |(y - expected) pair| / (a |x pair|) over "
      "every input,\nabs = max |y - expected| of a component over pairs with both inputs in "
      "[-1, 1].\n";
  std::vector<std::vector<std::string>> rows = {{"band", "pairs", "max rel", "at position",
                                                 "worst input (x_a, x_b)", "max abs [-1,1]",
                                                 "at position"}};
  for (const GradeBand& b : a.bands) {
    rows.push_back({fmt::format("[{},{}{}", audit::format_position(b.lo),
                                audit::format_position(b.hi), b.closed ? "]" : ")"),
                    std::to_string(b.pairs), error_text(b.relative.error),
                    audit::format_position(b.relative.site.position), input_text(b.relative.site),
                    b.absolute.error < 0 ? "-" : error_text(b.absolute.error),
                    b.absolute.error < 0 ? "-" : audit::format_position(b.absolute.site.position)});
  }
  std::vector<std::size_t> width(rows.front().size(), 0);
  for (const auto& row : rows)
    for (std::size_t k = 0; k < row.size(); ++k) width[k] = std::max(width[k], row[k].size());
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t k = 0; k < row.size(); ++k)
      line += fmt::format("{:<{}}", row[k], width[k] + (k + 1 < row.size() ? 2 : 0));
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  out +=
      "\nsafe up to (the largest position of the set below the first whose rel exceeds T; "
      ">= when none does):";
  for (std::size_t t = 0; t < a.thresholds.size(); ++t) {
    const auto& safe = a.safe_up_to[t];
    out +=
        fmt::format("  T={:g}: {}", a.thresholds[t],
                    !safe ? "none" : (a.first_over[t] ? "" : ">=") + audit::format_position(*safe));
  }
  out += "\n";
  out += fmt::format(
      "pair error in ulps of the pair norm (max {}):",
      std::isinf(a.max_norm_ulps) ? std::string("inf") : fmt::format("{:.3g}", a.max_norm_ulps));
  for (std::size_t k = 0; k < kNormUlpBuckets.size(); ++k)
    out += fmt::format("  {}: {}", kNormUlpBuckets[k], a.norm_histogram[k]);
  out += "\n";
  if (!report.margin_applies)
    out += "bound margin: none (the exact bound allows no error)\n";
  else if (!report.margin_site)
    out += fmt::format("bound margin: 0 of the {} bound (every output bit-exact)\n", report.bound);
  else
    out += fmt::format(
        "bound margin: {} of the {} bound at its worst, position {} ({}token {} head "
        "{} channel {})\n",
        std::isinf(report.margin) ? std::string("inf") : fmt::format("{:.3g}", report.margin),
        report.bound, report.margin_site->position, position_alias(report.margin_site->position),
        report.margin_site->token, report.margin_site->head, report.margin_site->channel);
  if (!a.behaves_like.empty()) {
    const BehavesLike& best = a.behaves_like.front();
    out += fmt::format("behaves like: computes like `{}` ({}) on {} of outputs; {}\n", best.impl,
                       best.summary, share_text(best.identical, a.outputs),
                       !best.within_bound   ? "that pipeline has no derived bound"
                       : *best.within_bound ? "within that pipeline's bound"
                                            : "NOT within that pipeline's bound");
    std::string others;
    for (std::size_t k = 1; k < a.behaves_like.size(); ++k) {
      const BehavesLike& b = a.behaves_like[k];
      others += fmt::format("{}{} {}", others.empty() ? "" : ", ", b.impl,
                            b.not_applicable.empty() ? share_text(b.identical, a.outputs)
                                                     : "(cannot run this config)");
    }
    if (!others.empty()) out += "  others: " + others + "\n";
  }
  out += verdict.substr(split);
  return out;
}

nlohmann::json grade_analysis_json(const GradeReport& report, const GradeAnalysis& a) {
  // The audit's report (spec/audit.md) without the drift measures grade cannot take (it sees
  // one output per input, no scores), then grade's own fields beside it (spec/vectors.md).
  nlohmann::json out = audit::report_core_json(a.audit_options, a.audit_result, false);
  if (!a.seed_known) out["options"]["seed"] = nullptr;
  out.update(grade_report_json(report));
  auto worst_json = [](const PairWorst& w) {
    return w.error < 0 ? nlohmann::json(nullptr)
                       : nlohmann::json{{"error", json_number(w.error)},
                                        {"site", output_site_json(w.site)}};
  };
  nlohmann::json bands = nlohmann::json::array();
  for (const GradeBand& b : a.bands)
    bands.push_back({{"lo", b.lo},
                     {"hi", b.hi},
                     {"pairs", b.pairs},
                     {"unit_pairs", b.unit_pairs},
                     {"max_rel_err", worst_json(b.relative)},
                     {"max_abs_err_unit_inputs", worst_json(b.absolute)}});
  nlohmann::json safe = nlohmann::json::array();
  for (std::size_t t = 0; t < a.thresholds.size(); ++t)
    safe.push_back({{"threshold", a.thresholds[t]},
                    {"first_over", a.first_over[t] ? nlohmann::json(*a.first_over[t]) : nullptr},
                    {"safe_up_to", a.safe_up_to[t] ? nlohmann::json(*a.safe_up_to[t]) : nullptr},
                    {"exceeded", a.first_over[t].has_value()}});
  nlohmann::json histogram = nlohmann::json::object();
  for (std::size_t k = 0; k < kNormUlpBuckets.size(); ++k)
    histogram[std::string(kNormUlpBuckets[k])] = a.norm_histogram[k];
  nlohmann::json like = nlohmann::json::array();
  for (const BehavesLike& b : a.behaves_like) {
    nlohmann::json entry = {
        {"impl", b.impl},
        {"summary", b.summary},
        {"identical", b.identical},
        {"share",
         a.outputs ? static_cast<double>(b.identical) / static_cast<double>(a.outputs) : 1.0}};
    if (!b.not_applicable.empty()) entry["not_applicable"] = b.not_applicable;
    if (b.within_bound) entry["within_bound"] = *b.within_bound;
    like.push_back(std::move(entry));
  }
  out["pairs"] = a.pairs;
  out["pass_through"] = a.pass_through;
  out["pass_through_differ"] = a.pass_through_differ;
  out["bands"] = bands;
  out["safe_up_to"] = safe;
  out["max_norm_ulps"] = json_number(a.max_norm_ulps);
  out["norm_ulp_histogram"] = histogram;
  out["behaves_like"] = like;
  out["closest"] = a.behaves_like.empty() ? nlohmann::json(nullptr)
                                          : nlohmann::json(a.behaves_like.front().impl);
  // The closest pipeline in one object: its share and whether the kernel stays in its bound.
  if (a.behaves_like.empty()) {
    out["closest_pipeline"] = nullptr;
  } else {
    const BehavesLike& best = a.behaves_like.front();
    out["closest_pipeline"] = {
        {"impl", best.impl},
        {"summary", best.summary},
        {"share", like.front()["share"]},
        {"within_bound",
         best.within_bound ? nlohmann::json(*best.within_bound) : nlohmann::json(nullptr)}};
  }
  return out;
}

std::string grade_analysis_csv(const GradeAnalysis& a) {
  // The audit's columns (audit::report_csv_row), then grade's: the error relative to the pair
  // norm over every input and where it is worst.
  std::string out = audit::report_csv_header() +
                    ",pairs,max_rel_err,rel_position,rel_token,rel_head,rel_channel,rel_x_a,"
                    "rel_x_b,rel_got,rel_expected,unit_pairs\n";
  const audit::AuditOptions& o = a.audit_options;
  for (const GradeBand& b : a.bands) {
    const std::size_t index = audit::band_of(o, b.lo);
    const audit::CellStats& cell = a.audit_result.cells[0][index];
    // A band without a pair of inputs in [-1, 1] has no audit measures: its cells stay empty.
    out += cell.outputs > 0 ? audit::report_csv_row(o.impls[0], b.lo, b.hi, cell, false)
                            : fmt::format("{},{},{},0,,,,,,,,,,,,,,", o.impls[0], b.lo, b.hi);
    const OutputSite& s = b.relative.site;
    out += fmt::format(",{},{:.6e},{},{},{},{},{},{},{},{},{}\n", b.pairs, b.relative.error,
                       s.position, s.token, s.head, s.channel, hex_float(s.x_a), hex_float(s.x_b),
                       hex_float(s.got), hex_float(s.expected), b.unit_pairs);
  }
  return out;
}

namespace {

// The plot's curves: the kernel's, then the closest pipeline's where it could run.
std::vector<audit::PlotSeries> plot_series(const GradeAnalysis& a) {
  std::vector<audit::PlotSeries> series = {{"kernel", a.bucket_max_rel}};
  if (!a.closest_bucket_max_rel.empty())
    series.push_back(
        {a.behaves_like.front().impl + " (closest pipeline)", a.closest_bucket_max_rel});
  return series;
}

}  // namespace

std::string grade_plot_data(const GradeAnalysis& a) {
  return audit::plot_data(plot_series(a));
}

std::string grade_plot_script(const GradeAnalysis& a, const std::string& title,
                              const std::string& data_file, const std::string& png_file,
                              const std::string& svg_file) {
  std::vector<std::string> names;
  for (const audit::PlotSeries& one : plot_series(a)) names.push_back(one.name);
  return audit::plot_script(
      {title, "max |(y - expected) pair| / (a |x pair|) per position bucket", a.thresholds}, names,
      data_file, png_file, svg_file);
}

}  // namespace ropecheck::vectors
