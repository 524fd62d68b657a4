// `ropecheck audit` and `ropecheck merge`: precision against position, as table, CSV, JSON and
// plot.
#include <fmt/format.h>
#include <fnmatch.h>
#include <unistd.h>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include "audit/audit_engine.hpp"
#include "audit/audit_json.hpp"
#include "audit/audit_report.hpp"
#include "audit/audit_shards.hpp"
#include "audit/position_spec.hpp"
#include "audit/shard_env.hpp"
#include "cli/commands.hpp"
#include "cli/exhaustive_command.hpp"
#include "cli/gnuplot_runner.hpp"
#include "cli/output_files.hpp"
#include "core/config_error.hpp"
#include "core/hf_config.hpp"
#include "core/json_input.hpp"
#include "core/parse_number.hpp"
#include "core/presets.hpp"
#include "impl/implementation.hpp"

namespace ropecheck::cli {
namespace {

using audit::AuditOptions;
using nlohmann::json;

// Numeric options are taken as text and parsed strictly (parse_number.hpp): CLI11 would wrap
// "--seed -1" to 2^64 - 1 and accept "--threads -5".
struct AuditArgs {
  std::string preset, hf_config, config_json, layer_type = "full_attention", layout;
  std::vector<std::string> impls;
  std::string dtype, positions, bands = audit::kDefaultBandEdges;
  std::vector<double> thresholds;
  std::vector<std::string> require;
  std::string shard, out;
  std::string threads, heads = "2", seed = "0", seq_len, max_work;
  CLI::Option* positions_option = nullptr;
  bool no_progress = false;
  bool exhaustive = false;
  int shards = 0;                   // the shard count of a Kubernetes Indexed Job
  std::string kernel, kernel_name;  // exhaustive mode on a plugin library's kernels
};

// The default ceiling on an audit's size in pair rotations (positions x heads x rotated pairs x
// implementations): 2^32, several minutes on a few cores; --max-work raises it.
constexpr std::uint64_t kDefaultMaxWork = std::uint64_t{1} << 32;

// One --require rule: implementations matching `pattern` must keep max |error| <= bound.
struct Requirement {
  std::string rule, pattern;
  double bound = 0;
};

std::vector<std::string> select_impls(const AuditArgs& args) {
  std::vector<std::string> patterns = args.impls;
  if (patterns.empty()) patterns = {"elementwise:*"};  // every pipeline, one form
  std::vector<std::string> out;
  for (const std::string& pattern : patterns) {
    bool matched = false;
    for (const Implementation& impl : all_implementations()) {
      const std::string name = impl.name();
      if (fnmatch(pattern.c_str(), name.c_str(), 0) != 0) continue;
      if (!args.dtype.empty() && dtype_name(impl.dtype()) != args.dtype) continue;
      matched = true;
      if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    }
    if (!matched)
      throw ConfigError(
          "--impl", fmt::format("\"{}\"{} matches no implementation; see "
                                "`ropecheck impls`",
                                pattern, args.dtype.empty() ? "" : " with --dtype " + args.dtype));
  }
  return out;
}

AuditOptions build_options(const AuditArgs& args) {
  AuditOptions o;
  const int sources = !args.preset.empty() + !args.hf_config.empty() + !args.config_json.empty();
  if (sources > 1)
    throw ConfigError("--preset", "give at most one of --preset, --hf-config, --config");
  if (!args.hf_config.empty()) {
    o.config_json = read_json_file(args.hf_config, "--hf-config");
    o.config_label = args.hf_config;
  } else if (!args.config_json.empty()) {
    o.config_json = parse_json_text(args.config_json, "--config");
    o.config_label = "config " + args.config_json;
  } else {
    const std::string name = args.preset.empty() ? "llama-3.1-8b" : args.preset;
    o.config_json = find_preset(name).config;
    o.config_label = "preset " + name;
  }
  if (!args.layout.empty()) o.config_json["layout"] = args.layout;
  o.layer_type = args.layer_type;
  o.config = parse_hf_config(o.config_json, {.layer_type = o.layer_type});
  if (!args.dtype.empty() && !parse_dtype(args.dtype))
    throw ConfigError("--dtype",
                      fmt::format("unknown \"{}\"; accepted: {}", args.dtype, accepted_dtypes()));
  o.impls = select_impls(args);
  const bool positions_given = args.positions_option && args.positions_option->count() > 0;
  o.positions_spec = positions_given ? args.positions : audit::default_positions_spec();
  o.heads = static_cast<int>(parse_integer(args.heads, "--heads", 1, 64));
  if (args.exhaustive) {
    // Only the range's ends: an exhaustive range is scanned, never listed (its size is shown as
    // an estimate before the scan starts).
    if (!positions_given) throw ConfigError("--positions", "--exhaustive needs a range A..B");
    const auto [first, last] = audit::parse_position_range(o.positions_spec);
    o.positions = {first, last};
  } else {
    // The size limit is checked on the spec's arithmetic count, before positions are expanded.
    const std::uint64_t limit = args.max_work.empty()
                                    ? kDefaultMaxWork
                                    : parse_unsigned(args.max_work, "--max-work", UINT64_MAX);
    const long double work = static_cast<long double>(audit::count_positions(o.positions_spec)) *
                             o.heads * (o.config.rotary_dim / 2) * o.impls.size();
    if (work > static_cast<long double>(limit))
      throw ConfigError("--max-work",
                        fmt::format("this audit is {:.3g} pair rotations (positions x heads x "
                                    "rotated pairs x implementations), over the limit of {}; "
                                    "audit fewer positions or implementations, or raise the "
                                    "limit with --max-work N",
                                    static_cast<double>(work), limit));
    o.positions = audit::parse_positions(o.positions_spec);
  }

  o.band_edges = audit::parse_band_edges(args.bands, "--bands");
  if (o.positions.front() < o.band_edges.front() || o.positions.back() > o.band_edges.back())
    throw ConfigError("--bands", fmt::format("edges must cover the positions {}..{}",
                                             o.positions.front(), o.positions.back()));

  o.thresholds = args.thresholds.empty() ? std::vector<double>{1e-3, 1e-2} : args.thresholds;
  for (double t : o.thresholds)
    if (!(t > 0) || !std::isfinite(t)) throw ConfigError("--threshold", "must be positive");
  o.seed = parse_unsigned(args.seed, "--seed", UINT64_MAX);
  // Lengths, like positions, stay exact in a double.
  const std::optional<std::int64_t> seq_len =
      args.seq_len.empty()
          ? std::nullopt
          : std::optional(parse_integer(args.seq_len, "--seq-len", 1, std::int64_t{1} << 53));
  o.seq_len = effective_seq_len(o.positions.back(), seq_len);
  o.threads = args.threads.empty()
                  ? std::max(1, static_cast<int>(std::thread::hardware_concurrency()))
                  : static_cast<int>(parse_integer(args.threads, "--threads", 1, 1024));
  const audit::ShardChoice shard =
      audit::choose_shard(args.shard, args.shards, audit::process_environment());
  o.shard_index = shard.index;
  o.shard_count = shard.count;
  if (!shard.source.empty())
    std::cerr << fmt::format("ropecheck: shard {}/{} from {}\n", shard.index, shard.count,
                             shard.source);
  return o;
}

// A one-line progress bar on stderr, drawn only on a terminal and after the first second.
audit::ProgressFn progress_bar(bool enabled) {
  if (!enabled || !::isatty(STDERR_FILENO)) return nullptr;
  const auto start = std::chrono::steady_clock::now();
  return [start, shown = false](std::size_t done, std::size_t total) mutable {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (seconds < 1.0 && done < total) return;
    if (seconds < 1.0 && !shown) return;
    shown = true;
    const int width = 40;
    const int filled = total ? static_cast<int>(width * done / total) : width;
    const double eta =
        done ? seconds * static_cast<double>(total - done) / static_cast<double>(done) : 0;
    const double rate = static_cast<double>(done * audit::kBlockSize) / seconds;
    std::fprintf(stderr, "\r[%s%s] %zu/%zu blocks, %.3g positions/s, %.0f s elapsed, ~%.0f s left ",
                 std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(width - filled), '.').c_str(), done, total,
                 rate, seconds, eta);
    if (done == total) std::fprintf(stderr, "\n");
  };
}

// Parses every --require rule before the run: ERR or IMPL=ERR with ERR a positive finite number,
// and IMPL a name or glob that matches at least one audited implementation.
std::vector<Requirement> parse_requirements(const AuditArgs& args, const AuditOptions& o) {
  std::vector<Requirement> out;
  for (const std::string& rule : args.require) {
    const auto eq = rule.find('=');
    Requirement r{rule, eq == std::string::npos ? "*" : rule.substr(0, eq), 0};
    const std::string bound_text = eq == std::string::npos ? rule : rule.substr(eq + 1);
    char* end = nullptr;
    r.bound = std::strtod(bound_text.c_str(), &end);
    if (bound_text.empty() || end != bound_text.c_str() + bound_text.size() || !(r.bound > 0) ||
        !std::isfinite(r.bound))
      throw ConfigError("--require", fmt::format("\"{}\" is not ERR or IMPL=ERR with ERR a "
                                                 "positive finite number",
                                                 rule));
    const bool matches = std::any_of(o.impls.begin(), o.impls.end(), [&](const std::string& name) {
      return fnmatch(r.pattern.c_str(), name.c_str(), 0) == 0;
    });
    if (!matches) {
      std::string audited;
      for (const auto& name : o.impls) audited += (audited.empty() ? "" : ", ") + name;
      throw ConfigError("--require", fmt::format("\"{}\" names no audited implementation "
                                                 "(audited: {})",
                                                 r.pattern, audited));
    }
    out.push_back(std::move(r));
  }
  return out;
}

// Checks the requirements against every audited position; returns the broken ones.
std::vector<std::string> broken_requirements(const std::vector<Requirement>& rules,
                                             const AuditOptions& o, const audit::AuditResult& r) {
  std::vector<std::string> broken;
  for (const Requirement& rule : rules) {
    for (std::size_t k = 0; k < o.impls.size(); ++k) {
      if (fnmatch(rule.pattern.c_str(), o.impls[k].c_str(), 0) != 0) continue;
      for (std::size_t b = 0; b < r.cells[k].size(); ++b) {
        const auto& w = r.cells[k][b].max_abs_err;
        // A NaN error is broken too: !(error <= bound) rather than error > bound.
        if (r.cells[k][b].outputs && !(w.error <= rule.bound))
          broken.push_back(fmt::format("{}: max |error| {:.3g} > {:g} at position {}", o.impls[k],
                                       w.error, rule.bound, w.position));
      }
    }
  }
  return broken;
}

// The files of an audit's output set (audit --out, merge --out).
const std::vector<std::string> kReportFiles = {"report.txt",           "results.csv",
                                               "results.json",         "error_vs_position.dat",
                                               "error_vs_position.gp", "error_vs_position.png",
                                               "error_vs_position.svg"};

// Checks --out before the work: a directory that can receive the set, and gnuplot to draw it.
// Returns gnuplot's path ("" when there is no --out).
std::string check_report_output(const std::string& out_dir) {
  if (out_dir.empty()) return "";
  check_output_set(out_dir, kReportFiles, "--out");
  return find_gnuplot("--out");
}

// Prints the audit's size and a time estimate from two quick calibration runs (one thread, CPU
// time, so that other jobs on the machine do not inflate it): one position, then a sample of 64
// spread over the range; their difference is the cost per position without the set-up (exact
// frequencies, prepared pipelines). A first run warms the tables built once per process.
void print_estimate(const AuditOptions& o) {
  const std::size_t sample_size = std::min<std::size_t>(64, o.positions.size());
  AuditOptions sample = o;
  sample.threads = 1;
  sample.shard_index = 0;
  sample.shard_count = 1;
  const auto cpu_time_of = [&](std::size_t count) {
    sample.positions.clear();
    for (std::size_t i = 0; i < count; ++i)
      sample.positions.push_back(o.positions[i * o.positions.size() / count]);
    const std::clock_t start = std::clock();
    audit::run_blocks(sample, nullptr);
    return static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
  };
  cpu_time_of(1);  // warms the process-wide tables, which the set-up below must not include
  const double setup = cpu_time_of(1);
  const double sampled = cpu_time_of(sample_size);
  const double per_position =
      sample_size > 1 ? std::max(0.0, sampled - setup) / static_cast<double>(sample_size - 1)
                      : sampled;
  const double mine = static_cast<double>(o.positions.size()) / o.shard_count;
  const double parallel = std::min<double>(
      o.threads, std::ceil(static_cast<double>(audit::block_count(o)) / o.shard_count));
  const double estimate = setup + per_position * mine / std::max(1.0, parallel);
  const double pairs =
      mine * o.heads * (o.config.rotary_dim / 2) * static_cast<double>(o.impls.size());
  std::cerr << fmt::format(
      "ropecheck audit: {:.0f} positions x {} heads x {} pairs x {} "
      "implementations = {:.3g} pair rotations; estimated {} on {} "
      "thread(s)\n",
      mine, o.heads, o.config.rotary_dim / 2, o.impls.size(), pairs,
      estimate < 1 ? std::string("under 1 s") : fmt::format("{:.0f} s", std::ceil(estimate)),
      static_cast<int>(std::max(1.0, parallel)));
}

void write_report(const AuditOptions& o, const audit::AuditResult& r, const std::string& out_dir,
                  const std::string& gnuplot) {
  const std::string table = audit::report_table(o, r);
  std::cout << table;
  if (out_dir.empty()) return;
  OutputSet files(out_dir, kReportFiles, "--out");
  files.write("report.txt", table);
  files.write("results.csv", audit::report_csv(o, r));
  files.write("results.json", dump_json(audit::report_json(o, r), 2) + "\n");
  draw_error_plot(files, gnuplot, audit::plot_data(o, r),
                  audit::plot_script(o, kPlotData, kPlotPng, kPlotSvg), "--out");
  files.commit();
  std::cout << fmt::format(
      "\nwrote {}/report.txt, results.csv, results.json, "
      "error_vs_position.png/.svg (gnuplot script: error_vs_position.gp)\n",
      out_dir);
}

}  // namespace

