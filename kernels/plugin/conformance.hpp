// Running ropecheck's battery on your own kernel inside your own GoogleTest binary (the CMake
// package's ropecheck::conformance target). Implement properties::Subject for the kernel (or
// load a C ABI plugin with plugin_subject()), then:
//
//   ROPECHECK_KERNEL_CONFORMANCE(MyRope, [] { return std::make_unique<MySubject>(); });
//
// which instantiates one test per configuration (so GoogleTest's filters and sharding apply):
// each runs the property battery and the position sweep and reports every failed finding with
// its counterexample; configurations the subject does not support are skipped.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "properties/battery.hpp"

namespace ropecheck {

// The configurations conformance tests run: those of `ropecheck check` (a representative set of
// presets), or the names in $ROPECHECK_CONFORMANCE_PRESETS (comma-separated) when set.
std::vector<properties::NamedConfig> conformance_configs();

// A GoogleTest-safe test name for a configuration ("llama-3.1-8b" -> "llama_3_1_8b").
std::string conformance_config_name(const testing::TestParamInfo<properties::NamedConfig>& info);

// Runs the battery and the position sweep on `subject` for one configuration and adds a
// GoogleTest failure per failed finding (skips the test when the subject does not support it).
// `cases` random cases per property; $ROPECHECK_CONFORMANCE_CASES overrides it.
void expect_conformance(const properties::Subject& subject, const properties::NamedConfig& config,
                        int cases = 50);

// A subject for kernel `kernel` (in `dtype`) of the C ABI plugin at `library`, run in a worker
// process like `ropecheck check` does; an empty `bound` means the kernel's own claim.
std::unique_ptr<properties::Subject> plugin_subject(const std::string& library,
                                                    const std::string& kernel, Dtype dtype,
                                                    const std::string& bound = "");

}  // namespace ropecheck

namespace ropecheck::properties {
// How GoogleTest prints a configuration parameter: its name.
inline void PrintTo(const NamedConfig& config, std::ostream* out) { *out << config.name; }
}  // namespace ropecheck::properties

// Defines the value-parameterized suite `Suite` over conformance_configs(); `make_subject` is a
// callable returning std::unique_ptr<ropecheck::properties::Subject> (called once per test).
#define ROPECHECK_KERNEL_CONFORMANCE(Suite, make_subject)                                     \
  class Suite : public ::testing::TestWithParam<::ropecheck::properties::NamedConfig> {};     \
  TEST_P(Suite, PropertyBattery) {                                                            \
    const std::unique_ptr<::ropecheck::properties::Subject> subject_ = (make_subject)();      \
    ::ropecheck::expect_conformance(*subject_, GetParam());                                   \
  }                                                                                           \
  INSTANTIATE_TEST_SUITE_P(Configs, Suite,                                                    \
                           ::testing::ValuesIn(::ropecheck::conformance_configs()),           \
                           ::ropecheck::conformance_config_name)
