#include "audit/exhaustive.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <thread>

#include "core/config_error.hpp"
#include "core/number_format.hpp"
#include "impl/implementation.hpp"
#include "reference/reference.hpp"

namespace ropecheck::audit {
namespace {

// Positions per unit of work: large enough that scheduling costs nothing, small enough that
// both cores stay busy to the end and progress moves.
constexpr std::int64_t kChunk = 4096;

struct Context {
  const ExhaustiveOptions& options;
  std::vector<std::unique_ptr<PreparedRope>> prepared;
  reference::Reference oracle;
  std::vector<double> unit;  // every rotated pair (1, 0), the other channels 0
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

int histogram_bin(double d) {
  if (!(d < HUGE_VAL)) return kHistogramBins - 1;  // inf and NaN
  if (d < std::ldexp(1.0, kHistogramLow)) return 0;
  const int e = std::ilogb(d) - kHistogramLow + 1;  // 2^(low + e - 1) <= d < 2^(low + e)
  return std::clamp(e, 1, kHistogramBins - 1);
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

void scan_chunk(const Context& ctx, ExhaustivePart& part) {
  const ExhaustiveOptions& o = ctx.options;
  const RopeConfig& c = o.config;
  const auto dim = static_cast<std::size_t>(c.head_dim);
  const int pairs = c.pairs();
  std::vector<double> y(dim), yd(dim), hi(dim), lo(dim), bound(static_cast<std::size_t>(pairs));
  for (std::int64_t m = part.first; m <= part.last; ++m) {
    part.exact_mpfr += ctx.oracle.apply_with_exact(m, ctx.unit, Dtype::f64, yd, hi, lo, bound);
    const std::size_t band = band_index(o, m);
    for (std::size_t k = 0; k < ctx.prepared.size(); ++k) {
      ExhaustiveImpl& r = part.impls[k];
      ctx.prepared[k]->apply(m, ctx.unit, y);
      double position_max = 0;
      int position_pair = 0;
      for (int i = 0; i < pairs; ++i) {
        const auto [a, b] = pair_channels(c.layout, c.rotary_dim, i);
        const double cg = y[static_cast<std::size_t>(a)], sg = y[static_cast<std::size_t>(b)];
        double d = coefficient_error(
            cg, sg, hi[static_cast<std::size_t>(a)], lo[static_cast<std::size_t>(a)],
            hi[static_cast<std::size_t>(b)], lo[static_cast<std::size_t>(b)]);
        // The fast path's hi + lo is within bound of each exact coefficient (so d within
        // sqrt(2) bound of the exact d), and computing d rounds a few times (2^-50 relative).
        const double slack = 2 * bound[static_cast<std::size_t>(i)] +
                             0x1p-50 * (d + std::fabs(cg - hi[static_cast<std::size_t>(a)]) +
                                        std::fabs(sg - hi[static_cast<std::size_t>(b)]));
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
      const CoefficientWorst w{
          position_max, m, position_pair,
          y[static_cast<std::size_t>(pair_channels(c.layout, c.rotary_dim, position_pair).a)],
          y[static_cast<std::size_t>(pair_channels(c.layout, c.rotary_dim, position_pair).b)]};
      if (better(w, r.band_max[band])) r.band_max[band] = w;
      for (std::size_t t = 0; t < o.thresholds.size(); ++t)
        if (position_max > o.thresholds[t] && !r.first_exceeding[t]) r.first_exceeding[t] = m;
    }
    part.evaluations += static_cast<std::uint64_t>(pairs);
  }
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
  Context ctx{o, {}, reference::Reference(o.config, o.seq_len), {}};
  for (const std::string& name : o.impls)
    ctx.prepared.push_back(find_implementation(name).prepare(o.config, o.seq_len));
  ctx.unit.assign(static_cast<std::size_t>(o.config.head_dim), 0.0);
  for (int i = 0; i < o.config.pairs(); ++i)
    ctx.unit[static_cast<std::size_t>(pair_channels(o.config.layout, o.config.rotary_dim, i).a)] =
        1.0;

  const auto [first, last] = shard_range(o);
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
  const int threads = static_cast<int>(
      std::max<std::int64_t>(1, std::min<std::int64_t>(std::max(1, o.threads), chunks)));
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

double rotation_rounding_term(const std::string& name, const RopeConfig& config,
                              std::int64_t seq_len) {
  const Implementation& impl = find_implementation(name);
  const auto arithmetic = parse_dtype(impl.pipeline->arithmetic);
  if (!arithmetic)
    throw std::logic_error(
        fmt::format("pipeline {} names no arithmetic format", impl.pipeline->name));
  const double u_arith = std::ldexp(1.0, -format_traits(*arithmetic).precision);
  const double u_storage = std::ldexp(1.0, -format_traits(impl.dtype()).precision);
  const double a = impl.prepare(config, seq_len)->attention_factor();
  return a * std::sqrt(2.0) * ((1 + std::sqrt(2.0)) * u_arith + u_storage);
}

}  // namespace ropecheck::audit
