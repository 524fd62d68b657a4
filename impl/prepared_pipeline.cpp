// A pipeline description turned into a running implementation: each stage of
// impl/pipeline.hpp becomes the float operations it names, in that order.
#include <Eigen/Core>
#include <bit>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "impl/fast_trig.hpp"
#include "impl/forms.hpp"
#include "impl/frequencies.hpp"
#include "impl/implementation.hpp"
#include "impl/pipeline.hpp"

namespace ropecheck {
namespace {

using bf16 = Eigen::bfloat16;
using f16 = Eigen::half;

// The C++ type that holds a precision's values.
template <Precision P>
struct TypeOf;
template <>
struct TypeOf<Precision::long_double> {
  using type = long double;
};
template <>
struct TypeOf<Precision::f64> {
  using type = double;
};
template <>
struct TypeOf<Precision::f32> {
  using type = float;
};
template <>
struct TypeOf<Precision::bf16> {
  using type = bf16;
};
template <>
struct TypeOf<Precision::f16> {
  using type = f16;
};

// An f32 value rounded to TF32 (10 explicit mantissa bits), to nearest, ties to even, as tensor
// cores read matmul inputs (transformers #48428, TensorRT-LLM #19532). TF32 keeps f32's
// exponent, so only the 13 low mantissa bits go; a carry out of the mantissa bumps the
// exponent, up to inf, exactly as rounding should.
float round_to_tf32(float v) {
  if (!std::isfinite(v)) return v;
  std::uint32_t bits = std::bit_cast<std::uint32_t>(v);
  bits += 0x0FFFu + ((bits >> 13) & 1u);
  return std::bit_cast<float>(bits & ~0x1FFFu);
}

// `v` (an f32 value) held in precision `p`: one rounding from f32, none when p is as wide.
float hold_f32(float v, Precision p) {
  switch (p) {
    case Precision::long_double:
    case Precision::f64:
    case Precision::f32:
      return v;
    case Precision::tf32:
      return round_to_tf32(v);
    case Precision::bf16:
      return static_cast<float>(static_cast<bf16>(v));
    case Precision::f16:
      return static_cast<float>(static_cast<f16>(v));
  }
  return v;
}

// The position in trig type T: to f32 first (a framework's .float()), then to the position's
// format. Positions held in f16 (Megatron-LM #535 class) are exact to 2048, coarse above;
// 65505..65519 round to 65504 and 65520 on become inf. TF32 inputs are exact to 2048.
template <class T>
T position_in(std::int64_t m, Precision p) {
  if constexpr (std::is_same_v<T, double>) {
    if (p == Precision::f64 || p == Precision::long_double) return static_cast<double>(m);
    return static_cast<double>(hold_f32(static_cast<float>(m), p));
  } else {
    return hold_f32(static_cast<float>(m), p);
  }
}

// A Taylor sine/cosine accurate near 0 and used on the raw angle: no range reduction (the
// fast-math bug class; no registered pipeline evaluates cos/sin this way).
void unreduced_sincos_f32(float x, float& c, float& s) {
  const float x2 = x * x;
  s = x * (1 - x2 / 6 * (1 - x2 / 20 * (1 - x2 / 42 * (1 - x2 / 72))));
  c = 1 - x2 / 2 * (1 - x2 / 12 * (1 - x2 / 30 * (1 - x2 / 56)));
}

// The frequencies of a pipeline's theta stage in type X (pow) with the held rounding applied.
template <class X>
Frequencies<X> pow_frequencies(const PipelineDescription& p, const RopeConfig& config,
                               std::int64_t seq_len, const ThetaFormulaF32& formula) {
  Frequencies<X> f;
  if constexpr (std::is_same_v<X, float>) {
    f = formula ? formula(config, seq_len) : compute_frequencies<float>(config, seq_len);
    for (float& t : f.theta) t = hold_f32(t, p.theta_held);
  } else {
    if (formula) throw std::logic_error("a theta formula replaces only an f32 theta stage");
    if (p.theta_held != p.theta_type)
      throw std::logic_error("only an f32 theta is held in a narrower buffer");
    f = compute_frequencies<X>(config, seq_len);
  }
  return f;
}

// S: storage type of x and y; A: the rotation's arithmetic; T: the angle's and cos/sin's type.
template <class S, class A, class T>
class PreparedPipeline final : public PreparedRope {
 public:
  PreparedPipeline(const PipelineDescription& p, Form form, const RopeConfig& config,
                   std::int64_t seq_len, const ThetaFormulaF32& formula)
      : p_(p), form_(form), config_(config) {
    switch (p.theta) {
      case ThetaMethod::pow:
        switch (p.angle) {
          case AngleMethod::product: {
            auto freq = pow_frequencies<T>(p, config, seq_len, formula);
            theta_ = std::move(freq.theta);
            attention_ = freq.attention_factor;
            break;
          }
          case AngleMethod::reduced_long_double: {
            auto freq = pow_frequencies<long double>(p, config, seq_len, formula);
            theta_ld_ = std::move(freq.theta);
            attention_ = freq.attention_factor;
            break;
          }
        }
        break;
      case ThetaMethod::recurrence: {
        if constexpr (std::is_same_v<T, float>) {
          auto freq = pow_frequencies<float>(p, config, seq_len, formula);
          const std::vector<float> plain =
              default_frequencies<float>(config.base, config.rotary_dim);
          // The variant enters as a per-pair f32 ratio to the unscaled frequency (ggml's
          // freq_factors and freq_scale); the unscaled frequency comes from the running product.
          ratio_.resize(plain.size());
          for (std::size_t i = 0; i < plain.size(); ++i) ratio_[i] = freq.theta[i] / plain[i];
          theta_scale_ = std::pow(static_cast<float>(config.base),
                                  -2.0f / static_cast<float>(config.rotary_dim));
          attention_ = freq.attention_factor;
        } else {
          throw std::logic_error("the theta recurrence runs in f32");
        }
        break;
      }
    }
    attention_t_ = static_cast<T>(attention_);
  }

