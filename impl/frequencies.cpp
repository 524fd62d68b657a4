#include "impl/frequencies.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace ropecheck {
namespace {

// YaRN's attention temperature 0.1 * mscale * ln(s) + 1 (Peng et al. 2023, sqrt(1/t) of its attention temperature; HF get_mscale).
double yarn_get_mscale(double scale, double mscale) {
  return scale <= 1.0 ? 1.0 : 0.1 * mscale * std::log(scale) + 1.0;
}

double yarn_attention_factor(const RopeScaling& s) {
  if (s.attention_factor) return *s.attention_factor;
  // DeepSeek's reading: the ratio of two temperatures (parsing already treats 0 as absent).
  if (s.mscale && s.mscale_all_dim)
    return yarn_get_mscale(s.factor, *s.mscale) / yarn_get_mscale(s.factor, *s.mscale_all_dim);
  return yarn_get_mscale(s.factor, 1.0);
}

template <class T>
std::vector<T> yarn_frequencies(const RopeConfig& config) {
  const RopeScaling& s = config.scaling;
  const int dim = config.rotary_dim;
  const auto [low_d, high_d] = yarn_ramp(config);
  // HF: (arange(d/2) - low) / (high - low) with the Python floats cast to T at each use.
  const T low = static_cast<T>(low_d);
  const T width = static_cast<T>(high_d - low_d);
  const T factor = static_cast<T>(s.factor);

  std::vector<T> theta(static_cast<std::size_t>(dim / 2));
  for (std::size_t i = 0; i < theta.size(); ++i) {
    // pos_freqs = base^(2i/d); extrapolation 1/pos_freqs, interpolation 1/(s * pos_freqs).
    const T pos_freq = std::pow(static_cast<T>(config.base),
                                static_cast<T>(2 * i) / static_cast<T>(dim));
    const T extrapolated = T(1) / pos_freq;
    const T interpolated = T(1) / (factor * pos_freq);
    const T ramp = std::clamp((static_cast<T>(i) - low) / width, T(0), T(1));
    const T extrapolation_weight = T(1) - ramp;
    theta[i] = interpolated * (T(1) - extrapolation_weight) + extrapolated * extrapolation_weight;
  }
  return theta;
}

template <class T>
std::vector<T> llama3_frequencies(const RopeConfig& config) {
  const RopeScaling& s = config.scaling;
  const T factor = static_cast<T>(s.factor);
  const T low_freq_factor = static_cast<T>(s.low_freq_factor);
  const T high_freq_factor = static_cast<T>(s.high_freq_factor);
  const T context = static_cast<T>(config.original_context());
  const T low_freq_wavelen = context / low_freq_factor;
  const T high_freq_wavelen = context / high_freq_factor;
  const T two_pi = static_cast<T>(2) * std::numbers::pi_v<T>;

  std::vector<T> theta = default_frequencies<T>(config.base, config.rotary_dim);
  for (T& t : theta) {
    const T wavelen = two_pi / t;
    // Long wavelengths are interpolated by s, short ones kept; in between, a linear blend in
    // L0 / wavelength (Llama 3.1 reference code, apply_scaling).
    const T scaled = wavelen > low_freq_wavelen ? t / factor : t;
    const T smooth = (context / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor);
    const T smoothed = (T(1) - smooth) * scaled / factor + smooth * scaled;
    const bool medium = !(wavelen < high_freq_wavelen) && !(wavelen > low_freq_wavelen);
    t = medium ? smoothed : scaled;
  }
  return theta;
}

template <class T>
std::vector<T> longrope_frequencies(const RopeConfig& config, std::int64_t seq_len) {
  const RopeScaling& s = config.scaling;
  const auto& rescale = seq_len > config.original_context() ? s.long_factor : s.short_factor;
  const int dim = config.rotary_dim;
  std::vector<T> theta(static_cast<std::size_t>(dim / 2));
  for (int i = 0; i < dim / 2; ++i) {
    const T exponent = static_cast<T>(2 * i) / static_cast<T>(dim);
    theta[i] = T(1) / (static_cast<T>(rescale[i]) *
                       std::pow(static_cast<T>(config.base), exponent));
  }
  return theta;
}

double longrope_attention_factor(const RopeConfig& config) {
  const RopeScaling& s = config.scaling;
  if (s.attention_factor) return *s.attention_factor;
  const double factor = longrope_factor(config);
  if (factor <= 1.0) return 1.0;
  return std::sqrt(1.0 + std::log(factor) / std::log(static_cast<double>(config.original_context())));
}

// The pair index whose wavelength fits `rotations` times into `context` (YaRN's correction dim).
double yarn_correction_dim(double rotations, int dim, double base, double context) {
  return (dim * std::log(context / (rotations * 2.0 * std::numbers::pi))) / (2.0 * std::log(base));
}

}  // namespace

