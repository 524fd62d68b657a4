#include "audit/report_schema.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <set>
#include <string>

#include "audit/audit_json.hpp"
#include "core/config_error.hpp"
#include "core/json_numbers.hpp"

namespace ropecheck::audit {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw ConfigError("results.json", fmt::format("{}: {}", path, what));
}

const json& member(const json& object, const std::string& key, const std::string& path) {
  if (!object.is_object()) fail(path, "must be an object");
  const auto it = object.find(key);
  if (it == object.end()) fail(path, fmt::format("lacks \"{}\"", key));
  return *it;
}

std::int64_t integer(const json& v, const std::string& path) {
  if (!v.is_number_integer()) fail(path, "must be an integer");
  return v.get<std::int64_t>();
}

std::int64_t counter(const json& v, const std::string& path) {
  const std::int64_t n = integer(v, path);
  if (n < 0) fail(path, "must not be negative");
  return n;
}

std::string text(const json& v, const std::string& path) {
  if (!v.is_string()) fail(path, "must be a string");
  return v.get<std::string>();
}

// A number, or "inf"/"nan" as json_number writes them.
double number(const json& v, const std::string& path) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string() && (v == "inf" || v == "-inf" || v == "nan")) return parse_json_value(v, path);
  fail(path, "must be a number (or \"inf\")");
}

// An exact C99 hex float string ("0x1.8p-3"), as hex_float writes it.
void hex(const json& v, const std::string& path) {
  const std::string s = text(v, path);
  const bool hex_form =
      s.find("0x") != std::string::npos || s == "inf" || s == "-inf" || s == "nan";
  if (!hex_form) fail(path, fmt::format("\"{}\" is not a hex float", s));
  parse_json_value(v, path);
}

struct Options {
  std::vector<std::string> impls;
  std::vector<std::int64_t> band_edges;
  std::vector<std::string> threshold_keys;
};

Options check_options(const json& o) {
  const std::string p = "options";
  Options out;
  if (!member(o, "config", p).is_object()) fail(p + ".config", "must be an object");
  text(member(o, "config_label", p), p + ".config_label");
  text(member(o, "layer_type", p), p + ".layer_type");
  text(member(o, "positions", p), p + ".positions");
  const json& impls = member(o, "impls", p);
  if (!impls.is_array() || impls.empty()) fail(p + ".impls", "must be a non-empty list");
  for (const json& name : impls) out.impls.push_back(text(name, p + ".impls[]"));
  const json& edges = member(o, "band_edges", p);
  if (!edges.is_array() || edges.size() < 2) fail(p + ".band_edges", "needs two edges at least");
  for (const json& e : edges) out.band_edges.push_back(integer(e, p + ".band_edges[]"));
  if (std::adjacent_find(out.band_edges.begin(), out.band_edges.end(),
                         [](auto a, auto b) { return b <= a; }) != out.band_edges.end())
    fail(p + ".band_edges", "must increase");
  const json& thresholds = member(o, "thresholds", p);
  if (!thresholds.is_array()) fail(p + ".thresholds", "must be a list");
  for (const json& t : thresholds) {
    const double v = number(t, p + ".thresholds[]");
    if (!(v > 0)) fail(p + ".thresholds[]", "must be positive");
    out.threshold_keys.push_back(threshold_key(v));
  }
  // null: the inputs were not drawn from a seed (a grade of given inputs, spec/vectors.md).
  const json& seed = member(o, "seed", p);
  if (!seed.is_null() && !seed.is_number_unsigned() && !(seed.is_number_integer() && seed >= 0))
    fail(p + ".seed", "must be a non-negative integer or null");
  if (integer(member(o, "seq_len", p), p + ".seq_len") < 1) fail(p + ".seq_len", "must be >= 1");
  if (integer(member(o, "heads", p), p + ".heads") < 1) fail(p + ".heads", "must be >= 1");
  return out;
}

