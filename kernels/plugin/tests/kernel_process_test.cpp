// Crash isolation: each broken example kernel is reported as what it did, the worker is
// restarted after it dies, and a correct kernel is cheap to call thousands of times.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "core/presets.hpp"
#include "kernels/plugin/plugin_subject.hpp"

namespace ropecheck::kernels {
namespace {

using namespace std::chrono_literals;

WorkerLimits with_timeout(std::chrono::milliseconds timeout) {
  WorkerLimits limits;
  limits.timeout = timeout;
  return limits;
}

struct Outcome {
  std::string failure;  // empty: no KernelFailure
  KernelStats stats;
};

// Applies kernel `name` of the broken plugin to one row at `position`.
Outcome run_broken(const std::string& name, std::int64_t position,
                   std::chrono::milliseconds timeout = 10000ms) {
  const auto lib = PluginLibrary::open(BROKEN_PLUGIN, with_timeout(timeout));
  PluginSubject subject(lib, lib->kernel(name), Dtype::f32, {""});
  const RopeConfig config = find_preset("llama-2-7b").rope;
  const auto prepared = subject.prepare(config, position + 1);
  std::vector<double> x(static_cast<std::size_t>(config.head_dim), 0.5), y(x.size());
  Outcome run;
  try {
    prepared->apply(position, x, y);
  } catch (const properties::KernelFailure& failure) {
    run.failure = failure.what();
  }
  run.stats = subject.take_stats();
  return run;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(KernelProcess, SegfaultIsACrashNamingTheSignal) {
  const Outcome run = run_broken("segfault", 7);
  EXPECT_TRUE(contains(run.failure, "crash (SIGSEGV) in apply")) << run.failure;
  EXPECT_EQ(run.stats.event_counts.at("crash"), 1u);
}

TEST(KernelProcess, HangIsKilledAfterTheTimeoutAndNotRetried) {
  const auto lib = PluginLibrary::open(BROKEN_PLUGIN, with_timeout(300ms));
  PluginSubject subject(lib, lib->kernel("hang"), Dtype::f32, {""});
  const RopeConfig config = find_preset("llama-2-7b").rope;
  std::vector<double> x(static_cast<std::size_t>(config.head_dim), 0.5), y(x.size());
  const auto start = std::chrono::steady_clock::now();
  try {
    subject.prepare(config, 10)->apply(3, x, y);
    FAIL() << "no failure";
  } catch (const properties::KernelFailure& failure) {
    EXPECT_TRUE(contains(failure.what(), "hang in apply(): no answer within 300 ms"))
        << failure.what();
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);
  // The same configuration (any length) fails at once instead of waiting again.
  const auto again = std::chrono::steady_clock::now();
  EXPECT_THROW(subject.prepare(config, 99)->apply(5, x, y), properties::KernelFailure);
  EXPECT_LT(std::chrono::steady_clock::now() - again, 250ms);
  EXPECT_EQ(subject.take_stats().event_counts.at("hang"), 1u);
}

TEST(KernelProcess, WriteJustPastTheOutputHitsTheGuardPage) {
  const Outcome run = run_broken("overflow_by_one", 7);
  EXPECT_TRUE(contains(run.failure,
                       "out-of-bounds write past the end of y (byte 0 after its "
                       "last one, in the guard page) in apply()"))
      << run.failure;
  EXPECT_EQ(run.stats.event_counts.at("out-of-bounds"), 1u);
}

TEST(KernelProcess, RunningFarPastTheOutputHitsTheGuardPage) {
  const Outcome run = run_broken("overflow_far", 7);
  EXPECT_TRUE(contains(run.failure, "out-of-bounds write past the end of y")) << run.failure;
  EXPECT_EQ(run.stats.event_counts.at("out-of-bounds"), 1u);
}

TEST(KernelProcess, WritingTheInputIsCaught) {
  const Outcome run = run_broken("writes_input", 7);
  EXPECT_TRUE(contains(run.failure, "wrote into its read-only input x")) << run.failure;
  EXPECT_EQ(run.stats.event_counts.at("input-write"), 1u);
}

TEST(KernelProcess, ErrorReturnCarriesTheKernelsMessage) {
  const Outcome run = run_broken("error_far", (1 << 20) + 1);
  EXPECT_TRUE(contains(run.failure,
                       "apply returned 3 (RC_ERROR_INTERNAL): the kernel says: "
                       "position 1048577 is past this kernel's table"))
      << run.failure;
  EXPECT_TRUE(run_broken("error_far", 5).failure.empty());
}

TEST(KernelProcess, NaNOutputsAreCountedNotThrown) {
  const Outcome far = run_broken("nan_far", 70000);
  EXPECT_TRUE(far.failure.empty()) << far.failure;
  EXPECT_EQ(far.stats.nan_outputs, 1u);
  EXPECT_EQ(run_broken("nan_far", 5).stats.nan_outputs, 0u);
}

TEST(KernelProcess, WorkerIsRestartedAfterACrash) {
  const auto lib = PluginLibrary::open(BROKEN_PLUGIN);
  PluginSubject subject(lib, lib->kernel("segfault"), Dtype::f32, {""});
  const RopeConfig config = find_preset("llama-2-7b").rope;
  std::vector<double> x(static_cast<std::size_t>(config.head_dim), 0.5), y(x.size());
  for (int i = 0; i < 3; ++i)
    EXPECT_THROW(subject.prepare(config, 10)->apply(i, x, y), properties::KernelFailure);
  EXPECT_EQ(subject.take_stats().event_counts.at("crash"), 3u);
}

// A worker belongs to ropecheck's process, not to the thread that happened to start it: pools
// start workers from threads that end before the worker's last call (PR_SET_PDEATHSIG, tied
// to the starting thread, killed such a worker between two calls).
TEST(KernelProcess, WorkerOutlivesTheThreadThatStartedIt) {
  const RopeConfig config = find_preset("llama-3.1-8b").rope;
  std::vector<double> x(static_cast<std::size_t>(config.head_dim), 0.25), y(x.size());
  std::shared_ptr<PluginLibrary> lib;
  std::unique_ptr<PluginSubject> subject;
  std::unique_ptr<PreparedRope> prepared;
  std::thread([&] {
    lib = PluginLibrary::open(CORRECT_PLUGIN);
    subject = std::make_unique<PluginSubject>(lib, lib->kernel("correct_f32"), Dtype::f32,
                                              PluginOptions{""});
    prepared = subject->prepare(config, 100);
    prepared->apply(1, x, y);
  }).join();
  std::this_thread::sleep_for(300ms);  // a worker killed with its thread is gone by now
  EXPECT_NO_THROW(prepared->apply(2, x, y));
  const KernelStats stats = subject->take_stats();
  EXPECT_EQ(stats.calls, 2u);
  EXPECT_TRUE(stats.event_counts.empty());
}

TEST(KernelProcess, ThousandsOfCallsAreCheap) {
  const auto lib = PluginLibrary::open(CORRECT_PLUGIN);
  PluginSubject subject(lib, lib->kernel("correct_f32"), Dtype::f32, {""});
  const RopeConfig config = find_preset("llama-3.1-8b").rope;
  const auto prepared = subject.prepare(config, 5000);
  std::vector<double> x(static_cast<std::size_t>(config.head_dim), 0.25), y(x.size());
  const auto start = std::chrono::steady_clock::now();
  for (int m = 0; m < 3000; ++m) prepared->apply(m, x, y);
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start);
  EXPECT_LT(seconds.count(), 20.0);  // about 10 us a round trip when the machine is idle
  const KernelStats stats = subject.take_stats();
  EXPECT_EQ(stats.calls, 3000u);
  EXPECT_TRUE(stats.event_counts.empty());
}

}  // namespace
}  // namespace ropecheck::kernels
