// One generated input for the property checks: a configuration, positions and two head vectors.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "core/number_format.hpp"
#include "core/rope_config.hpp"

namespace ropecheck::properties {

struct TestCase {
  std::string config_name;  // preset name, or "generated"
  RopeConfig config;
  Dtype dtype = Dtype::f32;  // the subject's storage format; q and k are exact in it
  std::int64_t m = 0;        // query position
  std::int64_t n = 0;        // key position
  std::int64_t t = 0;        // shift
  std::vector<double> q, k;  // head_dim values each

  // The sequence length every call of this case uses: covers every position it touches.
  std::int64_t seq_len() const;
};

// A replayable description: the config as Hugging Face keys, the positions, the vectors in hex.
std::string describe(const TestCase& c);

// A `ropecheck rotate` request that replays the query rotation of this case.
std::string replay_request(const TestCase& c, const std::string& impl);

// rapidcheck prints counterexamples with showValue.
void showValue(const TestCase& c, std::ostream& os);

}  // namespace ropecheck::properties
