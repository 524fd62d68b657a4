// theta_i and the attention factor of every scaling variant, evaluated from their real-number
// definitions (spec/rope.md) in interval arithmetic: a certified enclosure at any precision.
// Shares no computation with impl/frequencies.cpp on purpose (spec/precision.md, "The reference").
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "core/rope_config.hpp"
#include "reference/interval.hpp"

namespace ropecheck::reference {

// The attention factor when it is a known rational number num/den (1, an explicit double, or
// LongRoPE's sqrt(1 + ln S / ln L0) when that is rational). Needed where an exact result can
// sit on a rounding boundary (position 0), which no enclosure of finite width can decide.
struct ExactRational {
  double num = 1.0;       // an exact double
  std::uint64_t den = 1;  // >= 1
};

// Enclosures of every theta_i and of the attention factor at one working precision.
struct FrequencySet {
  mpfr_prec_t prec = 0;
  std::vector<Interval> theta;  // one per rotated pair; the point {0} for pairs that do not rotate
  Interval attention{64};
};

// The exact frequencies of one configuration and sequence length. Thread-safe; enclosures are
// computed on demand and cached per precision, in a cache shared by every ExactFrequencies of
// the same frequencies (configuration and sequence length) among the recently used ones.
class ExactFrequencies {
 public:
  // Throws ConfigError for an invalid configuration (validate() in core/hf_config.hpp).
  ExactFrequencies(const RopeConfig& config, std::int64_t seq_len);

  const RopeConfig& config() const { return config_; }
  std::int64_t seq_len() const { return seq_len_; }
  int pairs() const { return config_.rotary_dim / 2; }

  // Whether theta_i is exactly 0 (p-RoPE's position-free pairs): the pair never rotates.
  bool theta_is_zero(int pair) const { return zero_[static_cast<std::size_t>(pair)] != 0; }

  // The attention factor as an exact rational, when it is one.
  const std::optional<ExactRational>& exact_attention() const { return exact_attention_; }

  // Enclosures at a precision of at least `prec` bits (rounded up to a multiple of 64). Raises
  // the precision internally until every discrete decision of the definition (YaRN's floor,
  // ceil and zero-width guard) is certain; throws std::runtime_error past 8192 bits.
  std::shared_ptr<const FrequencySet> at(mpfr_prec_t prec) const;

  // theta_i and a, correctly rounded to double (Ziv's loop on the enclosures).
  double theta_double(int pair) const;
  double attention_double() const;

 private:
  FrequencySet compute(mpfr_prec_t prec) const;
  // The enclosures of the highest precision computed so far (null before the first).
  std::shared_ptr<const FrequencySet> finest_cached() const;

  RopeConfig config_;
  std::int64_t seq_len_;
  std::vector<std::uint8_t> zero_;
  std::optional<ExactRational> exact_attention_;
  struct Cache {
    std::mutex mutex;
    std::map<mpfr_prec_t, std::shared_ptr<const FrequencySet>> sets;
  };
  static std::int64_t length_key(const RopeConfig& config, std::int64_t seq_len);
  static std::shared_ptr<Cache> shared_cache(const RopeConfig& config, std::int64_t seq_len);
  std::shared_ptr<Cache> cache_;
};

// The largest working precision any part of the reference will use before giving up.
inline constexpr mpfr_prec_t kMaxPrecision = 8192;

}  // namespace ropecheck::reference
