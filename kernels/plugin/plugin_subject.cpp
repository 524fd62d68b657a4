#include "kernels/plugin/plugin_subject.hpp"

#include <fmt/format.h>
#include <unistd.h>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <set>

#include "core/config_error.hpp"
#include "kernels/plugin/abi_config.hpp"
#include "kernels/plugin/cos_sin_tables.hpp"
#include "kernels/plugin/dtype_codec.hpp"
#include "kernels/plugin/kernel_process.hpp"
#include "reference/reference.hpp"

namespace ropecheck::kernels {

// What every configuration prepared from one subject shares: the worker, the counters, and
// per-configuration facts computed once (the battery prepares the subject for every case).
struct PluginSubject::Shared {
  // One resolved configuration at one sequence length.
  struct Prepared {
    std::uint64_t id = 0;  // the worker re-runs init only when the id changes
    double attention = 1;
    std::shared_ptr<const reference::Reference> oracle;  // cos/sin-cache kernels only
  };
  // Beyond this many the caches are cleared: the battery draws many sequence lengths.
  static constexpr std::size_t kMaxCached = 64;

  std::mutex mutex;
  KernelProcess process;
  KernelStats stats;
  std::uint64_t next_config_id = 0;
  std::map<std::string, PluginSubject::Support> supports_cache;  // by the resolved config's bytes
  std::map<std::string, Prepared> prepared;  // by the bytes of the config and its seq_len
  // The oracles: by config and seq_len for the length-dependent variants, by config otherwise.
  std::map<std::string, std::shared_ptr<const reference::Reference>> oracles;
  // Failed calls by config (any seq_len). A config is not called again after a hang, or after
  // kMaxFailures crashes: a kernel that dies on every call would otherwise cost a new worker
  // for each of the battery's thousands of calls, and one crash already fails the run.
  std::map<std::string, int> failures;
  static constexpr int kMaxFailures = 3;

  bool output_reported = false;

  Shared(const PluginLibrary& library)
      : process(
            library.path().find('/') == std::string::npos ? "./" + library.path() : library.path(),
            library.limits()) {}

  // Reports, once, a worker that wrote more than the output cap.
  void check_output(std::int64_t position) {
    if (output_reported || process.output_bytes() <= process.limits().output_cap) return;
    output_reported = true;
    record("output",
           fmt::format("wrote {} bytes to stdout/stderr, more than the {} bytes a "
                       "kernel may (the rest was discarded)",
                       process.output_bytes(), process.limits().output_cap),
           position);
  }

