// A kernel plugin loaded with dlopen: its table of kernels, checked against the C ABI.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/number_format.hpp"
#include "kernels/abi/ropecheck_kernel.h"

namespace ropecheck::kernels {

// What ropecheck knows of one kernel of a plugin, copied out of its rc_kernel.
struct KernelInfo {
  std::string name;
  std::string description;
  std::uint32_t dtypes = 0;
  std::uint32_t layouts = 0;
  std::uint32_t rope_types = 0;
  std::uint32_t angle_mode = 0;
  std::uint32_t cos_sin_dtype = 0;  // 0: the call's dtype
  std::int64_t max_position = 0;    // 0: no limit
  std::string bound;                // empty: none claimed
  const rc_kernel* entry = nullptr;  // the plugin's own descriptor (valid while loaded)

  // The formats it accepts, in listing order.
  std::vector<Dtype> formats() const;
};

// A loaded plugin. Kept alive by shared_ptr so subjects and worker processes can outlive the
// object that listed the kernels.
class PluginLibrary {
 public:
  // dlopens `path` (RTLD_NOW | RTLD_LOCAL: every symbol resolved up front, so the child process
  // never runs the dynamic loader), calls ropecheck_kernels(RC_KERNEL_ABI_VERSION) and validates
  // the table. Throws ConfigError("--kernel", ...) naming the library and what is wrong: not
  // loadable, missing symbol, ABI version mismatch, malformed descriptor.
  static std::shared_ptr<PluginLibrary> open(const std::string& path);
  ~PluginLibrary();
  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<KernelInfo>& kernels() const { return kernels_; }
  // The kernel called `name`; throws ConfigError("--kernel-name") listing the names otherwise.
  const KernelInfo& kernel(const std::string& name) const;

 private:
  PluginLibrary() = default;
  std::string path_;
  void* handle_ = nullptr;
  std::vector<KernelInfo> kernels_;
};

// "f64|f32" style rendering of an RC_DTYPE_* mask, and of an RC_LAYOUT_* mask.
std::string dtype_mask_names(std::uint32_t mask);
std::string layout_mask_names(std::uint32_t mask);

}  // namespace ropecheck::kernels
