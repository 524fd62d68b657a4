// The derived error bound of a precision pipeline (spec/precision.md, "Pipeline bounds"): how far
// an output component may lie from the exact RoPE value, derived stage by stage from the
// pipeline's description (impl/pipeline.hpp).
#pragma once

#include <cfloat>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/number_format.hpp"
#include "core/rope_config.hpp"
#include "impl/pipeline.hpp"

namespace ropecheck::properties {

// Unit roundoffs u = 2^-p of the formats the bounds are written in (the checks' own double and
// long double arithmetic included): kULongDouble as a double (2^-64 exactly) for bounds summed
// in double, kULongDoubleL for those summed in long double.
inline constexpr double kU64 = 0x1p-53;
inline constexpr double kULongDouble = 0x1p-64;
inline constexpr long double kULongDoubleL = LDBL_EPSILON / 2;

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

// Bound on |y_component - exact| for a subject claiming `pipeline`'s error model. Includes the
// error of the reference's own rounding to f64, so it can be compared with a correctly rounded
// f64 reference directly. Throws ConfigError("position") outside the pipeline's position domain
// (f16 positions past 65519, where its outputs are inf or NaN) and ConfigError("pipeline") for
// a description with a stage that has no bound (a polynomial cos/sin without range reduction).
double output_error_bound(const PipelineDescription& pipeline, const PairBoundInput& in);

// The same for the registered pipeline called `pipeline`; throws ConfigError("pipeline") naming
// the accepted names for any other name (never an infinite bound).
double output_error_bound(std::string_view pipeline, const PairBoundInput& in);

// A kernel handed correctly rounded cos/sin tables (spec/kernel-abi.md 6.3; ONNX Runtime's
// RotaryEmbedding, vLLM's cache): it computes no angle, so its error is the table's rounding and
// its rotation's (spec/precision.md, "Cos/sin-cache kernels").
struct CacheRotation {
  Precision table;     // the tables' format: each entry RN(a cos(m theta)) in it
  Precision rotation;  // the arithmetic of x_a c - x_b s (f32 for ONNX Runtime's f16 kernels)
};

// Bound on |y_component - exact| for such a kernel storing `in.storage` (required): the tables'
// rounding, the rotation's, the final rounding to storage when the rotation ran wider, and the
// reference's own rounding to f64.
double cache_output_error_bound(const CacheRotation& model, const PairBoundInput& in);

// The cos/sin-cache model named "cache:A" (A = f64, f32, bf16, f16: the rotation's arithmetic)
// for tables stored in `table`; nullopt for a name without the "cache:" prefix. Throws
// ConfigError("bound") for an unknown arithmetic.
std::optional<CacheRotation> cache_model_named(std::string_view name, Precision table);

// Whether `pipeline` names a registered pipeline or a valid "cache:A" model, i.e. an error model.
bool has_error_model(std::string_view pipeline);

// The largest |m| for which the registered pipeline's outputs are defined at all (f16
// positions: 65519; a cache model takes any position: 2^53 - 1); throws ConfigError("pipeline")
// for an unknown name.
std::int64_t position_domain(std::string_view pipeline);

}  // namespace ropecheck::properties
