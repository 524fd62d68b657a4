#include "properties/error_model.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <numbers>
#include <optional>

namespace ropecheck::properties {
namespace {

// Unit roundoffs u = 2^-p of the formats the pipelines compute in.
constexpr double kU64 = 0x1p-53;
constexpr double kU32 = 0x1p-24;
constexpr double kUBf16 = 0x1p-8;
constexpr double kUF16 = 0x1p-11;
constexpr double kULongDouble = LDBL_EPSILON / 2;

// Second-order terms (products of two roundings) and the libm ulp claims are covered by this
// factor on the first-order sums below (spec/precision.md §Pipeline bounds, "margin").
constexpr double kMargin = 1.25;

// gamma_2 = 2u / (1 - 2u) (Higham, Lemma 3.1): a two-term dot product x c - y s.
double gamma2(double u) { return 2 * u / (1 - 2 * u); }

// Below the normal range a product's rounding error is absolute: at most half the smallest
// subnormal (Higham §2.1, the "eta" term); sums of subnormals are exact.
double underflow_eta(double u) {
  if (u == kU64) return std::numeric_limits<double>::denorm_min();  // 2^-1074 >= the true 2^-1075
  if (u == kUBf16) return 0x1p-134;
  return 0x1p-150;  // f32
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
    auto corr = [&](double r) {
      return d * std::log(context / (r * 2 * std::numbers::pi)) / (2 * std::log(c.base));
    };
    double low = corr(s.beta_fast), high = corr(s.beta_slow);
    if (s.truncate) {
      low = std::floor(low);
      high = std::ceil(high);
    }
    low = std::max(low, 0.0);
    high = std::min(high, d - 1.0);
    if (low == high) high += 0.001;
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
    case RopeType::standard: break;
    case RopeType::proportional:
    case RopeType::linear: k = 6; break;
    case RopeType::longrope: k = 8; break;
    case RopeType::yarn:
    case RopeType::llama3: k = 10; break;
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

struct TrigError {
  double angle;  // |phi_hat - phi| in radians
  double eval;   // error of evaluating cos/sin at phi_hat, storing them, and applying a (relative to a)
};

// The Hugging Face float32 recipe: theta in f32, position cast to f32, f32 product, cosf/sinf
// (<= 1 ulp = 2u), times a in f32 (u for the product, u for a's own rounding).
TrigError hf_f32_trig(const PairBoundInput& in, double extra_theta_error, double position_error) {
  const double mt = std::fabs(static_cast<double>(in.position)) * in.theta;
  const double angle =
      mt * (theta_relative_error(*in.config, in.seq_len, in.pair, kU32) + extra_theta_error +
            position_error + kU32);
  return {angle, 2 * kU32 + 2 * kU32};
}

}  // namespace

bool has_error_model(std::string_view p) {
  return p == "f64" || p == "f32" || p == "f32-exact-angle" || p == "bf16-hf" ||
         p == "bf16-cache" || p == "bf16-invfreq" || p == "f16-positions" || p == "ggml-f32" ||
         p == "fastmath-f32";
}

std::int64_t position_domain(std::string_view p) {
  // f16's largest finite value is 65504; 65505..65519 still round to it, 65520 becomes inf.
  if (p == "f16-positions") return 65519;
  return (std::int64_t{1} << 53) - 1;
}

double output_error_bound(std::string_view p, const PairBoundInput& in) {
  if (std::llabs(in.position) > position_domain(p)) return std::numeric_limits<double>::infinity();
  const double a = in.attention;
  const double x = in.input_sum;
  const double mt = std::fabs(static_cast<double>(in.position)) * in.theta;
  double u_rotation = kU32;   // unit roundoff of the rotation's arithmetic
  double u_output = 0;        // a final rounding to the storage format after the rotation
  TrigError trig{0, 0};

  if (p == "f64") {
    const double angle = mt * (theta_relative_error(*in.config, in.seq_len, in.pair, kU64) + kU64);
    trig = {angle, 4 * kU64};
    u_rotation = kU64;
  } else if (p == "f32") {
    trig = hf_f32_trig(in, 0, position_relative_error(in.position, 24));
  } else if (p == "f32-exact-angle") {
    // theta and m*theta in long double; remainder() by the long double 2pi is exact, but that
    // 2pi is off by uld relative, which the quotient |phi|/2pi multiplies; then the reduced
    // angle (|r| <= pi) is rounded to f32: at most pi u32.
    const double ld = mt * (theta_relative_error(*in.config, in.seq_len, in.pair, kULongDouble) +
                            3 * kULongDouble);
    trig = {ld + std::numbers::pi * kU32, 4 * kU32};
  } else if (p == "bf16-hf") {
    trig = hf_f32_trig(in, 0, position_relative_error(in.position, 24));
    trig.eval += kUBf16;  // cos and sin cast to bf16
    u_rotation = kUBf16;  // the rotation itself runs in bf16 arithmetic
  } else if (p == "bf16-cache") {
    trig = hf_f32_trig(in, 0, position_relative_error(in.position, 24));
    trig.eval += kUBf16;  // the table is stored in bf16
    u_output = kUBf16;    // f32 result rounded to bf16 storage
  } else if (p == "bf16-invfreq") {
    trig = hf_f32_trig(in, kUBf16, position_relative_error(in.position, 24));
  } else if (p == "f16-positions") {
    // Through f32 (exact here, |m| < 2^17) into f16: exact up to 2^11, then u16 relative.
    trig = hf_f32_trig(in, 0, position_relative_error(in.position, 11));
  } else if (p == "ggml-f32") {
    // theta_scale = powf(b, -2/d): the exponent's rounding magnified by (2/d) ln b, powf 2u.
    const RopeConfig& c = *in.config;
    const double scale_error = (2.0 / c.rotary_dim * std::log(c.base) + 3) * kU32;
    // Pair i's angle is the f32 position times i roundings of the running product.
    double relative = in.pair * (scale_error + kU32) + position_relative_error(in.position, 24);
    if (c.scaling.type != RopeType::standard)  // the variant enters as an f32 ratio, then a product
      relative += 2 * theta_relative_error(c, in.seq_len, in.pair, kU32) + 3 * kU32;
    trig = {mt * relative, 4 * kU32};
  } else if (p == "fastmath-f32") {
    trig = hf_f32_trig(in, 0, position_relative_error(in.position, 24));
    // turns = fl(phi * fl(1/2pi)): two roundings of |phi|/2pi turns, i.e. 2 u32 |phi| radians;
    // the fraction is exact and sin/cos of it are evaluated in double then rounded (u32).
    trig.eval += 2 * kU32 * (mt + trig.angle) + kU32;
  } else {
    return std::numeric_limits<double>::infinity();
  }
  // |c_hat|, |s_hat| <= a (1 + eval): the rotation's two products and sum add gamma_2 of
  // |x_a c| + |x_b s|, and two products may underflow (2 eta). The trig products (cos * a)
  // cannot: |cos|, |sin| of a nonzero angle are far above the subnormal range, or exactly 0.
  const double before_output =
      kMargin * (a * x * (trig.angle + trig.eval) + gamma2(u_rotation) * a * (1 + trig.eval) * x) +
      2 * underflow_eta(u_rotation);
  // A final rounding to storage (bf16-cache: relative u, or absolute eta of bf16 when the result
  // is subnormal there), and the reference's own rounding to f64.
  double storage =
      u_output > 0 ? u_output * (in.output_abs + before_output) + underflow_eta(kUBf16) : 0;
  // A subject storing a coarser format than the pipeline's own rounds once more: half an ulp
  // relative (2^-p), or half its smallest subnormal below the normal range.
  const int pipeline_precision = p == "f64" ? 53 : (p == "bf16-hf" || p == "bf16-cache") ? 8 : 24;
  if (in.storage && format_traits(*in.storage).precision < pipeline_precision) {
    const FormatTraits f = format_traits(*in.storage);
    storage += std::ldexp(1.0, -f.precision) * (in.output_abs + before_output) +
               std::ldexp(1.0, f.emin - f.precision);
  }
  return before_output + storage + kU64 * in.output_abs + std::numeric_limits<double>::denorm_min();
}

}  // namespace ropecheck::properties
