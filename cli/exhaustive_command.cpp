#include "cli/exhaustive_command.hpp"

#include <fmt/format.h>
#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>

#include "audit/audit_shards.hpp"
#include "cli/commands.hpp"
#include "cli/output_files.hpp"
#include "core/config_error.hpp"
#include "kernels/plugin/plugin_library.hpp"
#include "kernels/plugin/plugin_subject.hpp"
#include "properties/subject.hpp"

namespace ropecheck::cli {
namespace {

double cpu_seconds() {
  return static_cast<double>(std::clock()) / CLOCKS_PER_SEC;
}

// Evaluations per second per thread (CPU time, one thread), the estimate printed before a long
// scan: 16384 positions from the middle of the range, less a one-position run that measures the
// set-up (exact frequencies, tables) the sample would otherwise be charged with. The middle,
// because the first positions of a range starting at 0 take the slower per-position path more
// often (spec/audit.md).
double calibrate(const audit::ExhaustiveOptions& o) {
  audit::ExhaustiveOptions probe = o;
  probe.shard_index = 0;
  probe.shard_count = 1;
  probe.threads = 1;
  const auto cpu_time_of = [&](std::int64_t first, std::int64_t last) {
    probe.first = first;
    probe.last = last;
    const double start = cpu_seconds();
    const audit::ExhaustivePart part = audit::run_exhaustive(probe, nullptr);
    return std::pair(std::max(cpu_seconds() - start, 0.0),
                     static_cast<double>(part.evaluations * o.impls.size()));
  };
  const std::int64_t middle = o.first + (o.last - o.first) / 2;
  cpu_time_of(middle, middle);  // warms the tables built once per process
  const double setup = cpu_time_of(middle, middle).first;
  const auto [seconds, evaluations] = cpu_time_of(middle, std::min(o.last, middle + 16383));
  return evaluations / std::max(seconds - setup, 1e-6);
}

std::string duration(double seconds) {
  if (seconds < 120) return fmt::format("{:.0f} s", seconds);
  if (seconds < 7200) return fmt::format("{:.1f} min", seconds / 60);
  return fmt::format("{:.1f} h", seconds / 3600);
}

// A one-line progress display on stderr (terminal only): positions, evaluations per second,
// elapsed and remaining time.
audit::ExhaustiveProgress progress_line(bool enabled, std::int64_t evaluations_per_position) {
  if (!enabled || !::isatty(STDERR_FILENO)) return nullptr;
  const auto start = std::chrono::steady_clock::now();
  return [start, evaluations_per_position](std::int64_t done, std::int64_t total) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (seconds < 1.0 && done < total) return;
    const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
    const double left = rate > 0 ? static_cast<double>(total - done) / rate : 0;
    std::fprintf(stderr,
                 "\r%lld/%lld positions (%.1f%%), %.3g evaluations/s, %s elapsed, ~%s left ",
                 static_cast<long long>(done), static_cast<long long>(total),
                 total ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 100.0,
                 rate * static_cast<double>(evaluations_per_position), duration(seconds).c_str(),
                 duration(left).c_str());
    if (done == total) std::fprintf(stderr, "\n");
  };
}

}  // namespace

void write_exhaustive_report(const audit::ExhaustiveOptions& o, const audit::ExhaustivePart& r,
                             const std::string& out_dir) {
  const std::string table = audit::exhaustive_report_table(o, r);
  std::cout << table;
  if (out_dir.empty()) return;
  OutputFiles files(out_dir);
  files.write("report.txt", table);
  files.write("results.json", audit::exhaustive_report_json(o, r).dump(2) + "\n");
  files.commit();
  std::cout << fmt::format("\nwrote {}/report.txt, results.json\n", out_dir);
}

