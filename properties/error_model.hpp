// The derived error bound of each precision pipeline (spec/precision.md, "Pipeline bounds"):
// how far an output component may lie from the exact RoPE value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <optional>

#include "core/number_format.hpp"
#include "core/rope_config.hpp"

namespace ropecheck::properties {

// What the bound of one rotated pair depends on.
struct PairBoundInput {
  const RopeConfig* config = nullptr;
  std::int64_t seq_len = 1;   // for dynamic NTK (its base grows with the length)
  int pair = 0;               // i
  double theta = 0;           // exact theta_i (correctly rounded to double)
  double attention = 1;       // exact attention factor a
  std::int64_t position = 0;  // m
  double input_sum = 0;       // |x_a| + |x_b|
  double output_abs = 0;      // |y| of the component, or a bound on it (a * hypot(x_a, x_b))
  // The subject's storage format. When it is coarser than the pipeline's own (an f16 kernel
  // claiming the f32 pipeline), the final rounding to it is added to the bound.
  std::optional<Dtype> storage;
};

// Bound on |y_component - exact| for a subject claiming `pipeline`'s error model; +inf outside
// the pipeline's domain (f16 positions past 65519). Includes the error of the reference's own
// rounding to f64, so it can be compared with a correctly rounded f64 reference directly.
double output_error_bound(std::string_view pipeline, const PairBoundInput& in);

// Whether `pipeline` names an error model (the registry's pipeline names).
bool has_error_model(std::string_view pipeline);

// The largest |m| for which the pipeline's outputs are defined at all (f16 positions: 65519).
std::int64_t position_domain(std::string_view pipeline);

}  // namespace ropecheck::properties
