#include "cli/rotate_request.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <ostream>

#include "core/json_numbers.hpp"
#include "core/config_error.hpp"
#include "core/hf_config.hpp"
#include "core/hf_config_report.hpp"
#include "core/parse_number.hpp"
#include "core/presets.hpp"
#include "impl/implementation.hpp"
#include "reference/reference.hpp"

namespace ropecheck::cli {
namespace {

using nlohmann::json;

// Positions must be exact integers below 2^53 so that every pipeline and the oracle see the same m.
constexpr double kMaxPosition = 9007199254740992.0;  // 2^53

ResolvedRope read_config(const json& request) {
  const bool has_config = request.contains("config");
  const bool has_preset = request.contains("preset");
  if (has_config == has_preset)
    throw ConfigError("config", "give exactly one of \"config\" (Hugging Face keys) or \"preset\"");
  HfConfigOptions options;
  if (request.contains("layer_type")) {
    if (!request["layer_type"].is_string())
      throw ConfigError("layer_type", "must be a string such as \"full_attention\"");
    options.layer_type = request["layer_type"].get<std::string>();
  }
  if (has_preset) {
    if (!request["preset"].is_string()) throw ConfigError("preset", "must be a preset name");
    const Preset& preset = find_preset(request["preset"].get<std::string>());
    return resolve_hf_config(preset.config, options);
  }
  return resolve_hf_config(request["config"], options);
}

std::vector<std::int64_t> read_positions(const json& request) {
  if (!request.contains("positions") || !request["positions"].is_array() ||
      request["positions"].empty())
    throw ConfigError("positions", "must be a non-empty list of integer positions");
  std::vector<std::int64_t> positions;
  for (const json& item : request["positions"]) {
    if (!item.is_number())
      throw ConfigError("positions", fmt::format("must hold integers, got {}", item.dump()));
    const double value = item.get<double>();
    if (value != std::floor(value) || !(std::fabs(value) < kMaxPosition))
      throw ConfigError("positions",
                        fmt::format("must hold integers with |m| < 2^53, got {}", item.dump()));
    positions.push_back(item.is_number_integer() ? item.get<std::int64_t>()
                                                 : static_cast<std::int64_t>(value));
  }
  return positions;
}

std::vector<double> read_rows(const json& request, std::size_t rows, int head_dim, Dtype dtype) {
  if (!request.contains("x") || !request["x"].is_array() || request["x"].size() != rows)
    throw ConfigError("x", fmt::format("must be a list of {} rows (one per position)", rows));
  std::vector<double> x;
  for (std::size_t r = 0; r < rows; ++r) {
    const json& row = request["x"][r];
    if (!row.is_array() || row.size() != static_cast<std::size_t>(head_dim))
      throw ConfigError(fmt::format("x[{}]", r),
                        fmt::format("must hold head_dim = {} values", head_dim));
    for (std::size_t j = 0; j < row.size(); ++j) {
      const std::string where = fmt::format("x[{}][{}]", r, j);
      const double value = parse_json_value(row[j], where);
      if (!representable(value, dtype))
        throw ConfigError(where, fmt::format("{} is not exactly representable in {}; give a "
                                             "value of that format (e.g. as a hex float)",
                                             hex_float(value), dtype_name(dtype)));
      x.push_back(value);
    }
  }
  return x;
}

// Every key a request may hold; any other key is a typo (such as "seqlen") and an error, since
// dropping it would silently change what is computed.
constexpr const char* kRequestKeys[] = {"config", "preset",    "layer_type", "impl",
                                        "dtype",  "positions", "x",          "seq_len"};

void reject_unknown_keys(const json& request) {
  for (const auto& [key, value] : request.items()) {
    if (std::find(std::begin(kRequestKeys), std::end(kRequestKeys), key) != std::end(kRequestKeys))
      continue;
    std::string accepted;
    for (const char* name : kRequestKeys)
      accepted += (accepted.empty() ? "" : ", ") + std::string(name);
    throw ConfigError(key, "unknown request key; accepted: " + accepted);
  }
}

}  // namespace

RotateRequest parse_rotate_request(const json& request) {
  if (!request.is_object()) throw ConfigError("request", "must be a JSON object");
  reject_unknown_keys(request);
  RotateRequest out;
  out.resolved = read_config(request);
  out.config = out.resolved.config;

  if (!request.contains("impl"))
    throw ConfigError("impl", "missing: give \"reference\" or a name from `ropecheck impls`");
  if (!request["impl"].is_string())
    throw ConfigError("impl", "must be a string: \"reference\" or a name from `ropecheck impls`");
  out.impl = request["impl"].get<std::string>();
  std::optional<Dtype> implied;
  if (out.impl != "reference") implied = find_implementation(out.impl).dtype();

  if (request.contains("dtype")) {
    const json& d = request["dtype"];
    auto parsed = d.is_string() ? parse_dtype(d.get<std::string>()) : std::nullopt;
    if (!parsed)
      throw ConfigError("dtype", fmt::format("unknown value {}; accepted: {}", d.dump(),
                                             accepted_dtypes()));
    if (implied && *parsed != *implied)
      throw ConfigError("dtype", fmt::format("{} works in {}; omit dtype or give {}", out.impl,
                                             dtype_name(*implied), dtype_name(*implied)));
    out.dtype = *parsed;
  } else {
    out.dtype = implied.value_or(Dtype::f64);
  }

  out.positions = read_positions(request);
  out.x = read_rows(request, out.positions.size(), out.config.head_dim, out.dtype);

  std::optional<std::int64_t> seq_len;
  if (request.contains("seq_len")) {
    // Lengths, like positions, must stay exact in a double: 1..2^53.
    seq_len = json_integer(request["seq_len"], "seq_len", 1, std::int64_t{1} << 53);
  }
  std::int64_t max_position = out.positions.front();
  for (std::int64_t m : out.positions) max_position = std::max(max_position, m);
  out.seq_len = effective_seq_len(max_position, seq_len);
  return out;
}

void write_rotate_response(const RotateRequest& request, std::ostream& out) {
  const auto n = static_cast<std::size_t>(request.config.head_dim);
  std::vector<double> y(request.x.size());
  double attention = 1.0;
  if (request.impl == "reference") {
    const reference::Reference oracle(request.config, request.seq_len);
    for (std::size_t r = 0; r < request.positions.size(); ++r)
      oracle.apply(request.positions[r], std::span(request.x).subspan(r * n, n), request.dtype,
                   std::span(y).subspan(r * n, n));
    attention = oracle.attention_factor();
  } else {
    const Implementation& impl = find_implementation(request.impl);
    auto prepared = impl.prepare(request.config, request.seq_len);
    for (std::size_t r = 0; r < request.positions.size(); ++r)
      prepared->apply(request.positions[r], std::span(request.x).subspan(r * n, n),
                      std::span(y).subspan(r * n, n));
    attention = prepared->attention_factor();
  }

  const RopeConfig& c = request.config;
  const json head = {{"impl", request.impl},
                     {"dtype", std::string(dtype_name(request.dtype))},
                     {"positions", request.positions},
                     {"seq_len", request.seq_len},
                     {"attention_factor", attention},
                     {"config",
                      {{"head_dim", c.head_dim},
                       {"rotary_dim", c.rotary_dim},
                       {"rope_theta", c.base},
                       {"layout", std::string(layout_name(c.layout))},
                       {"rope_type", std::string(rope_type_name(c.scaling.type))}}},
                     {"resolved",
                      json::parse(resolved_json(request.resolved, request.seq_len, attention).dump())}};
  // The rows are written one value at a time rather than built as a JSON document, which would
  // take tens of bytes per value: memory stays a small multiple of the request's own size.
  std::string text = head.dump();
  text.pop_back();  // the closing brace; "y" and "y_hex" follow
  out << text;
  for (const bool as_hex : {false, true}) {
    out << (as_hex ? ",\"y_hex\":[" : ",\"y\":[");
    for (std::size_t r = 0; r < request.positions.size(); ++r) {
      out << (r ? ",[" : "[");
      for (std::size_t j = 0; j < n; ++j) {
        const double v = y[r * n + j];
        out << (j ? "," : "") << (as_hex ? json(hex_float(v)) : json_number(v)).dump();
      }
      out << "]";
    }
    out << "]";
  }
  out << "}\n";
}

}  // namespace ropecheck::cli
