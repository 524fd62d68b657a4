#include "python/src/native_grade.hpp"

#include <fmt/format.h>
#include <cmath>

#include "core/config_error.hpp"
#include "kernels/vectors/grade_report.hpp"
#include "kernels/vectors/grading.hpp"
#include "kernels/vectors/pipeline_bound.hpp"
#include "kernels/vectors/vector_set.hpp"

namespace ropecheck::python {

py::tuple grade_outputs_json(const NativeConfig& config, const I64Array& positions,
                             const F64Array& x, const F64Array& y, const std::string& dtype,
                             const std::string& bound, std::uint64_t max_ulp,
                             const std::vector<double>& thresholds,
                             std::optional<std::int64_t> seq_len, bool behaves_like) {
  require_ndim(positions, 1, "positions", "(tokens,)");
  require_ndim(x, 3, "x", "(tokens, heads, head_dim)");
  require_ndim(y, 3, "y", "(tokens, heads, head_dim), the shape of x");
  for (int k = 0; k < 3; ++k)
    if (y.shape(k) != x.shape(k))
      throw ConfigError(
          "y", fmt::format("has shape ({}, {}, {}); x has ({}, {}, {})", y.shape(0), y.shape(1),
                           y.shape(2), x.shape(0), x.shape(1), x.shape(2)));
  if (x.shape(0) != positions.shape(0))
    throw ConfigError("positions", fmt::format("holds {} positions for {} tokens of x",
                                               positions.shape(0), x.shape(0)));
  if (x.shape(2) != config.rope().head_dim)
    throw ConfigError("x", fmt::format("rows hold {} values but the config's head_dim is {}",
                                       x.shape(2), config.rope().head_dim));
  if (x.shape(0) < 1) throw ConfigError("x", "holds no token; grading needs at least one");
  if (x.shape(1) < 1) throw ConfigError("x", "holds no head; grading needs at least one");
  for (double t : thresholds)
    if (!(t > 0) || !std::isfinite(t)) throw ConfigError("thresholds", "must be positive");

  vectors::VectorSpec spec;
  spec.config = config.hf_keys;
  spec.layer_type = config.layer_type;
  spec.preset = config.preset;
  spec.dtype = dtype_from_name(dtype);
  spec.positions_spec = "given";
  const auto m = values(positions);
  spec.positions.assign(m.begin(), m.end());
  require_positions(m, 0);
  spec.heads = static_cast<int>(std::min<py::ssize_t>(x.shape(1), 1 << 30));
  spec.seq_len = seq_len;
  const auto out = values(y);
  // A kernel's NaN or infinity is a finding of the grade, not an input error.
  require_representable(out, spec.dtype, "y", true);
  const auto in = values(x);
  std::vector<double> outputs(out.begin(), out.end());

  std::string text, json;
  {
    py::gil_scoped_release unlocked;
    vectors::VectorSet set =
        vectors::vectors_from_inputs(spec, std::vector<double>(in.begin(), in.end()));
    // The caller's inputs were not drawn from a seed: the report's options.seed is null.
    set.metadata.erase("seed");
    const vectors::GradeBound chosen = bound == "exact"     ? vectors::GradeBound::exact()
                                       : bound == "max_ulp" ? vectors::GradeBound::ulps(max_ulp)
                                                            : vectors::pipeline_bound(set, bound);
    vectors::GradeAnalysisOptions options;
    if (!thresholds.empty()) options.thresholds = thresholds;
    options.behaves_like = behaves_like;
    // As `ropecheck grade` runs them (cli/grade_command.cpp).
    const vectors::GradeReport report = vectors::grade_outputs(set, outputs, chosen);
    const vectors::GradeAnalysis analysis = vectors::analyse_grade(set, outputs, options);
    text = vectors::format_grade_analysis(report, analysis);
    json = vectors::grade_analysis_json(report, analysis).dump();
  }
  return py::make_tuple(text, json);
}

}  // namespace ropecheck::python
