#include "audit/audit_engine.hpp"

#include <fmt/format.h>
#include <Eigen/Core>
#include <algorithm>
#include <bit>
#include <cfloat>
#include <cmath>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "audit/pair_metrics.hpp"
#include "core/config_error.hpp"
#include "core/splitmix64.hpp"
#include "impl/implementation.hpp"
#include "reference/reference.hpp"

namespace ropecheck::audit {
namespace {

// A position's inputs depend only on (seed, position, head), never on which thread or shard
// computes them: each is a chain of SplitMix64 hashes keyed by them.
constexpr std::uint64_t mix(std::uint64_t z) {
  return SplitMix64::hash(z);
}

}  // namespace

namespace {

// Heads of n values at K positions side by side, the chain of each as random_head draws it.
// Each chain is serial (every value hashes the state before it), so one chain runs at the
// hash's latency; K independent chains interleaved keep the multiplier busy instead (a third
// less time per value here with K = 4).
template <std::size_t K>
void draw_heads(std::uint64_t seed, const std::int64_t* positions, int head, Dtype dtype,
                double* const* out, std::size_t n) {
  std::uint64_t state[K];
  for (std::size_t k = 0; k < K; ++k)
    state[k] = mix(seed ^ mix(static_cast<std::uint64_t>(positions[k]) * 4 + head));
  for (std::size_t j = 0; j < n; ++j) {
    for (std::size_t k = 0; k < K; ++k) {
      state[k] = mix(state[k]);
      const double u = static_cast<double>(state[k] >> 11) * 0x1p-52 - 1.0;
      // For f64 and f32 the hardware's conversion is the same round-to-nearest-even as
      // round_to (and far cheaper: this runs for every input value of the audit).
      out[k][j] = dtype == Dtype::f64   ? u
                  : dtype == Dtype::f32 ? static_cast<double>(static_cast<float>(u))
                                        : round_to(u, dtype);
    }
  }
}

}  // namespace

void random_head(std::uint64_t seed, std::int64_t position, int head, Dtype dtype,
                 std::vector<double>& x) {
  double* const out[1] = {x.data()};
  draw_heads<1>(seed, &position, head, dtype, out, x.size());
}

std::vector<double> random_head(std::uint64_t seed, std::int64_t position, int head, int dim,
                                Dtype dtype) {
  std::vector<double> x(static_cast<std::size_t>(dim));
  random_head(seed, position, head, dtype, x);
  return x;
}

namespace {

double rotary_dot(const RopeConfig& c, const std::vector<double>& a, const std::vector<double>& b) {
  long double sum = 0;
  for (int j = 0; j < c.rotary_dim; ++j) sum += static_cast<long double>(a[j]) * b[j];
  return static_cast<double>(sum);
}

double rotary_norm(const RopeConfig& c, const std::vector<double>& a) {
  return std::sqrt(rotary_dot(c, a, a));
}

// Everything one worker needs, shared read-only.
struct Context {
  const AuditOptions& options;
  std::vector<const Implementation*> impls;
  std::vector<std::unique_ptr<PreparedRope>> prepared;
  reference::Reference oracle;
  std::size_t score_stride;
  double threshold_min = HUGE_VAL;      // the smallest threshold (+inf without any)
  std::vector<double> thresholds = {};  // options.thresholds
};

// Reference outputs are shared by every implementation of the same dtype: rounded =
// RN_dtype(exact), and the exact output as hi + lo within bound[pair] (the certified fast
// path's double-double, or MPFR's where it cannot evaluate a pair).
struct PerDtype {
  bool ready = false;  // filled for the current position
  std::vector<std::vector<double>> x, hi, lo, rounded, bound;
  std::optional<double> score;  // the exact score of (x[0], x[1]) at (m, n)
};

// Positions whose inputs are drawn together (draw_heads).
constexpr std::size_t kDrawAhead = 4;

// One worker's buffers, reused from position to position (allocating them per position cost as
// much as a fifth of the audit's time per pair).
struct Scratch {
  PerDtype per_dtype[4];  // indexed by Dtype
  // The inputs of positions drawn_first .. drawn_first + kDrawAhead - 1, drawn together:
  // drawn[dtype][k][head], swapped into per_dtype[dtype].x when position k is measured.
  std::vector<std::vector<double>> drawn[4][kDrawAhead];
  std::size_t drawn_first = 0;
  HeadValues values;
  std::vector<double> y, qm, kn, qd, k0;
  Scratch(const RopeConfig& c, int heads) : values(c.pairs()) {
    const auto dim = static_cast<std::size_t>(c.head_dim);
    for (PerDtype& p : per_dtype) {
      p.x.assign(static_cast<std::size_t>(heads), std::vector<double>(dim));
      p.hi = p.lo = p.rounded = p.x;
      p.bound.assign(static_cast<std::size_t>(heads),
                     std::vector<double>(static_cast<std::size_t>(c.pairs())));
    }
    for (auto& per_position : drawn)
      for (auto& heads_of : per_position) heads_of = per_dtype[0].x;
    y.resize(dim);
    qm.resize(dim);
    kn.resize(dim);
    qd.resize(dim);
    k0.resize(dim);
  }
};

// Whether a threshold test on these errors could decide differently with hi + lo from the MPFR
// path: the fast path's hi + lo is within `bound` of the exact value, the MPFR path's within
// 2^-100 a X (far less), and each evaluation of pair_error rounds twice (u |got - hi| and u |err|).
// So the two computed errors differ by at most bound + 2^-51 (|got - hi| + err) (spec/audit.md).
bool near_threshold(const Context& ctx, const double (&err)[2], double diff_a, double diff_b,
                    double bound) {
  const AuditOptions& o = ctx.options;
  // The common case in one test: both errors below half the smallest threshold and both sides'
  // slack (each at most this sum) below a quarter of it; NaN fails the comparisons and goes on.
  const double t = ctx.threshold_min;
  if (err[0] < 0.5 * t && err[1] < 0.5 * t &&
      2 * bound + 0x1p-51 * (std::fabs(diff_a) + std::fabs(diff_b) + err[0] + err[1]) < 0.25 * t)
    return false;
  const double diffs[2] = {diff_a, diff_b};
  for (int s = 0; s < 2; ++s) {
    if (!std::isfinite(err[s])) continue;
    const double slack = 2 * bound + 0x1p-51 * (std::fabs(diffs[s]) + err[s]);
    // The common case, decided without the loop: err below half the smallest threshold and
    // slack below a quarter of it, so t - err > t/2 > slack for every threshold t, computed
    // rounding included.
    if (err[s] < 0.5 * ctx.threshold_min && slack < 0.25 * ctx.threshold_min) continue;
    for (double t : o.thresholds)
      if (std::fabs(err[s] - t) <= slack) return true;
  }
  return false;
}

void update_worst(Worst& worst, double error, std::int64_t m, int channel, double xa, double xb,
                  double got, double expected) {
  // Ties keep the earlier position, so the worst input is the same in every reduction order.
  if (error > worst.error) worst = {error, m, channel, xa, xb, got, expected};
}

// Pair i's errors and exactness by the per-pair definition (the MPFR refinement near a
// threshold, hypot near a power of 4, NaN and infinity rules), into v.
void measure_pair(const Context& ctx, std::int64_t m, int i, const double* x, const double* y,
                  const double* y_hi, const double* y_lo, const double* y_rounded, double bound,
                  const FormatTraits& traits, HeadValues& v, BlockResult& out) {
  const RopeConfig& c = ctx.options.config;
  const auto [a, b] = pair_channels(c.layout, c.rotary_dim, i);
  double hi[2] = {y_hi[a], y_hi[b]}, lo[2] = {y_lo[a], y_lo[b]};
  double err[2] = {pair_error(y[a], hi[0], lo[0]), pair_error(y[b], hi[1], lo[1])};
  // The threshold tests must decide as they would on the MPFR path's hi + lo: where an error
  // lies within the fast path's uncertainty of a threshold, redo the pair by MPFR.
  if (near_threshold(ctx, err, y[a] - hi[0], y[b] - hi[1], bound) && std::isfinite(x[a]) &&
      std::isfinite(x[b])) {
    const reference::ExactPair e = ctx.oracle.exact_pair_mpfr(m, i, x[a], x[b]);
    hi[0] = e.a_hi, lo[0] = e.a_lo, hi[1] = e.b_hi, lo[1] = e.b_lo;
    err[0] = pair_error(y[a], hi[0], lo[0]);
    err[1] = pair_error(y[b], hi[1], lo[1]);
    out.work.refined += 1;
  }
  const double ulp = pair_ulp(hi[0], hi[1], traits);
  // ulp is a power of two: where its reciprocal is a normal double, multiplying by it is
  // exactly the division (and much cheaper); the reciprocal itself is formed from the exponent
  // bits (a division here stalled every pair).
  const double inv_ulp = ulp >= 0x1p-1022 && ulp <= 0x1p+1022 ? reciprocal_pow2(ulp) : 0.0;
  for (int s = 0; s < 2; ++s) {
    const int ch = s == 0 ? a : b;
    const double got = y[ch];
    const bool both_nan = std::isnan(got) && std::isnan(hi[s]);
    const auto o2 = static_cast<std::size_t>(2 * i + s);
    v.err[o2] = err[s];
    v.err_ulp[o2] = inv_ulp != 0.0 ? err[s] * inv_ulp : err[s] / ulp;
    v.exact[o2] = (got == y_rounded[ch] || both_nan) ? 1 : 0;
  }
}

// Draws the inputs of positions first .. first + count - 1 (count <= kDrawAhead) for every
// dtype the implementations take, into scratch.drawn.
void draw_inputs(const Context& ctx, std::size_t first, std::size_t count, Scratch& scratch) {
  const AuditOptions& o = ctx.options;
  bool seen[4] = {};
  scratch.drawn_first = first;
  for (const Implementation* impl : ctx.impls) {
    const auto d = static_cast<std::size_t>(impl->dtype());
    if (std::exchange(seen[d], true)) continue;
    for (int h = 0; h < o.heads; ++h) {
      const auto hh = static_cast<std::size_t>(h);
      double* out[kDrawAhead];
      for (std::size_t k = 0; k < count; ++k) out[k] = scratch.drawn[d][k][hh].data();
      const std::int64_t* positions = o.positions.data() + first;
      const auto n = static_cast<std::size_t>(o.config.head_dim);
      if (count == kDrawAhead) {
        draw_heads<kDrawAhead>(o.seed, positions, h, impl->dtype(), out, n);
      } else {
        for (std::size_t k = 0; k < count; ++k)
          draw_heads<1>(o.seed, positions + k, h, impl->dtype(), out + k, n);
      }
    }
  }
}

// Measures position o.positions[index], whose inputs draw_inputs has drawn.
void measure_position(const Context& ctx, std::size_t index, BlockResult& out, Scratch& scratch) {
  const AuditOptions& o = ctx.options;
  const RopeConfig& c = o.config;
  const std::int64_t m = o.positions[index];
  const std::size_t band = band_of(o, m);
  const int bucket = bucket_of(m);
  const auto dim = static_cast<std::size_t>(c.head_dim);
  const bool with_scores = index % ctx.score_stride == 0;

  for (PerDtype& p : scratch.per_dtype) {
    p.ready = false;
    p.score.reset();
  }
  auto reference_for = [&](Dtype dtype) -> PerDtype& {
    PerDtype& p = scratch.per_dtype[static_cast<std::size_t>(dtype)];
    if (!p.ready) {
      for (int h = 0; h < o.heads; ++h) {
        const auto hh = static_cast<std::size_t>(h);
        std::swap(p.x[hh],
                  scratch.drawn[static_cast<std::size_t>(dtype)][index - scratch.drawn_first][hh]);
        out.work.exact_mpfr += ctx.oracle.apply_with_exact(m, p.x[hh], dtype, p.rounded[hh],
                                                           p.hi[hh], p.lo[hh], p.bound[hh]);
        out.work.pairs += static_cast<std::uint64_t>(c.pairs());
      }
      p.ready = true;
    }
    return p;
  };

  for (std::size_t k = 0; k < ctx.impls.size(); ++k) {
    const Implementation& impl = *ctx.impls[k];
    const PreparedRope& rope = *ctx.prepared[k];
    PerDtype& ref = reference_for(impl.dtype());
    const FormatTraits traits = format_traits(impl.dtype());
    ImplBlock& block = out.impls[k];
    CellStats& cell = block.bands[band];
    double position_max = 0;
    std::vector<double>& y = scratch.y;
    // The cell's running values in locals (the compiler cannot keep them in registers through
    // the stores otherwise); every sum is still accumulated in the same order.
    std::uint64_t outputs = cell.outputs, correctly_rounded = cell.correctly_rounded;
    double sum_abs = cell.sum_abs_err, sum_ulp = cell.sum_err_ulp_norm;
    Worst worst_abs = cell.max_abs_err, worst_ulp = cell.max_err_ulp_norm;
    for (int h = 0; h < o.heads; ++h) {
      const double* x = ref.x[h].data();
      rope.apply(m, ref.x[h], y);
      const double* y_hi = ref.hi[h].data();
      const double* y_lo = ref.lo[h].data();
      const double* y_rounded = ref.rounded[h].data();
      const double* bound = ref.bound[h].data();
      HeadValues& v = scratch.values;
      gather_head(c, y.data(), y_hi, y_lo, y_rounded, v);
      pair_values(c.pairs(), bound, ctx.thresholds.data(), ctx.thresholds.size(), traits.precision,
                  traits.emin, v);
      for (int i = 0; i < c.pairs(); ++i)
        if (v.special[static_cast<std::size_t>(i)] != 0 || o.per_pair_metrics)
          measure_pair(ctx, m, i, x, y.data(), y_hi, y_lo, y_rounded, bound[i], traits, v, out);
      // Accumulated in the order of pairs and, within a pair, of its channels, as always.
      for (int i = 0; i < c.pairs(); ++i) {
        const auto [a, b] = pair_channels(c.layout, c.rotary_dim, i);
        for (int s = 0; s < 2; ++s) {
          const int ch = s == 0 ? a : b;
          const auto o2 = static_cast<std::size_t>(2 * i + s);
          const double e = v.err[o2], err_ulp = v.err_ulp[o2];
          outputs += 1;
          correctly_rounded += v.exact[o2];
          sum_abs += e;
          sum_ulp += err_ulp;
          update_worst(worst_abs, e, m, ch, x[a], x[b], y[ch], y_rounded[ch]);
          update_worst(worst_ulp, err_ulp, m, ch, x[a], x[b], y[ch], y_rounded[ch]);
          position_max = std::max(position_max, e);
        }
      }
    }
    cell.outputs = outputs;
    cell.correctly_rounded = correctly_rounded;
    cell.sum_abs_err = sum_abs;
    cell.sum_err_ulp_norm = sum_ulp;
    cell.max_abs_err = worst_abs;
    cell.max_err_ulp_norm = worst_ulp;
    for (std::size_t t = 0; t < o.thresholds.size(); ++t)
      if (position_max > o.thresholds[t] && !block.first_failure[t]) block.first_failure[t] = m;
    block.bucket_max[bucket] = std::max(block.bucket_max[bucket], position_max);

    if (!with_scores || o.heads < 2) continue;
    // Relative-position invariance at offset delta = m - n (delta small, deterministic).
    const std::int64_t delta = std::min<std::int64_t>(
        m, static_cast<std::int64_t>(mix(o.seed ^ static_cast<std::uint64_t>(m)) % 64));
    const std::int64_t n = m - delta;
    const auto& q = ref.x[0];
    const auto& kx = ref.x[1];
    std::vector<double>&qm = scratch.qm, &kn = scratch.kn, &qd = scratch.qd, &k0 = scratch.k0;
    rope.apply(m, q, qm);
    rope.apply(n, kx, kn);
    rope.apply(delta, q, qd);
    rope.apply(0, kx, k0);
    const double scale = rotary_norm(c, q) * rotary_norm(c, kx);
    if (scale > 0) {
      const double score = rotary_dot(c, qm, kn);
      if (!ref.score) {
        // The exact score of the rotary channels only, like `score`.
        std::vector<double> q_rot = q, k_rot = kx;
        for (std::size_t j = static_cast<std::size_t>(c.rotary_dim); j < dim; ++j)
          q_rot[j] = k_rot[j] = 0;
        double exact = 0;
        if (!ctx.oracle.exact_score_fast(q_rot, k_rot, m, n, exact)) {
          exact = ctx.oracle.exact_score(q_rot, k_rot, m, n);
          out.work.scores_mpfr += 1;
        }
        out.work.scores += 1;
        ref.score = exact;
      }
      double score_err = std::fabs(score - *ref.score) / scale;
      double drift = std::fabs(score - rotary_dot(c, qd, k0)) / scale;
      if (std::isnan(score_err)) score_err = HUGE_VAL;
      if (std::isnan(drift)) drift = HUGE_VAL;
      if (score_err > cell.max_score_err) {
        cell.max_score_err = score_err;
        cell.max_score_err_position = m;
      }
      if (drift > cell.max_invariance_drift) {
        cell.max_invariance_drift = drift;
        cell.max_invariance_drift_position = m;
      }
    }
    const double a = rope.attention_factor();
    const double in_norm = a * rotary_norm(c, q);
    if (in_norm > 0) {
      double norm_drift = std::fabs(rotary_norm(c, qm) - in_norm) / in_norm;
      if (std::isnan(norm_drift)) norm_drift = HUGE_VAL;
      if (norm_drift > cell.max_norm_drift) {
        cell.max_norm_drift = norm_drift;
        cell.max_norm_drift_position = m;
      }
    }
    cell.score_samples += 1;
  }
}

BlockResult empty_block(const AuditOptions& o, std::size_t index) {
  BlockResult block;
  block.index = index;
  block.impls.resize(o.impls.size());
  for (ImplBlock& ib : block.impls) {
    ib.bands.resize(o.band_edges.size() - 1);
    ib.first_failure.resize(o.thresholds.size());
    ib.bucket_max.assign(kBucketCount, -1.0);
  }
  return block;
}

void merge_worst(Worst& into, const Worst& other) {
  if (other.error > into.error) into = other;
}

}  // namespace

void ReferenceWork::merge(const ReferenceWork& o) {
  pairs += o.pairs;
  exact_mpfr += o.exact_mpfr;
  refined += o.refined;
  scores += o.scores;
  scores_mpfr += o.scores_mpfr;
}

void CellStats::merge(const CellStats& o) {
  outputs += o.outputs;
  correctly_rounded += o.correctly_rounded;
  sum_abs_err += o.sum_abs_err;
  sum_err_ulp_norm += o.sum_err_ulp_norm;
  merge_worst(max_abs_err, o.max_abs_err);
  merge_worst(max_err_ulp_norm, o.max_err_ulp_norm);
  if (o.max_score_err > max_score_err) {
    max_score_err = o.max_score_err;
    max_score_err_position = o.max_score_err_position;
  }
  if (o.max_invariance_drift > max_invariance_drift) {
    max_invariance_drift = o.max_invariance_drift;
    max_invariance_drift_position = o.max_invariance_drift_position;
  }
  if (o.max_norm_drift > max_norm_drift) {
    max_norm_drift = o.max_norm_drift;
    max_norm_drift_position = o.max_norm_drift_position;
  }
  score_samples += o.score_samples;
}

std::size_t block_count(const AuditOptions& o) {
  return (o.positions.size() + kBlockSize - 1) / kBlockSize;
}

std::size_t band_of(const AuditOptions& o, std::int64_t position) {
  const auto& e = o.band_edges;
  const auto it = std::upper_bound(e.begin() + 1, e.end() - 1, position);
  return static_cast<std::size_t>(it - e.begin() - 1);
}

int bucket_of(std::int64_t position) {
  const int b = static_cast<int>(
      std::floor(kBucketsPerOctave * std::log2(1.0 + static_cast<double>(position))));
  return std::clamp(b, 0, kBucketCount - 1);
}

double bucket_start(int bucket) {
  return std::exp2(static_cast<double>(bucket) / kBucketsPerOctave) - 1.0;
}

std::vector<BlockResult> run_blocks(const AuditOptions& o, const ProgressFn& progress) {
  Context ctx{o,
              {},
              {},
              reference::Reference(o.config, o.seq_len),
              std::max<std::size_t>(1, o.positions.size() / 32768)};
  for (double t : o.thresholds) ctx.threshold_min = std::min(ctx.threshold_min, t);
  ctx.thresholds = o.thresholds;
  for (const std::string& name : o.impls) {
    ctx.impls.push_back(&find_implementation(name));
    ctx.prepared.push_back(ctx.impls.back()->prepare(o.config, o.seq_len));
  }
  std::vector<std::size_t> mine;
  for (std::size_t b = 0; b < block_count(o); ++b)
    if (static_cast<int>(b % static_cast<std::size_t>(o.shard_count)) == o.shard_index)
      mine.push_back(b);

  std::vector<BlockResult> results(mine.size());
  std::atomic<std::size_t> next{0}, done{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto worker = [&] {
    std::optional<Scratch> scratch;
    for (std::size_t j; (j = next.fetch_add(1)) < mine.size();) {
      try {
        if (!scratch) scratch.emplace(o.config, o.heads);
        BlockResult block = empty_block(o, mine[j]);
        const std::size_t begin = mine[j] * kBlockSize;
        const std::size_t end = std::min(begin + kBlockSize, o.positions.size());
        for (std::size_t i = begin; i < end; ++i) {
          if ((i - begin) % kDrawAhead == 0)
            draw_inputs(ctx, i, std::min(kDrawAhead, end - i), *scratch);
          measure_position(ctx, i, block, *scratch);
        }
        results[j] = std::move(block);
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
      }
      done.fetch_add(1);
    }
  };
  const int threads = std::max(1, std::min<int>(o.threads, static_cast<int>(mine.size())));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  if (progress) {
    // The calling thread reports progress while the pool works, then joins in.
    std::thread last(worker);
    while (done.load() < mine.size()) {
      progress(done.load(), mine.size());
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    last.join();
    progress(mine.size(), mine.size());
  } else {
    worker();
  }
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  return results;
}

AuditResult reduce_blocks(const AuditOptions& o, std::vector<BlockResult> blocks) {
  std::sort(blocks.begin(), blocks.end(),
            [](const BlockResult& a, const BlockResult& b) { return a.index < b.index; });
  const std::size_t expected = block_count(o);
  for (std::size_t b = 0; b < blocks.size(); ++b)
    if (blocks[b].index != b)
      throw ConfigError("shards", fmt::format("block {} is {}; the shards do not cover the "
                                              "positions exactly once",
                                              b, b < blocks[b].index ? "missing" : "duplicated"));
  if (blocks.size() != expected)
    throw ConfigError("shards", fmt::format("{} of {} blocks present", blocks.size(), expected));

  AuditResult r;
  const std::size_t n_impl = o.impls.size();
  r.cells.assign(n_impl, std::vector<CellStats>(o.band_edges.size() - 1));
  r.first_failure.assign(n_impl, std::vector<std::optional<std::int64_t>>(o.thresholds.size()));
  r.bucket_max.assign(n_impl, std::vector<double>(kBucketCount, -1.0));
  for (const BlockResult& block : blocks) {
    r.work.merge(block.work);
    for (std::size_t k = 0; k < n_impl; ++k) {
      const ImplBlock& ib = block.impls.at(k);
      for (std::size_t band = 0; band < ib.bands.size(); ++band)
        r.cells[k][band].merge(ib.bands[band]);
      for (std::size_t t = 0; t < o.thresholds.size(); ++t)
        if (!r.first_failure[k][t] && ib.first_failure[t])
          r.first_failure[k][t] = ib.first_failure[t];
      for (int b = 0; b < kBucketCount; ++b)
        r.bucket_max[k][b] = std::max(r.bucket_max[k][b], ib.bucket_max[b]);
    }
  }
  for (const std::string& name : o.impls)
    r.attention_factor.push_back(
        find_implementation(name).prepare(o.config, o.seq_len)->attention_factor());
  return r;
}

std::optional<std::int64_t> safe_position(const AuditOptions& o,
                                          const std::optional<std::int64_t>& first_failure) {
  if (!first_failure) return o.positions.back();
  const auto it = std::lower_bound(o.positions.begin(), o.positions.end(), *first_failure);
  if (it == o.positions.begin()) return std::nullopt;
  return *(it - 1);
}

}  // namespace ropecheck::audit
