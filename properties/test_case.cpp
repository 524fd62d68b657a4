#include "properties/test_case.hpp"

#include <algorithm>
#include <cstdlib>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/hex_float.hpp"

namespace ropecheck::properties {
namespace {

nlohmann::json config_json(const RopeConfig& c) {
  const RopeScaling& s = c.scaling;
  nlohmann::json scaling = {{"rope_type", std::string(rope_type_name(s.type))}};
  switch (s.type) {
    case RopeType::standard: break;
    case RopeType::linear:
    case RopeType::ntk:
    case RopeType::dynamic:
    case RopeType::proportional: scaling["factor"] = s.factor; break;
    case RopeType::yarn:
      scaling["factor"] = s.factor;
      scaling["beta_fast"] = s.beta_fast;
      scaling["beta_slow"] = s.beta_slow;
      scaling["truncate"] = s.truncate;
      if (s.mscale) scaling["mscale"] = *s.mscale;
      if (s.mscale_all_dim) scaling["mscale_all_dim"] = *s.mscale_all_dim;
      break;
    case RopeType::llama3:
      scaling["factor"] = s.factor;
      scaling["low_freq_factor"] = s.low_freq_factor;
      scaling["high_freq_factor"] = s.high_freq_factor;
      break;
    case RopeType::longrope:
      scaling["short_factor"] = s.short_factor;
      scaling["long_factor"] = s.long_factor;
      if (s.factor_given) scaling["factor"] = s.factor;
      break;
  }
  if (s.original_max_position_embeddings)
    scaling["original_max_position_embeddings"] = *s.original_max_position_embeddings;
  if (s.attention_factor) scaling["attention_factor"] = *s.attention_factor;
  nlohmann::json out = {{"head_dim", c.head_dim},
                        {"rope_theta", c.base},
                        {"layout", std::string(layout_name(c.layout))},
                        {"rope_scaling", scaling}};
  if (s.type == RopeType::proportional) out["partial_rotary_factor"] = s.rotated_fraction;
  else if (c.rotary_dim != c.head_dim) out["rotary_dim"] = c.rotary_dim;
  if (c.max_position_embeddings) out["max_position_embeddings"] = *c.max_position_embeddings;
  return out;
}

nlohmann::json hex_row(const std::vector<double>& v) {
  nlohmann::json row = nlohmann::json::array();
  for (double x : v) row.push_back(hex_float(x));
  return row;
}

}  // namespace

std::int64_t TestCase::seq_len() const {
  std::int64_t most = 0;
  for (std::int64_t p : {m, n, m + t, n + t, t}) most = std::max<std::int64_t>(most, std::llabs(p));
  return most + 1;
}

std::string describe(const TestCase& c) {
  return fmt::format("config {} = {}, dtype {}, m = {}, n = {}, t = {}, seq_len = {}\n  q = {}\n  k = {}",
                     c.config_name, config_json(c.config).dump(), dtype_name(c.dtype), c.m, c.n,
                     c.t, c.seq_len(), hex_row(c.q).dump(), hex_row(c.k).dump());
}

std::string replay_request(const TestCase& c, const std::string& impl) {
  return nlohmann::json{{"config", config_json(c.config)},
                        {"impl", impl},
                        {"dtype", std::string(dtype_name(c.dtype))},
                        {"seq_len", c.seq_len()},
                        {"positions", {c.m}},
                        {"x", {hex_row(c.q)}}}
      .dump();
}

void showValue(const TestCase& c, std::ostream& os) { os << describe(c); }

}  // namespace ropecheck::properties
