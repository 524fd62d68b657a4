// A kernel plugin's table, as a worker process read it: ropecheck itself never loads the
// library (kernels/plugin/kernel_process.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/number_format.hpp"
#include "kernels/abi/ropecheck_kernel.h"
#include "kernels/plugin/kernel_process.hpp"

namespace ropecheck::kernels {

// What ropecheck knows of one kernel of a plugin, copied out of its rc_kernel.
struct KernelInfo {
  std::uint32_t index = 0;  // position in the plugin's table
  std::string name;
  std::string description;  // as the plugin wrote it: escape before printing (plugin_text)
  std::uint32_t dtypes = 0;
  std::uint32_t layouts = 0;
  std::uint32_t rope_types = 0;
  std::uint32_t angle_mode = 0;
  std::uint32_t cos_sin_dtype = 0;  // 0: the call's dtype
  std::int64_t max_position = 0;    // 0: no limit
  std::string bound;                // empty: none claimed
  bool has_supports = false;

  // The formats it accepts, in listing order.
  std::vector<Dtype> formats() const;
};

// The library crashed, exited or hung while a worker loaded it (in a constructor, in
// ropecheck_kernels, or reading its table): a failing finding, not a usage error.
class PluginLoadFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A plugin's table. Shared so subjects can outlive the object that listed the kernels.
class PluginLibrary {
 public:
  // Starts a worker that loads `path` and reads its table, then stops it. Throws
  // ConfigError("--kernel", ...) naming the library and the broken contract (not loadable,
  // missing symbol, ABI version mismatch, malformed descriptor, wrong count), and
  // PluginLoadFailure when the worker crashed, exited or hung while loading.
  static std::shared_ptr<PluginLibrary> open(const std::string& path, const WorkerLimits& limits = {});

  const std::string& path() const { return path_; }
  const WorkerLimits& limits() const { return limits_; }
  const std::vector<KernelInfo>& kernels() const { return kernels_; }
  // The kernel called `name`; throws ConfigError("--kernel-name") listing the names otherwise.
  const KernelInfo& kernel(const std::string& name) const;

 private:
  PluginLibrary() = default;
  std::string path_;
  WorkerLimits limits_;
  std::vector<KernelInfo> kernels_;
};

// "f64|f32" style rendering of an RC_DTYPE_* mask, and of an RC_LAYOUT_* mask.
std::string dtype_mask_names(std::uint32_t mask);
std::string layout_mask_names(std::uint32_t mask);

// Text that came from a plugin, made safe to print in any report: control characters and
// invalid UTF-8 become \xNN escapes, and it is cut at `max_bytes` (with "...").
std::string plugin_text(const std::string& text, std::size_t max_bytes = 200);

}  // namespace ropecheck::kernels
