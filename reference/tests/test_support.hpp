// Helpers shared by the reference tests: random valid configurations of every scaling variant,
// bitwise comparison, and the opt-in deep mode (ROPECHECK_DEEP=1).
#pragma once

#include <bit>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/number_format.hpp"
#include "core/rope_config.hpp"

namespace ropecheck::reference::testing {

// Whether ROPECHECK_DEEP=1 asks for the heavy sweeps.
bool deep_mode();

// Whether ROPECHECK_SANITIZED=1 says the tests run under ASan+UBSan (ci/sanitize.sh sets it).
// The largest statistical sweep then runs a tenth of its cases: every code path still runs
// under the sanitizers, whose job is memory errors and undefined behaviour, and the full sweep
// is the normal build's.
bool sanitized_mode();

// Bitwise equality (distinguishes -0 from +0; every NaN the reference makes is canonical).
inline bool same_bits(double a, double b) {
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

// A valid configuration with the given scaling variant and random parameters (head dims 4..128,
// partial rotary dims, both layouts, bases from 100 to 1e7, the variant's options).
RopeConfig random_config(std::mt19937_64& rng, RopeType type);
// ... of a random variant.
RopeConfig random_config(std::mt19937_64& rng);

// A sequence length that exercises the config's length-dependent switch (below or above L0).
std::int64_t random_seq_len(std::mt19937_64& rng, const RopeConfig& config);

// Every scaling variant.
std::vector<RopeType> all_rope_types();

// One line describing a config (for failure messages).
std::string describe(const RopeConfig& config);

// A random double that is exactly a value of `dtype`, with |v| log-uniform in [2^lo, 2^hi].
double random_value(std::mt19937_64& rng, Dtype dtype, int lo_exp, int hi_exp);

}  // namespace ropecheck::reference::testing
