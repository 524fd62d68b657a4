// The exhaustive audit's JSON (fingerprint, parts for shards, the report) and terminal table.
#include <fmt/format.h>
#include <cmath>

#include "audit/audit_json.hpp"
#include "audit/audit_report.hpp"
#include "audit/exhaustive.hpp"
#include "core/config_error.hpp"
#include "core/hf_config.hpp"
#include "core/json_numbers.hpp"

namespace ropecheck::audit {
namespace {

using nlohmann::json;

std::string hex_position(std::int64_t m) {
  return fmt::format("{:#x}", m);
}

std::string band_label(const ExhaustiveOptions& o, std::size_t band) {
  return fmt::format("[{},{}{}", format_position(o.band_edges[band]),
                     format_position(o.band_edges[band + 1]),
                     band + 2 == o.band_edges.size() ? "]" : ")");
}

}  // namespace

json exhaustive_fingerprint(const ExhaustiveOptions& o) {
  return {{"mode", "exhaustive"},
          {"config", o.config_json},
          {"config_label", o.config_label},
          {"layer_type", o.layer_type},
          {"impls", o.impls},
          {"first", o.first},
          {"last", o.last},
          {"band_edges", o.band_edges},
          {"thresholds", o.thresholds},
          {"seq_len", o.seq_len}};
}

ExhaustiveOptions exhaustive_options_from_fingerprint(const json& f) {
  if (f.value("mode", "") != "exhaustive")
    throw ConfigError("shard files", "not the options of an exhaustive audit");
  ExhaustiveOptions o;
  o.config_json = f.at("config");
  o.layer_type = f.at("layer_type").get<std::string>();
  o.config = parse_hf_config(o.config_json, {.layer_type = o.layer_type});
  o.config_label = f.at("config_label").get<std::string>();
  o.impls = f.at("impls").get<std::vector<std::string>>();
  o.first = f.at("first").get<std::int64_t>();
  o.last = f.at("last").get<std::int64_t>();
  o.band_edges = f.at("band_edges").get<std::vector<std::int64_t>>();
  o.thresholds = f.at("thresholds").get<std::vector<double>>();
  o.seq_len = f.at("seq_len").get<std::int64_t>();
  return o;
}

json part_to_json(const ExhaustivePart& p) {
  json impls = json::array();
  for (const ExhaustiveImpl& r : p.impls) {
    json bands = json::array(), first = json::array();
    for (const CoefficientWorst& w : r.band_max)
      bands.push_back(
          {hex_float(w.error), w.position, w.pair, hex_float(w.c_got), hex_float(w.s_got)});
    for (const auto& f : r.first_exceeding) first.push_back(optional_position_json(f));
    impls.push_back({{"band_max", bands}, {"histogram", r.histogram}, {"first_exceeding", first}});
  }
  return {{"first", p.first},
          {"last", p.last},
          {"impls", impls},
          {"evaluations", p.evaluations},
          {"exact_mpfr", p.exact_mpfr},
          {"refined", p.refined},
          {"undecided", p.undecided}};
}

ExhaustivePart part_from_json(const json& j, const ExhaustiveOptions& o) {
  ExhaustivePart p;
  p.first = j.at("first").get<std::int64_t>();
  p.last = j.at("last").get<std::int64_t>();
  p.evaluations = j.at("evaluations").get<std::uint64_t>();
  p.exact_mpfr = j.at("exact_mpfr").get<std::uint64_t>();
  p.refined = j.at("refined").get<std::uint64_t>();
  p.undecided = j.at("undecided").get<std::uint64_t>();
  for (const json& ji : j.at("impls")) {
    ExhaustiveImpl r;
    for (const json& b : ji.at("band_max"))
      r.band_max.push_back({parse_json_value(b.at(0), "band_max"), b.at(1).get<std::int64_t>(),
                            b.at(2).get<int>(), parse_json_value(b.at(3), "band_max"),
                            parse_json_value(b.at(4), "band_max")});
    r.histogram = ji.at("histogram").get<std::vector<std::uint64_t>>();
    for (const json& f : ji.at("first_exceeding"))
      r.first_exceeding.push_back(optional_position_from_json(f));
    if (r.band_max.size() != o.band_edges.size() - 1 ||
        r.histogram.size() != static_cast<std::size_t>(kHistogramBins) ||
        r.first_exceeding.size() != o.thresholds.size())
      throw ConfigError("shard files", "a part's shape differs from its options");
    p.impls.push_back(std::move(r));
  }
  return p;
}

json exhaustive_report_json(const ExhaustiveOptions& o, const ExhaustivePart& all) {
  json impls = json::array();
  for (std::size_t k = 0; k < o.impls.size(); ++k) {
    const ExhaustiveImpl& r = all.impls[k];
    const double rotation = rotation_rounding_term(o, k);
    json bands = json::array();
    for (std::size_t band = 0; band < r.band_max.size(); ++band) {
      const CoefficientWorst& w = r.band_max[band];
      if (w.error < 0) continue;  // no position of the range in this band
      bands.push_back({{"band", {o.band_edges[band], o.band_edges[band + 1]}},
                       {"max_coefficient_err", json_number(w.error)},
                       {"max_coefficient_err_hex", hex_float(w.error)},
                       {"with_rotation_rounding", json_number(w.error + rotation)},
                       {"position", w.position},
                       {"position_hex", hex_position(w.position)},
                       {"pair", w.pair},
                       {"pair_hex", fmt::format("{:#x}", w.pair)},
                       {"cos_got", hex_float(w.c_got)},
                       {"sin_got", hex_float(w.s_got)}});
    }
    json histogram = json::array();
    for (int bin = 0; bin < kHistogramBins; ++bin) {
      const std::uint64_t n = r.histogram[static_cast<std::size_t>(bin)];
      if (n == 0) continue;
      histogram.push_back(
          {{"log2_upper", bin == kHistogramBins - 1 ? json("inf") : json(kHistogramLow + bin)},
           {"count", n}});
    }
    json first = json::object();
    for (std::size_t t = 0; t < o.thresholds.size(); ++t)
      first[fmt::format("{:g}", o.thresholds[t])] = optional_position_json(r.first_exceeding[t]);
    impls.push_back({{"impl", o.impls[k]},
                     {"rotation_rounding_term", json_number(rotation)},
                     {"bands", bands},
                     {"histogram", histogram},
                     {"first_position_exceeding", first}});
  }
  return {
      {"ropecheck_exhaustive_audit", 1},
      {"options", exhaustive_fingerprint(o)},
      {"evaluations_per_impl", all.evaluations},
      {"reference_work",
       {{"exact_mpfr", all.exact_mpfr}, {"refined", all.refined}, {"undecided", all.undecided}}},
      {"results", impls}};
}

std::string exhaustive_report_table(const ExhaustiveOptions& o, const ExhaustivePart& all) {
  std::string out = fmt::format(
      "ropecheck audit --exhaustive: {} (positions {}..{}, every rotated pair: {} evaluations "
      "per implementation)\n"
      "d = |(c^ - a cos(m theta_i), s^ - a sin(m theta_i))|, the coefficients the implementation "
      "applies against the exact ones:\nthe worst error over all inputs of unit pair norm caused "
      "by the angle and cos/sin. Worst per band at (m, i):\n",
      o.config_label, format_position(o.first), format_position(o.last), all.evaluations);
  for (std::size_t k = 0; k < o.impls.size(); ++k) {
    const ExhaustiveImpl& r = all.impls[k];
    const double rotation = rotation_rounding_term(o, k);
    out +=
        fmt::format("\n{}  (rotation rounding term {:.2e}: bound on the output error = d + it)\n",
                    o.impls[k], rotation);
    for (std::size_t band = 0; band < r.band_max.size(); ++band) {
      const CoefficientWorst& w = r.band_max[band];
      if (w.error < 0) continue;
      out += fmt::format("  {:<18} max d {:<9} at (m, i) = ({}, {:#x})   d + rotation {:.2e}\n",
                         band_label(o, band),
                         std::isfinite(w.error) ? fmt::format("{:.2e}", w.error) : "NaN/inf",
                         hex_position(w.position), w.pair, w.error + rotation);
    }
    out += "  log2 histogram of d (bin: count):";
    int shown = 0;
    for (int bin = 0; bin < kHistogramBins; ++bin) {
      const std::uint64_t n = r.histogram[static_cast<std::size_t>(bin)];
      if (n == 0) continue;
      const std::string label = bin == 0 ? fmt::format("<2^{}", kHistogramLow)
                                : bin == kHistogramBins - 1
                                    ? std::string("big")
                                    : fmt::format("<2^{}", kHistogramLow + bin);
      out += fmt::format("{}{}: {}", shown++ % 6 == 0 ? "\n    " : "  ", label, n);
    }
    out += "\n";
    for (std::size_t t = 0; t < o.thresholds.size(); ++t) {
      const auto& f = r.first_exceeding[t];
      if (!f)
        out += fmt::format("  d <= {:g} at every position of the range\n", o.thresholds[t]);
      else if (*f == o.first)
        out += fmt::format("  first position with d > {:g}: {}, the first of the range\n",
                           o.thresholds[t], *f);
      else
        out += fmt::format("  first position with d > {:g}: {} (safe up to {})\n", o.thresholds[t],
                           *f, *f - 1);
    }
  }
  out += fmt::format(
      "\nreference: {} exact coefficient pairs by MPFR where the fast path could not evaluate "
      "them; {} errors near a threshold redone by MPFR{}.\n",
      all.exact_mpfr, all.refined,
      all.undecided
          ? fmt::format(", {} still within 2^-48 of one (their side is uncertain)", all.undecided)
          : "");
  return out;
}

}  // namespace ropecheck::audit
