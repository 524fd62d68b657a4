// The audit's cost per rotated pair and thread against a plain double RoPE of the same pairs:
//   double          theta_i and angle m*theta_i in double, std::cos/std::sin, the rotation
//   audit/f32       the audit engine on elementwise:f32, one thread: the implementation, the
//                   reference (correctly rounded and exact outputs, exact scores) and every metric
//   audit/f64       the same on elementwise:f64 (informational: its errors are the smallest the
//                   reference must resolve)
// over Llama 3.1 8B, 2 heads at each of 8192 positions log-spaced up to 2^31 - 1, and ends with
// one line: audit speed: audit/double = R (audit/f32 over double, medians of CPU time per pair
// over --benchmark_repetitions). R <= 3 is the goal (spec/audit.md, "Speed").
// Run: ropecheck_audit_bench [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "audit/audit_engine.hpp"
#include "audit/position_spec.hpp"
#include "core/presets.hpp"
#include "reference/reference.hpp"

namespace {

using namespace ropecheck;

constexpr int kHeads = 2;
const char* const kPositions = "log:0..2^31-1:8192";

audit::AuditOptions options_for(const std::string& impl) {
  audit::AuditOptions o;
  o.config_json = find_preset("llama-3.1-8b").config;
  o.config = find_preset("llama-3.1-8b").rope;
  o.config_label = "preset llama-3.1-8b";
  o.impls = {impl};
  o.positions_spec = kPositions;
  o.positions = audit::parse_positions(o.positions_spec);
  o.band_edges = {0, 1 << 10, 1 << 16, 1 << 20, 1 << 24, 1 << 28, 2147483647};
  o.thresholds = {1e-3, 1e-2};
  o.heads = kHeads;
  o.seq_len = o.positions.back() + 1;
  o.threads = 1;
  return o;
}

double pairs_of(const audit::AuditOptions& o) {
  return static_cast<double>(o.positions.size()) * kHeads * (o.config.rotary_dim / 2);
}

void per_pair(benchmark::State& state, double pairs_per_iteration) {
  state.counters["ns/pair"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * pairs_per_iteration,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_double(benchmark::State& state) {
  const audit::AuditOptions o = options_for("elementwise:f32");
  const RopeConfig& c = o.config;
  const int half = c.rotary_dim / 2;
  const reference::Reference ref(c, o.seq_len);
  std::vector<double> theta;
  for (int i = 0; i < half; ++i) theta.push_back(ref.theta(i));
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  std::vector<double> x(static_cast<std::size_t>(c.head_dim) * kHeads), y(x.size());
  for (double& v : x) v = uniform(rng);
  for (auto _ : state) {
    for (const std::int64_t position : o.positions) {
      const double m = static_cast<double>(position);
      for (int h = 0; h < kHeads; ++h) {
        const double* xh = &x[static_cast<std::size_t>(h * c.head_dim)];
        double* yh = &y[static_cast<std::size_t>(h * c.head_dim)];
        for (int i = 0; i < half; ++i) {
          const double angle = m * theta[static_cast<std::size_t>(i)];
          const double cs = std::cos(angle), sn = std::sin(angle);
          yh[i] = xh[i] * cs - xh[i + half] * sn;
          yh[i + half] = xh[i] * sn + xh[i + half] * cs;
        }
      }
      benchmark::DoNotOptimize(y.data());
      benchmark::ClobberMemory();
    }
  }
  per_pair(state, pairs_of(o));
}

void run_audit(benchmark::State& state, const std::string& impl) {
  const audit::AuditOptions o = options_for(impl);
  for (auto _ : state) {
    auto blocks = audit::run_blocks(o, nullptr);
    benchmark::DoNotOptimize(blocks.data());
  }
  per_pair(state, pairs_of(o));
}

void BM_audit_f32(benchmark::State& state) { run_audit(state, "elementwise:f32"); }
void BM_audit_f64(benchmark::State& state) { run_audit(state, "elementwise:f64"); }

BENCHMARK(BM_double)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_audit_f32)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_audit_f64)->Unit(benchmark::kMillisecond);

// Console output as usual, plus each benchmark's ns per pair (median over repetitions).
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, std::vector<double>> ns_per_pair;
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      const auto it = run.counters.find("ns/pair");
      if (!run.error_occurred && it != run.counters.end() && run.run_type == Run::RT_Iteration)
        ns_per_pair[run.run_name.function_name].push_back(it->second.value * 1e9);
    }
    ConsoleReporter::ReportRuns(runs);
  }
  double median(const std::string& name) const {
    const auto it = ns_per_pair.find(name);
    if (it == ns_per_pair.end() || it->second.empty()) return 0.0;
    std::vector<double> v = it->second;
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  }
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  const double dbl = reporter.median("BM_double"), f32 = reporter.median("BM_audit_f32");
  if (dbl > 0 && f32 > 0)
    std::printf("audit speed: audit/double = %.2f (%.1f ns per pair and thread, double %.1f ns)\n",
                f32 / dbl, f32, dbl);
  else
    std::printf("audit speed: not both of BM_double and BM_audit_f32 ran\n");
  return 0;
}