Runner add_audit_command(CLI::App& app) {
  auto* sub = app.add_subcommand("audit", "Precision against position: table, CSV, JSON, plot");
  auto args = std::make_shared<AuditArgs>();
  sub->add_option("--preset", args->preset, "Built-in preset (default llama-3.1-8b)");
  sub->add_option("--hf-config", args->hf_config, "A model's own config.json");
  sub->add_option("--config", args->config_json, "Inline JSON of Hugging Face config keys");
  sub->add_option("--layer-type", args->layer_type, "Layer type for per-layer configs (Gemma 3)");
  sub->add_option("--layout", args->layout, "Override the layout: half | interleaved");
  sub->add_option("--impl", args->impls, "Implementations or globs (default elementwise:*)");
  sub->add_option("--dtype", args->dtype, "Only implementations storing this dtype");
  args->positions_option =
      sub->add_option("--positions", args->positions,
                      "Positions: N, 2^K-C, A..B, A..B:STEP, log:A..B:COUNT, comma-separated "
                      "(at most 2^28)");
  sub->add_option("--bands", args->bands, "Band edges for the table columns");
  sub->add_option("--threshold", args->thresholds, "Absolute error thresholds (default 1e-3 1e-2)");
  sub->add_option("--require", args->require,
                  "Exit 1 if max |error| exceeds ERR (or IMPL=ERR; IMPL must match an audited "
                  "implementation)");
  sub->add_option("--threads", args->threads, "Worker threads, 1..1024 (default: all cores)")
      ->type_name("INT");
  sub->add_option("--seed", args->seed, "Seed of the random inputs, 0..2^64-1 (default 0)")
      ->type_name("UINT");
  sub->add_option("--heads", args->heads, "Random head vectors per position, 1..64 (default 2)")
      ->type_name("INT");
  sub->add_option("--seq-len", args->seq_len, "Sequence length for dynamic NTK / LongRoPE, 1..2^53")
      ->type_name("INT");
  sub->add_option("--shard", args->shard, "Compute shard K/N only and write DIR/shard-K-of-N.json");
  sub->add_option("--max-work", args->max_work,
                  "Largest audit run, in pair rotations (positions x heads x rotated pairs x "
                  "implementations; default 2^32)")
      ->type_name("UINT");
  sub->add_option("--out", args->out, "Directory for report.txt, results.csv/.json and the plot");
  sub->add_flag("--no-progress", args->no_progress, "Never draw the progress bar");
  sub->add_flag("--exhaustive", args->exhaustive,
                "Every position of --positions A..B and every pair: coefficient errors");
  sub->add_option("--shards", args->shards,
                  "Shard count when JOB_COMPLETION_INDEX gives the index (Kubernetes)");
  sub->add_option("--kernel", args->kernel,
                  "With --exhaustive: scan a C ABI plugin's kernels (LIB.so) instead of --impl");
  sub->add_option("--kernel-name", args->kernel_name, "With --kernel: only this kernel");
  return [args] {
    const AuditOptions o = build_options(*args);
    if (!args->kernel.empty() || !args->kernel_name.empty()) {
      if (!args->exhaustive)
        throw ConfigError("--kernel",
                          "plugin kernels are audited with --exhaustive (or `ropecheck check`)");
      if (args->kernel.empty()) throw ConfigError("--kernel-name", "needs --kernel LIB.so");
      if (!args->impls.empty())
        throw ConfigError("--impl", "scans registry implementations; --kernel scans a plugin's");
    }
    if (args->exhaustive)
      return run_exhaustive_audit(o, args->out, !args->no_progress,
                                  {args->kernel, args->kernel_name, args->dtype});
    const std::vector<Requirement> requirements = parse_requirements(*args, o);
    std::string gnuplot, shard_file;
    if (o.shard_count > 1) {
      if (args->out.empty()) throw ConfigError("--out", "a sharded run needs --out DIR");
      shard_file = audit::shard_file_name(o);
      check_output_file((std::filesystem::path(args->out) / shard_file).string(), "--out");
    } else {
      gnuplot = check_report_output(args->out);
    }
    print_estimate(o);
    auto blocks = audit::run_blocks(o, progress_bar(!args->no_progress));
    if (o.shard_count > 1) {
      OutputFiles files(args->out);
      files.write(shard_file, dump_json(audit::shard_document(o, blocks)) + "\n");
      files.commit();
      std::cout << fmt::format("wrote {}/{}; combine the shards with `ropecheck merge`\n",
                               args->out, shard_file);
      return int{kPass};
    }
    const auto result = audit::reduce_blocks(o, std::move(blocks));
    write_report(o, result, args->out, gnuplot);
    const auto broken = broken_requirements(requirements, o, result);
    for (const auto& line : broken) std::cerr << "ropecheck: requirement broken: " << line << "\n";
    return broken.empty() ? int{kPass} : int{kCheckFailed};
  };
}

Runner add_merge_command(CLI::App& app) {
  auto* sub = app.add_subcommand("merge", "Merge sharded audit results into one report");
  auto inputs = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<std::string>();
  sub->add_option("inputs", *inputs, "Shard files or directories holding shard-*.json")->required();
  sub->add_option("--out", *out, "Directory for the merged report");
  return [inputs, out] {
    const std::string gnuplot = check_report_output(*out);
    const auto files = audit::find_shard_files(*inputs);
    if (audit::shards_are_exhaustive(files)) {
      const auto merged = audit::merge_exhaustive_shard_files(files);
      write_exhaustive_report(merged.options, merged.result, *out);
      return int{kPass};
    }
    const auto merged = audit::merge_shard_files(files);
    write_report(merged.options, merged.result, *out, gnuplot);
    return int{kPass};
  };
}

}  // namespace ropecheck::cli