YarnRamp yarn_ramp(const RopeConfig& config) {
  const RopeScaling& s = config.scaling;
  const int dim = config.rotary_dim;
  const double context = static_cast<double>(config.original_context());
  double low = yarn_correction_dim(s.beta_fast, dim, config.base, context);
  double high = yarn_correction_dim(s.beta_slow, dim, config.base, context);
  if (s.truncate) {
    low = std::floor(low);
    high = std::ceil(high);
  }
  low = std::max(low, 0.0);
  high = std::min(high, static_cast<double>(dim - 1));
  if (low == high) high += 0.001;
  return {low, high};
}

template <class T>
std::vector<T> default_frequencies(double base, int rotary_dim) {
  std::vector<T> theta(static_cast<std::size_t>(rotary_dim / 2));
  for (int i = 0; i < rotary_dim / 2; ++i) {
    const T exponent = static_cast<T>(2 * i) / static_cast<T>(rotary_dim);
    theta[i] = T(1) / std::pow(static_cast<T>(base), exponent);
  }
  return theta;
}

int proportional_rotated_pairs(int head_dim, double rotated_fraction) {
  // Python's int((p * head_dim) // 2).
  return static_cast<int>(std::floor(rotated_fraction * head_dim / 2.0));
}

double longrope_factor(const RopeConfig& config) {
  // HF v5: an explicit factor wins; otherwise the ratio of the two contexts.
  if (config.scaling.factor_given) return config.scaling.factor;
  if (config.scaling.original_max_position_embeddings && config.max_position_embeddings)
    return static_cast<double>(*config.max_position_embeddings) /
           static_cast<double>(*config.scaling.original_max_position_embeddings);
  return 1.0;
}

template <class T>
Frequencies<T> compute_frequencies(const RopeConfig& config, std::int64_t seq_len) {
  const RopeScaling& s = config.scaling;
  const int dim = config.rotary_dim;
  Frequencies<T> out;
  switch (s.type) {
    case RopeType::standard:
      out.theta = default_frequencies<T>(config.base, dim);
      break;
    case RopeType::linear:
      out.theta = default_frequencies<T>(config.base, dim);
      for (T& t : out.theta) t /= static_cast<T>(s.factor);
      break;
    case RopeType::ntk: {
      // NTK-aware base change (bloc97): base * s^(d/(d-2)) maps the lowest frequency to theta/s.
      const double base = config.base * std::pow(s.factor, dim / (dim - 2.0));
      out.theta = default_frequencies<T>(base, dim);
      break;
    }
    case RopeType::dynamic: {
      // HF dynamic_rope_update: the length arrives as an int64 tensor, so the new base is
      // computed in the tensor type T; the reference length is max_position_embeddings.
      const T context = static_cast<T>(*config.max_position_embeddings);
      const T length = std::max(static_cast<T>(seq_len), context);
      const T factor = static_cast<T>(s.factor);
      const T base = static_cast<T>(config.base) *
                     std::pow(factor * length / context - (factor - T(1)),
                              static_cast<T>(dim / (dim - 2.0)));
      out.theta = default_frequencies<T>(static_cast<double>(base), dim);
      break;
    }
    case RopeType::yarn:
      out.theta = yarn_frequencies<T>(config);
      out.attention_factor = yarn_attention_factor(s);
      break;
    case RopeType::llama3:
      out.theta = llama3_frequencies<T>(config);
      break;
    case RopeType::longrope:
      out.theta = longrope_frequencies<T>(config, seq_len);
      out.attention_factor = longrope_attention_factor(config);
      break;
    case RopeType::proportional: {
      // HF _compute_proportional_rope_parameters: the first floor(p*D/2) frequencies of full
      // RoPE over the whole head (exponent 2i/D), divided by the optional factor; the rest 0.
      out.theta = default_frequencies<T>(config.base, dim);
      const int rotated = proportional_rotated_pairs(dim, s.rotated_fraction);
      for (std::size_t i = 0; i < out.theta.size(); ++i)
        out.theta[i] = static_cast<int>(i) < rotated ? out.theta[i] / static_cast<T>(s.factor) : T(0);
      break;
    }
  }
  return out;
}

template Frequencies<float> compute_frequencies<float>(const RopeConfig&, std::int64_t);
template Frequencies<double> compute_frequencies<double>(const RopeConfig&, std::int64_t);
template Frequencies<long double> compute_frequencies<long double>(const RopeConfig&, std::int64_t);
template std::vector<float> default_frequencies<float>(double, int);
template std::vector<double> default_frequencies<double>(double, int);
template std::vector<long double> default_frequencies<long double>(double, int);

}  // namespace ropecheck
