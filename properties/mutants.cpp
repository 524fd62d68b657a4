#include "properties/mutants.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>
#include <stdexcept>

#include "impl/frequencies.hpp"
#include "impl/pipeline.hpp"

namespace ropecheck::properties {
namespace {

// A mutant is a real pipeline description with one stage changed, run in the elementwise form,
// claiming the bound of the pipeline it breaks. Bugs that are not a precision stage (a wrong
// frequency formula, sequence length, layout, pairing or sign) are one edit of the inputs,
// the theta formula or the outputs around that same real pipeline.
struct Mutation {
  std::string claims = "f32";  // the registered pipeline it starts from and whose bound it claims
  std::function<void(PipelineDescription&)> stage;  // a precision stage changed
  ThetaFormulaF32 formula;                           // the f32 theta formula replaced
  std::function<RopeConfig(const RopeConfig&)> config;
  std::function<std::int64_t(const RopeConfig&, std::int64_t)> seq_len;
  bool half_offset_from_head_dim = false;  // pairs (i, i + D/2) instead of (i, i + d/2)
  bool rotation_flipped = false;           // rotates by -m theta
};

class MutantRope final : public PreparedRope {
 public:
  MutantRope(std::unique_ptr<PreparedRope> real, const Mutation& mutation, const RopeConfig& config)
      : real_(std::move(real)),
        half_offset_(mutation.half_offset_from_head_dim),
        flipped_(mutation.rotation_flipped),
        config_(config) {}

  void apply(std::int64_t position, std::span<const double> x, std::span<double> y) const override {
    std::vector<double> in(x.begin(), x.end()), out(y.size());
    const std::vector<std::size_t> perm = permutation();
    // Both edits are exact (a permutation, a negation), so the mutant rounds as the real
    // pipeline does and differs by its bug alone.
    for (std::size_t j = 0; j < in.size(); ++j) in[j] = x[perm[j]];
    if (flipped_) negate_partners(in);
    real_->apply(position, in, out);
    if (flipped_) negate_partners(out);
    for (std::size_t j = 0; j < out.size(); ++j) y[perm[j]] = out[j];
  }
  double attention_factor() const override { return real_->attention_factor(); }

 private:
  // R(-phi) (x_a, x_b) = S R(phi) S (x_a, x_b) with S = diag(1, -1) on every pair.
  void negate_partners(std::vector<double>& v) const {
    for (int i = 0; i < config_.pairs(); ++i)
      v[static_cast<std::size_t>(pair_channels(config_.layout, config_.rotary_dim, i).b)] *= -1;
  }

  // Where the real pipeline reads each channel from: the identity, or for the half-offset bug a
  // permutation that brings channel i + D/2 to the partner slot i + d/2 (the displaced channels
  // go to the pass-through slots, in order).
  std::vector<std::size_t> permutation() const {
    const auto n = static_cast<std::size_t>(config_.head_dim);
    std::vector<std::size_t> perm(n);
    for (std::size_t j = 0; j < n; ++j) perm[j] = j;
    if (!half_offset_ || config_.layout != Layout::half) return perm;
    const auto half_d = static_cast<std::size_t>(config_.rotary_dim / 2);
    std::vector<bool> used(n, false);
    for (std::size_t i = 0; i < half_d; ++i) {
      perm[i] = i;
      perm[half_d + i] = n / 2 + i;
      used[i] = used[n / 2 + i] = true;
    }
    std::size_t next = 0;
    for (std::size_t j = 2 * half_d; j < n; ++j) {
      while (used[next]) ++next;
      perm[j] = next;
      used[next] = true;
    }
    return perm;
  }

