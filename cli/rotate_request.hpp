// The `ropecheck rotate` request and response (README, "Using it"): JSON in, JSON out.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/number_format.hpp"
#include "core/rope_config.hpp"

namespace ropecheck::cli {

// A validated rotate request.
struct RotateRequest {
  RopeConfig config;
  std::string impl;  // a registry name or "reference"
  Dtype dtype = Dtype::f64;
  std::vector<std::int64_t> positions;
  std::vector<double> x;  // positions.size() rows of head_dim values, row-major
  std::int64_t seq_len = 1;
};

// Parses and validates a request; throws ConfigError naming the offending key.
RotateRequest parse_rotate_request(const nlohmann::json& request);

// Runs the request through the implementation or the reference and builds the response.
nlohmann::json run_rotate(const RotateRequest& request);

}  // namespace ropecheck::cli
