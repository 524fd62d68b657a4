#include "audit/audit_json.hpp"

#include <fmt/format.h>

#include "audit/audit_engine.hpp"
#include "audit/position_spec.hpp"
#include "core/config_error.hpp"
#include "core/hf_config.hpp"
#include "core/json_numbers.hpp"
#include "core/parse_number.hpp"

namespace ropecheck::audit {
namespace {

using nlohmann::json;

// Doubles travel as exact hex floats, so a merged audit equals the unsharded one bit for bit.
json exact(double v) {
  return hex_float(v);
}
double read_exact(const json& v, const char* what) {
  return parse_json_value(v, what);
}

json worst_to_json(const Worst& w) {
  return {{"error", exact(w.error)},      {"position", w.position}, {"channel", w.channel},
          {"x_a", exact(w.x_a)},          {"x_b", exact(w.x_b)},    {"got", exact(w.got)},
          {"expected", exact(w.expected)}};
}

Worst worst_from_json(const json& j) {
  return {read_exact(j.at("error"), "error"),
          j.at("position").get<std::int64_t>(),
          j.at("channel").get<int>(),
          read_exact(j.at("x_a"), "x_a"),
          read_exact(j.at("x_b"), "x_b"),
          read_exact(j.at("got"), "got"),
          read_exact(j.at("expected"), "expected")};
}

json cell_to_json(const CellStats& c) {
  return {
      {"outputs", c.outputs},
      {"correctly_rounded", c.correctly_rounded},
      {"sum_abs_err", exact(c.sum_abs_err)},
      {"sum_err_ulp_norm", exact(c.sum_err_ulp_norm)},
      {"max_abs_err", worst_to_json(c.max_abs_err)},
      {"max_err_ulp_norm", worst_to_json(c.max_err_ulp_norm)},
      {"max_score_err", {exact(c.max_score_err), c.max_score_err_position}},
      {"max_invariance_drift", {exact(c.max_invariance_drift), c.max_invariance_drift_position}},
      {"max_norm_drift", {exact(c.max_norm_drift), c.max_norm_drift_position}},
      {"score_samples", c.score_samples}};
}

CellStats cell_from_json(const json& j) {
  CellStats c;
  c.outputs = j.at("outputs").get<std::uint64_t>();
  c.correctly_rounded = j.at("correctly_rounded").get<std::uint64_t>();
  c.sum_abs_err = read_exact(j.at("sum_abs_err"), "sum_abs_err");
  c.sum_err_ulp_norm = read_exact(j.at("sum_err_ulp_norm"), "sum_err_ulp_norm");
  c.max_abs_err = worst_from_json(j.at("max_abs_err"));
  c.max_err_ulp_norm = worst_from_json(j.at("max_err_ulp_norm"));
  c.max_score_err = read_exact(j.at("max_score_err").at(0), "max_score_err");
  c.max_score_err_position = j.at("max_score_err").at(1).get<std::int64_t>();
  c.max_invariance_drift = read_exact(j.at("max_invariance_drift").at(0), "max_invariance_drift");
  c.max_invariance_drift_position = j.at("max_invariance_drift").at(1).get<std::int64_t>();
  c.max_norm_drift = read_exact(j.at("max_norm_drift").at(0), "max_norm_drift");
  c.max_norm_drift_position = j.at("max_norm_drift").at(1).get<std::int64_t>();
  c.score_samples = j.at("score_samples").get<std::uint64_t>();
  return c;
}

json work_to_json(const ReferenceWork& w) {
  return {{"pairs", w.pairs},
          {"exact_mpfr", w.exact_mpfr},
          {"refined", w.refined},
          {"scores", w.scores},
          {"scores_mpfr", w.scores_mpfr}};
}

ReferenceWork work_from_json(const json& j) {
  return {j.at("pairs").get<std::uint64_t>(), j.at("exact_mpfr").get<std::uint64_t>(),
          j.at("refined").get<std::uint64_t>(), j.at("scores").get<std::uint64_t>(),
          j.at("scores_mpfr").get<std::uint64_t>()};
}

}  // namespace

json optional_position_json(const std::optional<std::int64_t>& p) {
  return p ? json(*p) : json(nullptr);
}

std::optional<std::int64_t> optional_position_from_json(const json& j) {
  return j.is_null() ? std::nullopt : std::optional<std::int64_t>(j.get<std::int64_t>());
}

std::string threshold_key(double t) {
  return fmt::format("{:g}", t);
}

json options_fingerprint(const AuditOptions& o) {
  return {{"config", o.config_json},       {"config_label", o.config_label},
          {"layer_type", o.layer_type},    {"impls", o.impls},
          {"positions", o.positions_spec}, {"band_edges", o.band_edges},
          {"thresholds", o.thresholds},    {"seed", o.seed},
          {"seq_len", o.seq_len},          {"heads", o.heads}};
}

AuditOptions options_from_fingerprint(const json& f) {
  AuditOptions o;
  o.config_json = f.at("config");
  o.layer_type = f.at("layer_type").get<std::string>();
  o.config = parse_hf_config(o.config_json, {.layer_type = o.layer_type});
  o.config_label = f.at("config_label").get<std::string>();
  o.impls = f.at("impls").get<std::vector<std::string>>();
  o.positions_spec = f.at("positions").get<std::string>();
  o.positions = parse_positions(o.positions_spec);
  o.band_edges = f.at("band_edges").get<std::vector<std::int64_t>>();
  o.thresholds = f.at("thresholds").get<std::vector<double>>();
  o.seed = f.at("seed").get<std::uint64_t>();
  o.seq_len = json_integer(f.at("seq_len"), "seq_len", 1, std::int64_t{1} << 53);
  o.heads = static_cast<int>(json_integer(f.at("heads"), "heads", 1, 64));
  return o;
}

json blocks_to_json(const std::vector<BlockResult>& blocks) {
  json out = json::array();
  for (const BlockResult& b : blocks) {
    json impls = json::array();
    for (const ImplBlock& ib : b.impls) {
      json bands = json::array(), failures = json::array(), buckets = json::array();
      for (const CellStats& c : ib.bands) bands.push_back(cell_to_json(c));
      for (const auto& f : ib.first_failure) failures.push_back(optional_position_json(f));
      for (double v : ib.bucket_max) buckets.push_back(exact(v));
      impls.push_back({{"bands", bands}, {"first_failure", failures}, {"bucket_max", buckets}});
    }
    out.push_back({{"index", b.index}, {"impls", impls}, {"work", work_to_json(b.work)}});
  }
  return out;
}

std::vector<BlockResult> blocks_from_json(const json& blocks, const AuditOptions& o) {
  std::vector<BlockResult> out;
  for (const json& jb : blocks) {
    BlockResult b;
    b.index = jb.at("index").get<std::size_t>();
    b.work = work_from_json(jb.at("work"));
    const json& impls = jb.at("impls");
    if (impls.size() != o.impls.size()) throw ConfigError("shard", "implementation count differs");
    for (const json& ji : impls) {
      ImplBlock ib;
      for (const json& c : ji.at("bands")) ib.bands.push_back(cell_from_json(c));
      for (const json& f : ji.at("first_failure"))
        ib.first_failure.push_back(optional_position_from_json(f));
      for (const json& v : ji.at("bucket_max"))
        ib.bucket_max.push_back(read_exact(v, "bucket_max"));
      if (ib.bands.size() != o.band_edges.size() - 1 ||
          ib.first_failure.size() != o.thresholds.size() ||
          ib.bucket_max.size() != static_cast<std::size_t>(kBucketCount))
        throw ConfigError("shard", "block shape differs from the options");
      b.impls.push_back(std::move(ib));
    }
    out.push_back(std::move(b));
  }
  return out;
}

json report_core_json(const AuditOptions& o, const AuditResult& r, bool drift_measured) {
  // A quantity that was not measured is null, never a 0 that would read as "no error".
  auto drift = [drift_measured](double v) {
    return drift_measured ? json_number(v) : json(nullptr);
  };
  json results = json::array();
  for (std::size_t k = 0; k < o.impls.size(); ++k) {
    for (std::size_t band = 0; band + 1 < o.band_edges.size(); ++band) {
      const CellStats& c = r.cells[k][band];
      if (c.outputs == 0) continue;
      const Worst& w = c.max_abs_err;
      const double n = static_cast<double>(c.outputs);
      results.push_back({{"impl", o.impls[k]},
                         {"band", {o.band_edges[band], o.band_edges[band + 1]}},
                         {"outputs", c.outputs},
                         {"max_abs_err", json_number(w.error)},
                         {"mean_abs_err", json_number(c.sum_abs_err / n)},
                         {"max_err_ulp_norm", json_number(c.max_err_ulp_norm.error)},
                         {"mean_err_ulp_norm", json_number(c.sum_err_ulp_norm / n)},
                         {"correctly_rounded", static_cast<double>(c.correctly_rounded) / n},
                         {"worst",
                          {{"position", w.position},
                           {"channel", w.channel},
                           {"x_pair", {hex_float(w.x_a), hex_float(w.x_b)}},
                           {"got", hex_float(w.got)},
                           {"expected", hex_float(w.expected)},
                           {"abs_err", hex_float(w.error)}}},
                         {"max_score_err", drift(c.max_score_err)},
                         {"max_invariance_drift", drift(c.max_invariance_drift)},
                         {"max_norm_drift", drift(c.max_norm_drift)},
                         {"score_samples", c.score_samples}});
    }
  }
  json safe = json::object();
  for (std::size_t k = 0; k < o.impls.size(); ++k) {
    json per = json::object();
    for (std::size_t t = 0; t < o.thresholds.size(); ++t)
      per[threshold_key(o.thresholds[t])] =
          optional_position_json(safe_position(o, r.first_failure[k][t]));
    safe[o.impls[k]] = per;
  }
  json attention = json::object();
  for (std::size_t k = 0; k < o.impls.size(); ++k) attention[o.impls[k]] = r.attention_factor[k];
  return {{"ropecheck_audit", 1},
          {"options", options_fingerprint(o)},
          {"position_count", o.positions.size()},
          {"max_position", o.positions.back()},
          {"attention_factor", attention},
          {"results", results},
          {"safe_position", safe}};
}

json report_json(const AuditOptions& o, const AuditResult& r) {
  json out = report_core_json(o, r, true);
  out["reference_work"] = work_to_json(r.work);
  return out;
}

}  // namespace ropecheck::audit
