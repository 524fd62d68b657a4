// ns per rotated pair of the reference's paths next to a plain-double pipeline, on realistic
// inputs (Llama 3.1 8B's head, bf16-valued activations, positions log-uniform up to 2^31):
//   double      theta precomputed in double, angle m*theta, std::cos/std::sin, rotation
//   certified   Reference::apply (fast path + MPFR fallback), f32 and f64 outputs
//   fast/<build> the fast path's kernel builds alone (avx2, fma, generic), informational
//   mpfr_128    the MPFR path at 128 bits (one Ziv step: enclosures, sin/cos, bound, rounding)
//   mpfr_ziv    the complete MPFR path (Reference::apply_mpfr: Ziv from 128 + bits(m))
//   cpp_bin_float_50  Boost's 50-digit binary float: angle, sin, cos, rotation
// and ends with one line: reference speed: certified/double = R1, mpfr/certified = R2,
// fallback = F% (R1, R2 from the measured CPU times per pair, medians over repetitions; certified
// is the slower of f32 and f64; F over every pair the certified benchmarks rotated).
// Run: ropecheck_reference_bench [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <boost/multiprecision/cpp_bin_float.hpp>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/presets.hpp"
#include "reference/exact_frequencies.hpp"
#include "reference/fast_path.hpp"
#include "reference/mpfr_rotation.hpp"
#include "reference/reference.hpp"
#include "reference/rounding.hpp"

