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

// 2^k as a double for -1074 <= k <= 1023 (exact; std::ldexp is a library call per output).
double pow2(int k) {
  if (k >= -1022) return std::bit_cast<double>(static_cast<std::uint64_t>(k + 1023) << 52);
  return std::bit_cast<double>(std::uint64_t{1} << (k + 1074));
}

// ulp of |v| in a format: 2^(max(e, emin) - p + 1) with |v| in [2^e, 2^(e+1)), where |v| =
// hypot(a, b). The exponent of hypot(a, b) is floor(e2 / 2) with e2 the exponent of a^2 + b^2,
// except where a^2 + b^2 lies within its rounding error of a power of 4: there (and for zero,
// non-finite or extreme values) hypot itself decides, so the result is hypot's in every case.
double pair_ulp(double a, double b, const FormatTraits& f) {
  const double s = a * a + b * b;
  int e;
  const std::uint64_t bits = std::bit_cast<std::uint64_t>(s);
  const int e2 = static_cast<int>(bits >> 52) - 1023;
  const std::uint64_t mantissa = bits & ((std::uint64_t{1} << 52) - 1);
  constexpr std::uint64_t kNear = std::uint64_t{1} << 12;  // 2^-40 relative, >> 3 roundings
  const bool near_power_of_4 = (e2 % 2 == 0 && mantissa < kNear) ||
                               (e2 % 2 != 0 && mantissa > (std::uint64_t{1} << 52) - kNear);
  if (e2 > -1000 && e2 < 1000 && !near_power_of_4) {
    e = e2 >= 0 ? e2 / 2 : -((-e2 + 1) / 2);  // floor(e2 / 2)
  } else {
    const double norm = std::hypot(a, b);
    e = norm > 0 ? std::ilogb(norm) : f.emin;
  }
  e = std::max(e, f.emin);
  if (e - f.precision + 1 > 1023) return HUGE_VAL;  // an infinite norm, as std::ldexp gives
  return pow2(e - f.precision + 1);
}

// 1 / v for a power of two v in [2^-1022, 2^1022], exactly: the biased exponent mirrored about
// 1023 (2^k has field k + 1023, 2^-k field 1023 - k).
double reciprocal_pow2(double v) {
  const auto field = std::bit_cast<std::uint64_t>(v) >> 52;
  return std::bit_cast<double>((2046 - field) << 52);
}

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

// One head's values per rotated pair (index i) and per output (index 2 i + s, s = 0 for the
// pair's first channel), computed for every pair before any is accumulated.
struct HeadValues {
  std::vector<double> got_a, got_b, hi_a, hi_b, lo_a, lo_b, rounded_a, rounded_b;  // gathered
  std::vector<double> err, err_ulp;   // per output: |got - (hi + lo)|, and in ulps
  std::vector<double> slack;          // per output: the error's uncertainty
  std::vector<std::int64_t> exact;    // per output: got is the correctly rounded value
  std::vector<std::int64_t> special;  // per pair: nonzero where measure_pair decides
  explicit HeadValues(int pairs) {
    const auto n = static_cast<std::size_t>(pairs);
    for (auto* v : {&got_a, &got_b, &hi_a, &hi_b, &lo_a, &lo_b, &rounded_a, &rounded_b})
      v->resize(n);
    err.resize(2 * n);
    err_ulp.resize(2 * n);
    slack.resize(2 * n);
    exact.resize(2 * n);
    special.resize(n);
  }
};

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

// |got - (hi + lo)|, the error of one output against the exact value hi + lo. For f64 pipelines
// this is the true error, not the distance to the correctly rounded double (which would read 0
// for a correctly rounded output). NaN where a number was due, or the reverse, is +inf.
double pair_error(double got, double hi, double lo) {
  if (std::isnan(got) && std::isnan(hi)) return 0.0;
  if (got == hi && std::isinf(got)) return 0.0;
  const double err = std::fabs((got - hi) - lo);
  return std::isnan(err) ? HUGE_VAL : err;
}

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

// The head's outputs and reference values per pair, in pair order (loops over contiguous
// arrays vectorize; the channels of a pair are apart by the layout).
void gather_head(const RopeConfig& c, const double* y, const double* hi, const double* lo,
                 const double* rounded, HeadValues& v) {
  const auto n = static_cast<std::size_t>(c.pairs());
  const auto [a0, b0] = pair_channels(c.layout, c.rotary_dim, 0);
  const std::size_t step = c.layout == Layout::interleaved ? 2 : 1;
  const auto fa = static_cast<std::size_t>(a0), fb = static_cast<std::size_t>(b0);
  for (std::size_t i = 0; i < n; ++i) {
    v.got_a[i] = y[fa + step * i];
    v.got_b[i] = y[fb + step * i];
    v.hi_a[i] = hi[fa + step * i];
    v.hi_b[i] = hi[fb + step * i];
    v.lo_a[i] = lo[fa + step * i];
    v.lo_b[i] = lo[fb + step * i];
    v.rounded_a[i] = rounded[fa + step * i];
    v.rounded_b[i] = rounded[fb + step * i];
  }
}

