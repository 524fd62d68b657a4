#include "audit/exhaustive.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <mutex>
#include <thread>

#include "core/config_error.hpp"
#include "core/number_format.hpp"
#include "impl/implementation.hpp"
#include "properties/subject.hpp"
#include "reference/coefficient_scan.hpp"
#include "reference/exact_frequencies.hpp"
#include "reference/fast_path.hpp"
#include "reference/reference.hpp"

namespace ropecheck::audit {
namespace {

// Positions per unit of work: large enough that scheduling costs nothing, small enough that
// both cores stay busy to the end and progress moves.
constexpr std::int64_t kChunk = 4096;

// Positions whose pipeline outputs are computed in one apply_batch call: 64 for the registry's
// implementations (their unit rows fit in the L2 cache), a whole chunk for a subject such as a
// plugin kernel, which pays one round trip to its worker per call.
constexpr std::int64_t kBatch = 64;

struct Context {
  const ExhaustiveOptions& options;
  std::vector<std::unique_ptr<PreparedRope>> prepared;
  reference::Reference oracle;
  std::vector<double> unit;                     // every rotated pair (1, 0), the other channels 0
  std::vector<double> unit_rows;                // batch copies of unit
  std::int64_t batch = kBatch;                  // positions per apply_batch call
  std::optional<reference::FastPathData> scan;  // set when the incremental path applies
};

ExhaustivePart empty_part(const ExhaustiveOptions& o, std::int64_t first, std::int64_t last) {
  ExhaustivePart part;
  part.first = first;
  part.last = last;
  part.impls.resize(o.impls.size());
  for (ExhaustiveImpl& r : part.impls) {
    r.band_max.resize(o.band_edges.size() - 1);
    r.histogram.assign(kHistogramBins, 0);
    r.first_exceeding.resize(o.thresholds.size());
  }
  return part;
}

std::size_t band_index(const ExhaustiveOptions& o, std::int64_t m) {
  const auto& e = o.band_edges;
  const auto it = std::upper_bound(e.begin() + 1, e.end() - 1, m);
  return static_cast<std::size_t>(it - e.begin() - 1);
}

// The histogram bin of d (exhaustive.hpp), branch-free from the exponent bits so that the
// incremental path's loops vectorize: d >= 2^-60 is normal (or inf/NaN), its biased exponent
// field minus 1023 is floor(log2 d), and bin e holds 2^(low + e - 1) <= d < 2^(low + e); inf,
// NaN (either sign) and d >= 2^2 land in the last bin, zero, negative and tiny d in bin 0.
inline std::int64_t histogram_bin(double d) {
  static_assert(kHistogramLow == -60);
  const auto field = static_cast<std::int64_t>(std::bit_cast<std::uint64_t>(d) >> 52);
  const std::int64_t e = d < 0x1p-60 ? 0 : field - 1023 - kHistogramLow + 1;
  return e < kHistogramBins - 1 ? e : kHistogramBins - 1;
}

// |(c^ - (c_hi + c_lo), s^ - (s_hi + s_lo))|, +inf when the coefficients are not numbers.
double coefficient_error(double cg, double sg, double c_hi, double c_lo, double s_hi, double s_lo) {
  const double dc = (cg - c_hi) - c_lo, ds = (sg - s_hi) - s_lo;
  const double d = std::sqrt(dc * dc + ds * ds);
  return std::isnan(d) ? HUGE_VAL : d;
}

// Whether a threshold decision could change within `slack` of d.
bool near(const std::vector<double>& thresholds, double d, double slack) {
  if (!std::isfinite(d)) return false;
  for (double t : thresholds)
    if (std::fabs(d - t) <= slack) return true;
  return false;
}

bool better(const CoefficientWorst& a, const CoefficientWorst& b) {
  if (a.error != b.error) return a.error > b.error;
  return a.position != b.position ? a.position < b.position : a.pair < b.pair;
}

// The reference's exact outputs for the unit input at one position (computed on demand).
struct ExactRow {
  std::vector<double> yd, hi, lo, bound;
  std::int64_t position = -1;

