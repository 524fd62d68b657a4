// Running gnuplot without a shell: posix_spawn with an argument vector, in the directory that
// holds the script and its data, so no path is ever parsed by a shell or by gnuplot itself.
#pragma once

#include <string>
#include <vector>

namespace ropecheck::cli {

class OutputSet;

// The full path of gnuplot on PATH; throws ConfigError(option) naming the missing tool when
// there is none (checked before an audit starts, since its plot is a requested output).
std::string find_gnuplot(const std::string& option);

// Runs `gnuplot_path script` with `directory` as working directory, stdin/stdout/stderr on
// /dev/null; throws ConfigError(option) if it cannot start or does not exit with 0.
void run_gnuplot(const std::string& gnuplot_path, const std::string& script,
                 const std::string& directory, const std::string& option);

// The files of an error-against-position plot inside an output set (audit --out, grade --out):
// the data, the gnuplot script that draws it, and the two drawings.
inline constexpr const char* kPlotData = "error_vs_position.dat";
inline constexpr const char* kPlotScript = "error_vs_position.gp";
inline constexpr const char* kPlotPng = "error_vs_position.png";
inline constexpr const char* kPlotSvg = "error_vs_position.svg";

// Writes `data` and `script` (which must name the files above, relative to its own directory)
// into `files` and has gnuplot draw the PNG and SVG there; throws ConfigError(option) when
// gnuplot fails or leaves a drawing unwritten, so the set is never committed without its plot.
void draw_error_plot(OutputSet& files, const std::string& gnuplot_path, const std::string& data,
                     const std::string& script, const std::string& option);

}  // namespace ropecheck::cli
