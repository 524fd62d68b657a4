// The pipelines of brief §4 and the registry that pairs them with the three forms.
#include "impl/implementation.hpp"

#include <Eigen/Core>
#include <cmath>
#include <fmt/format.h>
#include <functional>

#include "core/config_error.hpp"
#include "impl/fast_trig.hpp"
#include "impl/forms.hpp"
#include "impl/frequencies.hpp"

namespace ropecheck {
namespace {

using bf16 = Eigen::bfloat16;
using f16 = Eigen::half;

// Fills per-pair cos and sin (attention factor applied) for a position, in arithmetic type A.
template <class A>
using TrigFn = std::function<void(std::int64_t, std::span<A>, std::span<A>)>;

template <class S, class A>
class PreparedPipeline final : public PreparedRope {
 public:
  PreparedPipeline(Form form, const RopeConfig& config, double attention, TrigFn<A> trig)
      : form_(form), config_(config), attention_(attention), trig_(std::move(trig)) {}

  void apply(std::int64_t position, std::span<const double> x,
             std::span<double> y) const override {
    const auto pairs = static_cast<std::size_t>(config_.pairs());
    const auto n = static_cast<std::size_t>(config_.head_dim);
    std::vector<A> cos(pairs), sin(pairs);
    std::vector<S> in(n), out(n);
    trig_(position, cos, sin);
    for (std::size_t j = 0; j < n; ++j) in[j] = static_cast<S>(x[j]);
    rotate<S, A>(form_, config_.layout, config_.rotary_dim, cos, sin, in, out);
    for (std::size_t j = 0; j < n; ++j) y[j] = static_cast<double>(out[j]);
  }
  double attention_factor() const override { return attention_; }

