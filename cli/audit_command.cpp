// `ropecheck audit` and `ropecheck merge`: precision against position, as table, CSV, JSON and plot.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <fnmatch.h>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>
#include <unistd.h>

#include "audit/audit_engine.hpp"
#include "audit/audit_json.hpp"
#include "audit/audit_report.hpp"
#include "audit/audit_shards.hpp"
#include "audit/position_spec.hpp"
#include "audit/shard_env.hpp"
#include "cli/commands.hpp"
#include "cli/exhaustive_command.hpp"
#include "cli/output_files.hpp"
#include "core/config_error.hpp"
#include "core/hf_config.hpp"
#include "core/presets.hpp"
#include "impl/implementation.hpp"

namespace ropecheck::cli {
namespace {

using audit::AuditOptions;
using nlohmann::json;

struct AuditArgs {
  std::string preset, hf_config, config_json, layer_type = "full_attention", layout;
  std::vector<std::string> impls;
  std::string dtype, positions, bands = "0,2^10,2^16,2^20,2^24,2^28,2^31";
  std::vector<double> thresholds;
  std::vector<std::string> require;
  std::string shard, out;
  int threads = 0, heads = 2;
  std::uint64_t seed = 0;
  std::int64_t seq_len = 0;
  bool no_progress = false;
  bool exhaustive = false;
  int shards = 0;  // the shard count of a Kubernetes Indexed Job
};

json read_json_file(const std::string& path, const std::string& option) {
  std::ifstream file(path);
  if (!file) throw ConfigError(option, "cannot read file " + path);
  try {
    return json::parse(file);
  } catch (const json::parse_error& error) {
    throw ConfigError(option, path + " is not valid JSON: " + error.what());
  }
}

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
      throw ConfigError("--impl", fmt::format("\"{}\"{} matches no implementation; see "
                                              "`ropecheck impls`", pattern,
                                              args.dtype.empty() ? "" : " with --dtype " + args.dtype));
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
    try {
      o.config_json = json::parse(args.config_json);
    } catch (const json::parse_error& error) {
      throw ConfigError("--config", std::string("is not valid JSON: ") + error.what());
    }
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
    throw ConfigError("--dtype", fmt::format("unknown \"{}\"; accepted: {}", args.dtype,
                                             accepted_dtypes()));
  o.impls = select_impls(args);
  o.positions_spec = args.positions.empty() ? audit::default_positions_spec() : args.positions;
  if (args.exhaustive) {
    // Only the range's ends: an exhaustive range is scanned, never listed.
    if (args.positions.empty()) throw ConfigError("--positions", "--exhaustive needs a range A..B");
    const auto [first, last] = audit::parse_position_range(o.positions_spec);
    o.positions = {first, last};
  } else {
    o.positions = audit::parse_positions(o.positions_spec);
  }

  for (std::size_t start = 0; start <= args.bands.size();) {
    const auto comma = args.bands.find(',', start);
    const std::string item = args.bands.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    o.band_edges.push_back(audit::parse_position_number(item, "--bands " + args.bands));
    start = comma == std::string::npos ? args.bands.size() + 1 : comma + 1;
  }
  if (o.band_edges.size() < 2 || !std::is_sorted(o.band_edges.begin(), o.band_edges.end()) ||
      std::adjacent_find(o.band_edges.begin(), o.band_edges.end()) != o.band_edges.end())
    throw ConfigError("--bands", "needs at least two increasing position edges, e.g. 0,2^16,2^31");
  if (o.positions.front() < o.band_edges.front() || o.positions.back() > o.band_edges.back())
    throw ConfigError("--bands", fmt::format("edges must cover the positions {}..{}",
                                             o.positions.front(), o.positions.back()));

  o.thresholds = args.thresholds.empty() ? std::vector<double>{1e-3, 1e-2} : args.thresholds;
  for (double t : o.thresholds)
    if (!(t > 0) || !std::isfinite(t)) throw ConfigError("--threshold", "must be positive");
  o.seed = args.seed;
  if (args.heads < 1 || args.heads > 64) throw ConfigError("--heads", "must lie in 1..64");
  o.heads = args.heads;
  if (args.seq_len < 0) throw ConfigError("--seq-len", "must be positive");
  o.seq_len = effective_seq_len(o.positions.back(),
                                args.seq_len > 0 ? std::optional(args.seq_len) : std::nullopt);
  o.threads = args.threads > 0 ? args.threads
                               : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
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
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (seconds < 1.0 && done < total) return;
    if (seconds < 1.0 && !shown) return;
    shown = true;
    const int width = 40;
    const int filled = total ? static_cast<int>(width * done / total) : width;
    const double eta = done ? seconds * static_cast<double>(total - done) / static_cast<double>(done) : 0;
    const double rate = static_cast<double>(done * audit::kBlockSize) / seconds;
    std::fprintf(stderr, "\r[%s%s] %zu/%zu blocks, %.3g positions/s, %.0f s elapsed, ~%.0f s left ",
                 std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(width - filled), '.').c_str(), done, total,
                 rate, seconds, eta);
    if (done == total) std::fprintf(stderr, "\n");
  };
}