  void apply(std::int64_t position, std::span<const double> x, std::span<double> y) const override {
    const auto pairs = static_cast<std::size_t>(config_.pairs());
    const auto n = static_cast<std::size_t>(config_.head_dim);
    // This thread's buffers, kept from call to call: allocating five vectors per call cost
    // the audit about a tenth of its time per pair.
    thread_local Buffers buffers;
    buffers.resize(pairs, n);
    std::span<T> angle(buffers.angle.data(), pairs);
    angles(position, angle);
    std::span<A> cos(buffers.cos.data(), pairs), sin(buffers.sin.data(), pairs);
    for (std::size_t i = 0; i < pairs; ++i) {
      T c = 0, s = 0;
      switch (p_.trig) {
        case TrigMethod::libm:
          c = std::cos(angle[i]);
          s = std::sin(angle[i]);
          break;
        case TrigMethod::fast_turns:
        case TrigMethod::unreduced_polynomial:
          if constexpr (std::is_same_v<T, float>) {
            if (p_.trig == TrigMethod::fast_turns)
              fast_sincos_f32(angle[i], s, c);
            else
              unreduced_sincos_f32(angle[i], c, s);
          }
          break;
      }
      cos[i] = stored(c * attention_t_);
      sin[i] = stored(s * attention_t_);
    }
    std::span<S> in(buffers.in.data(), n), out(buffers.out.data(), n);
    for (std::size_t j = 0; j < n; ++j) in[j] = static_cast<S>(x[j]);
    switch (p_.contraction) {
      case Contraction::separate:
        rotate<S, A>(form_, config_.layout, config_.rotary_dim, cos, sin, in, out);
        break;
      case Contraction::fma:
        if constexpr (complex_form_supports<A>)
          rotate_elementwise_fma<S, A>(config_.layout, config_.rotary_dim, cos, sin, in, out);
        break;
    }
    for (std::size_t j = 0; j < n; ++j) y[j] = static_cast<double>(out[j]);
  }
  double attention_factor() const override { return attention_; }
  // angles() reads m through position_in() alone, except the long double reduction, which
  // takes the integer itself.
  double computed_position(std::int64_t m) const override {
    if (p_.theta == ThetaMethod::pow && p_.angle == AngleMethod::reduced_long_double)
      return static_cast<double>(m);
    return static_cast<double>(position_in<T>(m, p_.position));
  }

