// rapidcheck generators for configurations, positions and head vectors. rapidcheck's own float
// generator never yields subnormals or large exponents and shrinks poorly; these do, and they
// shrink toward small dimensions, small positions and simple values.
#pragma once

#include <rapidcheck.h>

#include "core/number_format.hpp"
#include "core/rope_config.hpp"
#include "properties/test_case.hpp"

namespace ropecheck::properties {

// A valid configuration of any scaling variant: rotary dims 2..512, partial rotary, bases
// log-uniform in [10, 1e8], both layouts, the variant's parameters in their valid ranges.
rc::Gen<RopeConfig> gen_config();
rc::Gen<RopeConfig> gen_config_of(RopeType type);

// A preset (by name) or a generated configuration.
rc::Gen<std::pair<std::string, RopeConfig>> gen_named_config();

// A position: log-uniform over [0, 2^31), the float edges 2^11 +- 1 and 2^24 +- 1, 2^31 - 1, and
// the config's own edges (original context L0 - 1, L0, L0 + 1, max_position_embeddings); negative
// too when `allow_negative` (for the purely mathematical properties).
rc::Gen<std::int64_t> gen_position(const RopeConfig& config, bool allow_negative);

// One value exactly representable in `dtype`: simple numbers, arbitrary bit patterns in range,
// +-0, subnormals of the format, and large magnitudes (up to max_finite / 8, so that a rotated
// pair cannot overflow).
rc::Gen<double> gen_value(Dtype dtype);
rc::Gen<std::vector<double>> gen_head(int head_dim, Dtype dtype);

// A whole test case for a subject storing `dtype`.
rc::Gen<TestCase> gen_case(Dtype dtype, bool allow_negative_positions);
rc::Gen<TestCase> gen_case_for(RopeType type, Dtype dtype, bool allow_negative_positions);

}  // namespace ropecheck::properties
