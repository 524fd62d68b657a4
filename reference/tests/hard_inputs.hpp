// Generators of hard inputs for the fast path: positions near 2^24, 2^31, 2^53 and near quarter
// turns (from the continued fraction of (pi/2)/theta_i), outputs close to rounding midpoints,
// tiny, huge and subnormal magnitudes, zeros and non-finite values.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "core/number_format.hpp"
#include "reference/exact_frequencies.hpp"

namespace ropecheck::reference::testing {

// Positions m (0 < m < 2^53) with m theta_i within about theta_i / q of a multiple of pi/2:
// the numerators of the continued-fraction convergents of (pi/2) / theta_i.
std::vector<std::int64_t> quarter_turn_positions(const ExactFrequencies& freqs, int pair);

// A position from a mix: fixed hard ones, log-uniform up to 2^53 of either sign, quarter turns.
std::int64_t hard_position(std::mt19937_64& rng, const ExactFrequencies& freqs);

// One head of inputs for `dtype` from a mix of kinds (see above); near-midpoint pairs are built
// from the exact cos and sin at `position`.
std::vector<double> hard_head(std::mt19937_64& rng, const ExactFrequencies& freqs,
                              std::int64_t position, Dtype dtype);

}  // namespace ropecheck::reference::testing
