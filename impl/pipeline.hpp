// A precision pipeline as data: the format each quantity is computed and held in, stage by stage
// (spec/rope.md, "Precision pipelines"). The implementation (impl/prepared_pipeline.cpp) and the
// error bound (properties/error_model.cpp) are both derived from one description, each by an
// exhaustive switch over the stage enums below, so a new stage cannot be given one without the
// other (-Werror=switch).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "core/number_format.hpp"
#include "core/rope_config.hpp"
#include "impl/form.hpp"
#include "impl/frequencies.hpp"

namespace ropecheck {

// A binary format a stage holds a value in: the storage formats plus TF32 (the 10-bit mantissa
// tensor cores round matmul inputs to) and x86's 64-bit-significand long double.
enum class Precision { long_double, f64, f32, tf32, bf16, f16 };

// The significand bits p of a precision (its unit roundoff is 2^-p).
constexpr int precision_bits(Precision p) {
  switch (p) {
    case Precision::long_double: return 64;
    case Precision::f64: return 53;
    case Precision::f32: return 24;
    case Precision::tf32: return 11;
    case Precision::bf16: return 8;
    case Precision::f16: return 11;
  }
  return 0;
}

// The smallest normal exponent of a precision (TF32 and bf16 keep f32's exponent range).
constexpr int precision_emin(Precision p) {
  switch (p) {
    case Precision::long_double: return -16382;
    case Precision::f64: return -1022;
    case Precision::f32:
    case Precision::tf32:
    case Precision::bf16: return -126;
    case Precision::f16: return -14;
  }
  return 0;
}

// "ld", "f64", "f32", "tf32", "bf16", "f16".
constexpr std::string_view precision_name(Precision p) {
  switch (p) {
    case Precision::long_double: return "ld";
    case Precision::f64: return "f64";
    case Precision::f32: return "f32";
    case Precision::tf32: return "tf32";
    case Precision::bf16: return "bf16";
    case Precision::f16: return "f16";
  }
  return "";
}

// The precision of a storage format.
constexpr Precision storage_precision(Dtype d) {
  switch (d) {
    case Dtype::f64: return Precision::f64;
    case Dtype::f32: return Precision::f32;
    case Dtype::bf16: return Precision::bf16;
    case Dtype::f16: return Precision::f16;
  }
  return Precision::f64;
}

// How theta_i is computed.
enum class ThetaMethod {
  pow,         // Hugging Face: 1 / base^(2i/d) with the variant's scaling, in theta_type
  recurrence,  // ggml: the position times a running product theta *= base^(-2/d), the variant as
               // an f32 ratio to the unscaled theta (the recurrence forms the angle itself)
};

// How the angle phi = m theta is formed and reduced.
enum class AngleMethod {
  product,              // fl(position * theta) in trig_type, not reduced
  reduced_long_double,  // m theta in long double, remainder by 2 pi, then rounded to trig_type
};

// How cos and sin are evaluated at the angle.
enum class TrigMethod {
  libm,        // cos/sin (or cosf/sinf) of trig_type: correctly reduced, <= 1 ulp
  fast_turns,  // GPU __sinf/__cosf model: reduced by one f32 multiply with fl(1/2pi)
  unreduced_polynomial,  // a Taylor polynomial on the raw angle: a bug class, with no bound
};

// How the rotation's two products and sum are rounded.
enum class Contraction {
  separate,  // x_a c rounded, x_b s rounded, their sum rounded (the build's -ffp-contract=off)
  fma,       // fma(x_a, c, -(x_b s)): what CUDA and clang contract a * b + c * d into by default
};

// One precision pipeline, stage by stage.
struct PipelineDescription {
  std::string_view name;         // e.g. "bf16-hf"
  Dtype dtype;                   // storage of q/k inputs and outputs
  ThetaMethod theta;             // how theta_i is computed
  Precision theta_type;          // ... and in which precision
  Precision theta_held;          // the buffer theta is held in (a rounding when != theta_type)
  Precision position;            // the position is converted to (through f32 when narrower)
  AngleMethod angle;             // how m theta is formed and reduced
  Precision trig_type;           // the angle, cos/sin and their product by a (f64 or f32)
  TrigMethod trig;               // how cos and sin are evaluated
  Precision table;               // cos/sin stored in (a rounding when != trig_type)
  Precision rotation;            // the rotation's arithmetic (f64, f32 or bf16)
  Contraction contraction;       // ... and whether its multiply-adds are fused
  std::string_view arithmetic;   // precision_name(rotation), for listings
  std::string_view summary;      // one line: what real stack it models
};

// Every registered pipeline, in listing order.
const std::vector<PipelineDescription>& all_pipelines();

// The registered pipeline called `name`; throws ConfigError("pipeline") naming the accepted ones.
const PipelineDescription& find_pipeline(std::string_view name);

// Whether `form` can run `pipeline`: the complex form needs std::complex of the rotation type
// and no fused multiply-adds, the matrix form no fused multiply-adds.
bool form_supports(Form form, const PipelineDescription& pipeline);

// Throws std::logic_error if the stages do not combine into something prepare_pipeline can run
// (e.g. a long double angle whose theta is not computed in long double).
void validate_pipeline(const PipelineDescription& pipeline);

// The largest |m| whose conversion to the pipeline's position format is finite: f16 positions
// stop at 65519 (65520 rounds to inf); otherwise 2^53 - 1.
std::int64_t position_domain(const PipelineDescription& pipeline);

// A replacement for the Hugging Face frequency formula of a pipeline whose theta is computed
// in f32: only the mutant catalogue passes one (a wrong Llama 3 blend, a YaRN off-by-one).
using ThetaFormulaF32 = std::function<Frequencies<float>(const RopeConfig&, std::int64_t)>;

class PreparedRope;

// Prepares `pipeline` in `form` for a configuration and sequence length (throws
// std::logic_error when the form cannot run it). `formula`, when set, replaces the theta formula.
std::unique_ptr<PreparedRope> prepare_pipeline(const PipelineDescription& pipeline, Form form,
                                               const RopeConfig& config, std::int64_t seq_len,
                                               const ThetaFormulaF32& formula = {});

}  // namespace ropecheck
