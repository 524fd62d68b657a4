// A plugin-only property: the result of a row must not depend on the [tokens, heads] shape of
// the call it came in (catches head/token stride bugs that one-head batches cannot see).
#pragma once

#include <cstdint>

#include "kernels/plugin/plugin_subject.hpp"
#include "properties/battery.hpp"

namespace ropecheck::kernels {

// Runs one [5 tokens, 3 heads] call and the same 15 rows as a one-head batch, and compares
// them bitwise. A KernelFailure during either call fails the finding with its message.
properties::Finding batch_shape_finding(const PluginSubject& subject,
                                        const properties::NamedConfig& config,
                                        std::int64_t max_position, std::uint64_t seed);

}  // namespace ropecheck::kernels
