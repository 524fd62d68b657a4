#include "properties/generators.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>

#include "core/hf_config.hpp"
#include "core/presets.hpp"

namespace ropecheck::properties {
namespace {

const std::vector<RopeType>& all_types() {
  static const std::vector<RopeType> types = {
      RopeType::standard, RopeType::linear, RopeType::ntk,      RopeType::dynamic,
      RopeType::yarn,     RopeType::llama3, RopeType::longrope, RopeType::proportional};
  return types;
}

// k in [0, n) mapped to lo + (hi - lo) k / n: shrinks toward lo.
double scaled(int k, int n, double lo, double hi) { return lo + (hi - lo) * k / n; }

RopeConfig build_config(RopeType type) {
  RopeConfig c;
  const bool needs_four = type == RopeType::ntk || type == RopeType::dynamic;
  c.rotary_dim = 2 * *rc::gen::inRange(needs_four ? 2 : 1, 257);
  // One config in four has pass-through channels.
  const bool partial = *rc::gen::weightedOneOf<bool>({{3, rc::gen::just(false)}, {1, rc::gen::just(true)}});
  c.head_dim = c.rotary_dim + (partial ? 2 * *rc::gen::inRange(1, 33) : 0);
  c.base = std::pow(10.0, 1.0 + *rc::gen::inRange(0, 7001) / 1000.0);
  c.layout = *rc::gen::element(Layout::half, Layout::interleaved);
  RopeScaling& s = c.scaling;
  s.type = type;
  s.factor = scaled(*rc::gen::inRange(0, 6400), 6400, 1.0, 65.0);
  const std::int64_t context = std::int64_t{1} << *rc::gen::inRange(8, 17);
  s.original_max_position_embeddings = context;
  c.max_position_embeddings = context * static_cast<std::int64_t>(std::ceil(s.factor));
  switch (type) {
    case RopeType::yarn:
      s.truncate = *rc::gen::arbitrary<bool>();
      s.beta_fast = *rc::gen::element(32.0, 16.0, 64.0);
      s.beta_slow = *rc::gen::element(1.0, 2.0);
      if (*rc::gen::weightedOneOf<bool>({{3, rc::gen::just(false)}, {1, rc::gen::just(true)}})) {
        s.mscale = *rc::gen::element(1.0, 0.707);
        s.mscale_all_dim = *rc::gen::element(1.0, 0.707);
      }
      break;
    case RopeType::llama3:
      s.low_freq_factor = *rc::gen::element(1.0, 2.0);
      s.high_freq_factor = *rc::gen::element(4.0, 8.0);
      break;
    case RopeType::longrope:
      for (int i = 0; i < c.rotary_dim / 2; ++i) {
        s.short_factor.push_back(scaled(*rc::gen::inRange(0, 100), 100, 1.0, 2.0));
        s.long_factor.push_back(scaled(*rc::gen::inRange(0, 100), 100, 1.0, 64.0));
      }
      break;
    case RopeType::proportional:
      c.head_dim = c.rotary_dim;
      s.rotated_fraction = *rc::gen::inRange(1, 101) / 100.0;
      break;
    default:
      break;
  }
  validate(c);
  return c;
}

}  // namespace

rc::Gen<RopeConfig> gen_config_of(RopeType type) {
  return rc::gen::exec([type] { return build_config(type); });
}

rc::Gen<RopeConfig> gen_config() {
  return rc::gen::exec([] { return build_config(*rc::gen::elementOf(all_types())); });
}

rc::Gen<std::pair<std::string, RopeConfig>> gen_named_config() {
  return rc::gen::exec([] {
    const bool preset =
        *rc::gen::weightedOneOf<bool>({{3, rc::gen::just(false)}, {1, rc::gen::just(true)}});
    if (preset) {
      const Preset& p = *rc::gen::elementOf(builtin_presets());
      return std::pair<std::string, RopeConfig>(p.name, p.rope);
    }
    return std::pair<std::string, RopeConfig>("generated", *gen_config());
  });
}

rc::Gen<std::int64_t> gen_position(const RopeConfig& config, bool allow_negative) {
  std::vector<std::int64_t> edges = {1, 2047, 2048, 2049, (1 << 24) - 1, 1 << 24, (1 << 24) + 1,
                                     (std::int64_t{1} << 31) - 1};
  const std::int64_t context = config.original_context();
  for (std::int64_t p : {context - 1, context, context + 1,
                         config.max_position_embeddings.value_or(0),
                         config.max_position_embeddings.value_or(0) + 1})
    if (p > 0) edges.push_back(p);
  return rc::gen::exec([edges, allow_negative] {
    const std::int64_t magnitude = *rc::gen::weightedOneOf<std::int64_t>({
        {4, rc::gen::inRange<std::int64_t>(0, 4096)},
        {4, rc::gen::exec([] {
           // log-uniform: a random number of bits, then a value below that power of two
           const int bits = *rc::gen::inRange(1, 32);
           return *rc::gen::inRange<std::int64_t>(0, std::int64_t{1} << bits);
         })},
        {2, rc::gen::elementOf(edges)},
    });
    const bool negative = allow_negative && *rc::gen::arbitrary<bool>();
    return negative ? -magnitude : magnitude;
  });
}

// 0, 1, 2, ... mapped to 0, -1, 1, -2, 2, ...: an integer that shrinks toward 0 from both sides.
int zigzag(int k) { return k % 2 == 0 ? k / 2 : -(k + 1) / 2; }

rc::Gen<double> gen_value(Dtype dtype) {
  const FormatTraits f = format_traits(dtype);
  const int top_exponent = std::min(20, f.emax - 3);
  return rc::gen::weightedOneOf<double>({
      // simple values k / 2^10 with |k| <= 2^12, shrinking toward 0
      {6, rc::gen::map(rc::gen::inRange(0, 8193),
                       [dtype](int k) { return round_to(std::ldexp(zigzag(k), -10), dtype); })},
      // arbitrary bit patterns: exponent in [emin, min(20, emax - 3)] shrinking toward 0 (so
      // toward 1.0), full mantissa shrinking toward 0, either sign
      {4, rc::gen::exec([f, top_exponent] {
         int exponent = zigzag(*rc::gen::inRange(0, 2 * std::max(top_exponent, -f.emin) + 1));
         exponent = std::clamp(exponent, f.emin, top_exponent);
         const auto mantissa = *rc::gen::inRange<std::int64_t>(0, std::int64_t{1} << (f.precision - 1));
         const double v = std::ldexp(1.0 + std::ldexp(static_cast<double>(mantissa), 1 - f.precision), exponent);
         return *rc::gen::arbitrary<bool>() ? -v : v;
       })},
      {1, rc::gen::element(0.0, -0.0)},
      // subnormals of the format
      {1, rc::gen::exec([f] {
         const auto mantissa = *rc::gen::inRange<std::int64_t>(1, std::int64_t{1} << (f.precision - 1));
         const double v = std::ldexp(static_cast<double>(mantissa), f.emin - f.precision + 1);
         return *rc::gen::arbitrary<bool>() ? -v : v;
       })},
      // large magnitudes: max_finite / 8 at most, so a * (|x_a| + |x_b|) stays finite
      {1, rc::gen::exec([f, dtype] {
         const int k = *rc::gen::inRange(1, 9);
         return round_to(f.max_finite / std::ldexp(1.0, 2 + k), dtype);
       })},
  });
}

rc::Gen<std::vector<double>> gen_head(int head_dim, Dtype dtype) {
  return rc::gen::container<std::vector<double>>(static_cast<std::size_t>(head_dim),
                                                 gen_value(dtype));
}

namespace {

TestCase build_case(std::string name, RopeConfig config, Dtype dtype, bool negative) {
  TestCase c;
  c.config_name = std::move(name);
  c.config = std::move(config);
  c.dtype = dtype;
  c.m = *gen_position(c.config, negative);
  c.n = *gen_position(c.config, negative);
  c.t = *gen_position(c.config, negative);
  c.q = *gen_head(c.config.head_dim, dtype);
  c.k = *gen_head(c.config.head_dim, dtype);
  return c;
}

}  // namespace

rc::Gen<TestCase> gen_case(Dtype dtype, bool negative) {
  return rc::gen::exec([dtype, negative] {
    auto [name, config] = *gen_named_config();
    return build_case(name, config, dtype, negative);
  });
}

rc::Gen<TestCase> gen_case_for(RopeType type, Dtype dtype, bool negative) {
  return rc::gen::exec([type, dtype, negative] {
    return build_case("generated", *gen_config_of(type), dtype, negative);
  });
}

}  // namespace ropecheck::properties