  std::unique_ptr<PreparedRope> real_;
  bool half_offset_;
  bool flipped_;
  RopeConfig config_;
};

class Mutant final : public Subject {
 public:
  Mutant(MutantInfo info, Mutation mutation)
      : info_(std::move(info)),
        mutation_(std::move(mutation)),
        description_(find_pipeline(mutation_.claims)) {
    if (mutation_.stage) mutation_.stage(description_);
  }
  std::string name() const override { return "mutant:" + info_.name; }
  Dtype dtype() const override { return description_.dtype; }
  std::string bound_model() const override { return mutation_.claims; }
  bool supports(const RopeConfig&) const override { return true; }
  std::unique_ptr<PreparedRope> prepare(const RopeConfig& config, std::int64_t seq_len) const override {
    const RopeConfig used = mutation_.config ? mutation_.config(config) : config;
    const std::int64_t length = mutation_.seq_len ? mutation_.seq_len(used, seq_len) : seq_len;
    return std::make_unique<MutantRope>(
        prepare_pipeline(description_, Form::elementwise, used, length, mutation_.formula),
        mutation_, used);
  }

 private:
  MutantInfo info_;
  Mutation mutation_;
  PipelineDescription description_;
};

// Llama 3 with the blend weights swapped: (smooth) theta/s + (1 - smooth) theta.
Frequencies<float> llama3_reversed(const RopeConfig& c, std::int64_t seq_len) {
  Frequencies<float> f = compute_frequencies<float>(c, seq_len);
  if (c.scaling.type != RopeType::llama3) return f;
  const auto plain = default_frequencies<float>(c.base, c.rotary_dim);
  const float context = static_cast<float>(c.original_context());
  const float lo = static_cast<float>(c.scaling.low_freq_factor), hi = static_cast<float>(c.scaling.high_freq_factor);
  const float s = static_cast<float>(c.scaling.factor);
  for (std::size_t i = 0; i < plain.size(); ++i) {
    const float wavelen = 2 * std::numbers::pi_v<float> / plain[i];
    if (wavelen < context / hi || wavelen > context / lo) continue;
    const float smooth = (context / wavelen - lo) / (hi - lo);
    f.theta[i] = smooth * plain[i] / s + (1 - smooth) * plain[i];
  }
  return f;
}

// YaRN with the ramp evaluated at i + 1 (an off-by-one in the pair index).
Frequencies<float> yarn_off_by_one(const RopeConfig& c, std::int64_t seq_len) {
  Frequencies<float> f = compute_frequencies<float>(c, seq_len);
  if (c.scaling.type != RopeType::yarn) return f;
  const YarnRamp ramp = yarn_ramp(c);
  const auto plain = default_frequencies<float>(c.base, c.rotary_dim);
  for (std::size_t i = 0; i < plain.size(); ++i) {
    const float w = std::clamp(static_cast<float>((i + 1.0 - ramp.low) / (ramp.high - ramp.low)), 0.0f, 1.0f);
    f.theta[i] = plain[i] / static_cast<float>(c.scaling.factor) * w + plain[i] * (1 - w);
  }
  return f;
}

struct Entry {
  MutantInfo info;
  Mutation mutation;
};

Mutation stage(std::function<void(PipelineDescription&)> edit, std::string claims = "f32") {
  Mutation m;
  m.claims = std::move(claims);
  m.stage = std::move(edit);
  return m;
}

Mutation formula(ThetaFormulaF32 f) {
  Mutation m;
  m.formula = std::move(f);
  return m;
}

const std::vector<Entry>& entries() {
  static const std::vector<Entry> list = [] {
    std::vector<Entry> out;
    Mutation wrong_layout;
    wrong_layout.config = [](const RopeConfig& c) {
      RopeConfig o = c;
      o.layout = c.layout == Layout::half ? Layout::interleaved : Layout::half;
      return o;
    };
    out.push_back({{"wrong-layout", "pairs (2i, 2i+1) applied to a half-split checkpoint or the reverse (GPT-J vs GPT-NeoX rotary mix-ups)"}, wrong_layout});
    out.push_back({{"bf16-inv-freq", "inv_freq buffer cast to bf16 with the model (HF #25681)"},
                   stage([](PipelineDescription& p) { p.theta_held = Precision::bf16; })});
    out.push_back({{"f16-positions", "position ids held in f16 (Megatron-LM #535)"},
                   stage([](PipelineDescription& p) { p.position = Precision::f16; })});
    out.push_back({{"f32-positions", "an f64 pipeline whose positions pass through f32 (inexact above 2^24)"},
                   stage([](PipelineDescription& p) { p.position = Precision::f32; }, "f64")});
    out.push_back({{"bf16-cos-sin-cache", "cos/sin cache stored in bf16 while claiming f32 accuracy (vLLM cache-dtype class)"},
                   stage([](PipelineDescription& p) { p.table = Precision::bf16; })});
    out.push_back({{"fast-sin-no-range-reduction", "a polynomial sin/cos valid near 0 applied to the raw angle (fast-math without range reduction)"},
                   stage([](PipelineDescription& p) { p.trig = TrigMethod::unreduced_polynomial; })});
    out.push_back({{"tf32-angle-claims-f32", "inv_freq @ position_ids run with TF32 inputs while claiming f32 accuracy (transformers #48428, TensorRT-LLM #19532)"},
                   stage([](PipelineDescription& p) { p.theta_held = p.position = Precision::tf32; })});
    Mutation flipped;
    flipped.rotation_flipped = true;
    out.push_back({{"rotation-direction-flipped", "sin with the wrong sign: rotates by -m theta (rotate_half sign bugs)"}, flipped});
    out.push_back({{"llama3-smoothing-reversed", "Llama 3 medium band blended with swapped weights"}, formula(llama3_reversed)});
    out.push_back({{"yarn-ramp-off-by-one", "YaRN ramp evaluated at pair i + 1"}, formula(yarn_off_by_one)});
    out.push_back({{"missing-attention-factor", "YaRN/LongRoPE attention factor not applied to cos and sin"},
                   formula([](const RopeConfig& c, std::int64_t s) { auto f = compute_frequencies<float>(c, s); f.attention_factor = 1.0; return f; })});
    Mutation longrope;
    longrope.seq_len = [](const RopeConfig& c, std::int64_t s) { return c.scaling.type == RopeType::longrope && s == c.original_context() ? s + 1 : s; };
    out.push_back({{"longrope-switch-at-l0", "LongRoPE long factors from seq_len >= L0 instead of > L0 (old vLLM off-by-one class)"}, longrope});
    Mutation frozen;
    frozen.seq_len = [](const RopeConfig& c, std::int64_t s) { return c.scaling.type == RopeType::dynamic ? std::min<std::int64_t>(s, c.max_position_embeddings.value_or(s)) : s; };
    out.push_back({{"dynamic-ntk-frozen", "dynamic NTK base never updated past max_position_embeddings"}, frozen});
    Mutation half_offset;
    half_offset.half_offset_from_head_dim = true;
    out.push_back({{"partial-rotary-half-offset", "half-split partner at i + head_dim/2 instead of i + rotary_dim/2 (partial rotary bugs)"}, half_offset});
    out.push_back({{"partial-rotary-exponent-over-head-dim", "theta_i = base^(-2i/head_dim) for a partial rotary dim"},
                   formula([](const RopeConfig& c, std::int64_t s) { auto f = compute_frequencies<float>(c, s); if (c.scaling.type == RopeType::standard && c.rotary_dim < c.head_dim) { const auto g = default_frequencies<float>(c.base, c.head_dim); for (std::size_t k = 0; k < f.theta.size(); ++k) f.theta[k] = g[k]; } return f; })});
    return out;
  }();
  return list;
}

}  // namespace

const std::vector<MutantInfo>& mutant_catalogue() {
  static const std::vector<MutantInfo> infos = [] {
    std::vector<MutantInfo> out;
    for (const Entry& e : entries()) out.push_back(e.info);
    return out;
  }();
  return infos;
}

std::unique_ptr<Subject> make_mutant(const std::string& name) {
  for (const Entry& e : entries())
    if (e.info.name == name) return std::make_unique<Mutant>(e.info, e.mutation);
  throw std::invalid_argument("unknown mutant " + name);
}

}  // namespace ropecheck::properties