 private:
  struct Buffers {
    std::vector<T> angle;
    std::vector<A> cos, sin;
    std::vector<S> in, out;
    void resize(std::size_t pairs, std::size_t n) {
      if (angle.size() < pairs) angle.resize(pairs);
      if (cos.size() < pairs) cos.resize(pairs), sin.resize(pairs);
      if (in.size() < n) in.resize(n), out.resize(n);
    }
  };

  // phi_i for every pair at position m, in T.
  void angles(std::int64_t m, std::span<T> out) const {
    switch (p_.theta) {
      case ThetaMethod::pow:
        switch (p_.angle) {
          case AngleMethod::product: {
            const T position = position_in<T>(m, p_.position);
            for (std::size_t i = 0; i < theta_.size(); ++i) out[i] = position * theta_[i];
            return;
          }
          case AngleMethod::reduced_long_double:
            for (std::size_t i = 0; i < theta_ld_.size(); ++i)
              out[i] = static_cast<T>(reduced_angle_f32(static_cast<long double>(m), theta_ld_[i]));
            return;
        }
        return;
      case ThetaMethod::recurrence: {
        T theta = position_in<T>(m, p_.position);  // ggml_rope_cache_init: theta = p, then *= scale
        for (std::size_t i = 0; i < ratio_.size(); ++i) {
          out[i] = ratio_[i] == 1.0f ? theta : theta * static_cast<T>(ratio_[i]);
          theta *= static_cast<T>(theta_scale_);
        }
        return;
      }
    }
  }

  // A cos or sin value as the rotation reads it: through the table's format, then in A.
  A stored(T v) const {
    if (p_.table == p_.trig_type) return static_cast<A>(v);
    return static_cast<A>(hold_f32(static_cast<float>(v), p_.table));
  }