 private:
  Form form_;
  RopeConfig config_;
  double attention_;
  TrigFn<A> trig_;
};

// The Hugging Face float32 recipe: theta in f32 (powf), position cast to f32, f32 product,
// cosf/sinf, times the attention factor in f32. `theta` may have been altered by the caller.
TrigFn<float> hf_f32_trig(std::vector<float> theta, float attention,
                          float (*position_cast)(std::int64_t)) {
  return [theta = std::move(theta), attention, position_cast](std::int64_t m, std::span<float> c,
                                                              std::span<float> s) {
    const float position = position_cast(m);
    for (std::size_t i = 0; i < theta.size(); ++i) {
      const float angle = position * theta[i];
      c[i] = std::cos(angle) * attention;
      s[i] = std::sin(angle) * attention;
    }
  };
}

float position_as_f32(std::int64_t m) { return static_cast<float>(m); }
// Positions held in f16 (Megatron-LM #535 class): exact to 2048, coarse above, 65505..65519
// round to 65504 and 65520 on become inf.
float position_as_f16(std::int64_t m) {
  return static_cast<float>(static_cast<f16>(static_cast<float>(m)));
}

// Rounds every value of a trig function's output through bf16 (a table stored in bf16).
template <class A>
TrigFn<A> through_bf16(TrigFn<float> trig) {
  return [trig = std::move(trig)](std::int64_t m, std::span<A> c, std::span<A> s) {
    std::vector<float> cf(c.size()), sf(s.size());
    trig(m, cf, sf);
    for (std::size_t i = 0; i < c.size(); ++i) {
      c[i] = static_cast<A>(static_cast<bf16>(cf[i]));
      s[i] = static_cast<A>(static_cast<bf16>(sf[i]));
    }
  };
}

using Factory = std::function<std::unique_ptr<PreparedRope>(Form, const RopeConfig&, std::int64_t)>;

template <class S, class A>
std::unique_ptr<PreparedRope> make(Form form, const RopeConfig& config, double attention,
                                   TrigFn<A> trig) {
  return std::make_unique<PreparedPipeline<S, A>>(form, config, attention, std::move(trig));
}

std::unique_ptr<PreparedRope> make_f64(Form form, const RopeConfig& config, std::int64_t seq_len) {
  auto freq = compute_frequencies<double>(config, seq_len);
  const double a = freq.attention_factor;
  return make<double, double>(
      form, config, a,
      [theta = std::move(freq.theta), a](std::int64_t m, std::span<double> c,
                                         std::span<double> s) {
        for (std::size_t i = 0; i < theta.size(); ++i) {
          const double angle = static_cast<double>(m) * theta[i];
          c[i] = std::cos(angle) * a;
          s[i] = std::sin(angle) * a;
        }
      });
}

std::unique_ptr<PreparedRope> make_f32(Form form, const RopeConfig& config, std::int64_t seq_len) {
  auto freq = compute_frequencies<float>(config, seq_len);
  const auto a = static_cast<float>(freq.attention_factor);
  return make<float, float>(form, config, freq.attention_factor,
                            hf_f32_trig(std::move(freq.theta), a, position_as_f32));
}

std::unique_ptr<PreparedRope> make_f32_exact_angle(Form form, const RopeConfig& config,
                                                   std::int64_t seq_len) {
  auto freq = compute_frequencies<long double>(config, seq_len);
  const auto a = static_cast<float>(freq.attention_factor);
  return make<float, float>(
      form, config, freq.attention_factor,
      [theta = std::move(freq.theta), a](std::int64_t m, std::span<float> c, std::span<float> s) {
        for (std::size_t i = 0; i < theta.size(); ++i) {
          const float angle = reduced_angle_f32(static_cast<long double>(m), theta[i]);
          c[i] = std::cos(angle) * a;
          s[i] = std::sin(angle) * a;
        }
      });
}

std::unique_ptr<PreparedRope> make_bf16_hf(Form form, const RopeConfig& config,
                                           std::int64_t seq_len) {
  auto freq = compute_frequencies<float>(config, seq_len);
  const auto a = static_cast<float>(freq.attention_factor);
  // HF computes the angle with autocast disabled, casts cos and sin to the model dtype, and the
  // rotation then runs in that dtype's arithmetic.
  return make<bf16, bf16>(form, config, freq.attention_factor,
                          through_bf16<bf16>(hf_f32_trig(std::move(freq.theta), a, position_as_f32)));
}

std::unique_ptr<PreparedRope> make_bf16_cache(Form form, const RopeConfig& config,
                                              std::int64_t seq_len) {
  auto freq = compute_frequencies<float>(config, seq_len);
  const auto a = static_cast<float>(freq.attention_factor);
  // vLLM style: the cos/sin table is built in f32, stored in bf16, read back into f32 arithmetic.
  return make<bf16, float>(
      form, config, freq.attention_factor,
      through_bf16<float>(hf_f32_trig(std::move(freq.theta), a, position_as_f32)));
}

std::unique_ptr<PreparedRope> make_bf16_invfreq(Form form, const RopeConfig& config,
                                                std::int64_t seq_len) {
  auto freq = compute_frequencies<float>(config, seq_len);
  // HF #25681 class: the inv_freq buffer follows model.to(bfloat16) and loses 16 bits.
  for (float& t : freq.theta) t = static_cast<float>(static_cast<bf16>(t));
  const auto a = static_cast<float>(freq.attention_factor);
  return make<float, float>(form, config, freq.attention_factor,
                            hf_f32_trig(std::move(freq.theta), a, position_as_f32));
}

std::unique_ptr<PreparedRope> make_f16_positions(Form form, const RopeConfig& config,
                                                 std::int64_t seq_len) {
  auto freq = compute_frequencies<float>(config, seq_len);
  const auto a = static_cast<float>(freq.attention_factor);
  return make<float, float>(form, config, freq.attention_factor,
                            hf_f32_trig(std::move(freq.theta), a, position_as_f16));
}

std::unique_ptr<PreparedRope> make_ggml_f32(Form form, const RopeConfig& config,
                                            std::int64_t seq_len) {
  auto freq = compute_frequencies<float>(config, seq_len);
  const std::vector<float> plain = default_frequencies<float>(config.base, config.rotary_dim);
  // The variant enters as a per-pair f32 ratio to the unscaled frequency (ggml's freq_factors
  // and freq_scale); the unscaled frequency itself comes from the running product.
  std::vector<float> ratio(plain.size());
  for (std::size_t i = 0; i < plain.size(); ++i) ratio[i] = freq.theta[i] / plain[i];
  const float theta_scale = std::pow(static_cast<float>(config.base),
                                     -2.0f / static_cast<float>(config.rotary_dim));
  const auto a = static_cast<float>(freq.attention_factor);
  return make<float, float>(
      form, config, freq.attention_factor,
      [ratio, theta_scale, a](std::int64_t m, std::span<float> c, std::span<float> s) {
        float theta = static_cast<float>(m);  // ggml_rope_cache_init: theta = p, then *= scale
        for (std::size_t i = 0; i < ratio.size(); ++i) {
          const float angle = ratio[i] == 1.0f ? theta : theta * ratio[i];
          c[i] = std::cos(angle) * a;
          s[i] = std::sin(angle) * a;
          theta *= theta_scale;
        }
      });
}

std::unique_ptr<PreparedRope> make_fastmath_f32(Form form, const RopeConfig& config,
                                                std::int64_t seq_len) {
  auto freq = compute_frequencies<float>(config, seq_len);
  const auto a = static_cast<float>(freq.attention_factor);
  return make<float, float>(
      form, config, freq.attention_factor,
      [theta = std::move(freq.theta), a](std::int64_t m, std::span<float> c, std::span<float> s) {
        const auto position = static_cast<float>(m);
        for (std::size_t i = 0; i < theta.size(); ++i) {
          float sine = 0, cosine = 0;
          fast_sincos_f32(position * theta[i], sine, cosine);
          c[i] = cosine * a;
          s[i] = sine * a;
        }
      });
}

struct PipelineEntry {
  PipelineInfo info;
  Factory factory;
  bool complex_capable;  // its arithmetic type has std::complex
};

const std::vector<PipelineEntry>& pipeline_entries() {
  static const std::vector<PipelineEntry> entries = {
      {{"f64", Dtype::f64, "f64", "double throughout: pow theta, double angle, libm cos/sin"},
       make_f64, true},
      {{"f32", Dtype::f32, "f32",
        "Hugging Face float32: powf theta, f32 position, f32 angle, cosf/sinf"},
       make_f32, true},
      {{"f32-exact-angle", Dtype::f32, "f32",
        "angle formed and reduced to [-pi, pi] in long double, then cosf/sinf and f32 rotation"},
       make_f32_exact_angle, true},
      {{"bf16-hf", Dtype::bf16, "bf16",
        "cos/sin in f32 then cast to bf16; rotation in bf16 arithmetic (HF bf16 model)"},
       make_bf16_hf, false},
      {{"bf16-cache", Dtype::bf16, "f32",
        "f32 cos/sin table stored in bf16 (vLLM style); rotation in f32; bf16 output"},
       make_bf16_cache, true},
      {{"bf16-invfreq", Dtype::f32, "f32", "f32 pipeline with inv_freq held in bf16 (HF #25681)"},
       make_bf16_invfreq, true},
      {{"f16-positions", Dtype::f32, "f32",
        "f32 pipeline with positions held in f16 (Megatron-LM #535): inf from 65520"},
       make_f16_positions, true},
      {{"ggml-f32", Dtype::f32, "f32",
        "llama.cpp CPU: f32 position times the running product theta *= base^(-2/d), cosf/sinf"},
       make_ggml_f32, true},
      {{"fastmath-f32", Dtype::f32, "f32",
        "f32 angle; sin/cos reduced by one f32 multiply with 1/2pi (GPU __sinf/__cosf model)"},
       make_fastmath_f32, true},
  };
  return entries;
}

const PipelineEntry& entry_of(const PipelineInfo* info) {
  for (const auto& entry : pipeline_entries())
    if (entry.info.name == info->name) return entry;
  throw std::logic_error("pipeline not registered");
}

}  // namespace

void PreparedRope::apply_batch(std::span<const std::int64_t> positions,
                               std::span<const double> x, std::span<double> y) const {
  const std::size_t n = positions.empty() ? 0 : x.size() / positions.size();
  for (std::size_t r = 0; r < positions.size(); ++r)
    apply(positions[r], x.subspan(r * n, n), y.subspan(r * n, n));
}

std::string Implementation::name() const {
  return fmt::format("{}:{}", form_name(form), pipeline->name);
}

std::unique_ptr<PreparedRope> Implementation::prepare(const RopeConfig& config,
                                                      std::int64_t seq_len) const {
  return entry_of(pipeline).factory(form, config, seq_len);
}

const std::vector<PipelineInfo>& all_pipelines() {
  static const std::vector<PipelineInfo> infos = [] {
    std::vector<PipelineInfo> out;
    for (const auto& entry : pipeline_entries()) out.push_back(entry.info);
    return out;
  }();
  return infos;
}

const std::vector<Implementation>& all_implementations() {
  static const std::vector<Implementation> impls = [] {
    std::vector<Implementation> out;
    for (Form form : {Form::elementwise, Form::complex, Form::matrix})
      for (const auto& entry : pipeline_entries())
        if (form != Form::complex || entry.complex_capable) out.push_back({form, &entry.info});
    return out;
  }();
  return impls;
}

const Implementation& find_implementation(std::string_view name) {
  for (const auto& impl : all_implementations())
    if (impl.name() == name) return impl;
  std::string names;
  for (const auto& impl : all_implementations()) names += (names.empty() ? "" : ", ") + impl.name();
  throw ConfigError("impl", fmt::format("unknown implementation \"{}\"; accepted: {}", name, names));
}

std::vector<double> apply_rows(const Implementation& impl, const RopeConfig& config,
                               std::span<const std::int64_t> positions, std::span<const double> x,
                               std::int64_t seq_len) {
  const auto n = static_cast<std::size_t>(config.head_dim);
  if (x.size() != positions.size() * n)
    throw ConfigError("x", fmt::format("expected {} rows of {} values", positions.size(), n));
  auto prepared = impl.prepare(config, seq_len);
  std::vector<double> y(x.size());
  prepared->apply_batch(positions, x, y);
  return y;
}

}  // namespace ropecheck
