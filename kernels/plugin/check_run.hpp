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
  std::string library;                           // path of the plugin
  std::string kernel_name;                       // empty: every kernel
  std::optional<Dtype> dtype;                    // empty: every dtype each kernel accepts
  std::vector<properties::NamedConfig> configs;  // empty: default_check_configs()
  std::string bound;                             // overrides the kernel's claim
  WorkerLimits limits;  // timeout per call, memory, CPU and output of each worker
  std::uint64_t seed = 20261123;
  int cases_per_property = 50;
  // Shrinking one failing property's counterexample stops after this long (BatteryOptions).
  std::chrono::milliseconds shrink_budget{20000};
  // The whole run stops starting work after this long; what did not run is reported and the
  // run does not pass. Zero: no budget.
  std::chrono::milliseconds time_budget{0};
};

// One configuration of one subject.
struct ConfigOutcome {
  std::string config;
  std::string skipped;    // non-empty: not applicable, and why (the kernel declines it)
  bool completed = true;  // false: the time budget stopped it
  std::vector<properties::Finding> findings;  // the battery's, then the kernel's own
  std::vector<SweepPoint> sweep;              // error against position (position-sweep)
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
  // Non-empty: the library crashed, exited or hung while being loaded (a failing finding).
  std::string load_failure;
  std::vector<SubjectOutcome> subjects;
  // What the time budget left unrun ("kernel:dtype on config"); a run with any is not a pass.
  std::vector<std::string> not_run;
  bool completed() const;
  bool passed() const;
};

// Called before each configuration is checked (for a progress line).
using CheckProgress = std::function<void(const std::string& subject, const std::string& config)>;

// The configurations `check` uses when none are given: presets covering each layout and
// partial rotation, and every scaling variant: default, linear, NTK-aware, dynamic NTK, yarn,
// llama3, longrope and proportional (p-RoPE).
std::vector<properties::NamedConfig> default_check_configs();

// The largest position a kernel that declares no limit is called at: twice the battery's
// range, since properties add two positions (the sweep goes this far, the battery half).
inline constexpr std::int64_t kDefaultPositionLimit = 2 * ((std::int64_t{1} << 31) - 1);

// Loads the plugin (in a worker) and runs everything; throws ConfigError for bad usage or a
// broken ABI contract (missing library or symbol, ABI mismatch, malformed table, unknown
// kernel or bound). A library that crashes or hangs while loading is a failed report.
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
inline constexpr const char* kBoundedOutput = "bounded-output";
inline constexpr const char* kNoStrayProcesses = "no-stray-processes";
inline constexpr const char* kPositionSweep = "position-sweep";

// How the battery's findings begin when a property failed because the kernel crashed, hung,
// wrote out of bounds or returned an error (properties/battery.cpp).
inline constexpr const char* kKernelFailurePrefix = "kernel failure: ";

}  // namespace ropecheck::kernels