namespace {

// The library's kernels, one subject per kernel and format (restricted to `dtype` when set).
void add_kernel_subjects(const ExhaustiveKernel& k, const std::string& dtype,
                         audit::ExhaustiveOptions& o) {
  const auto library = kernels::PluginLibrary::open(k.library);
  std::vector<const kernels::KernelInfo*> chosen;
  if (!k.kernel_name.empty())
    chosen.push_back(&library->kernel(k.kernel_name));
  else
    for (const kernels::KernelInfo& info : library->kernels()) chosen.push_back(&info);
  o.impls.clear();
  for (const kernels::KernelInfo* info : chosen)
    for (Dtype d : info->formats()) {
      if (!dtype.empty() && dtype_name(d) != dtype) continue;
      auto subject =
          std::make_shared<kernels::PluginSubject>(library, *info, d, kernels::PluginOptions{});
      if (!subject->supports(o.config)) continue;
      o.impls.push_back(subject->name());
      o.subjects.push_back(std::move(subject));
    }
  if (o.subjects.empty())
    throw ConfigError("--kernel", fmt::format("no kernel of {} runs this configuration{}",
                                              k.library, dtype.empty() ? "" : " in " + dtype));
}

int run_exhaustive_audit_with(const audit::AuditOptions& s, const std::string& out_dir,
                              bool progress, const ExhaustiveKernel& kernel);

}  // namespace

int run_exhaustive_audit(const audit::AuditOptions& s, const std::string& out_dir, bool progress,
                         const ExhaustiveKernel& kernel) {
  if (!kernel.library.empty()) {
    try {
      return run_exhaustive_audit_with(s, out_dir, progress, kernel);
    } catch (const kernels::PluginLoadFailure& failure) {
      std::cerr << "ropecheck: kernel failure: " << kernels::plugin_text(failure.what(), 400)
                << "\n";
      return kCheckFailed;
    } catch (const properties::KernelFailure& failure) {
      std::cerr << "ropecheck: kernel failure: " << kernels::plugin_text(failure.what(), 400)
                << "\n";
      return kCheckFailed;
    }
  }
  return run_exhaustive_audit_with(s, out_dir, progress, kernel);
}

namespace {

int run_exhaustive_audit_with(const audit::AuditOptions& s, const std::string& out_dir,
                              bool progress, const ExhaustiveKernel& kernel) {
  audit::ExhaustiveOptions o;
  o.config = s.config;
  o.config_json = s.config_json;
  o.layer_type = s.layer_type;
  o.config_label = s.config_label;
  o.impls = s.impls;
  o.first = s.positions.front();
  o.last = s.positions.back();
  o.band_edges = s.band_edges;
  o.thresholds = s.thresholds;
  o.seq_len = s.seq_len;
  o.threads = s.threads;
  o.shard_index = s.shard_index;
  o.shard_count = s.shard_count;
  if (!kernel.library.empty()) add_kernel_subjects(kernel, kernel.dtype, o);
  if (o.shard_count > 1 && out_dir.empty())
    throw ConfigError("--out", "a sharded run needs --out DIR");

  const auto [first, last] = audit::shard_range(o);
  const double evaluations = static_cast<double>(last - first + 1) * o.config.pairs() *
                             static_cast<double>(o.impls.size());
  // Before a long scan (over about a minute of work), measure and say how long it will take.
  if (evaluations > 4e9) {
    const double rate = calibrate(o);
    std::cerr << fmt::format(
        "ropecheck: {:.3g} evaluations at {:.3g}/s per thread measured: about {} on {} "
        "thread(s)\n",
        evaluations, rate, duration(evaluations / (rate * o.threads)), o.threads);
  }
  const audit::ExhaustivePart part =
      audit::run_exhaustive(o, progress_line(progress, o.config.pairs()));
  if (o.shard_count > 1) {
    OutputFiles files(out_dir);
    const std::string name = fmt::format("shard-{}-of-{}.json", o.shard_index, o.shard_count);
    files.write(name, audit::exhaustive_shard_document(o, part).dump() + "\n");
    files.commit();
    std::cout << fmt::format(
        "wrote {}/{} (positions {}..{}); combine the shards with "
        "`ropecheck merge`\n",
        out_dir, name, first, last);
    return kPass;
  }
  write_exhaustive_report(o, audit::merge_parts(o, {part}), out_dir);
  return kPass;
}

}  // namespace

}  // namespace ropecheck::cli