  explicit ExactRow(const RopeConfig& c)
      : yd(static_cast<std::size_t>(c.head_dim)),
        hi(yd.size()),
        lo(yd.size()),
        bound(static_cast<std::size_t>(c.pairs())) {}
  void fill(const Context& ctx, std::int64_t m, ExhaustivePart& part) {
    if (position == m) return;
    part.exact_mpfr += ctx.oracle.apply_with_exact(m, ctx.unit, Dtype::f64, yd, hi, lo, bound);
    position = m;
  }
};

// One implementation's coefficients y at position m against the reference's double-double
// outputs: the per-position path, and the definition every other path must reproduce.
void measure_exact(const Context& ctx, std::size_t k, std::int64_t m, std::span<const double> y,
                   const ExactRow& row, ExhaustivePart& part) {
  const ExhaustiveOptions& o = ctx.options;
  const RopeConfig& c = o.config;
  ExhaustiveImpl& r = part.impls[k];
  double position_max = 0;
  int position_pair = 0;
  for (int i = 0; i < c.pairs(); ++i) {
    const auto [a, b] = pair_channels(c.layout, c.rotary_dim, i);
    const auto ia = static_cast<std::size_t>(a), ib = static_cast<std::size_t>(b);
    const double cg = y[ia], sg = y[ib];
    double d = coefficient_error(cg, sg, row.hi[ia], row.lo[ia], row.hi[ib], row.lo[ib]);
    // The fast path's hi + lo is within bound of each exact coefficient (so d within
    // sqrt(2) bound of the exact d), and computing d rounds a few times (2^-50 relative).
    const double slack = 2 * row.bound[static_cast<std::size_t>(i)] +
                         0x1p-50 * (d + std::fabs(cg - row.hi[ia]) + std::fabs(sg - row.hi[ib]));
    if (near(o.thresholds, d, slack)) {
      const reference::ExactPair e = ctx.oracle.exact_pair_mpfr(m, i, 1.0, 0.0);
      d = coefficient_error(cg, sg, e.a_hi, e.a_lo, e.b_hi, e.b_lo);
      part.refined += 1;
      if (near(o.thresholds, d, 0x1p-48 * d)) part.undecided += 1;
    }
    r.histogram[static_cast<std::size_t>(histogram_bin(d))] += 1;
    if (d > position_max || (i == 0 && d == position_max)) {
      position_max = d;
      position_pair = i;
    }
  }
  const auto [pa, pb] = pair_channels(c.layout, c.rotary_dim, position_pair);
  const CoefficientWorst w{position_max, m, position_pair, y[static_cast<std::size_t>(pa)],
                           y[static_cast<std::size_t>(pb)]};
  const std::size_t band = band_index(o, m);
  if (better(w, r.band_max[band])) r.band_max[band] = w;
  for (std::size_t t = 0; t < o.thresholds.size(); ++t)
    if (position_max > o.thresholds[t] && !r.first_exceeding[t]) r.first_exceeding[t] = m;
}

// One implementation's outputs for the unit input at the positions of a batch, one apply_batch
// call per batch for the positions whose computed position (PreparedRope::computed_position)
// differs from the one before: a run of positions the implementation cannot tell apart (f32
// positions above 2^24) shares one row. Row 0 carries the previous batch's last row.
class PipelineRows {
 public:
  PipelineRows(const Context& ctx, const PreparedRope& rope)
      : rope_(rope),
        unit_rows_(ctx.unit_rows),
        share_(ctx.options.share_rows),
        dim_(static_cast<std::size_t>(ctx.options.config.head_dim)),
        rows_(dim_ * static_cast<std::size_t>(ctx.batch + 1)) {}