  PipelineDescription p_;  // a copy: a mutant's edited description need not outlive it
  Form form_;
  RopeConfig config_;
  double attention_ = 1;
  T attention_t_ = 1;
  std::vector<T> theta_;
  std::vector<long double> theta_ld_;
  std::vector<float> ratio_;
  float theta_scale_ = 1;
};

template <class S, class A, class T>
std::unique_ptr<PreparedRope> make(const PipelineDescription& p, Form form,
                                   const RopeConfig& config, std::int64_t seq_len,
                                   const ThetaFormulaF32& formula) {
  return std::make_unique<PreparedPipeline<S, A, T>>(p, form, config, seq_len, formula);
}

template <class S, class A>
std::unique_ptr<PreparedRope> with_trig_type(const PipelineDescription& p, Form form,
                                             const RopeConfig& config, std::int64_t seq_len,
                                             const ThetaFormulaF32& formula) {
  switch (p.trig_type) {
    case Precision::f64:
      return make<S, A, double>(p, form, config, seq_len, formula);
    case Precision::f32:
      return make<S, A, float>(p, form, config, seq_len, formula);
    case Precision::long_double:
    case Precision::tf32:
    case Precision::bf16:
    case Precision::f16:
      break;
  }
  throw std::logic_error(std::string(p.name) + ": cos/sin are evaluated in f64 or f32");
}

template <class S>
std::unique_ptr<PreparedRope> with_rotation(const PipelineDescription& p, Form form,
                                            const RopeConfig& config, std::int64_t seq_len,
                                            const ThetaFormulaF32& formula) {
  switch (p.rotation) {
    case Precision::f64:
      return with_trig_type<S, double>(p, form, config, seq_len, formula);
    case Precision::f32:
      return with_trig_type<S, float>(p, form, config, seq_len, formula);
    case Precision::bf16:
      return with_trig_type<S, bf16>(p, form, config, seq_len, formula);
    case Precision::long_double:
    case Precision::tf32:
    case Precision::f16:
      break;
  }
  throw std::logic_error(std::string(p.name) + ": the rotation runs in f64, f32 or bf16");
}

}  // namespace

void PreparedRope::apply_batch(std::span<const std::int64_t> positions, std::span<const double> x,
                               std::span<double> y) const {
  const std::size_t n = positions.empty() ? 0 : x.size() / positions.size();
  for (std::size_t r = 0; r < positions.size(); ++r)
    apply(positions[r], x.subspan(r * n, n), y.subspan(r * n, n));
}

void validate_pipeline(const PipelineDescription& p) {
  auto fail = [&](const char* why) { throw std::logic_error(std::string(p.name) + ": " + why); };
  if (p.trig_type != Precision::f64 && p.trig_type != Precision::f32)
    fail("cos/sin are evaluated in f64 or f32");
  if (p.rotation != Precision::f64 && p.rotation != Precision::f32 && p.rotation != Precision::bf16)
    fail("the rotation runs in f64, f32 or bf16");
  if (p.theta_held != p.theta_type && p.theta_type != Precision::f32)
    fail("only an f32 theta is held in a narrower buffer");
  if (p.table != p.trig_type && p.trig_type != Precision::f32)
    fail("only f32 cos/sin are stored in a narrower table");
  if (p.contraction == Contraction::fma && p.rotation == Precision::bf16)
    fail("fused multiply-adds run in f32 or f64");
  switch (p.theta) {
    case ThetaMethod::pow:
      switch (p.angle) {
        case AngleMethod::product:
          if (p.theta_type != p.trig_type) fail("the angle product runs in theta's type");
          break;
        case AngleMethod::reduced_long_double:
          if (p.theta_type != Precision::long_double || p.trig_type != Precision::f32)
            fail("the long double angle needs a long double theta and f32 cos/sin");
          break;
      }
      break;
    case ThetaMethod::recurrence:
      if (p.theta_type != Precision::f32 || p.trig_type != Precision::f32 ||
          p.angle != AngleMethod::product || p.theta_held != Precision::f32)
        fail("the theta recurrence is an f32 product");
      break;
  }
  switch (p.trig) {
    case TrigMethod::libm:
      break;
    case TrigMethod::fast_turns:
    case TrigMethod::unreduced_polynomial:
      if (p.trig_type != Precision::f32) fail("fast cos/sin models are f32");
      break;
  }
  if (p.arithmetic != precision_name(p.rotation)) fail("arithmetic must name the rotation's type");
}

std::int64_t position_domain(const PipelineDescription& p) {
  constexpr std::int64_t kExactInDouble = (std::int64_t{1} << 53) - 1;
  switch (p.position) {
    case Precision::long_double:
    case Precision::f64:
    case Precision::f32:
    case Precision::tf32:
    case Precision::bf16:
      return kExactInDouble;  // f32's range: every int64 stays finite
    // f16's largest finite value is 65504 and its ulp there 32: 65505..65519 still round to it,
    // 65520 (the tie) rounds to the even neighbour 65536, i.e. inf.
    case Precision::f16:
      return 65519;
  }
  return 0;
}

bool form_supports(Form form, const PipelineDescription& p) {
  switch (form) {
    case Form::elementwise:
      return true;
    case Form::matrix:
      return p.contraction == Contraction::separate;
    case Form::complex:
      return p.contraction == Contraction::separate && p.rotation != Precision::bf16;
  }
  return false;
}

std::unique_ptr<PreparedRope> prepare_pipeline(const PipelineDescription& p, Form form,
                                               const RopeConfig& config, std::int64_t seq_len,
                                               const ThetaFormulaF32& formula) {
  validate_pipeline(p);
  if (!form_supports(form, p))
    throw std::logic_error(std::string(p.name) + " does not run in the " +
                           std::string(form_name(form)) + " form");
  switch (p.dtype) {
    case Dtype::f64:
      return with_rotation<double>(p, form, config, seq_len, formula);
    case Dtype::f32:
      return with_rotation<float>(p, form, config, seq_len, formula);
    case Dtype::bf16:
      return with_rotation<bf16>(p, form, config, seq_len, formula);
    case Dtype::f16:
      return with_rotation<f16>(p, form, config, seq_len, formula);
  }
  throw std::logic_error("unknown storage dtype");
}

}  // namespace ropecheck
