// A plugin-only property: the result of a row must not depend on the [tokens, heads] shape of
// the call it came in (catches head/token stride bugs, per-shape code paths, fixed-size tables
// that one-head batches cannot see).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "kernels/plugin/plugin_subject.hpp"
#include "properties/battery.hpp"

namespace ropecheck::kernels {

// The (tokens, heads) shapes run: [1, 64], [2, 32], [255, 8], [256, 4], [257, 3], [1000, 2],
// [4096, 1]. Together they cover heads 1, 2, 3, 4, 8, 32, 64 and tokens
// 1, 2, 255, 256, 257, 1000, 4096 (past 2^8 and 2^12: where per-shape tables and tiles end).
std::vector<std::pair<std::int64_t, std::int64_t>> batch_shapes();

// Runs every shape once and the same rows again as small one-head calls (at most 64 tokens),
// and compares them bit for bit: signed zeros and NaN payloads included. Inputs include +0
// and -0 and position 0, where a sign of zero is decided. A KernelFailure fails the finding.
properties::Finding batch_shape_finding(const PluginSubject& subject,
                                        const properties::NamedConfig& config,
                                        std::int64_t max_position, std::uint64_t seed);

}  // namespace ropecheck::kernels
