#include "kernels/plugin/position_sweep.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <optional>
#include <random>
#include <string>

#include "audit/audit_engine.hpp"
#include "audit/position_spec.hpp"
#include "kernels/plugin/check_run.hpp"
#include "properties/error_model.hpp"
#include "properties/harness.hpp"

namespace ropecheck::kernels {
namespace {

// Two rows per position: with four positions per octave, 2 x 4 rows keep the sweep's cost that
// of the former 4 rows at two positions per octave.
constexpr std::size_t kRowsPerPosition = 2;

// A value in [-1, 1] with `bits` significant bits: exact in any format of that precision.
double random_value(std::mt19937_64& rng, int bits) {
  std::uniform_int_distribution<std::int64_t> mantissa(-(std::int64_t{1} << bits) + 1,
                                                       (std::int64_t{1} << bits) - 1);
  return std::ldexp(static_cast<double>(mantissa(rng)), -bits);
}

}  // namespace

std::vector<std::int64_t> sweep_positions(std::int64_t max_position) {
  std::vector<std::int64_t> out{0};
  // 2^k - 1 and 2^k + 1 are odd, and past 2^24 (f32) or 2^8 (bf16) not representable in a
  // float position: a kernel that rounds its positions is seen there, not at 2^k itself.
  for (std::int64_t p = 1; p > 0 && p <= max_position; p *= 2)
    for (std::int64_t m : {p - 1, p, p + 1, p + p / 2})
      if (m >= 0 && m <= max_position) out.push_back(m);
  out.push_back(max_position);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

SweepResult position_sweep(const properties::Subject& subject, const properties::NamedConfig& named,
                           std::int64_t max_position, std::uint64_t seed) {
  SweepResult result;
  properties::Finding& f = result.finding;
  f.property = kPositionSweep;
  f.config = named.name;
  const RopeConfig& config = named.config;
  const std::string model = subject.bound_model();
  const std::int64_t limit = std::min(max_position, properties::position_domain(model));
  const std::vector<std::int64_t> positions = sweep_positions(limit);
  const std::int64_t seq_len = positions.back() + 1;
  const auto d = static_cast<std::size_t>(config.head_dim);

  std::mt19937_64 rng(seed);
  const int bits = format_traits(subject.dtype()).precision;
  std::vector<std::int64_t> row_positions;
  for (std::int64_t m : positions)
    for (std::size_t r = 0; r < kRowsPerPosition; ++r) row_positions.push_back(m);
  std::vector<double> x(row_positions.size() * d), y(x.size());
  for (double& v : x) v = random_value(rng, bits);
  try {
    subject.prepare(config, seq_len)->apply_batch(row_positions, x, y);
  } catch (const properties::KernelFailure& failure) {
    f.passed = false;
    f.detail = fmt::format("could not run: {}", failure.what());
    return result;
  }
  f.cases = static_cast<int>(positions.size());  // one case per swept position

  // The exact outputs and the bound come from the battery's own Harness, so the sweep holds a
  // kernel to exactly the bound reference_agreement does (final rounding to storage included).
  properties::TestCase at_length;
  at_length.config_name = named.name;
  at_length.config = config;
  at_length.dtype = subject.dtype();
  at_length.m = seq_len - 1;
  const properties::Harness harness(subject, at_length);
  std::int64_t last_within = -1;  // the last position before the first one outside the bound
  std::optional<std::int64_t> first_outside;
  std::string first_miss;  // what went wrong there
  double worst_ratio = 0;
  std::int64_t worst_position = 0;
  for (std::size_t pi = 0; pi < positions.size(); ++pi) {
    SweepPoint point{positions[pi], 0, 0};
    for (std::size_t r = 0; r < kRowsPerPosition; ++r) {
      const std::size_t row = pi * kRowsPerPosition + r;
      const std::vector<double> in(x.begin() + static_cast<std::ptrdiff_t>(row * d),
                                   x.begin() + static_cast<std::ptrdiff_t>((row + 1) * d));
      const std::span<const double> out(y.data() + row * d, d);
      const std::vector<double> exact = harness.exact(point.position, in);
      const std::vector<double> bounds = harness.bounds(point.position, in);
      for (std::size_t c = 0; c < d; ++c) {
        const double error = std::fabs(out[c] - exact[c]);
        const double bound = bounds[c];
        // NaN compares false everywhere: count it as infinitely far outside.
        const double ratio = std::isnan(error) ? HUGE_VAL
                             : bound > 0       ? error / bound
                             : error > 0       ? HUGE_VAL
                                               : 0;
        point.max_error = std::isnan(error) ? HUGE_VAL : std::max(point.max_error, error);
        point.max_ratio = std::max(point.max_ratio, ratio);
        if (ratio > 1 && !first_outside) {
          first_outside = point.position;
          f.measured = error;
          f.bound = bound;
          first_miss = fmt::format("channel {} = {:a}, exact {:a}", c, out[c], exact[c]);
        }
      }
    }
    if (point.max_ratio > worst_ratio) {
      worst_ratio = point.max_ratio;
      worst_position = point.position;
    }
    if (!first_outside) last_within = point.position;
    result.points.push_back(point);
  }
  if (first_outside) {
    const auto outside = std::count_if(result.points.begin(), result.points.end(),
                                       [](const SweepPoint& p) { return p.max_ratio > 1; });
    f.passed = false;
    f.position = *first_outside;
    f.detail = fmt::format(
        "within the {} bound up to position {}, outside it from position {} "
        "({}; {} of {} positions outside)",
        model, last_within, *first_outside, first_miss, outside, positions.size());
  } else {
    f.measured = worst_ratio;
    f.bound = 1;
    f.position = worst_position;
    f.detail = fmt::format(
        "within the {} bound at all {} positions up to {} (worst error/bound "
        "{:.3g} at position {})",
        model, positions.size(), positions.back(), worst_ratio, worst_position);
  }
  return result;
}

SweepSummary summarise_sweep(const std::vector<SweepPoint>& points) {
  SweepSummary out;
  out.thresholds = {1e-3, 1e-2};
  out.safe.resize(out.thresholds.size());
  if (points.empty()) return out;
  // The audit's options carry what its band and safe-position helpers read.
  audit::AuditOptions o;
  for (const SweepPoint& p : points) o.positions.push_back(p.position);
  std::sort(o.positions.begin(), o.positions.end());
  o.band_edges = audit::parse_band_edges(audit::kDefaultBandEdges, "band_edges");
  // The sweep reaches twice the battery's range: positions past 2^31 join the last band.
  if (o.positions.back() > o.band_edges.back()) o.band_edges.back() = o.positions.back();
  o.thresholds = out.thresholds;
  std::vector<SweepBand> bands(o.band_edges.size() - 1);
  for (std::size_t b = 0; b < bands.size(); ++b)
    bands[b].lo = o.band_edges[b], bands[b].hi = o.band_edges[b + 1];
  bands.back().closed = true;
  std::vector<std::optional<std::int64_t>> first_over(out.thresholds.size());
  std::optional<std::int64_t> first_outside;
  for (const SweepPoint& p : points) {
    SweepBand& band = bands[audit::band_of(o, p.position)];
    if (band.positions++ == 0 || p.max_error > band.max_error)
      band.max_error = p.max_error, band.max_error_position = p.position;
    if (band.positions == 1 || p.max_ratio > band.max_ratio)
      band.max_ratio = p.max_ratio, band.max_ratio_position = p.position;
    // !(x <= t) rather than x > t: a NaN is over every limit.
    for (std::size_t t = 0; t < out.thresholds.size(); ++t)
      if (!(p.max_error <= out.thresholds[t]) && (!first_over[t] || p.position < *first_over[t]))
        first_over[t] = p.position;
    if (!(p.max_ratio <= 1) && (!first_outside || p.position < *first_outside))
      first_outside = p.position;
  }
  for (const SweepBand& band : bands)
    if (band.positions > 0) out.bands.push_back(band);
  for (std::size_t t = 0; t < out.thresholds.size(); ++t)
    out.safe[t] = {audit::safe_position(o, first_over[t]), first_over[t].has_value()};
  out.within_bound = {audit::safe_position(o, first_outside), first_outside.has_value()};
  return out;
}

}  // namespace ropecheck::kernels