  // Counts every event; keeps the first few distinct descriptions of each kind.
  void record(const std::string& kind, const std::string& what, std::int64_t position) {
    ++stats.event_counts[kind];
    std::size_t kept = 0;
    for (const KernelEvent& e : stats.events) {
      if (e.kind != kind) continue;
      if (e.what == what) return;
      ++kept;
    }
    if (kept < KernelStats::kMaxEventsPerKind) stats.events.push_back({kind, what, position});
  }
};

namespace {

const char* failure_kind(CallFailure failure) {
  switch (failure) {
    case CallFailure::crash:
      return "crash";
    case CallFailure::hang:
      return "hang";
    case CallFailure::input_write:
      return "input-write";
    case CallFailure::out_of_bounds:
      return "out-of-bounds";
    case CallFailure::none:
      break;
  }
  return "crash";
}

const char* code_name(int code) {
  switch (code) {
    case RC_ERROR_UNSUPPORTED:
      return "RC_ERROR_UNSUPPORTED";
    case RC_ERROR_INVALID:
      return "RC_ERROR_INVALID";
    case RC_ERROR_INTERNAL:
      return "RC_ERROR_INTERNAL";
    default:
      return "unknown code";
  }
}

// The key under which a supports() answer is cached: the resolved config and its lists.
std::string config_key(const AbiConfig& abi) {
  rc_rope_config c = abi.config;
  c.short_factor = nullptr;
  c.long_factor = nullptr;
  std::string key(reinterpret_cast<const char*>(&c), sizeof c);
  key.append(reinterpret_cast<const char*>(abi.short_factor.data()),
             abi.short_factor.size() * sizeof(double));
  key.append(reinterpret_cast<const char*>(abi.long_factor.data()),
             abi.long_factor.size() * sizeof(double));
  return key;
}

// Lays out a call's arrays and copies the config (and its factor lists) into the arena.
struct Placed {
  BatchLayout layout;
  unsigned char* data = nullptr;
};

Placed place(KernelProcess& process, const AbiConfig& abi, std::size_t (&sizes)[kBufferCount]) {
  sizes[kConfigBuffer] = sizeof(rc_rope_config);
  sizes[kShortFactorBuffer] = abi.short_factor.size() * sizeof(double);
  sizes[kLongFactorBuffer] = abi.long_factor.size() * sizeof(double);
  const BatchLayout layout = BatchLayout::plan(sizes, SharedArena::page_size());
  SharedArena& arena = process.arena(layout.required);
  Placed p{layout, arena.data()};
  abi.write(p.data + layout.buffers[kConfigBuffer].offset,
            reinterpret_cast<double*>(p.data + layout.buffers[kShortFactorBuffer].offset),
            reinterpret_cast<double*>(p.data + layout.buffers[kLongFactorBuffer].offset));
  return p;
}

// Fills the request's array descriptors from a layout.
void describe_buffers(const BatchLayout& layout, WorkerRequest& request) {
  for (std::uint32_t i = 0; i < kBufferCount; ++i) request.buffers[i] = layout.buffers[i];
}

// What a write just before y (into the canaries of its first page) did ("" if nothing).
// Writes past its end fault in the guard page instead.
std::string canary_damage(const SharedArena& arena, const BatchLayout& l) {
  const WorkerBuffer& y = l.buffers[kYBuffer];
  const std::size_t begin = l.run_begin(kYBuffer, SharedArena::page_size());
  const std::size_t before = arena.changed_count(begin, y.offset);
  if (before > 0)
    return fmt::format(
        "out-of-bounds write: {} bytes changed before the start of its output y "
        "(starting {} bytes before it)",
        before, y.offset - arena.first_changed(begin, y.offset));
  return {};
}

// Adds the NaN outputs of rows whose inputs are all finite, and the outputs never written
// (still holding the NaN fill), which are counted apart since they say something else.
void count_outputs(Dtype dtype, std::size_t head_dim, std::span<const double> x,
                   std::span<const double> y, const unsigned char* y_bytes, KernelStats& stats) {
  const std::size_t row_bytes = head_dim * dtype_size(dtype);
  for (std::size_t row = 0; row < y.size() / head_dim; ++row) {
    const std::size_t unwritten = count_unwritten(dtype, y_bytes + row * row_bytes, head_dim);
    stats.unwritten_outputs += unwritten;
    const auto in = x.subspan(row * head_dim, head_dim);
    if (!std::all_of(in.begin(), in.end(), [](double v) { return std::isfinite(v); })) continue;
    const auto out = y.subspan(row * head_dim, head_dim);
    const auto nans = static_cast<std::size_t>(
        std::count_if(out.begin(), out.end(), [](double v) { return std::isnan(v); }));
    stats.nan_outputs += nans - unwritten;
  }
}

class PreparedPluginImpl final : public PreparedPlugin {
 public:
  PreparedPluginImpl(std::shared_ptr<PluginSubject::Shared> shared, const KernelInfo& kernel,
                     Dtype dtype, const RopeConfig& config, std::int64_t seq_len)
      : shared_(std::move(shared)), kernel_(kernel), dtype_(dtype), abi_(config, seq_len, 1.0) {
    if (kernel.angle_mode == RC_ANGLES_COS_SIN_CACHE)
      cos_sin_dtype_ = kernel.cos_sin_dtype == 0 ? dtype : dtype_of_abi_bit(kernel.cos_sin_dtype);
    AbiConfig any_length = abi_;
    any_length.config.seq_len = 0;
    hang_key_ = config_key(any_length);
    const std::string key = config_key(abi_);
    std::lock_guard lock(shared_->mutex);
    auto found = shared_->prepared.find(key);
    if (found == shared_->prepared.end()) {
      if (shared_->prepared.size() >= PluginSubject::Shared::kMaxCached) shared_->prepared.clear();
      PluginSubject::Shared::Prepared fresh;
      fresh.id = ++shared_->next_config_id;
      // Only dynamic NTK and LongRoPE depend on the length (spec/rope.md section 10): for the
      // other variants one oracle serves every length, which spares an exact evaluation of
      // every theta_i for each of the battery's cases.
      const bool by_length =
          config.scaling.type == RopeType::dynamic || config.scaling.type == RopeType::longrope;
      const std::string oracle_key = by_length ? key : hang_key_;
      auto oracle = shared_->oracles.find(oracle_key);
      if (oracle == shared_->oracles.end()) {
        if (shared_->oracles.size() >= PluginSubject::Shared::kMaxCached) shared_->oracles.clear();
        oracle =
            shared_->oracles
                .emplace(oracle_key, std::make_shared<const reference::Reference>(config, seq_len))
                .first;
      }
      fresh.attention = oracle->second->attention_factor();
      if (cos_sin_dtype_) fresh.oracle = oracle->second;
      found = shared_->prepared.emplace(key, std::move(fresh)).first;
    }
    config_id_ = found->second.id;
    oracle_ = found->second.oracle;
    abi_.config.attention_factor = found->second.attention;
  }