void check_row(const json& row, const std::string& p, const Options& o) {
  const std::string impl = text(member(row, "impl", p), p + ".impl");
  if (std::find(o.impls.begin(), o.impls.end(), impl) == o.impls.end())
    fail(p + ".impl", fmt::format("\"{}\" is not among options.impls", impl));
  const json& band = member(row, "band", p);
  if (!band.is_array() || band.size() != 2) fail(p + ".band", "must be [lo, hi]");
  const std::int64_t lo = integer(band[0], p + ".band[0]"), hi = integer(band[1], p + ".band[1]");
  const auto at = std::find(o.band_edges.begin(), o.band_edges.end(), lo);
  if (at == o.band_edges.end() || at + 1 == o.band_edges.end() || *(at + 1) != hi)
    fail(p + ".band", "is not one of options.band_edges' bands");
  if (counter(member(row, "outputs", p), p + ".outputs") < 1) fail(p + ".outputs", "must be >= 1");
  for (const char* key : {"max_abs_err", "mean_abs_err", "max_err_ulp_norm", "mean_err_ulp_norm"})
    if (!(number(member(row, key, p), p + "." + key) >= 0)) fail(p + "." + key, "must be >= 0");
  const double share = number(member(row, "correctly_rounded", p), p + ".correctly_rounded");
  if (!(share >= 0 && share <= 1)) fail(p + ".correctly_rounded", "must be a share in [0, 1]");
  const std::string w = p + ".worst";
  const json& worst = member(row, "worst", p);
  integer(member(worst, "position", w), w + ".position");
  integer(member(worst, "channel", w), w + ".channel");
  const json& pair = member(worst, "x_pair", w);
  if (!pair.is_array() || pair.size() != 2) fail(w + ".x_pair", "must be [x_a, x_b]");
  for (const json& x : pair) hex(x, w + ".x_pair[]");
  for (const char* key : {"got", "expected", "abs_err"}) hex(member(worst, key, w), w + "." + key);
  const std::int64_t samples = counter(member(row, "score_samples", p), p + ".score_samples");
  for (const char* key : {"max_score_err", "max_invariance_drift", "max_norm_drift"}) {
    const json& v = member(row, key, p);
    // null only where nothing was sampled: a measured quantity is always a number.
    if (v.is_null() && samples == 0) continue;
    if (!(number(v, p + "." + key) >= 0)) fail(p + "." + key, "must be >= 0");
  }
}

}  // namespace

void check_report_json(const json& r) {
  if (!r.is_object()) fail("(document)", "must be an object");
  if (member(r, "ropecheck_audit", "(document)") != json(1))
    fail("ropecheck_audit", "must be 1 (the schema's version)");
  const Options o = check_options(member(r, "options", "(document)"));
  counter(member(r, "position_count", "(document)"), "position_count");
  counter(member(r, "max_position", "(document)"), "max_position");
  const json& factors = member(r, "attention_factor", "(document)");
  for (const std::string& impl : o.impls)
    number(member(factors, impl, "attention_factor"), "attention_factor." + impl);
  const json& results = member(r, "results", "(document)");
  if (!results.is_array()) fail("results", "must be a list");
  std::set<std::pair<std::string, std::int64_t>> seen;
  for (std::size_t k = 0; k < results.size(); ++k) {
    const std::string p = fmt::format("results[{}]", k);
    check_row(results[k], p, o);
    if (!seen.insert(
                 {results[k]["impl"].get<std::string>(), results[k]["band"][0].get<std::int64_t>()})
             .second)
      fail(p, "repeats an implementation and band");
  }
  const json& safe = member(r, "safe_position", "(document)");
  for (const std::string& impl : o.impls) {
    const std::string p = "safe_position." + impl;
    const json& per = member(safe, impl, "safe_position");
    if (!per.is_object() || per.size() != o.threshold_keys.size())
      fail(p, "must hold one entry per threshold");
    for (const std::string& key : o.threshold_keys) {
      const json& v = member(per, key, p);
      if (!v.is_null()) counter(v, p + "." + key);
    }
  }
  if (r.contains("reference_work")) {
    const json& w = r["reference_work"];
    for (const char* key : {"pairs", "exact_mpfr", "refined", "scores", "scores_mpfr"})
      counter(member(w, key, "reference_work"), std::string("reference_work.") + key);
  }
}

}  // namespace ropecheck::audit
