// `ropecheck grade`: compare a kernel's outputs with a golden vector set and report the error
// per position band, safe-up-to, the bound margin and which pipeline the kernel computes like;
// exit 1 when the bound is broken.
#include <fmt/format.h>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/gnuplot_runner.hpp"
#include "cli/output_files.hpp"
#include "core/config_error.hpp"
#include "core/json_input.hpp"
#include "core/parse_number.hpp"
#include "kernels/vectors/grade_report.hpp"
#include "kernels/vectors/grading.hpp"
#include "kernels/vectors/pipeline_bound.hpp"
#include "kernels/vectors/vector_files.hpp"

namespace ropecheck::cli {
namespace {

struct GradeArgs {
  std::string vectors, outputs, bound, json, out;
  std::vector<double> thresholds;
  std::string max_ulp;  // parsed strictly: "-1" must not wrap to 2^64 - 1
  bool max_ulp_given = false;
};

// The largest --max-ulp: 2^32 ulps is already "any finite value" for bf16 and f16 and far beyond
// any meaningful f32 bound; a larger value could only be a mistake.
constexpr std::uint64_t kMaxUlp = std::uint64_t{1} << 32;

// The bound the outputs are held to; a pipeline's bound is derived for `set`.
vectors::GradeBound choose_bound(const GradeArgs& args, const vectors::VectorSet& set) {
  if (!args.bound.empty() && args.max_ulp_given)
    throw ConfigError("--bound", "give either --bound or --max-ulp, not both");
  if (args.max_ulp_given)
    return vectors::GradeBound::ulps(parse_unsigned(args.max_ulp, "--max-ulp", kMaxUlp));
  if (args.bound.empty() || args.bound == "exact") return vectors::GradeBound::exact();
  return vectors::pipeline_bound(set, args.bound);
}

void write_json(const std::string& path, const nlohmann::json& report) {
  const std::filesystem::path file(path);
  OutputFiles files(file.has_parent_path() ? file.parent_path().string() : ".", "--json");
  files.write(file.filename().string(), dump_json(report, 2) + "\n");
  files.commit();
}

// The files of `grade --out DIR`, written as one set.
const std::vector<std::string> kGradeOutputFiles = {
    "report.txt", "results.json", "results.csv", kPlotData, kPlotScript, kPlotPng, kPlotSvg};

}  // namespace

Runner add_grade_command(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "grade", "Grade a kernel's outputs against golden vectors (spec/vectors.md)");
  auto args = std::make_shared<GradeArgs>();
  sub->add_option("VECTORS", args->vectors, "Vector set: FILE.safetensors or an .npy directory")
      ->required();
  sub->add_option("OUTPUTS", args->outputs,
                  "The kernel's outputs: FILE.safetensors with tensor y, or FILE.npy")
      ->required();
  sub->add_option("--bound", args->bound,
                  "exact (default): every output bit for bit; or a pipeline name (f32, "
                  "bf16-hf, ...): within that pipeline's derived error bound");
  CLI::Option* max_ulp = sub->add_option("--max-ulp", args->max_ulp,
                                         "Every output within N ulps of expected "
                                         "(0 <= N <= 2^32)")
                             ->type_name("UINT");
  sub->add_option("--json", args->json, "Also write the report as JSON to FILE");
  sub->add_option("--out", args->out,
                  "Also write report.txt, results.json, results.csv and the error-against-"
                  "position plot (error_vs_position.png/.svg, needs gnuplot) into DIR, as one set");
  sub->add_option("--threshold", args->thresholds,
                  "Thresholds on the error relative to the pair norm for \"safe up to\" "
                  "(default 1e-3 1e-2)");
  return [args, max_ulp] {
    args->max_ulp_given = max_ulp->count() > 0;
    if (!args->json.empty()) check_output_file(args->json, "--json");
    std::string gnuplot;
    if (!args->out.empty()) {
      check_output_set(args->out, kGradeOutputFiles, "--out");
      gnuplot = find_gnuplot("--out");
    }
    vectors::GradeAnalysisOptions options;
    if (!args->thresholds.empty()) options.thresholds = args->thresholds;
    for (double t : options.thresholds)
      if (!(t > 0) || !std::isfinite(t)) throw ConfigError("--threshold", "must be positive");
    if (args->max_ulp_given) parse_unsigned(args->max_ulp, "--max-ulp", kMaxUlp);
    const vectors::VectorSet set = vectors::read_vector_set(args->vectors);
    const vectors::GradeBound bound = choose_bound(*args, set);
    const std::vector<double> y = vectors::read_outputs(args->outputs, set);
    const vectors::GradeReport report = vectors::grade_outputs(set, y, bound);
    const vectors::GradeAnalysis analysis = vectors::analyse_grade(set, y, options);
    const std::string text = vectors::format_grade_analysis(report, analysis);
    std::cout << text;
    nlohmann::json json = vectors::grade_analysis_json(report, analysis);
    json["vectors"] = args->vectors;
    json["outputs"] = args->outputs;
    if (!args->json.empty()) write_json(args->json, json);
    if (!args->out.empty()) {
      OutputSet files(args->out, kGradeOutputFiles, "--out");
      files.write("report.txt", text);
      files.write("results.json", dump_json(json, 2) + "\n");
      files.write("results.csv", vectors::grade_analysis_csv(analysis));
      const auto preset = set.metadata.find("preset");
      const std::string title = fmt::format(
          "ropecheck grade: {} against {} ({}{}; bound: {})",
          std::filesystem::path(args->outputs).filename().string(),
          std::filesystem::path(args->vectors).filename().string(), dtype_name(set.dtype),
          preset == set.metadata.end() ? "" : ", preset " + preset->second, report.bound);
      draw_error_plot(files, gnuplot, vectors::grade_plot_data(analysis),
                      vectors::grade_plot_script(analysis, title, kPlotData, kPlotPng, kPlotSvg),
                      "--out");
      files.commit();
    }
    return report.passed() ? int{kPass} : int{kCheckFailed};
  };
}

}  // namespace ropecheck::cli
