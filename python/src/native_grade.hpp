// `ropecheck grade` for arrays in memory: the golden-vector grading and its report
// (kernels/vectors/grading.hpp, grade_report.hpp) of a kernel's outputs y for inputs x.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "python/src/native_arrays.hpp"
#include "python/src/native_config.hpp"

namespace ropecheck::python {

// Grades y against the reference's outputs for x (both (tokens, heads, head_dim), values of
// `dtype`) at `positions` (tokens,). `bound` is "exact", "max_ulp" (then `max_ulp` is the
// number of ulps) or a pipeline name. Returns (report text, report JSON text).
py::tuple grade_outputs_json(const NativeConfig& config, const I64Array& positions,
                             const F64Array& x, const F64Array& y, const std::string& dtype,
                             const std::string& bound, std::uint64_t max_ulp,
                             const std::vector<double>& thresholds,
                             std::optional<std::int64_t> seq_len, bool behaves_like);

}  // namespace ropecheck::python
