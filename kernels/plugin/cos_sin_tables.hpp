// The cos/sin tables handed to RC_ANGLES_COS_SIN_CACHE kernels, from the correctly rounded oracle.
#pragma once

#include <cstdint>
#include <span>

#include "core/number_format.hpp"
#include "reference/reference.hpp"

namespace ropecheck::kernels {

// For each position t and rotated pair i, writes cos[t][i] = RN(a cos(m_t theta'_i)) and
// sin[t][i] = RN(a sin(m_t theta'_i)) in `dtype`: the best table any kernel could hold, so a
// cache-taking kernel is judged on its rotation alone. (The oracle rotates the unit vector
// (1, 0) of every pair, whose exact image is (a cos, a sin).)
void fill_cos_sin(const reference::Reference& oracle, std::span<const std::int64_t> positions,
                  Dtype dtype, void* cos, void* sin);

}  // namespace ropecheck::kernels