// The ordinary case of every pair at once, without branches so that the loop vectorizes (an
// AVX2 clone chosen at load time): both errors pair_error would give, their size in ulps of the
// pair's norm as pair_ulp gives it, and whether each output is correctly rounded. A pair is
// special (measure_pair decides it, as the per-pair code always did) where any of these could
// go another way: a non-finite value, an error within its uncertainty of a threshold (the MPFR
// refinement), a squared norm near a power of 4 or of extreme exponent (hypot decides), or an
// ulp whose reciprocal is not a normal double. Elsewhere the same operations give the same
// values.
__attribute__((target_clones("avx2", "default"))) void pair_values(
    int pairs, const double* __restrict bound, const double* __restrict thresholds,
    std::size_t threshold_count, int precision, int emin, HeadValues& v) {
  const auto n = static_cast<std::size_t>(pairs);
  const double* __restrict ga = v.got_a.data();
  const double* __restrict gb = v.got_b.data();
  const double* __restrict ha = v.hi_a.data();
  const double* __restrict hb = v.hi_b.data();
  const double* __restrict la = v.lo_a.data();
  const double* __restrict lb = v.lo_b.data();
  const double* __restrict ra = v.rounded_a.data();
  const double* __restrict rb = v.rounded_b.data();
  double* __restrict err = v.err.data();
  double* __restrict err_ulp = v.err_ulp.data();
  std::int64_t* __restrict exact = v.exact.data();
  std::int64_t* __restrict special = v.special.data();
  double* __restrict slack = v.slack.data();
  constexpr std::uint64_t kMantissa = (std::uint64_t{1} << 52) - 1;
  constexpr std::uint64_t kNear = std::uint64_t{1} << 12;  // as pair_ulp
  // Simple loops, each of which the vectorizer takes.
  for (std::size_t i = 0; i < n; ++i) {
    const double da = ga[i] - ha[i], db = gb[i] - hb[i];
    const double ea = std::fabs(da - la[i]), eb = std::fabs(db - lb[i]);
    err[2 * i] = ea;
    err[2 * i + 1] = eb;
    // near_threshold's uncertainty of each error (spec/audit.md).
    slack[2 * i] = 2 * bound[i] + 0x1p-51 * (std::fabs(da) + ea);
    slack[2 * i + 1] = 2 * bound[i] + 0x1p-51 * (std::fabs(db) + eb);
  }
  for (std::size_t i = 0; i < n; ++i) {
    // pair_ulp's exponent arithmetic on the biased exponent field f of the squared norm
    // (e2 = f - 1023), in unsigned and 64-bit operations that AVX2 has (no arithmetic shift):
    // floor(e2 / 2) = floor((f + 1) / 2) - 512, and e2 is odd where f is even.
    const double s2 = ha[i] * ha[i] + hb[i] * hb[i];
    const std::uint64_t bits = std::bit_cast<std::uint64_t>(s2);
    const std::uint64_t field = bits >> 52;
    const std::uint64_t mantissa = bits & kMantissa;
    const std::uint64_t near_power_of_4 =
        (field & 1) == 0 ? mantissa > kMantissa + 1 - kNear : mantissa < kNear;
    const auto half = static_cast<std::int64_t>((field + 1) >> 1) - 512;  // floor(e2 / 2)
    const std::int64_t e = half > emin ? half : std::int64_t{emin};       // max(., emin)
    const std::int64_t k = e - precision + 1;                             // ulp = 2^k
    const double inv_ulp =
        std::bit_cast<double>(static_cast<std::uint64_t>((1023 - k) & 0x7ff) << 52);
    err_ulp[2 * i] = err[2 * i] * inv_ulp;
    err_ulp[2 * i + 1] = err[2 * i + 1] * inv_ulp;
    special[i] = static_cast<std::int64_t>(
        near_power_of_4 | (field <= 1023 - 1000) | (field >= 1023 + 1000) |
        static_cast<std::uint64_t>(k < -1022) | static_cast<std::uint64_t>(k > 1022));
  }
  for (std::size_t i = 0; i < n; ++i) {
    special[i] |= static_cast<std::int64_t>(!(std::fabs(ga[i]) <= DBL_MAX)) |
                  static_cast<std::int64_t>(!(std::fabs(gb[i]) <= DBL_MAX)) |
                  static_cast<std::int64_t>(!(std::fabs(ha[i]) <= DBL_MAX)) |
                  static_cast<std::int64_t>(!(std::fabs(hb[i]) <= DBL_MAX)) |
                  static_cast<std::int64_t>(!(err[2 * i] <= DBL_MAX)) |
                  static_cast<std::int64_t>(!(err[2 * i + 1] <= DBL_MAX));
    exact[2 * i] = static_cast<std::int64_t>(ga[i] == ra[i]);
    exact[2 * i + 1] = static_cast<std::int64_t>(gb[i] == rb[i]);
  }
  for (std::size_t t = 0; t < threshold_count; ++t) {
    const double threshold = thresholds[t];
    for (std::size_t i = 0; i < n; ++i)
      special[i] |=
          static_cast<std::int64_t>(std::fabs(err[2 * i] - threshold) <= slack[2 * i]) |
          static_cast<std::int64_t>(std::fabs(err[2 * i + 1] - threshold) <= slack[2 * i + 1]);
  }
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
