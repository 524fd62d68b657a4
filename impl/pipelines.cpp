// The registered precision pipelines (spec/rope.md, "Precision pipelines"): one description each.
// Adding a pipeline is adding an entry here; its implementation and its error bound follow.
#include <fmt/format.h>

#include "core/config_error.hpp"
#include "impl/pipeline.hpp"

namespace ropecheck {
namespace {

using P = Precision;

// The Hugging Face float32 recipe every f32 pipeline below departs from in one stage: theta by
// powf and held in f32, the position cast to f32, an f32 product, cosf/sinf, the rotation in f32.
constexpr PipelineDescription kHfF32{
    "f32",         Dtype::f32,  ThetaMethod::pow, P::f32, P::f32, P::f32, AngleMethod::product,
    P::f32,        TrigMethod::libm, P::f32, P::f32, Contraction::separate, "f32",
    "Hugging Face float32: powf theta, f32 position, f32 angle, cosf/sinf"};

// kHfF32 with a new name and summary, for the pipelines that change one or two of its stages.
constexpr PipelineDescription variant_of_f32(std::string_view name, std::string_view summary) {
  PipelineDescription p = kHfF32;
  p.name = name;
  p.summary = summary;
  return p;
}

std::vector<PipelineDescription> make_pipelines() {
  std::vector<PipelineDescription> out;

  PipelineDescription f64 = kHfF32;
  f64.name = "f64";
  f64.dtype = Dtype::f64;
  f64.theta_type = f64.theta_held = f64.position = f64.trig_type = f64.table = f64.rotation =
      P::f64;
  f64.arithmetic = "f64";
  f64.summary = "double throughout: pow theta, double angle, libm cos/sin";
  out.push_back(f64);

  out.push_back(kHfF32);

  // The known fix for f32 angle loss: form and reduce the angle in long double.
  PipelineDescription exact_angle = variant_of_f32(
      "f32-exact-angle",
      "angle formed and reduced to [-pi, pi] in long double, then cosf/sinf and f32 rotation");
  exact_angle.theta_type = exact_angle.theta_held = exact_angle.position = P::long_double;
  exact_angle.angle = AngleMethod::reduced_long_double;
  out.push_back(exact_angle);

  // HF computes the angle with autocast disabled, casts cos and sin to the model dtype, and the
  // rotation then runs in that dtype's arithmetic.
  PipelineDescription bf16_hf = variant_of_f32(
      "bf16-hf", "cos/sin in f32 then cast to bf16; rotation in bf16 arithmetic (HF bf16 model)");
  bf16_hf.dtype = Dtype::bf16;
  bf16_hf.table = bf16_hf.rotation = P::bf16;
  bf16_hf.arithmetic = "bf16";
  out.push_back(bf16_hf);

  // vLLM style: the cos/sin table is built in f32, stored in bf16, read back into f32 arithmetic.
  PipelineDescription bf16_cache = variant_of_f32(
      "bf16-cache", "f32 cos/sin table stored in bf16 (vLLM style); rotation in f32; bf16 output");
  bf16_cache.dtype = Dtype::bf16;
  bf16_cache.table = P::bf16;
  out.push_back(bf16_cache);

  // HF #25681 class: the inv_freq buffer follows model.to(bfloat16) and loses 16 bits.
  PipelineDescription invfreq =
      variant_of_f32("bf16-invfreq", "f32 pipeline with inv_freq held in bf16 (HF #25681)");
  invfreq.theta_held = P::bf16;
  out.push_back(invfreq);

  PipelineDescription f16_positions = variant_of_f32(
      "f16-positions", "f32 pipeline with positions held in f16 (Megatron-LM #535): inf from 65520");
  f16_positions.position = P::f16;
  out.push_back(f16_positions);

  PipelineDescription ggml = variant_of_f32(
      "ggml-f32",
      "llama.cpp CPU: f32 position times the running product theta *= base^(-2/d), cosf/sinf");
  ggml.theta = ThetaMethod::recurrence;
  out.push_back(ggml);

  PipelineDescription fastmath = variant_of_f32(
      "fastmath-f32",
      "f32 angle; sin/cos reduced by one f32 multiply with 1/2pi (GPU __sinf/__cosf model)");
  fastmath.trig = TrigMethod::fast_turns;
  out.push_back(fastmath);

  // Hugging Face's inv_freq @ position_ids is a matmul: with TF32 allowed, tensor cores round
  // both inputs to 10 mantissa bits (transformers #48428, TensorRT-LLM #19532), so positions
  // above 2048 are rounded and theta loses 13 bits; the 22-bit product is exact in f32.
  PipelineDescription tf32 = variant_of_f32(
      "tf32-angle", "f32 pipeline whose inv_freq @ position_ids matmul rounds both inputs to TF32");
  tf32.theta_held = tf32.position = P::tf32;
  out.push_back(tf32);

  PipelineDescription fma = variant_of_f32(
      "f32-fma", "f32 pipeline with the rotation's multiply-adds fused (CUDA's default contraction)");
  fma.contraction = Contraction::fma;
  out.push_back(fma);

  for (const PipelineDescription& p : out) validate_pipeline(p);
  return out;
}

}  // namespace

const std::vector<PipelineDescription>& all_pipelines() {
  static const std::vector<PipelineDescription> pipelines = make_pipelines();
  return pipelines;
}

const PipelineDescription& find_pipeline(std::string_view name) {
  for (const PipelineDescription& p : all_pipelines())
    if (p.name == name) return p;
  std::string names;
  for (const PipelineDescription& p : all_pipelines())
    names += (names.empty() ? "" : ", ") + std::string(p.name);
  throw ConfigError("pipeline", fmt::format("unknown pipeline \"{}\"; accepted: {}", name, names));
}

}  // namespace ropecheck
