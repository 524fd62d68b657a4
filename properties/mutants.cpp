#include "properties/mutants.hpp"

#include <Eigen/Core>
#include <cmath>
#include <functional>
#include <numbers>
#include <stdexcept>

#include "impl/forms.hpp"
#include "impl/frequencies.hpp"

namespace ropecheck::properties {
namespace {

// The Hugging Face float32 pipeline with hooks where each bug goes in. Everything not hooked
// is the correct f32 recipe (impl/implementation.cpp), so a mutant differs by its bug only.
struct Hooks {
  // Frequencies and attention factor used (default: the correct f32 ones).
  std::function<Frequencies<float>(const RopeConfig&, std::int64_t)> frequencies =
      [](const RopeConfig& c, std::int64_t seq_len) { return compute_frequencies<float>(c, seq_len); };
  std::function<float(std::int64_t)> position = [](std::int64_t m) { return static_cast<float>(m); };
  std::function<void(float, float&, float&)> trig = [](float angle, float& c, float& s) {
    c = std::cos(angle);
    s = std::sin(angle);
  };
  std::function<float(float)> store_trig = [](float v) { return v; };  // a cache's rounding
  std::function<RopeConfig(const RopeConfig&)> config = [](const RopeConfig& c) { return c; };
  std::function<std::int64_t(const RopeConfig&, std::int64_t)> seq_len =
      [](const RopeConfig&, std::int64_t s) { return s; };
  bool half_offset_from_head_dim = false;  // pairs (i, i + D/2) instead of (i, i + d/2)
};

class MutantRope final : public PreparedRope {
 public:
  MutantRope(const Hooks& hooks, const RopeConfig& config, std::int64_t seq_len)
      : hooks_(hooks), config_(hooks.config(config)) {
    freq_ = hooks.frequencies(config_, hooks.seq_len(config_, seq_len));
  }
  void apply(std::int64_t position, std::span<const double> x, std::span<double> y) const override {
    const int d = config_.rotary_dim;
    const auto a = static_cast<float>(freq_.attention_factor);
    std::vector<float> cos(static_cast<std::size_t>(d / 2)), sin(cos.size());
    const float p = hooks_.position(position);
    for (int i = 0; i < d / 2; ++i) {
      float c = 0, s = 0;
      hooks_.trig(p * freq_.theta[i], c, s);
      cos[i] = hooks_.store_trig(c * a);
      sin[i] = hooks_.store_trig(s * a);
    }
    std::vector<float> in(x.size()), out(x.size());
    for (std::size_t j = 0; j < x.size(); ++j) in[j] = static_cast<float>(x[j]);
    if (hooks_.half_offset_from_head_dim && config_.layout == Layout::half) {
      out = in;
      const int offset = config_.head_dim / 2;  // the bug: half of the head, not of d
      for (int i = 0; i < d / 2; ++i) {
        const int ca = i, cb = i + offset;
        out[ca] = in[ca] * cos[i] - in[cb] * sin[i];
        out[cb] = in[cb] * cos[i] + in[ca] * sin[i];
      }
    } else {
      rotate_elementwise<float, float>(config_.layout, d, cos, sin, in, out);
    }
    for (std::size_t j = 0; j < x.size(); ++j) y[j] = out[j];
  }
  double attention_factor() const override { return freq_.attention_factor; }

 private:
  Hooks hooks_;
  RopeConfig config_;
  Frequencies<float> freq_;
};

// The f64 pipeline whose positions pass through f32 (the f32-positions bug class).
class F64WithF32Positions final : public PreparedRope {
 public:
  F64WithF32Positions(const RopeConfig& config, std::int64_t seq_len)
      : config_(config), freq_(compute_frequencies<double>(config, seq_len)) {}
  void apply(std::int64_t position, std::span<const double> x, std::span<double> y) const override {
    const int d = config_.rotary_dim;
    const double p = static_cast<float>(position);  // the bug
    std::vector<double> cos(static_cast<std::size_t>(d / 2)), sin(cos.size());
    for (int i = 0; i < d / 2; ++i) {
      cos[i] = std::cos(p * freq_.theta[i]) * freq_.attention_factor;
      sin[i] = std::sin(p * freq_.theta[i]) * freq_.attention_factor;
    }
    rotate_elementwise<double, double>(config_.layout, d, cos, sin, x, y);
  }
  double attention_factor() const override { return freq_.attention_factor; }

