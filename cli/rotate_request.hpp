// The `ropecheck rotate` request and response (README, "Using it"): JSON in, JSON out.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/hf_config.hpp"
#include "core/number_format.hpp"
#include "core/rope_config.hpp"

namespace ropecheck::cli {

// A validated rotate request.
struct RotateRequest {
  RopeConfig config;
  ResolvedRope resolved;  // `config` with the origin of each value
  std::string impl;  // a registry name or "reference"
  Dtype dtype = Dtype::f64;
  std::vector<std::int64_t> positions;
  std::vector<double> x;  // positions.size() rows of head_dim values, row-major
  std::int64_t seq_len = 1;
};

// Parses and validates a request; throws ConfigError naming the offending key.
RotateRequest parse_rotate_request(const nlohmann::json& request);

// Runs the request through the implementation or the reference and writes the response (one
// line of JSON: impl, dtype, positions, seq_len, attention_factor, config, y, y_hex) to `out`.
void write_rotate_response(const RotateRequest& request, std::ostream& out);

}  // namespace ropecheck::cli