// Checks --require ERR or --require IMPL=ERR against every audited position; returns failures.
std::vector<std::string> broken_requirements(const AuditArgs& args, const AuditOptions& o,
                                             const audit::AuditResult& r) {
  std::vector<std::string> broken;
  for (const std::string& rule : args.require) {
    const auto eq = rule.find('=');
    const std::string pattern = eq == std::string::npos ? "*" : rule.substr(0, eq);
    const std::string bound_text = eq == std::string::npos ? rule : rule.substr(eq + 1);
    char* end = nullptr;
    const double bound = std::strtod(bound_text.c_str(), &end);
    if (end == bound_text.c_str() || *end != '\0' || !(bound > 0))
      throw ConfigError("--require", fmt::format("\"{}\" is not ERR or IMPL=ERR", rule));
    for (std::size_t k = 0; k < o.impls.size(); ++k) {
      if (fnmatch(pattern.c_str(), o.impls[k].c_str(), 0) != 0) continue;
      for (std::size_t b = 0; b < r.cells[k].size(); ++b) {
        const auto& w = r.cells[k][b].max_abs_err;
        if (r.cells[k][b].outputs && w.error > bound)
          broken.push_back(fmt::format("{}: max |error| {:.3g} > {:g} at position {}",
                                       o.impls[k], w.error, bound, w.position));
      }
    }
  }
  return broken;
}

void write_report(const AuditOptions& o, const audit::AuditResult& r, const std::string& out_dir) {
  const std::string table = audit::report_table(o, r);
  std::cout << table;
  if (out_dir.empty()) return;
  OutputFiles files(out_dir);
  files.write("report.txt", table);
  files.write("results.csv", audit::report_csv(o, r));
  files.write("results.json", audit::report_json(o, r).dump(2) + "\n");
  const std::string data = files.write("error_vs_position.dat", audit::plot_data(o, r));
  const std::string png = files.temporary("error_vs_position.png");
  const std::string svg = files.temporary("error_vs_position.svg");
  // The committed script refers to the final names; a twin with the temporary names draws now.
  files.write("error_vs_position.gp",
              audit::plot_script(o, "error_vs_position.dat", "error_vs_position.png",
                                 "error_vs_position.svg"));
  const std::string now = data + ".now.gp";
  {
    std::ofstream script(now);
    script << audit::plot_script(o, data, png, svg);
  }
  const int status = std::system(fmt::format("gnuplot '{}' 2>/dev/null", now).c_str());
  std::filesystem::remove(now);
  if (status != 0 || !std::filesystem::exists(png) || !std::filesystem::exists(svg))
    throw std::runtime_error("gnuplot failed to draw the plot (is gnuplot installed? "
                             "bash ci/setup.sh installs it)");
  files.commit();
  std::cout << fmt::format("\nwrote {}/report.txt, results.csv, results.json, "
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
  sub->add_option("--positions", args->positions,
                  "Positions: N, 2^K-C, A..B, A..B:STEP, log:A..B:COUNT, comma-separated");
  sub->add_option("--bands", args->bands, "Band edges for the table columns");
  sub->add_option("--threshold", args->thresholds, "Absolute error thresholds (default 1e-3 1e-2)");
  sub->add_option("--require", args->require, "Exit 1 if max |error| exceeds ERR (or IMPL=ERR)");
  sub->add_option("--threads", args->threads, "Worker threads (default: all cores)");
  sub->add_option("--seed", args->seed, "Seed of the random inputs (default 0)");
  sub->add_option("--heads", args->heads, "Random head vectors per position (default 2)");
  sub->add_option("--seq-len", args->seq_len, "Sequence length for dynamic NTK / LongRoPE");
  sub->add_option("--shard", args->shard, "Compute shard K/N only and write DIR/shard-K-of-N.json");
  sub->add_option("--out", args->out, "Directory for report.txt, results.csv/.json and the plot");
  sub->add_flag("--no-progress", args->no_progress, "Never draw the progress bar");
  sub->add_flag("--exhaustive", args->exhaustive,
                "Every position of --positions A..B and every pair: coefficient errors");
  sub->add_option("--shards", args->shards,
                  "Shard count when JOB_COMPLETION_INDEX gives the index (Kubernetes)");
  return [args] {
    const AuditOptions o = build_options(*args);
    if (args->exhaustive) return run_exhaustive_audit(o, args->out, !args->no_progress);
    auto blocks = audit::run_blocks(o, progress_bar(!args->no_progress));
    if (o.shard_count > 1) {
      if (args->out.empty()) throw ConfigError("--out", "a sharded run needs --out DIR");
      OutputFiles files(args->out);
      const std::string name = audit::shard_file_name(o);
      files.write(name, audit::shard_document(o, blocks).dump() + "\n");
      files.commit();
      std::cout << fmt::format("wrote {}/{}; combine the shards with `ropecheck merge`\n",
                               args->out, name);
      return int{kPass};
    }
    const auto result = audit::reduce_blocks(o, std::move(blocks));
    write_report(o, result, args->out);
    const auto broken = broken_requirements(*args, o, result);
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
    const auto files = audit::find_shard_files(*inputs);
    if (audit::shards_are_exhaustive(files)) {
      const auto merged = audit::merge_exhaustive_shard_files(files);
      write_exhaustive_report(merged.options, merged.result, *out);
      return int{kPass};
    }
    const auto merged = audit::merge_shard_files(files);
    write_report(merged.options, merged.result, *out);
    return int{kPass};
  };
}

}  // namespace ropecheck::cli