  void apply(std::int64_t position, std::span<const double> x, std::span<double> y) const override {
    apply_shaped(std::span(&position, 1), 1, x, y);
  }
  void apply_batch(std::span<const std::int64_t> positions, std::span<const double> x,
                   std::span<double> y) const override {
    apply_shaped(positions, 1, x, y);
  }
  double attention_factor() const override { return abi_.config.attention_factor; }

  void apply_shaped(std::span<const std::int64_t> positions, std::int64_t heads,
                    std::span<const double> x, std::span<double> y) const override;

 private:
  std::shared_ptr<PluginSubject::Shared> shared_;
  KernelInfo kernel_;
  Dtype dtype_;
  AbiConfig abi_;
  std::optional<Dtype> cos_sin_dtype_;
  std::shared_ptr<const reference::Reference> oracle_;
  std::string hang_key_;
  std::uint64_t config_id_ = 0;
};

void PreparedPluginImpl::apply_shaped(std::span<const std::int64_t> positions, std::int64_t heads,
                                      std::span<const double> x, std::span<double> y) const {
  const auto tokens = positions.size();
  const auto head_dim = static_cast<std::size_t>(abi_.config.head_dim);
  const std::size_t values = tokens * static_cast<std::size_t>(heads) * head_dim;
  if (tokens == 0) return;
  if (x.size() != values || y.size() != values)
    throw std::invalid_argument(fmt::format("plugin batch: x and y need {} values, got {} and {}",
                                            values, x.size(), y.size()));
  const std::int64_t first = positions.front();
  std::lock_guard lock(shared_->mutex);
  if (const auto failed = shared_->failures.find(hang_key_);
      failed != shared_->failures.end() && failed->second >= PluginSubject::Shared::kMaxFailures)
    throw properties::KernelFailure(fmt::format(
        "kernel {} hung or crashed earlier on this configuration; not called again", kernel_.name));

  const std::size_t esize = dtype_size(dtype_);
  const std::size_t pairs = static_cast<std::size_t>(abi_.config.rotary_dim / 2);
  const std::size_t csize = cos_sin_dtype_ ? dtype_size(*cos_sin_dtype_) : 0;
  std::size_t sizes[kBufferCount] = {};
  sizes[kPositionsBuffer] = tokens * sizeof(std::int64_t);
  sizes[kXBuffer] = values * esize;
  sizes[kCosBuffer] = sizes[kSinBuffer] = tokens * pairs * csize;
  sizes[kYBuffer] = values * esize;
  KernelProcess& process = shared_->process;
  const Placed p = place(process, abi_, sizes);
  const BatchLayout& l = p.layout;
  std::memcpy(p.data + l.buffers[kPositionsBuffer].offset, positions.data(),
              tokens * sizeof(std::int64_t));
  encode(dtype_, x, p.data + l.buffers[kXBuffer].offset);
  if (cos_sin_dtype_)
    fill_cos_sin(*oracle_, positions, *cos_sin_dtype_, p.data + l.buffers[kCosBuffer].offset,
                 p.data + l.buffers[kSinBuffer].offset);
  SharedArena& arena = process.arena(0);
  arena.fill_canaries(l.run_begin(kYBuffer, SharedArena::page_size()), l.buffers[kYBuffer].offset);
  unsigned char* y_bytes = p.data + l.buffers[kYBuffer].offset;
  fill_unwritten(dtype_, y_bytes, values);

  WorkerRequest request;
  request.op = WorkerOp::apply;
  request.kernel = kernel_.index;
  request.dtype_bit = abi_dtype_bit(dtype_);
  request.config_id = config_id_;
  describe_buffers(l, request);
  request.tokens = static_cast<std::int64_t>(tokens);
  request.heads = heads;
  request.head_dim = static_cast<std::int64_t>(head_dim);
  request.cos_sin_dtype_bit = cos_sin_dtype_ ? abi_dtype_bit(*cos_sin_dtype_) : 0;
  request.cos_sin_pairs = cos_sin_dtype_ ? static_cast<std::int32_t>(pairs) : 0;

  KernelStats& stats = shared_->stats;
  ++stats.calls;
  stats.rows += tokens * static_cast<std::size_t>(heads);
  const CallResult result = process.call(request);
  shared_->check_output(first);
  const std::string where = fmt::format("batch of {} rows from position {}",
                                        tokens * static_cast<std::size_t>(heads), first);
  if (result.failure != CallFailure::none) {
    int& failures = shared_->failures[hang_key_];
    failures =
        result.failure == CallFailure::hang ? PluginSubject::Shared::kMaxFailures : failures + 1;
    shared_->record(failure_kind(result.failure), result.what, first);
    throw properties::KernelFailure(fmt::format("{} ({})", result.what, where));
  }
  const WorkerResponse& r = result.response;
  if (r.code != RC_OK) {
    const std::string what = fmt::format(
        "{} returned {} ({}){}{}", r.stage == WorkerStage::init ? "init" : "apply", r.code,
        code_name(r.code), r.message[0] ? ": the kernel says: " : "", plugin_text(r.message));
    shared_->record("error", what, first);
    throw properties::KernelFailure(fmt::format("{} ({})", what, where));
  }
  if (const std::string what = canary_damage(arena, l); !what.empty()) {
    shared_->record("out-of-bounds", what, first);
    throw properties::KernelFailure(fmt::format("{} ({})", what, where));
  }
  decode(dtype_, y_bytes, y);
  count_outputs(dtype_, head_dim, x, y, y_bytes, stats);
}

}  // namespace

std::string default_bound(Dtype dtype, bool cos_sin_cache) {
  if (cos_sin_cache) {
    switch (dtype) {
      case Dtype::f64:
        return "cache:f64";
      case Dtype::f32:
        return "cache:f32";
      case Dtype::bf16:
        return "cache:bf16";
      case Dtype::f16:
        return "cache:f32";
    }
    return "";
  }
  switch (dtype) {
    case Dtype::f64:
      return "f64";
    case Dtype::f32:
      return "f32";
    case Dtype::bf16:
      return "bf16-hf";
    // No pipeline stores f16; the f32 pipeline's bound plus the final rounding to f16 applies
    // (properties/error_model.hpp adds it for any storage coarser than the pipeline's).
    case Dtype::f16:
      return "f32";
  }
  return "";
}

PluginSubject::PluginSubject(std::shared_ptr<PluginLibrary> library, const KernelInfo& kernel,
                             Dtype dtype, PluginOptions options)
    : library_(std::move(library)),
      kernel_(kernel),
      dtype_(dtype),
      options_(std::move(options)),
      shared_(std::make_shared<Shared>(*library_)) {}

PluginSubject::~PluginSubject() = default;

std::string PluginSubject::name() const {
  return fmt::format("{}:{}", kernel_.name, dtype_name(dtype_));
}

std::string PluginSubject::bound_model() const {
  if (!options_.bound.empty()) return options_.bound;
  if (!kernel_.bound.empty()) return kernel_.bound;
  return default_bound(dtype_, kernel_.angle_mode == RC_ANGLES_COS_SIN_CACHE);
}

PluginSubject::Support PluginSubject::support(const RopeConfig& config) const {
  Support out;
  if ((kernel_.dtypes & abi_dtype_bit(dtype_)) == 0) {
    out.reason =
        fmt::format("dtype {} not in {}", dtype_name(dtype_), dtype_mask_names(kernel_.dtypes));
    return out;
  }
  if ((kernel_.layouts & abi_layout(config.layout)) == 0) {
    out.reason = fmt::format("layout {} not in {}", layout_name(config.layout),
                             layout_mask_names(kernel_.layouts));
    return out;
  }
  if ((kernel_.rope_types & RC_ROPE_BIT(abi_rope_type(config.scaling.type))) == 0) {
    out.reason = fmt::format("rope_type {} not supported", rope_type_name(config.scaling.type));
    return out;
  }
  out.supported = true;
  if (!kernel_.has_supports) return out;

  // The kernel's own supports() runs in the worker like everything else it does. The length
  // is unknown here: seq_len is 0 (spec/kernel-abi.md).
  const AbiConfig abi(config, 0, 1.0);
  const std::string key = config_key(abi);
  std::lock_guard lock(shared_->mutex);
  if (auto it = shared_->supports_cache.find(key); it != shared_->supports_cache.end())
    return it->second;
  std::size_t sizes[kBufferCount] = {};
  const Placed p = place(shared_->process, abi, sizes);
  WorkerRequest request;
  request.op = WorkerOp::supports;
  request.kernel = kernel_.index;
  request.dtype_bit = abi_dtype_bit(dtype_);
  describe_buffers(p.layout, request);
  const CallResult result = shared_->process.call(request);
  shared_->check_output(0);
  if (result.failure != CallFailure::none) {
    // Not a "no": a kernel that cannot answer has failed, and the configuration is not skipped.
    shared_->record(failure_kind(result.failure), result.what, 0);
    out.supported = false;
    out.failed = true;
    out.reason = "the kernel's supports() failed: " + result.what;
  } else if (result.response.code == 0) {
    out.supported = false;
    out.reason = "the kernel's supports() said no";
  }
  shared_->supports_cache[key] = out;
  return out;
}

bool PluginSubject::supports(const RopeConfig& config) const {
  return support(config).supported;
}

std::unique_ptr<PreparedRope> PluginSubject::prepare(const RopeConfig& config,
                                                     std::int64_t seq_len) const {
  if (const Support answer = support(config); !answer.supported) {
    if (answer.failed) throw properties::KernelFailure(answer.reason);
    throw ConfigError("--kernel", fmt::format("kernel {} does not support this configuration: {}",
                                              name(), answer.reason));
  }
  return std::make_unique<PreparedPluginImpl>(shared_, kernel_, dtype_, config, seq_len);
}

KernelStats PluginSubject::take_stats() const {
  std::lock_guard lock(shared_->mutex);
  if (const std::size_t strays = shared_->process.kill_strays(); strays > 0)
    shared_->record("stray-process",
                    fmt::format("left {} process{} running in its worker's "
                                "process group (killed)",
                                strays, strays == 1 ? "" : "es"),
                    0);
  KernelStats out = std::move(shared_->stats);
  shared_->stats = KernelStats{};
  return out;
}

}  // namespace ropecheck::kernels