  // Computes the rows of positions base .. base + n - 1 (consecutive calls continue the run).
  void fill(std::int64_t base, std::size_t n) {
    // The previous batch's last row becomes row 0 (read by this batch's first positions when
    // they continue its run).
    if (!row_of_.empty() && row_of_.back() != 0)
      std::copy_n(rows_.begin() + static_cast<std::ptrdiff_t>(row_of_.back() * dim_), dim_,
                  rows_.begin());
    distinct_.clear();
    row_of_.resize(n);
    for (std::size_t j = 0; j < n; ++j) {
      const double key = rope_.computed_position(base + static_cast<std::int64_t>(j));
      if (share_ && have_key_ && key == key_) {
        row_of_[j] = j == 0 ? 0 : row_of_[j - 1];
      } else {
        distinct_.push_back(base + static_cast<std::int64_t>(j));
        row_of_[j] = distinct_.size();
      }
      key_ = key;
      have_key_ = true;
    }
    const std::size_t count = distinct_.size();
    rope_.apply_batch(distinct_, std::span<const double>(unit_rows_.data(), count * dim_),
                      std::span<double>(rows_.data() + dim_, count * dim_));
    evaluated_ += count;
  }
  // The row of the j-th position of the last fill (valid until the next fill).
  std::span<const double> row(std::size_t j) const {
    return std::span<const double>(rows_.data() + row_of_[j] * dim_, dim_);
  }
  std::uint64_t evaluated() const { return evaluated_; }

