// `ropecheck grade --bound PIPELINE`: a registry pipeline's derived error bound
// (properties/error_model.hpp, spec/precision.md) as the bound each output must meet.
#pragma once

#include <string>

#include "kernels/vectors/grading.hpp"

namespace ropecheck::vectors {

// The bound of `pipeline` for the outputs of `set`: rotated channels within the pipeline's bound
// on |y - exact| (plus half an ulp, for expected's own rounding), pass-through channels equal
// to their input. "cache:A" is instead a kernel handed the set's correctly rounded cos/sin tables
// (in its dtype) that rotates in arithmetic A (f64, f32, bf16, f16): its bound is the tables' and
// the rotation's rounding alone (properties::cache_output_error_bound). Throws
// ConfigError("--bound") for a name that is not a registry pipeline with an error model or a
// cache model, or a pipeline that stores another dtype than the set.
GradeBound pipeline_bound(const VectorSet& set, const std::string& pipeline);

// "exact, " and the pipelines whose bound applies to vectors of `dtype`, for messages.
std::string accepted_bounds(Dtype dtype);

}  // namespace ropecheck::vectors