 private:
  RopeConfig config_;
  Frequencies<double> freq_;
};

class Mutant final : public Subject {
 public:
  Mutant(MutantInfo info, Hooks hooks, std::string claims = "f32", Dtype dtype = Dtype::f32)
      : info_(std::move(info)), hooks_(std::move(hooks)), claims_(std::move(claims)), dtype_(dtype) {}
  std::string name() const override { return "mutant:" + info_.name; }
  Dtype dtype() const override { return dtype_; }
  std::string bound_model() const override { return claims_; }
  bool supports(const RopeConfig&) const override { return true; }
  std::unique_ptr<PreparedRope> prepare(const RopeConfig& config, std::int64_t seq_len) const override {
    if (claims_ == "f64") return std::make_unique<F64WithF32Positions>(config, seq_len);
    return std::make_unique<MutantRope>(hooks_, config, seq_len);
  }

 private:
  MutantInfo info_;
  Hooks hooks_;
  std::string claims_;
  Dtype dtype_;
};

// A Taylor sine/cosine accurate near 0 and used on the raw angle: no range reduction.
void unreduced_sincos(float x, float& c, float& s) {
  const float x2 = x * x;
  s = x * (1 - x2 / 6 * (1 - x2 / 20 * (1 - x2 / 42 * (1 - x2 / 72))));
  c = 1 - x2 / 2 * (1 - x2 / 12 * (1 - x2 / 30 * (1 - x2 / 56)));
}

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
  const int d = c.rotary_dim;
  const double context = static_cast<double>(c.original_context());
  auto corr = [&](double r) { return d * std::log(context / (r * 2 * std::numbers::pi)) / (2 * std::log(c.base)); };
  double low = corr(c.scaling.beta_fast), high = corr(c.scaling.beta_slow);
  if (c.scaling.truncate) {
    low = std::floor(low);
    high = std::ceil(high);
  }
  low = std::max(low, 0.0);
  high = std::min(high, d - 1.0);
  if (low == high) high += 0.001;
  const auto plain = default_frequencies<float>(c.base, d);
  for (std::size_t i = 0; i < plain.size(); ++i) {
    const float ramp = std::clamp(static_cast<float>((i + 1.0 - low) / (high - low)), 0.0f, 1.0f);
    f.theta[i] = plain[i] / static_cast<float>(c.scaling.factor) * ramp + plain[i] * (1 - ramp);
  }
  return f;
}

struct Entry {
  MutantInfo info;
  std::function<std::unique_ptr<Subject>(const MutantInfo&)> make;
};

std::unique_ptr<Subject> with_hooks(const MutantInfo& info, const std::function<void(Hooks&)>& edit) {
  Hooks hooks;
  edit(hooks);
  return std::make_unique<Mutant>(info, std::move(hooks));
}

const std::vector<Entry>& entries() {
  static const std::vector<Entry> list = {
      {{"wrong-layout", "pairs (2i, 2i+1) applied to a half-split checkpoint or the reverse (GPT-J vs GPT-NeoX rotary mix-ups)"},
       [](const MutantInfo& i) { return with_hooks(i, [](Hooks& h) { h.config = [](const RopeConfig& c) { RopeConfig o = c; o.layout = c.layout == Layout::half ? Layout::interleaved : Layout::half; return o; }; }); }},
      {{"bf16-inv-freq", "inv_freq buffer cast to bf16 with the model (HF #25681)"},
       [](const MutantInfo& i) { return with_hooks(i, [](Hooks& h) { h.frequencies = [](const RopeConfig& c, std::int64_t s) { auto f = compute_frequencies<float>(c, s); for (float& t : f.theta) t = static_cast<float>(Eigen::bfloat16(t)); return f; }; }); }},
      {{"f16-positions", "position ids held in f16 (Megatron-LM #535)"},
       [](const MutantInfo& i) { return with_hooks(i, [](Hooks& h) { h.position = [](std::int64_t m) { return static_cast<float>(Eigen::half(static_cast<float>(m))); }; }); }},
      {{"f32-positions", "an f64 pipeline whose positions pass through f32 (inexact above 2^24)"},
       [](const MutantInfo& i) { return std::make_unique<Mutant>(i, Hooks{}, "f64", Dtype::f64); }},
      {{"bf16-cos-sin-cache", "cos/sin cache stored in bf16 while claiming f32 accuracy (vLLM cache-dtype class)"},
       [](const MutantInfo& i) { return with_hooks(i, [](Hooks& h) { h.store_trig = [](float v) { return static_cast<float>(Eigen::bfloat16(v)); }; }); }},
      {{"fast-sin-no-range-reduction", "a polynomial sin/cos valid near 0 applied to the raw angle (fast-math without range reduction)"},
       [](const MutantInfo& i) { return with_hooks(i, [](Hooks& h) { h.trig = unreduced_sincos; }); }},
      {{"rotation-direction-flipped", "sin with the wrong sign: rotates by -m theta (rotate_half sign bugs)"},
       [](const MutantInfo& i) { return with_hooks(i, [](Hooks& h) { h.trig = [](float a, float& c, float& s) { c = std::cos(a); s = -std::sin(a); }; }); }},
      {{"llama3-smoothing-reversed", "Llama 3 medium band blended with swapped weights"},
       [](const MutantInfo& i) { return with_hooks(i, [](Hooks& h) { h.frequencies = llama3_reversed; }); }},
      {{"yarn-ramp-off-by-one", "YaRN ramp evaluated at pair i + 1"},
       [](const MutantInfo& i) { return with_hooks(i, [](Hooks& h) { h.frequencies = yarn_off_by_one; }); }},
      {{"missing-attention-factor", "YaRN/LongRoPE attention factor not applied to cos and sin"},
       [](const MutantInfo& i) { return with_hooks(i, [](Hooks& h) { h.frequencies = [](const RopeConfig& c, std::int64_t s) { auto f = compute_frequencies<float>(c, s); f.attention_factor = 1.0; return f; }; }); }},
      {{"longrope-switch-at-l0", "LongRoPE long factors from seq_len >= L0 instead of > L0 (old vLLM off-by-one class)"},
       [](const MutantInfo& i) { return with_hooks(i, [](Hooks& h) { h.seq_len = [](const RopeConfig& c, std::int64_t s) { return c.scaling.type == RopeType::longrope && s == c.original_context() ? s + 1 : s; }; }); }},
      {{"dynamic-ntk-frozen", "dynamic NTK base never updated past max_position_embeddings"},
       [](const MutantInfo& i) { return with_hooks(i, [](Hooks& h) { h.seq_len = [](const RopeConfig& c, std::int64_t s) { return c.scaling.type == RopeType::dynamic ? std::min<std::int64_t>(s, c.max_position_embeddings.value_or(s)) : s; }; }); }},
      {{"partial-rotary-half-offset", "half-split partner at i + head_dim/2 instead of i + rotary_dim/2 (partial rotary bugs)"},
       [](const MutantInfo& i) { return with_hooks(i, [](Hooks& h) { h.half_offset_from_head_dim = true; }); }},
      {{"partial-rotary-exponent-over-head-dim", "theta_i = base^(-2i/head_dim) for a partial rotary dim"},
       [](const MutantInfo& i) { return with_hooks(i, [](Hooks& h) { h.frequencies = [](const RopeConfig& c, std::int64_t s) { auto f = compute_frequencies<float>(c, s); if (c.scaling.type == RopeType::standard && c.rotary_dim < c.head_dim) { const auto g = default_frequencies<float>(c.base, c.head_dim); for (std::size_t k = 0; k < f.theta.size(); ++k) f.theta[k] = g[k]; } return f; }; }); }},
  };
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
    if (e.info.name == name) return e.make(e.info);
  throw std::invalid_argument("unknown mutant " + name);
}

}  // namespace ropecheck::properties