namespace {

using namespace ropecheck;
using namespace ropecheck::reference;

constexpr int kHeads = 4096;  // distinct (position, head) inputs cycled through

struct Inputs {
  RopeConfig config;
  int dim = 0, pairs = 0;
  std::vector<std::int64_t> positions;
  std::vector<double> x;  // kHeads rows of head_dim values
  std::vector<double> theta;
};

const Inputs& inputs() {
  static const Inputs in = [] {
    Inputs s;
    s.config = find_preset("llama-3.1-8b").rope;
    s.dim = s.config.head_dim;
    s.pairs = s.config.rotary_dim / 2;
    std::mt19937_64 rng(2024);
    std::uniform_real_distribution<double> log_m(0.0, 31.0);
    std::normal_distribution<double> act(0.0, 1.0);
    for (int h = 0; h < kHeads; ++h) {
      s.positions.push_back(static_cast<std::int64_t>(std::exp2(log_m(rng))));
      for (int j = 0; j < s.dim; ++j) s.x.push_back(round_double(act(rng), Dtype::bf16));
    }
    const Reference ref(s.config, 131072);
    for (int i = 0; i < s.pairs; ++i) s.theta.push_back(ref.theta(i));
    return s;
  }();
  return in;
}

const Reference& the_reference() {
  static const Reference ref(inputs().config, 131072);
  return ref;
}

void per_pair(benchmark::State& state) {
  state.counters["ns/pair"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * inputs().pairs,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// Every benchmark: one iteration = one head (all its rotated pairs) at one position.
void BM_double(benchmark::State& state) {
  const Inputs& in = inputs();
  std::vector<double> y(static_cast<std::size_t>(in.dim));
  const int half = in.pairs;
  std::size_t h = 0;
  for (auto _ : state) {
    const double* x = &in.x[h * static_cast<std::size_t>(in.dim)];
    const double m = static_cast<double>(in.positions[h]);
    for (int i = 0; i < half; ++i) {
      const double angle = m * in.theta[static_cast<std::size_t>(i)];
      const double c = std::cos(angle), s = std::sin(angle);
      y[static_cast<std::size_t>(i)] = x[i] * c - x[i + half] * s;
      y[static_cast<std::size_t>(i + half)] = x[i] * s + x[i + half] * c;
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
    h = (h + 1) % kHeads;
  }
  per_pair(state);
}

void certified(benchmark::State& state, Dtype dtype) {
  const Inputs& in = inputs();
  const Reference& ref = the_reference();
  std::vector<double> y(static_cast<std::size_t>(in.dim));
  std::size_t h = 0;
  for (auto _ : state) {
    ref.apply(in.positions[h],
              std::span(in.x).subspan(h * static_cast<std::size_t>(in.dim),
                                      static_cast<std::size_t>(in.dim)),
              dtype, y);
    benchmark::DoNotOptimize(y.data());
    h = (h + 1) % kHeads;
  }
  per_pair(state);
}
void BM_certified_f32(benchmark::State& state) {
  certified(state, Dtype::f32);
}
void BM_certified_f64(benchmark::State& state) {
  certified(state, Dtype::f64);
}

void fast_kernel(benchmark::State& state, FastVariant variant) {
  if ((variant == FastVariant::avx2 && !fast_path_has_avx2()) ||
      (variant == FastVariant::fma && !fast_path_has_fma())) {
    state.SkipWithError("this CPU lacks the instructions");
    return;
  }
  const Inputs& in = inputs();
  static const ExactFrequencies freqs(in.config, 131072);
  static const FastPathData data = build_fast_path(freqs);
  std::vector<double> y(static_cast<std::size_t>(in.dim));
  std::vector<PairStatus> status(static_cast<std::size_t>(in.pairs));
  std::size_t h = 0;
  for (auto _ : state) {
    fast_apply(data, Dtype::f32, in.positions[h], &in.x[h * static_cast<std::size_t>(in.dim)],
               y.data(), status.data(), variant);
    benchmark::DoNotOptimize(y.data());
    h = (h + 1) % kHeads;
  }
  per_pair(state);
}
void BM_fast_avx2(benchmark::State& state) {
  fast_kernel(state, FastVariant::avx2);
}
void BM_fast_fma(benchmark::State& state) {
  fast_kernel(state, FastVariant::fma);
}
void BM_fast_generic(benchmark::State& state) {
  fast_kernel(state, FastVariant::generic);
}

void BM_mpfr_128(benchmark::State& state) {
  const Inputs& in = inputs();
  static const ExactFrequencies freqs(in.config, 131072);
  freqs.at(128);  // the enclosures are cached per precision, as in the Reference
  std::size_t h = 0;
  for (auto _ : state) {
    const double* x = &in.x[h * static_cast<std::size_t>(in.dim)];
    for (int i = 0; i < in.pairs; ++i)
      benchmark::DoNotOptimize(
          rotate_pair_at(freqs, i, in.positions[h], x[i], x[i + in.pairs], Dtype::f32, 128));
    h = (h + 1) % kHeads;
  }
  per_pair(state);
}

void BM_mpfr_ziv(benchmark::State& state) {
  const Inputs& in = inputs();
  const Reference& ref = the_reference();
  std::vector<double> y(static_cast<std::size_t>(in.dim));
  std::size_t h = 0;
  for (auto _ : state) {
    ref.apply_mpfr(in.positions[h],
                   std::span(in.x).subspan(h * static_cast<std::size_t>(in.dim),
                                           static_cast<std::size_t>(in.dim)),
                   Dtype::f32, y);
    benchmark::DoNotOptimize(y.data());
    h = (h + 1) % kHeads;
  }
  per_pair(state);
}

void BM_cpp_bin_float_50(benchmark::State& state) {
  using F = boost::multiprecision::cpp_bin_float_50;
  const Inputs& in = inputs();
  static const std::vector<F> theta = [&] {
    // theta_i to 50 digits from the exact enclosures (the conversion is not timed).
    static const ExactFrequencies freqs(in.config, 131072);
    std::vector<F> t;
    const auto set = freqs.at(256);
    for (int i = 0; i < in.pairs; ++i) {
      char buf[128];
      mpfr_snprintf(buf, sizeof buf, "%.60Re", set->theta[static_cast<std::size_t>(i)].lo());
      t.emplace_back(buf);
    }
    return t;
  }();
  std::vector<double> y(static_cast<std::size_t>(in.dim));
  std::size_t h = 0;
  for (auto _ : state) {
    const double* x = &in.x[h * static_cast<std::size_t>(in.dim)];
    const F m = static_cast<double>(in.positions[h]);
    for (int i = 0; i < in.pairs; ++i) {
      const F angle = m * theta[static_cast<std::size_t>(i)];
      const F c = cos(angle), s = sin(angle);
      y[static_cast<std::size_t>(i)] = static_cast<double>(x[i] * c - x[i + in.pairs] * s);
      y[static_cast<std::size_t>(i + in.pairs)] =
          static_cast<double>(x[i] * s + x[i + in.pairs] * c);
    }
    benchmark::DoNotOptimize(y.data());
    h = (h + 1) % kHeads;
  }
  per_pair(state);
}

BENCHMARK(BM_double);
BENCHMARK(BM_certified_f32);
BENCHMARK(BM_certified_f64);
BENCHMARK(BM_fast_avx2);
BENCHMARK(BM_fast_fma);
BENCHMARK(BM_fast_generic);
BENCHMARK(BM_mpfr_128);
BENCHMARK(BM_mpfr_ziv);
BENCHMARK(BM_cpp_bin_float_50);

// Console output as usual, plus each benchmark's ns per pair for the summary line (the median
// over --benchmark_repetitions, which steadies the ratios on a busy machine).
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, std::vector<double>> ns_per_pair;  // per repetition
  std::map<std::string, double> reported_median;           // Google Benchmark's own aggregate
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      const auto it = run.counters.find("ns/pair");
      if (run.error_occurred || it == run.counters.end()) continue;
      if (run.run_type == Run::RT_Iteration)
        ns_per_pair[run.run_name.function_name].push_back(it->second.value * 1e9);
      else if (run.aggregate_name == "median")
        reported_median[run.run_name.function_name] = it->second.value * 1e9;
    }
    ConsoleReporter::ReportRuns(runs);
  }
  double median(const std::string& name) const {
    if (const auto m = reported_median.find(name); m != reported_median.end()) return m->second;
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
  inputs();
  the_reference().reset_stats();
  SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  auto get = [&](const char* name) { return reporter.median(name); };
  const double dbl = get("BM_double");
  const double cert = std::max(get("BM_certified_f32"), get("BM_certified_f64"));
  const double mpfr = get("BM_mpfr_128");
  const ReferenceStats s = the_reference().stats();
  const double rotated = static_cast<double>(s.fast + s.fallback);
  const double fallback = rotated > 0 ? 100.0 * static_cast<double>(s.fallback) / rotated : 0.0;
  if (dbl > 0 && cert > 0 && mpfr > 0)
    std::printf(
        "reference speed: certified/double = %.2f, mpfr/certified = %.1f, fallback = %.4f%%\n",
        cert / dbl, mpfr / cert, fallback);
  else
    std::printf("reference speed: not all of BM_double, BM_certified_*, BM_mpfr_128 ran\n");
  return 0;
}
