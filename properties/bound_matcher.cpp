#include "properties/bound_matcher.hpp"

#include <cmath>
#include <fmt/format.h>
#include <stdexcept>

#include "core/hex_float.hpp"

namespace ropecheck::properties {

double MatchCase::ratio() const {
  if (std::isnan(error)) return HUGE_VAL;
  if (bound > 0) return error / bound;
  return error > 0 ? HUGE_VAL : 0;
}

bool WithinBound::expect(double got, double expected, double bound, std::int64_t position,
                         int channel) {
  MatchCase c{position, channel, got, expected, 0, bound};
  if (std::isnan(got) || std::isnan(expected))
    c.error = std::isnan(got) && std::isnan(expected) ? 0 : HUGE_VAL;
  else
    c.error = got == expected ? 0 : std::fabs(got - expected);  // equal infinities too
  const bool within = c.within();
  const bool replace = count_ == 0 || (!within && misses_ == 0) ||
                       (within == (misses_ == 0) && c.ratio() > worst_.ratio());
  if (replace) worst_ = c;
  ++count_;
  if (!within) ++misses_;
  return within;
}

const MatchCase& WithinBound::worst() const {
  if (count_ == 0) throw std::logic_error("WithinBound: no output was compared");
  return worst_;
}

std::string WithinBound::worst_values() const {
  const MatchCase& w = worst();
  return fmt::format("channel {} = {} (expected {})", w.channel, hex_float(w.got),
                     hex_float(w.expected));
}

std::string WithinBound::explain() const {
  if (count_ == 0) return "no output compared";
  const MatchCase& w = worst_;
  const std::string where =
      fmt::format("channel {} at position {}: got {}, expected {}, |error| = {} {} bound {} "
                  "(ratio {:.3g})",
                  w.channel, w.position, hex_float(w.got), hex_float(w.expected),
                  hex_float(w.error), w.within() ? "<=" : ">", hex_float(w.bound), w.ratio());
  if (passed()) return fmt::format("all {} outputs within the bound; closest: {}", count_, where);
  return fmt::format("{} of {} outputs outside the bound; worst: {}", misses_, count_, where);
}

}  // namespace ropecheck::properties
