// One kernel of a plugin, in one dtype, as a subject of the property battery: every call runs
// in the kernel's worker process, and misbehaviour becomes a KernelFailure plus an event.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "kernels/plugin/plugin_library.hpp"
#include "properties/subject.hpp"

namespace ropecheck::kernels {

// How a plugin subject runs its kernel.
// (The worker's limits are the library's: PluginLibrary::open.)
struct PluginOptions {
  // The pipeline whose bound the kernel is held to; empty: the kernel's claim, else by dtype.
  std::string bound;
};

// One thing the kernel did wrong, for the report.
struct KernelEvent {
  std::string kind;           // "crash", "hang", "out-of-bounds", "input-write", "error", "output"
  std::string what;           // one line, e.g. "crash (SIGSEGV) in apply at address 0x0"
  std::int64_t position = 0;  // first position of the batch it happened on
};

// What happened since the last take_stats().
struct KernelStats {
  std::uint64_t calls = 0;
  std::uint64_t rows = 0;
  std::uint64_t nan_outputs = 0;        // NaN outputs (written ones) in rows of finite inputs
  std::uint64_t unwritten_outputs = 0;  // outputs the kernel never wrote
  std::map<std::string, std::uint64_t> event_counts;  // by kind
  std::vector<KernelEvent> events;  // the first few of each kind (kMaxEventsPerKind)
  static constexpr std::size_t kMaxEventsPerKind = 3;
};

// The pipeline a kernel is held to when neither the bound option nor the kernel names one: the
// registry's pipeline whose error model a plain kernel of that storage format matches (f64 ->
// "f64", f32 -> "f32", bf16 -> "bf16-hf"); f16 -> "f32", whose bound plus the final rounding
// to f16 (added by the error model for any coarser storage) holds an f32-computing f16 kernel.
// A cos/sin-cache kernel (RC_ANGLES_COS_SIN_CACHE) computes no angle: it is held by default to
// "cache:A", the tables' and the rotation's rounding alone (spec/precision.md, "Cos/sin-cache
// kernels"), with A the same arithmetic as above (f64, f32, bf16, and f32 for f16). The
// computing defaults would leave out the rounding of f16 and bf16 tables and so fail a correct
// cache kernel of those formats.
std::string default_bound(Dtype dtype, bool cos_sin_cache = false);

class PluginSubject final : public properties::Subject {
 public:
  PluginSubject(std::shared_ptr<PluginLibrary> library, const KernelInfo& kernel, Dtype dtype,
                PluginOptions options);
  ~PluginSubject() override;

  std::string name() const override;
  Dtype dtype() const override { return dtype_; }
  std::string bound_model() const override;
  bool supports(const RopeConfig& config) const override;
  // Throws ConfigError when the kernel does not support `config`.
  std::unique_ptr<PreparedRope> prepare(const RopeConfig& config,
                                        std::int64_t seq_len) const override;

  const KernelInfo& kernel() const { return kernel_; }
  // Whether the kernel runs `config`: the masks, then its own supports() in the worker. A
  // supports() that crashed or hung is `failed` (a finding, recorded as an event), never "no".
  struct Support {
    bool supported = false;
    bool failed = false;
    std::string reason;  // why not, in one line
  };
  Support support(const RopeConfig& config) const;
  // Returns and clears what happened since the last call.
  KernelStats take_stats() const;

  struct Shared;  // the worker and the counters, shared with prepared configurations

 private:
  std::shared_ptr<PluginLibrary> library_;
  KernelInfo kernel_;
  Dtype dtype_;
  PluginOptions options_;
  std::shared_ptr<Shared> shared_;
};

// A kernel prepared for one configuration; beyond PreparedRope it can run a full
// [tokens, heads, head_dim] batch, which `check` uses to test that the result of a row does
// not depend on the batch shape.
class PreparedPlugin : public PreparedRope {
 public:
  // Rotates x[tokens][heads][head_dim] (tokens = positions.size()) into y.
  virtual void apply_shaped(std::span<const std::int64_t> positions, std::int64_t heads,
                            std::span<const double> x, std::span<double> y) const = 0;
};

}  // namespace ropecheck::kernels
