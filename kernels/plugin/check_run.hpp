// `ropecheck check` as a library: the property battery on every kernel of a plugin, one
// configuration at a time, with the kernel's crashes, hangs and wild writes as findings.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "kernels/plugin/plugin_subject.hpp"
#include "kernels/plugin/position_sweep.hpp"
#include "properties/battery.hpp"

namespace ropecheck::kernels {

struct CheckOptions {
  std::string library;      // path of the plugin
  std::string kernel_name;  // empty: every kernel
  std::optional<Dtype> dtype;  // empty: every dtype each kernel accepts
  std::vector<properties::NamedConfig> configs;  // empty: default_check_configs()
  std::string bound;        // --bound: overrides the kernel's claim
  std::chrono::milliseconds timeout{10000};
  std::uint64_t seed = 20261123;
  int cases_per_property = 50;
};

// One configuration of one subject.
struct ConfigOutcome {
  std::string config;
  std::string skipped;  // non-empty: not run, and why (the kernel does not support it)
  std::vector<properties::Finding> findings;  // the battery's, then the kernel's own
  std::vector<SweepPoint> sweep;  // error against position (position-sweep)
  KernelStats stats;
};

// One kernel in one dtype.
struct SubjectOutcome {
  std::string subject;  // "kernel:dtype"
  std::string kernel;
  std::string description;
  std::string dtype;
  std::string bound;
  std::int64_t max_position = 0;
  std::vector<ConfigOutcome> configs;
  bool passed() const;
};

struct CheckReport {
  std::string library;
  std::vector<SubjectOutcome> subjects;
  bool passed() const;
};

// Called before each configuration is checked (for a progress line).
using CheckProgress = std::function<void(const std::string& subject, const std::string& config)>;

// The configurations `check` uses when none are given: presets covering each layout, partial
// rotation, and the default, linear, llama3, yarn and longrope variants.
std::vector<properties::NamedConfig> default_check_configs();

// The largest position a kernel that declares no limit is called at: twice the battery's
// range, since properties add two positions (the sweep goes this far, the battery half).
inline constexpr std::int64_t kDefaultPositionLimit = 2 * ((std::int64_t{1} << 31) - 1);

// Loads the plugin and runs everything; throws ConfigError for bad usage (missing library,
// ABI mismatch, unknown kernel or bound).
CheckReport run_check(const CheckOptions& options, const CheckProgress& progress = {});

// The names of the kernel-level properties every configuration reports.
inline constexpr const char* kNoCrash = "no-crash";
inline constexpr const char* kNoHang = "no-hang";
inline constexpr const char* kInBounds = "in-bounds-writes";
inline constexpr const char* kInputsUntouched = "inputs-untouched";
inline constexpr const char* kNoErrorReturn = "no-error-return";
inline constexpr const char* kFiniteOutputs = "finite-outputs";
inline constexpr const char* kAllWritten = "all-outputs-written";
inline constexpr const char* kBatchShape = "batch-shape-independence";
inline constexpr const char* kPositionSweep = "position-sweep";

// How the battery's findings begin when a property failed because the kernel crashed, hung,
// wrote out of bounds or returned an error (properties/battery.cpp).
inline constexpr const char* kKernelFailurePrefix = "kernel failure: ";

}  // namespace ropecheck::kernels
