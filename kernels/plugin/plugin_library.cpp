#include "kernels/plugin/plugin_library.hpp"

#include <fmt/format.h>

#include "core/config_error.hpp"
#include "kernels/plugin/dtype_codec.hpp"

namespace ropecheck::kernels {
namespace {

bool valid_name(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool single_bit(std::uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

// Checks one descriptor; returns an empty string when it is well formed.
std::string descriptor_problem(const WorkerKernelRecord& k, std::uint32_t index) {
  constexpr std::uint32_t all_dtypes = RC_DTYPE_F64 | RC_DTYPE_F32 | RC_DTYPE_BF16 | RC_DTYPE_F16;
  constexpr std::uint32_t all_layouts = RC_LAYOUT_HALF | RC_LAYOUT_INTERLEAVED;
  if (k.name_cut == 2) return fmt::format("kernel {}'s name points to unreadable memory", index);
  if (!k.has_name || k.name_cut || !valid_name(k.name))
    return fmt::format("kernel {}'s name is missing, longer than 127 bytes or has characters "
                       "outside [A-Za-z0-9_.:-]", index);
  const std::string name = k.name;
  if (k.description_cut == 2)
    return fmt::format("kernel \"{}\": description points to unreadable memory", name);
  if (k.bound_cut == 2) return fmt::format("kernel \"{}\": bound points to unreadable memory", name);
  if (k.bound_cut == 1 || (k.has_bound && !valid_name(k.bound)))
    return fmt::format("kernel \"{}\": bound is not a pipeline name", name);
  if (!k.has_apply) return fmt::format("kernel \"{}\" has no apply function", name);
  if (k.dtypes == 0 || (k.dtypes & ~all_dtypes) != 0)
    return fmt::format("kernel \"{}\": dtypes 0x{:x} is not a non-empty mask of RC_DTYPE_*", name,
                       k.dtypes);
  if (k.layouts == 0 || (k.layouts & ~all_layouts) != 0)
    return fmt::format("kernel \"{}\": layouts 0x{:x} is not a non-empty mask of RC_LAYOUT_*", name,
                       k.layouts);
  if (k.angle_mode != RC_ANGLES_COMPUTED && k.angle_mode != RC_ANGLES_COS_SIN_CACHE)
    return fmt::format("kernel \"{}\": angle_mode {} is neither RC_ANGLES_COMPUTED (1) nor "
                       "RC_ANGLES_COS_SIN_CACHE (2)", name, k.angle_mode);
  if (k.angle_mode == RC_ANGLES_COMPUTED && (k.rope_types & RC_ROPE_ALL) == 0)
    return fmt::format("kernel \"{}\": rope_types is empty", name);
  if (k.cos_sin_dtype != 0 && (!single_bit(k.cos_sin_dtype) || (k.cos_sin_dtype & ~all_dtypes)))
    return fmt::format("kernel \"{}\": cos_sin_dtype 0x{:x} is not 0 or one RC_DTYPE_* bit", name,
                       k.cos_sin_dtype);
  if (k.max_position < 0)
    return fmt::format("kernel \"{}\": max_position {} is negative", name, k.max_position);
  return {};
}

// Appends one UTF-8 sequence starting at text[i] if it is valid; returns its length or 0.
std::size_t utf8_sequence(const std::string& text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  std::size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
  if (n == 0 || i + n > text.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  // Overlong, surrogate and out-of-range forms.
  if (n == 3 && c == 0xE0 && byte(i + 1) < 0xA0) return 0;
  if (n == 3 && c == 0xED && byte(i + 1) >= 0xA0) return 0;
  if (n == 4 && c == 0xF0 && byte(i + 1) < 0x90) return 0;
  if (n == 4 && c == 0xF4 && byte(i + 1) >= 0x90) return 0;
  // C1 controls (U+0080..U+009F) are terminal controls too.
  if (n == 2 && c == 0xC2 && byte(i + 1) < 0xA0) return 0;
  return n;
}

}  // namespace

std::string plugin_text(const std::string& text, std::size_t max_bytes) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (out.size() >= max_bytes) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out += static_cast<char>(c);
      ++i;
    } else if (c == '\\') {
      out += "\\\\";
      ++i;
    } else if (const std::size_t n = c >= 0x80 ? utf8_sequence(text, i) : 0; n > 0) {
      out.append(text, i, n);
      i += n;
    } else {
      out += fmt::format("\\x{:02x}", c);
      ++i;
    }
  }
  return out;
}

std::vector<Dtype> KernelInfo::formats() const {
  std::vector<Dtype> out;
  for (Dtype d : all_dtypes())
    if (dtypes & abi_dtype_bit(d)) out.push_back(d);
  return out;
}

std::shared_ptr<PluginLibrary> PluginLibrary::open(const std::string& path, const WorkerLimits& limits) {
  std::shared_ptr<PluginLibrary> lib(new PluginLibrary());
  lib->path_ = path;
  lib->limits_ = limits;
  // dlopen searches the library path for a bare name; a path with a slash is taken as given.
  const std::string target = path.find('/') == std::string::npos ? "./" + path : path;
  KernelProcess process(target, limits);
  const StartResult started = process.start();
  process.stop();
  if (started.failure.failure != CallFailure::none)
    throw PluginLoadFailure(fmt::format("plugin {}: {}", path, started.failure.what));
  if (!started.load_error.empty()) throw ConfigError("--kernel", started.load_error);
  const std::size_t count = started.records.size();
  for (std::uint32_t i = 0; i < count; ++i) {
    const WorkerKernelRecord& k = started.records[i];
    if (std::string problem = descriptor_problem(k, i); !problem.empty()) {
      // A bad descriptor after good ones usually means the count is wrong.
      if (i > 0)
        problem += fmt::format(" (the table's count is {}: is it sizeof of the array instead of "
                               "its number of elements?)", count);
      throw ConfigError("--kernel", fmt::format("plugin {}: {}", path, problem));
    }
    KernelInfo info;
    info.index = i;
    info.name = k.name;
    info.description = k.has_description ? k.description : "";
    if (k.description_cut == 1) info.description += "...";
    info.dtypes = k.dtypes;
    info.layouts = k.layouts;
    info.rope_types = k.angle_mode == RC_ANGLES_COS_SIN_CACHE ? RC_ROPE_ALL : k.rope_types;
    info.angle_mode = k.angle_mode;
    info.cos_sin_dtype = k.cos_sin_dtype;
    info.max_position = k.max_position;
    info.bound = k.has_bound ? k.bound : "";
    info.has_supports = k.has_supports != 0;
    for (const KernelInfo& other : lib->kernels_)
      if (other.name == info.name)
        throw ConfigError("--kernel", fmt::format("plugin {} lists kernel \"{}\" twice{}", path,
                                                  info.name,
                                                  fmt::format(" (the table's count is {}: is it "
                                                              "sizeof of the array instead of "
                                                              "its number of elements?)", count)));
    lib->kernels_.push_back(std::move(info));
  }
  return lib;
}

const KernelInfo& PluginLibrary::kernel(const std::string& name) const {
  std::string names;
  for (const KernelInfo& k : kernels_) {
    if (k.name == name) return k;
    if (!names.empty()) names += ", ";
    names += k.name;
  }
  throw ConfigError("--kernel-name",
                    fmt::format("plugin {} has no kernel \"{}\"; it offers: {}", path_,
                                plugin_text(name), names));
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
