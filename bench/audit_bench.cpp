// The audit's cost per rotated pair and thread against a plain double RoPE of the same pairs
// (Llama 3.1 8B, CPU time, one thread):
//   double         theta_i and the angle m*theta_i in double, std::cos/std::sin, the rotation,
//                  over the positions and heads of audit/f32
//   audit/f32      the audit engine on the 2^20-position audit's configuration (`--impl
//                  elementwise:f32 --heads 1`, dense positions; here the 2^16 positions below
//                  2^20): the implementation, the reference (correctly rounded and exact
//                  outputs) and every metric
//   audit/default  the default audit (every pipeline, 4032 positions up to 2^31 - 1, 2 heads,
//                  exact scores and invariance at every position), per pipeline and pair
// and ends with one line: audit speed: audit/double = R (audit/f32 over double, medians over
// --benchmark_repetitions), then the default audit's ratio. R <= 3 is the goal (spec/audit.md).
// Run: ropecheck_audit_bench [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>

#include <fmt/format.h>
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
#include "impl/implementation.hpp"
#include "reference/reference.hpp"

namespace {

using namespace ropecheck;

audit::AuditOptions options_for(const std::vector<std::string>& impls, const std::string& positions,
                                int heads) {
  audit::AuditOptions o;
  o.config_json = find_preset("llama-3.1-8b").config;
  o.config = find_preset("llama-3.1-8b").rope;
  o.config_label = "preset llama-3.1-8b";
  o.impls = impls;
  o.positions_spec = positions;
  o.positions = audit::parse_positions(o.positions_spec);
  o.band_edges = {0, 1 << 10, 1 << 16, 1 << 20, 1 << 24, 1 << 28, 2147483647};
  o.thresholds = {1e-3, 1e-2};
  o.heads = heads;
  o.seq_len = o.positions.back() + 1;
  o.threads = 1;
  return o;
}

audit::AuditOptions dense_f32() {
  return options_for({"elementwise:f32"}, "983040..2^20-1", 1);
}

audit::AuditOptions default_audit() {
  std::vector<std::string> impls;
  for (const Implementation& impl : all_implementations())
    if (impl.form == Form::elementwise) impls.push_back(impl.name());
  return options_for(impls, audit::default_positions_spec(), 2);
}

double pairs_of(const audit::AuditOptions& o) {
  return static_cast<double>(o.positions.size()) * o.heads * (o.config.rotary_dim / 2) *
         static_cast<double>(o.impls.size());
}

void per_pair(benchmark::State& state, double pairs_per_iteration) {
  state.counters["ns/pair"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * pairs_per_iteration,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_double(benchmark::State& state) {
  const audit::AuditOptions o = dense_f32();
  const int kHeads = o.heads;
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

void run_audit(benchmark::State& state, const audit::AuditOptions& o) {
  for (auto _ : state) {
    auto blocks = audit::run_blocks(o, nullptr);
    benchmark::DoNotOptimize(blocks.data());
  }
  per_pair(state, pairs_of(o));
}

void BM_audit_f32(benchmark::State& state) {
  run_audit(state, dense_f32());
}
void BM_audit_default(benchmark::State& state) {
  run_audit(state, default_audit());
}

BENCHMARK(BM_double)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_audit_f32)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_audit_default)->Unit(benchmark::kMillisecond);

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
  const double all = reporter.median("BM_audit_default");
  if (dbl > 0 && f32 > 0)
    std::printf(
        "audit speed: audit/double = %.2f (%.1f ns per pair and thread, double %.1f ns)"
        "%s\n",
        f32 / dbl, f32, dbl,
        all > 0 ? fmt::format("; default audit/double = {:.2f}", all / dbl).c_str() : "");
  else
    std::printf("audit speed: not both of BM_double and BM_audit_f32 ran\n");
  return 0;
}
