#include "properties/error_model.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <numbers>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>
#include "core/config_error.hpp"
#include "impl/frequencies.hpp"

namespace ropecheck::properties {
namespace {

// The unit roundoff 2^-p of a stage's precision.
double unit_roundoff(Precision p) {
  return std::ldexp(1.0, -precision_bits(p));
}

// The first-order sums below count each rounding once: k roundings (1 + d_1)...(1 + d_k) are
// written as k u, while their true worst case is gamma_k = k u / (1 - k u) (Higham, Lemma 3.1).
// The ratio 1 / (1 - k u) is at most 1.25 while k u <= 1/5; the longest chain of roundings in
// any bound here (theta's K + ln b' roundings, the position's, the product's, cos/sin's, a's,
// the table's and the rotation's) stays far below that (k u < 2^-4 for bf16's u = 2^-8, the
// coarsest format a pipeline rounds to more than twice). The slack left over covers glibc's
// "<= 1 ulp" claims for cos/sin, measured but not proven.
constexpr double kLargestChainKU = 0.2;
constexpr double kMargin = 1 / (1 - kLargestChainKU);

// gamma_2 = 2u / (1 - 2u) (Higham, Lemma 3.1): a two-term dot product x c - y s.
double gamma2(double u) {
  return 2 * u / (1 - 2 * u);
}

// Below the normal range a product's rounding error is absolute: at most half the smallest
// subnormal 2^(emin - p) of the arithmetic (Higham §2.1, the "eta" term); sums of subnormals are
// exact. f64's 2^-1075 is not a double: its bound is the smallest subnormal 2^-1074.
double underflow_eta(Precision p) {
  return std::max(std::ldexp(1.0, precision_emin(p) - precision_bits(p)),
                  std::numeric_limits<double>::denorm_min());
}

// The blend weight of pair i in YaRN's ramp or Llama 3's medium band, and the absolute
// error with which a type of unit roundoff u computes it; nullopt where the pair is not blended.
// A blend w theta/s + (1 - w) theta near w = 1 is about theta/s, so an error dw in w moves
// theta by dw theta (1 - 1/s): relative to the result that is s dw, the factor-s amplification
// that makes large-factor YaRN and Llama 3 configs less accurate than plain RoPE.
std::optional<double> blend_weight_error(const RopeConfig& c, int pair, double u) {
  const RopeScaling& s = c.scaling;
  const int d = c.rotary_dim;
  const double context = static_cast<double>(c.original_context());
  if (s.type == RopeType::yarn) {
    const auto [low, high] = yarn_ramp(c);
    const double ramp = (pair - low) / (high - low);
    if (ramp <= -1e-9 || ramp >= 1 + 1e-9) return std::nullopt;
    // low and the width cast to T, the subtraction and the division: relative to the width.
    return ((std::fabs(low) + std::fabs(pair - low)) / std::fabs(high - low) + 3) * u;
  }
  if (s.type == RopeType::llama3) {
    const double theta0 = std::pow(c.base, -2.0 * pair / d);
    const double wavelength = 2 * std::numbers::pi / theta0;
    const double margin = 1e-6 * wavelength;
    if (wavelength < context / s.high_freq_factor - margin ||
        wavelength > context / s.low_freq_factor + margin)
      return std::nullopt;
    // smooth = (L0 / wavelen - alpha) / (beta - alpha): L0 / wavelen <= beta carries about 3u
    // relative (2 pi, the division by theta, the division of L0), the rest 3u.
    return (3 * s.high_freq_factor / (s.high_freq_factor - s.low_freq_factor) + 3) * u;
  }
  return std::nullopt;
}

// Relative error of theta_i computed in a type with unit roundoff u, per variant:
// (ln b' + K) u, where ln b' is how pow magnifies the one rounding of the exponent 2i/d
// (d/de b^-e = -ln(b) b^-e, and e <= 1), and K counts the variant's other roundings
// (pow itself <= 1 ulp = 2u, the reciprocal u, casting base and factors to T); blended pairs
// add s times the blend weight's error (blend_weight_error).
double theta_relative_error(const RopeConfig& c, std::int64_t seq_len, int pair, double u) {
  const RopeScaling& s = c.scaling;
  double log_base = std::log(c.base);
  double k = 4;
  switch (s.type) {
    case RopeType::standard:
      break;
    case RopeType::proportional:
    case RopeType::linear:
      k = 6;
      break;
    case RopeType::longrope:
      k = 8;
      break;
    case RopeType::yarn:
    case RopeType::llama3:
      k = 10;
      break;
    case RopeType::ntk:
      log_base += std::log(s.factor) * c.rotary_dim / (c.rotary_dim - 2.0);
      k = 8;
      break;
    case RopeType::dynamic: {
      // b' = b r^p with r = s L/Lmax - (s - 1) and p = d/(d-2), computed in T. The subtraction
      // cancels when L is near Lmax (r = 1 exactly at L <= Lmax, in real arithmetic), so r's
      // relative error is (2 s L/Lmax + 2 s) u / r + u; pow multiplies it by p and adds
      // (p ln r + 2) u; b' then reaches theta through the exponent e <= 1.
      const double lmax = static_cast<double>(c.max_position_embeddings.value_or(1));
      const double length = std::max(static_cast<double>(seq_len), lmax);
      const double r = s.factor * length / lmax - (s.factor - 1);
      const double p = c.rotary_dim / (c.rotary_dim - 2.0);
      log_base += p * std::log(r);
      k = 8 + p * ((2 * s.factor * length / lmax + 2 * s.factor) / r + 1) + p * std::log(r);
      break;
    }
  }
  double relative = (log_base + k) * u;
  if (const auto dw = blend_weight_error(c, pair, u)) relative += s.factor * std::min(1.0, *dw);
  return relative;
}

// |m_cast - m| / |m| when the position is converted to a format with p bits: exact below 2^p.
double position_relative_error(std::int64_t m, int precision) {
  const double magnitude = std::fabs(static_cast<double>(m));
  return magnitude < std::ldexp(1.0, precision) ? 0.0 : std::ldexp(1.0, -precision);
}

// |m_cast - m| / |m| for the pipeline's position format, converted through f32 when narrower
// (a framework's .float() before the f16 or TF32 cast): each conversion is exact below 2^p.
double position_error(const PipelineDescription& p, std::int64_t m) {
  switch (p.position) {
    case Precision::long_double:
    case Precision::f64:
    case Precision::f32:
      return position_relative_error(m, precision_bits(p.position));
    case Precision::tf32:
    case Precision::bf16:
    case Precision::f16:
      return position_relative_error(m, precision_bits(p.position)) +
             position_relative_error(m, precision_bits(Precision::f32));
  }
  return HUGE_VAL;
}

// |phi_hat - m theta| in radians (spec/precision.md, "The angle, per pipeline").
double angle_error(const PipelineDescription& p, const PairBoundInput& in) {
  const RopeConfig& c = *in.config;
  const double mt = std::fabs(static_cast<double>(in.position)) * in.theta;
  switch (p.theta) {
    case ThetaMethod::pow:
      switch (p.angle) {
        case AngleMethod::product: {
          // theta in theta_type, one rounding into its buffer, the position's conversion, and
          // the product's rounding in trig_type.
          const double held = p.theta_held == p.theta_type ? 0 : unit_roundoff(p.theta_held);
          return mt * (theta_relative_error(c, in.seq_len, in.pair, unit_roundoff(p.theta_type)) +
                       held + position_error(p, in.position) + unit_roundoff(p.trig_type));
        }
        case AngleMethod::reduced_long_double: {
          // theta and m theta in long double; remainder() by the long double 2pi is exact, but
          // that 2pi is off by u_ld relative, which the quotient |phi|/2pi multiplies; then the
          // reduced angle (|r| <= pi) is rounded to trig_type: at most pi u.
          const double ld =
              mt * (theta_relative_error(c, in.seq_len, in.pair, kULongDouble) + 3 * kULongDouble);
          return ld + std::numbers::pi * unit_roundoff(p.trig_type);
        }
      }
      break;
    case ThetaMethod::recurrence: {
      // theta_scale = powf(b, -2/d): the exponent's rounding magnified by (2/d) ln b, powf 2u.
      const double u = unit_roundoff(p.trig_type);
      const double scale_error = (2.0 / c.rotary_dim * std::log(c.base) + 3) * u;
      // Pair i's angle is the position times i roundings of the running product.
      double relative = in.pair * (scale_error + u) + position_error(p, in.position);
      if (c.scaling.type !=
          RopeType::standard)  // the variant enters as an f32 ratio, then a product
        relative += 2 * theta_relative_error(c, in.seq_len, in.pair, u) + 3 * u;
      return mt * relative;
    }
  }
  throw std::logic_error("angle_error: unknown theta method");
}

// The error of evaluating cos/sin at phi_hat, multiplying by a and storing them, relative to a.
double eval_error(const PipelineDescription& p, const PairBoundInput& in, double angle) {
  const double u = unit_roundoff(p.trig_type);
  // cos/sin within 1 ulp (2u), the product by a (u) and a's own rounding (u).
  double eval = 2 * u + 2 * u;
  switch (p.trig) {
    case TrigMethod::libm:
      break;
    case TrigMethod::fast_turns: {
      // turns = fl(phi * fl(1/2pi)): two roundings of |phi|/2pi turns, i.e. 2u |phi| radians;
      // the fraction is exact and sin/cos of it are evaluated in double then rounded (u).
      const double mt = std::fabs(static_cast<double>(in.position)) * in.theta;
      eval += 2 * u * (mt + angle) + u;
      break;
    }
    case TrigMethod::unreduced_polynomial:
      throw ConfigError("pipeline", fmt::format("{} evaluates cos/sin by a polynomial without "
                                                "range reduction, which has no error bound",
                                                p.name));
  }
  if (p.table != p.trig_type) eval += unit_roundoff(p.table);  // cos and sin stored narrower
  return eval;
}

// The rotation's result `before_output` off the exact value, then a final rounding to storage
// when the rotation ran wider than `dtype` (bf16-cache: relative u, or absolute eta of the storage
// format when the result is subnormal there), another when the subject stores a coarser format
// than `dtype`, and the reference's own rounding to f64.
double with_storage(double before_output, Precision rotation, Dtype dtype,
                    const PairBoundInput& in) {
  const Precision storage_p = storage_precision(dtype);
  double storage =
      precision_bits(rotation) > precision_bits(storage_p)
          ? unit_roundoff(storage_p) * (in.output_abs + before_output) + underflow_eta(storage_p)
          : 0;
  // A subject storing a coarser format than the pipeline's own rounds once more: half an ulp
  // relative (2^-p), or half its smallest subnormal below the normal range.
  if (in.storage && format_traits(*in.storage).precision < format_traits(dtype).precision) {
    const FormatTraits f = format_traits(*in.storage);
    storage += std::ldexp(1.0, -f.precision) * (in.output_abs + before_output) +
               std::ldexp(1.0, f.emin - f.precision);
  }
  return before_output + storage + kU64 * in.output_abs + std::numeric_limits<double>::denorm_min();
}

}  // namespace

std::optional<CacheRotation> cache_model_named(std::string_view name, Precision table) {
  constexpr std::string_view kPrefix = "cache:";
  if (!name.starts_with(kPrefix)) return std::nullopt;
  const std::string_view arithmetic = name.substr(kPrefix.size());
  for (Precision p : {Precision::f64, Precision::f32, Precision::bf16, Precision::f16})
    if (precision_name(p) == arithmetic) return CacheRotation{table, p};
  throw ConfigError("bound", fmt::format("unknown rotation arithmetic \"{}\" in \"{}\"; "
                                         "accepted: cache:f64, cache:f32, cache:bf16, cache:f16",
                                         arithmetic, name));
}

bool has_error_model(std::string_view pipeline) {
  for (const PipelineDescription& p : all_pipelines())
    if (p.name == pipeline) return true;
  try {
    return cache_model_named(pipeline, Precision::f64).has_value();
  } catch (const ConfigError&) {
    return false;
  }
}

std::int64_t position_domain(std::string_view pipeline) {
  // A cache kernel forms no position-dependent value: its tables are exact at any position.
  if (cache_model_named(pipeline, Precision::f64)) return (std::int64_t{1} << 53) - 1;
  return ropecheck::position_domain(find_pipeline(pipeline));
}

double output_error_bound(std::string_view pipeline, const PairBoundInput& in) {
  return output_error_bound(find_pipeline(pipeline), in);
}

double output_error_bound(const PipelineDescription& p, const PairBoundInput& in) {
  if (std::llabs(in.position) > ropecheck::position_domain(p))
    throw ConfigError("position", fmt::format("{} is outside the {} pipeline's position domain "
                                              "|m| <= {}",
                                              in.position, p.name, ropecheck::position_domain(p)));
  const double a = in.attention;
  const double x = in.input_sum;
  const double angle = angle_error(p, in);
  const double eval = eval_error(p, in, angle);
  // The rotation: two products and a sum, or a product and a fused multiply-add; both within
  // gamma_2 of |x_a c| + |x_b s| (Higham, Lemma 3.1 and §2.6).
  double u_rotation = 0;
  switch (p.contraction) {
    case Contraction::separate:
    case Contraction::fma:
      u_rotation = unit_roundoff(p.rotation);
      break;
  }
  // |c_hat|, |s_hat| <= a (1 + eval): the rotation adds gamma_2 of |x_a c| + |x_b s|, and two
  // products may underflow (2 eta). The trig products (cos * a) cannot: |cos|, |sin| of a
  // nonzero angle are far above the subnormal range, or exactly 0.
  const double before_output =
      kMargin * (a * x * (angle + eval) + gamma2(u_rotation) * a * (1 + eval) * x) +
      2 * underflow_eta(p.rotation);
  return with_storage(before_output, p.rotation, p.dtype, in);
}

double cache_output_error_bound(const CacheRotation& model, const PairBoundInput& in) {
  if (!in.storage)
    throw std::logic_error("cache_output_error_bound: the subject's storage format is needed");
  const double a = in.attention;
  const double x = in.input_sum;
  // No angle: each table entry is RN(a cos(m theta)), within u_T of it relative, or eta_T
  // absolute below the table format's normal range (a cos near a zero of cos, in f16).
  const double eval = unit_roundoff(model.table);
  const double before_output =
      kMargin * (a * x * eval + gamma2(unit_roundoff(model.rotation)) * a * (1 + eval) * x) +
      x * underflow_eta(model.table) + 2 * underflow_eta(model.rotation);
  return with_storage(before_output, model.rotation, *in.storage, in);
}

}  // namespace ropecheck::properties
