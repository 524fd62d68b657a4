#include "kernels/plugin/plugin_library.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include "core/config_error.hpp"
#include "kernels/plugin/dtype_codec.hpp"

namespace ropecheck::kernels {
namespace {

bool valid_name(const char* name) {
  if (name == nullptr || *name == '\0') return false;
  for (const char* c = name; *c; ++c) {
    const bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                    (*c >= '0' && *c <= '9') || *c == '_' || *c == '.' || *c == ':' || *c == '-';
    if (!ok) return false;
  }
  return true;
}

bool single_bit(std::uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

// Checks one descriptor; returns an empty string when it is well formed.
std::string descriptor_problem(const rc_kernel& k) {
  constexpr std::uint32_t all_dtypes = RC_DTYPE_F64 | RC_DTYPE_F32 | RC_DTYPE_BF16 | RC_DTYPE_F16;
  constexpr std::uint32_t all_layouts = RC_LAYOUT_HALF | RC_LAYOUT_INTERLEAVED;
  if (!valid_name(k.name)) return "a kernel name is empty or has characters outside [A-Za-z0-9_.:-]";
  if (k.apply == nullptr) return fmt::format("kernel \"{}\" has no apply function", k.name);
  if (k.dtypes == 0 || (k.dtypes & ~all_dtypes) != 0)
    return fmt::format("kernel \"{}\": dtypes 0x{:x} is not a non-empty mask of RC_DTYPE_*",
                       k.name, k.dtypes);
  if (k.layouts == 0 || (k.layouts & ~all_layouts) != 0)
    return fmt::format("kernel \"{}\": layouts 0x{:x} is not a non-empty mask of RC_LAYOUT_*",
                       k.name, k.layouts);
  if (k.angle_mode != RC_ANGLES_COMPUTED && k.angle_mode != RC_ANGLES_COS_SIN_CACHE)
    return fmt::format("kernel \"{}\": angle_mode {} is neither RC_ANGLES_COMPUTED (1) nor "
                       "RC_ANGLES_COS_SIN_CACHE (2)", k.name, k.angle_mode);
  if (k.angle_mode == RC_ANGLES_COMPUTED && (k.rope_types & RC_ROPE_ALL) == 0)
    return fmt::format("kernel \"{}\": rope_types is empty", k.name);
  if (k.cos_sin_dtype != 0 && (!single_bit(k.cos_sin_dtype) || (k.cos_sin_dtype & ~all_dtypes)))
    return fmt::format("kernel \"{}\": cos_sin_dtype 0x{:x} is not 0 or one RC_DTYPE_* bit",
                       k.name, k.cos_sin_dtype);
  if (k.max_position < 0)
    return fmt::format("kernel \"{}\": max_position {} is negative", k.name, k.max_position);
  return {};
}

}  // namespace

std::vector<Dtype> KernelInfo::formats() const {
  std::vector<Dtype> out;
  for (Dtype d : all_dtypes())
    if (dtypes & abi_dtype_bit(d)) out.push_back(d);
  return out;
}

std::shared_ptr<PluginLibrary> PluginLibrary::open(const std::string& path) {
  std::shared_ptr<PluginLibrary> lib(new PluginLibrary());
  lib->path_ = path;
  // dlopen searches the library path for a bare name; a path with a slash is taken as given.
  const std::string target = path.find('/') == std::string::npos ? "./" + path : path;
  dlerror();
  lib->handle_ = dlopen(target.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib->handle_ == nullptr) {
    const char* why = dlerror();
    throw ConfigError("--kernel", fmt::format("cannot load plugin {}: {}", path,
                                              why ? why : "unknown dlopen error"));
  }
  dlerror();
  void* symbol = dlsym(lib->handle_, RC_KERNEL_ENTRY_SYMBOL);
  if (symbol == nullptr)
    throw ConfigError("--kernel",
                      fmt::format("plugin {} does not export the symbol {} (declare it with C "
                                  "linkage and default visibility; see spec/kernel-abi.md)",
                                  path, RC_KERNEL_ENTRY_SYMBOL));
  const auto entry = reinterpret_cast<rc_kernels_fn>(symbol);
  const rc_kernel_table* table = entry(RC_KERNEL_ABI_VERSION);
  if (table == nullptr)
    throw ConfigError("--kernel", fmt::format("plugin {}: {}({}) returned NULL: the plugin does "
                                              "not serve kernel ABI version {}",
                                              path, RC_KERNEL_ENTRY_SYMBOL, RC_KERNEL_ABI_VERSION,
                                              RC_KERNEL_ABI_VERSION));
  if (table->abi_version != RC_KERNEL_ABI_VERSION)
    throw ConfigError("--kernel",
                      fmt::format("plugin {} was built for kernel ABI version {}, this ropecheck "
                                  "speaks version {} ({} in kernels/abi/ropecheck_kernel.h)",
                                  path, table->abi_version, RC_KERNEL_ABI_VERSION,
                                  "RC_KERNEL_ABI_VERSION"));
  if (table->count == 0 || table->kernels == nullptr)
    throw ConfigError("--kernel", fmt::format("plugin {} lists no kernels", path));
  for (std::uint32_t i = 0; i < table->count; ++i) {
    const rc_kernel& k = table->kernels[i];
    if (const std::string problem = descriptor_problem(k); !problem.empty())
      throw ConfigError("--kernel", fmt::format("plugin {}: {}", path, problem));
    KernelInfo info;
    info.name = k.name;
    info.description = k.description ? k.description : "";
    info.dtypes = k.dtypes;
    info.layouts = k.layouts;
    info.rope_types = k.angle_mode == RC_ANGLES_COS_SIN_CACHE ? RC_ROPE_ALL : k.rope_types;
    info.angle_mode = k.angle_mode;
    info.cos_sin_dtype = k.cos_sin_dtype;
    info.max_position = k.max_position;
    info.bound = k.bound ? k.bound : "";
    info.entry = &k;
    for (const KernelInfo& other : lib->kernels_)
      if (other.name == info.name)
        throw ConfigError("--kernel", fmt::format("plugin {} lists kernel \"{}\" twice", path,
                                                  info.name));
    lib->kernels_.push_back(std::move(info));
  }
  return lib;
}

PluginLibrary::~PluginLibrary() {
  // Never dlclose: worker processes forked from us and static destructors of the plugin may
  // still reference its code, and unloading buys nothing in a short-lived command.
}

const KernelInfo& PluginLibrary::kernel(const std::string& name) const {
  std::string names;
  for (const KernelInfo& k : kernels_) {
    if (k.name == name) return k;
    if (!names.empty()) names += ", ";
    names += k.name;
  }
  throw ConfigError("--kernel-name",
                    fmt::format("plugin {} has no kernel \"{}\"; it offers: {}", path_, name, names));
}

std::string dtype_mask_names(std::uint32_t mask) {
  std::string out;
  for (Dtype d : all_dtypes())
    if (mask & abi_dtype_bit(d)) {
      if (!out.empty()) out += '|';
      out += dtype_name(d);
    }
  return out;
}

std::string layout_mask_names(std::uint32_t mask) {
  std::string out;
  if (mask & RC_LAYOUT_HALF) out = "half";
  if (mask & RC_LAYOUT_INTERLEAVED) out += out.empty() ? "interleaved" : "|interleaved";
  return out;
}

}  // namespace ropecheck::kernels