 private:
  const PreparedRope& rope_;
  const std::vector<double>& unit_rows_;
  bool share_;
  std::size_t dim_;
  std::vector<double> rows_;
  std::vector<std::size_t> row_of_;
  std::vector<std::int64_t> distinct_;
  double key_ = 0;
  bool have_key_ = false;
  std::uint64_t evaluated_ = 0;
};

std::vector<PipelineRows> rows_for(const Context& ctx) {
  std::vector<PipelineRows> rows;
  for (const auto& p : ctx.prepared) rows.emplace_back(ctx, *p);
  return rows;
}

void scan_chunk_exact(const Context& ctx, ExhaustivePart& part) {
  ExactRow row(ctx.options.config);
  std::vector<PipelineRows> ys = rows_for(ctx);
  for (std::int64_t base = part.first; base <= part.last; base += ctx.batch) {
    const auto n = static_cast<std::size_t>(std::min(ctx.batch, part.last - base + 1));
    for (PipelineRows& y : ys) y.fill(base, n);
    for (std::size_t j = 0; j < n; ++j) {
      const std::int64_t m = base + static_cast<std::int64_t>(j);
      row.fill(ctx, m, part);
      for (std::size_t k = 0; k < ctx.prepared.size(); ++k)
        measure_exact(ctx, k, m, ys[k].row(j), row, part);
      part.evaluations += static_cast<std::uint64_t>(ctx.options.config.pairs());
      part.exact_positions += 1;
    }
  }
  for (const PipelineRows& y : ys) part.pipeline_rows += y.evaluated();
}

// Scratch of the incremental path, one per chunk.
struct FastScratch {
  std::vector<double> cg, sg, d;
  std::vector<std::int64_t> bin;
  explicit FastScratch(int pairs)
      : cg(static_cast<std::size_t>(pairs)), sg(cg.size()), d(cg.size()), bin(cg.size()) {}
};

// measure_exact()'s result computed from coefficients c, s within `bound` of the exact ones:
// returns false, changing nothing, unless every decision measure_exact would take (histogram
// bin, threshold tests and their MPFR refinement, band maximum) is certain from d +- slack,
// where slack covers both paths' distance to the exact d (spec/precision.md, "Coefficients at
// consecutive positions"). A certain position then gets exactly measure_exact's result. The
// loops run over arrays without branches so that they vectorize (the avx2 clone four pairs per
// instruction; the dispatch is GCC's, by the CPU's features at load time).
__attribute__((target_clones("avx2", "default"))) bool measure_certain(
    const Context& ctx, std::size_t k, std::int64_t m, std::span<const double> y,
    const double* __restrict c, const double* __restrict s, double bound, FastScratch& f,
    ExhaustivePart& part) {
  const ExhaustiveOptions& o = ctx.options;
  const RopeConfig& conf = o.config;
  const auto n = static_cast<std::size_t>(conf.pairs());
  double* __restrict cg = f.cg.data();
  double* __restrict sg = f.sg.data();
  double* __restrict dd = f.d.data();
  std::int64_t* __restrict bins = f.bin.data();
  if (conf.layout == Layout::half) {
    for (std::size_t i = 0; i < n; ++i) {
      cg[i] = y[i];
      sg[i] = y[i + n];
    }
  } else {
    for (std::size_t i = 0; i < n; ++i) {
      cg[i] = y[2 * i];
      sg[i] = y[2 * i + 1];
    }
  }
  // 2 bound >= sqrt(2) bound (this path) + 2 * 2^-74 a (the per-position path); 2^-47 d covers
  // both paths' roundings of d (each within 2^-50 (d + |c^ - c| + |s^ - s|)).
  const double two_bound = 2 * bound;
  ExhaustiveImpl& r = part.impls[k];
  const std::size_t band = band_index(o, m);
  // Every exact d must stay below the band's maximum so far (-1 at first): then measure_exact
  // would not replace it.
  const double band_max = r.band_max[band].error;
  std::int64_t uncertain = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double dc = cg[i] - c[i], ds = sg[i] - s[i];
    const double d = std::sqrt(dc * dc + ds * ds);
    const double slack = two_bound + 0x1p-47 * d;
    const std::int64_t b = histogram_bin(d);
    dd[i] = d;
    bins[i] = b;
    uncertain |= static_cast<std::int64_t>(!(d < HUGE_VAL)) | (histogram_bin(d - slack) ^ b) |
                 (histogram_bin(d + slack) ^ b) |
                 static_cast<std::int64_t>(!(d + slack < band_max));
  }
  // Not within 2 slack of a threshold: then the other path's d is more than its own slack away,
  // so it neither refines nor decides differently.
  for (double t : o.thresholds)
    for (std::size_t i = 0; i < n; ++i)
      uncertain |=
          static_cast<std::int64_t>(std::fabs(dd[i] - t) <= 2 * (two_bound + 0x1p-47 * dd[i]));
  if (uncertain) return false;
  for (std::size_t i = 0; i < n; ++i) r.histogram[static_cast<std::size_t>(bins[i])] += 1;
  for (std::size_t t = 0; t < o.thresholds.size(); ++t) {
    if (r.first_exceeding[t]) continue;
    for (std::size_t i = 0; i < n; ++i)
      if (dd[i] > o.thresholds[t]) {
        r.first_exceeding[t] = m;
        break;
      }
  }
  return true;
}

// The incremental path: the reference's coefficients from reference::CoefficientScan, the
// pipelines' outputs kBatch positions at a time; a position whose result is not certain from
// them goes through measure_exact.
void scan_chunk_incremental(const Context& ctx, ExhaustivePart& part) {
  const RopeConfig& conf = ctx.options.config;
  const int pairs = conf.pairs();
  reference::CoefficientScan scan(*ctx.scan);
  scan.start(part.first);
  const double bound = scan.error_bound();
  FastScratch scratch(pairs);
  ExactRow row(conf);
  std::vector<double> c(static_cast<std::size_t>(pairs)), s(c.size());
  std::vector<PipelineRows> ys = rows_for(ctx);
  for (std::int64_t base = part.first; base <= part.last; base += ctx.batch) {
    const auto n = static_cast<std::size_t>(std::min(ctx.batch, part.last - base + 1));
    for (PipelineRows& y : ys) y.fill(base, n);
    for (std::size_t j = 0; j < n; ++j) {
      const std::int64_t m = base + static_cast<std::int64_t>(j);
      scan.next(c.data(), s.data());
      bool exact = false;
      for (std::size_t k = 0; k < ctx.prepared.size(); ++k) {
        const std::span<const double> y = ys[k].row(j);
        // Position 0 goes the per-position way: there the reference's exact rules (phi = 0)
        // apply and its MPFR count must be the same.
        if (m != 0 && measure_certain(ctx, k, m, y, c.data(), s.data(), bound, scratch, part))
          continue;
        row.fill(ctx, m, part);
        measure_exact(ctx, k, m, y, row, part);
        exact = true;
      }
      if (exact) part.exact_positions += 1;
      part.evaluations += static_cast<std::uint64_t>(pairs);
    }
  }
  for (const PipelineRows& y : ys) part.pipeline_rows += y.evaluated();
}

void scan_chunk(const Context& ctx, ExhaustivePart& part) {
  if (ctx.scan)
    scan_chunk_incremental(ctx, part);
  else
    scan_chunk_exact(ctx, part);
}

void merge_into(ExhaustivePart& into, const ExhaustivePart& p) {
  for (std::size_t k = 0; k < into.impls.size(); ++k) {
    ExhaustiveImpl& a = into.impls[k];
    const ExhaustiveImpl& b = p.impls.at(k);
    for (std::size_t band = 0; band < a.band_max.size(); ++band)
      if (better(b.band_max.at(band), a.band_max[band])) a.band_max[band] = b.band_max[band];
    for (int bin = 0; bin < kHistogramBins; ++bin)
      a.histogram[static_cast<std::size_t>(bin)] += b.histogram.at(static_cast<std::size_t>(bin));
    for (std::size_t t = 0; t < a.first_exceeding.size(); ++t) {
      const auto& f = b.first_exceeding.at(t);
      if (f && (!a.first_exceeding[t] || *f < *a.first_exceeding[t])) a.first_exceeding[t] = f;
    }
  }
  into.evaluations += p.evaluations;
  into.exact_mpfr += p.exact_mpfr;
  into.refined += p.refined;
  into.undecided += p.undecided;
  into.exact_positions += p.exact_positions;
  into.pipeline_rows += p.pipeline_rows;
}

}  // namespace

