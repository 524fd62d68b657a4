#include "kernels/plugin/plugin_subject.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fmt/format.h>
#include <optional>
#include <set>
#include <unistd.h>

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
  std::map<std::string, bool> supports_cache;  // by the bytes of the resolved config
  std::map<std::string, Prepared> prepared;    // by the bytes of the config and its seq_len
  std::set<std::string> hung;  // configs (any seq_len) on which the kernel timed out

  Shared(std::shared_ptr<PluginLibrary> library, const rc_kernel* kernel,
         std::chrono::milliseconds timeout)
      : process(std::move(library), kernel, timeout) {}

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
    case CallFailure::crash: return "crash";
    case CallFailure::hang: return "hang";
    case CallFailure::input_write: return "input-write";
    case CallFailure::out_of_bounds: return "out-of-bounds";
    case CallFailure::none: break;
  }
  return "crash";
}

const char* code_name(int code) {
  switch (code) {
    case RC_ERROR_UNSUPPORTED: return "RC_ERROR_UNSUPPORTED";
    case RC_ERROR_INVALID: return "RC_ERROR_INVALID";
    case RC_ERROR_INTERNAL: return "RC_ERROR_INTERNAL";
    default: return "unknown code";
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

// Lays out and copies a config (and, for a batch, its arrays) into the arena.
struct Placed {
  BatchLayout layout;
  unsigned char* data = nullptr;
};

Placed place(KernelProcess& process, const AbiConfig& abi, const BatchLayout::Sizes& sizes) {
  const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  const BatchLayout need = BatchLayout::plan(sizes, page, 0);
  SharedArena& arena = process.arena(need.required);
  Placed p{BatchLayout::plan(sizes, page, arena.capacity()), arena.data()};
  abi.write(p.data + p.layout.config,
            reinterpret_cast<double*>(p.data + p.layout.short_factor),
            reinterpret_cast<double*>(p.data + p.layout.long_factor));
  return p;
}

// What a write outside y that stayed inside the output zone did to the canaries ("" if none).
std::string canary_damage(const SharedArena& arena, const BatchLayout& l) {
  const std::size_t end = l.y + l.y_bytes;
  const std::size_t before = arena.changed_count(l.inputs_end, l.y);
  const std::size_t after = arena.changed_count(end, arena.capacity());
  if (after > 0)
    return fmt::format("out-of-bounds write: {} bytes changed past the end of its output y "
                       "(starting {} bytes after its end)",
                       after, arena.first_changed(end, arena.capacity()) - end);
  if (before > 0)
    return fmt::format("out-of-bounds write: {} bytes changed before the start of its output y "
                       "(starting {} bytes before it)",
                       before, l.y - arena.first_changed(l.inputs_end, l.y));
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
      auto oracle = std::make_shared<const reference::Reference>(config, seq_len);
      fresh.id = ++shared_->next_config_id;
      fresh.attention = oracle->attention_factor();
      if (cos_sin_dtype_) fresh.oracle = std::move(oracle);
      found = shared_->prepared.emplace(key, std::move(fresh)).first;
    }
    config_id_ = found->second.id;
    oracle_ = found->second.oracle;
    abi_.config.attention_factor = found->second.attention;
  }

  void apply(std::int64_t position, std::span<const double> x,
             std::span<double> y) const override {
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

void PreparedPluginImpl::apply_shaped(std::span<const std::int64_t> positions,
                                      std::int64_t heads, std::span<const double> x,
                                      std::span<double> y) const {
  const auto tokens = positions.size();
  const auto head_dim = static_cast<std::size_t>(abi_.config.head_dim);
  const std::size_t values = tokens * static_cast<std::size_t>(heads) * head_dim;
  if (tokens == 0) return;
  if (x.size() != values || y.size() != values)
    throw std::invalid_argument(fmt::format("plugin batch: x and y need {} values, got {} and {}",
                                            values, x.size(), y.size()));
  const std::int64_t first = positions.front();
  std::lock_guard lock(shared_->mutex);
  if (shared_->hung.count(hang_key_) > 0)
    throw properties::KernelFailure(fmt::format(
        "hang: kernel {} timed out earlier on this configuration; not called again",
        kernel_.name));

  const std::size_t esize = dtype_size(dtype_);
  const std::size_t pairs = static_cast<std::size_t>(abi_.config.rotary_dim / 2);
  const std::size_t csize = cos_sin_dtype_ ? dtype_size(*cos_sin_dtype_) : 0;
  const BatchLayout::Sizes sizes{sizeof(rc_rope_config),
                                 abi_.short_factor.size() * sizeof(double),
                                 abi_.long_factor.size() * sizeof(double),
                                 tokens * sizeof(std::int64_t),
                                 values * esize,
                                 tokens * pairs * csize,
                                 tokens * pairs * csize,
                                 values * esize};
  KernelProcess& process = shared_->process;
  const Placed p = place(process, abi_, sizes);
  const BatchLayout& l = p.layout;
  std::memcpy(p.data + l.positions, positions.data(), tokens * sizeof(std::int64_t));
  encode(dtype_, x, p.data + l.x);
  if (cos_sin_dtype_)
    fill_cos_sin(*oracle_, positions, *cos_sin_dtype_, p.data + l.cos, p.data + l.sin);
  SharedArena& arena = process.arena(0);
  arena.fill_canaries(l.inputs_end);
  fill_unwritten(dtype_, p.data + l.y, values);

  WorkerRequest request;
  request.op = WorkerOp::apply;
  request.dtype_bit = abi_dtype_bit(dtype_);
  request.config_id = config_id_;
  request.config = l.config;
  request.positions = l.positions;
  request.x = l.x;
  request.y = l.y;
  request.cos = l.cos;
  request.sin = l.sin;
  request.inputs_end = l.inputs_end;
  request.tokens = static_cast<std::int64_t>(tokens);
  request.heads = heads;
  request.head_dim = static_cast<std::int64_t>(head_dim);
  request.cos_sin_dtype_bit = cos_sin_dtype_ ? abi_dtype_bit(*cos_sin_dtype_) : 0;
  request.cos_sin_pairs = cos_sin_dtype_ ? static_cast<std::int32_t>(pairs) : 0;

  KernelStats& stats = shared_->stats;
  ++stats.calls;
  stats.rows += tokens * static_cast<std::size_t>(heads);
  const CallResult result = process.call(request);
  const std::string where = fmt::format("batch of {} rows from position {}",
                                        tokens * static_cast<std::size_t>(heads), first);
  if (result.failure != CallFailure::none) {
    if (result.failure == CallFailure::hang) shared_->hung.insert(hang_key_);
    shared_->record(failure_kind(result.failure), result.what, first);
    throw properties::KernelFailure(fmt::format("{} ({})", result.what, where));
  }
  const WorkerResponse& r = result.response;
  if (r.code != RC_OK) {
    const std::string what = fmt::format(
        "{} returned {} ({}){}{}", r.stage == WorkerStage::init ? "init" : "apply", r.code,
        code_name(r.code), r.message[0] ? ": " : "", r.message);
    shared_->record("error", what, first);
    throw properties::KernelFailure(fmt::format("{} ({})", what, where));
  }
  if (const std::string what = canary_damage(arena, l); !what.empty()) {
    shared_->record("out-of-bounds", what, first);
    throw properties::KernelFailure(fmt::format("{} ({})", what, where));
  }
  decode(dtype_, p.data + l.y, y);
  count_outputs(dtype_, head_dim, x, y, p.data + l.y, stats);
}

}  // namespace

std::string default_bound(Dtype dtype) {
  switch (dtype) {
    case Dtype::f64: return "f64";
    case Dtype::f32: return "f32";
    case Dtype::bf16: return "bf16-hf";
    // No pipeline stores f16; the f32 pipeline's bound plus the final rounding to f16 applies
    // (properties/error_model.hpp adds it for any storage coarser than the pipeline's).
    case Dtype::f16: return "f32";
  }
  return "";
}

PluginSubject::PluginSubject(std::shared_ptr<PluginLibrary> library, const KernelInfo& kernel,
                             Dtype dtype, PluginOptions options)
    : library_(std::move(library)),
      kernel_(kernel),
      dtype_(dtype),
      options_(std::move(options)),
      shared_(std::make_shared<Shared>(library_, kernel.entry, options_.timeout)) {}

PluginSubject::~PluginSubject() = default;

std::string PluginSubject::name() const {
  return fmt::format("{}:{}", kernel_.name, dtype_name(dtype_));
}

std::string PluginSubject::bound_model() const {
  if (!options_.bound.empty()) return options_.bound;
  if (!kernel_.bound.empty()) return kernel_.bound;
  return default_bound(dtype_);
}

std::string PluginSubject::unsupported_reason(const RopeConfig& config) const {
  if ((kernel_.dtypes & abi_dtype_bit(dtype_)) == 0)
    return fmt::format("dtype {} not in {}", dtype_name(dtype_), dtype_mask_names(kernel_.dtypes));
  if ((kernel_.layouts & abi_layout(config.layout)) == 0)
    return fmt::format("layout {} not in {}", layout_name(config.layout),
                       layout_mask_names(kernel_.layouts));
  if ((kernel_.rope_types & RC_ROPE_BIT(abi_rope_type(config.scaling.type))) == 0)
    return fmt::format("rope_type {} not supported", rope_type_name(config.scaling.type));
  if (kernel_.entry->supports == nullptr) return {};

  // The kernel's own supports() runs in the worker like everything else it does. The length
  // is unknown here: seq_len is 0 (spec/kernel-abi.md).
  const AbiConfig abi(config, 0, 1.0);
  const std::string key = config_key(abi);
  std::lock_guard lock(shared_->mutex);
  if (auto it = shared_->supports_cache.find(key); it != shared_->supports_cache.end())
    return it->second ? "" : "the kernel's supports() said no";
  const BatchLayout::Sizes sizes{sizeof(rc_rope_config), abi.short_factor.size() * sizeof(double),
                                 abi.long_factor.size() * sizeof(double), 0, 0, 0, 0, 0};
  const Placed p = place(shared_->process, abi, sizes);
  WorkerRequest request;
  request.op = WorkerOp::supports;
  request.dtype_bit = abi_dtype_bit(dtype_);
  request.config = p.layout.config;
  request.inputs_end = p.layout.inputs_end;
  const CallResult result = shared_->process.call(request);
  if (result.failure != CallFailure::none) {
    shared_->record(failure_kind(result.failure), "supports(): " + result.what, 0);
    shared_->supports_cache[key] = false;
    return "the kernel's supports() failed: " + result.what;
  }
  shared_->supports_cache[key] = result.response.code != 0;
  return result.response.code != 0 ? "" : "the kernel's supports() said no";
}

bool PluginSubject::supports(const RopeConfig& config) const {
  return unsupported_reason(config).empty();
}

std::unique_ptr<PreparedRope> PluginSubject::prepare(const RopeConfig& config,
                                                     std::int64_t seq_len) const {
  if (const std::string why = unsupported_reason(config); !why.empty())
    throw ConfigError("--kernel", fmt::format("kernel {} does not support this configuration: {}",
                                              name(), why));
  return std::make_unique<PreparedPluginImpl>(shared_, kernel_, dtype_, config, seq_len);
}

KernelStats PluginSubject::take_stats() const {
  std::lock_guard lock(shared_->mutex);
  KernelStats out = std::move(shared_->stats);
  shared_->stats = KernelStats{};
  return out;
}

}  // namespace ropecheck::kernels