std::pair<std::int64_t, std::int64_t> shard_range(const ExhaustiveOptions& o) {
  // first + floor(n k / N) without overflow (n k can exceed 2^63): n = q N + r, so
  // n k / N = q k + r k / N with q k <= n < 2^53 and r k < N^2 < 2^62.
  const std::int64_t n = o.last - o.first + 1, count = o.shard_count;
  const std::int64_t q = n / count, r = n % count;
  const auto at = [&](std::int64_t k) { return o.first + q * k + r * k / count; };
  return {at(o.shard_index), at(o.shard_index + 1) - 1};
}

ExhaustivePart run_exhaustive(const ExhaustiveOptions& o, const ExhaustiveProgress& progress) {
  Context ctx{o, {}, reference::Reference(o.config, o.seq_len), {}, {}, kBatch, {}};
  if (!o.subjects.empty()) {
    if (o.subjects.size() != o.impls.size())
      throw std::logic_error("exhaustive: one subject per implementation name");
    if (o.shard_count > 1)
      throw ConfigError("shard", "plugin kernels are scanned in one run, not in shards");
    ctx.batch = kChunk;
  }
  for (std::size_t k = 0; k < o.impls.size(); ++k)
    ctx.prepared.push_back(o.subjects.empty()
                               ? find_implementation(o.impls[k]).prepare(o.config, o.seq_len)
                               : o.subjects[k]->prepare(o.config, o.seq_len));
  ctx.unit.assign(static_cast<std::size_t>(o.config.head_dim), 0.0);
  for (int i = 0; i < o.config.pairs(); ++i)
    ctx.unit[static_cast<std::size_t>(pair_channels(o.config.layout, o.config.rotary_dim, i).a)] =
        1.0;
  for (std::int64_t j = 0; j < ctx.batch; ++j)
    ctx.unit_rows.insert(ctx.unit_rows.end(), ctx.unit.begin(), ctx.unit.end());
  // Plain variables, not a structured binding: the worker lambda below uses them, and clang
  // before 16 cannot capture a structured binding (the sanitized build uses clang 14).
  const std::pair<std::int64_t, std::int64_t> range = shard_range(o);
  const std::int64_t first = range.first, last = range.second;
  if (o.incremental && last >= first &&
      last < (std::int64_t{1} << 53) - reference::CoefficientScan::kResync) {
    reference::FastPathData data =
        reference::build_fast_path(reference::ExactFrequencies(o.config, o.seq_len));
    if (reference::CoefficientScan::usable(data)) ctx.scan = std::move(data);
  }
  ExhaustivePart total = empty_part(o, first, last);
  if (last < first) return total;
  const std::int64_t chunks = (last - first) / kChunk + 1;
  std::atomic<std::int64_t> next{0}, done_positions{0};
  std::atomic<int> running{0};
  std::mutex mutex;
  std::exception_ptr failure;
  auto worker = [&] {
    for (std::int64_t j; (j = next.fetch_add(1)) < chunks;) {
      try {
        const std::int64_t begin = first + j * kChunk;
        ExhaustivePart part = empty_part(o, begin, std::min(last, begin + kChunk - 1));
        scan_chunk(ctx, part);
        std::lock_guard lock(mutex);
        merge_into(total, part);
        done_positions.fetch_add(part.last - part.first + 1);
      } catch (...) {
        std::lock_guard lock(mutex);
        if (!failure) failure = std::current_exception();
        next.store(chunks);
      }
    }
    running.fetch_sub(1);
  };
  // A subject (a plugin's worker) runs one call at a time anyway: one thread drives it.
  const int wanted = o.subjects.empty() ? std::max(1, o.threads) : 1;
  const int threads =
      static_cast<int>(std::max<std::int64_t>(1, std::min<std::int64_t>(wanted, chunks)));
  running.store(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
  const std::int64_t count = last - first + 1;
  while (progress && running.load() > 0) {
    progress(done_positions.load(), count);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  if (progress) progress(count, count);
  return total;
}

ExhaustivePart merge_parts(const ExhaustiveOptions& o, std::vector<ExhaustivePart> parts) {
  std::sort(parts.begin(), parts.end(),
            [](const ExhaustivePart& a, const ExhaustivePart& b) { return a.first < b.first; });
  ExhaustivePart total = empty_part(o, o.first, o.last);
  std::int64_t expected = o.first;
  for (const ExhaustivePart& p : parts) {
    if (p.first != expected)
      throw ConfigError("shard files",
                        fmt::format("positions {}..{} are {}", std::min(expected, p.first),
                                    std::max(expected, p.first) - 1,
                                    p.first > expected ? "missing" : "covered twice"));
    if (p.impls.size() != o.impls.size())
      throw ConfigError("shard files", "implementation count differs from the options");
    merge_into(total, p);
    expected = p.last + 1;
  }
  if (expected != o.last + 1)
    throw ConfigError("shard files", fmt::format("positions {}..{} are missing", expected, o.last));
  return total;
}

namespace {

double rotation_term(const PipelineDescription& pipeline, Dtype storage, double a) {
  const auto arithmetic = parse_dtype(pipeline.arithmetic);
  if (!arithmetic)
    throw std::logic_error(fmt::format("pipeline {} names no arithmetic format", pipeline.name));
  const double u_arith = std::ldexp(1.0, -format_traits(*arithmetic).precision);
  const double u_storage = std::ldexp(1.0, -format_traits(storage).precision);
  return a * std::sqrt(2.0) * ((1 + std::sqrt(2.0)) * u_arith + u_storage);
}

}  // namespace

double rotation_rounding_term(const std::string& name, const RopeConfig& config,
                              std::int64_t seq_len) {
  const Implementation& impl = find_implementation(name);
  return rotation_term(*impl.pipeline, impl.dtype(),
                       impl.prepare(config, seq_len)->attention_factor());
}

double rotation_rounding_term(const ExhaustiveOptions& o, std::size_t k) {
  if (o.subjects.empty()) return rotation_rounding_term(o.impls.at(k), o.config, o.seq_len);
  const properties::Subject& subject = *o.subjects.at(k);
  return rotation_term(find_pipeline(subject.bound_model()), subject.dtype(),
                       subject.prepare(o.config, o.seq_len)->attention_factor());
}

}  // namespace ropecheck::audit
