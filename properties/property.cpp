#include "properties/property.hpp"

#include <cmath>
#include <stdexcept>

namespace ropecheck::properties {

bool CheckResult::keeps(double measured_value, double bound_value) const {
  const bool ok = measured_value <= bound_value;
  const double ratio = std::isnan(measured_value) ? HUGE_VAL
                       : bound_value > 0          ? measured_value / bound_value
                       : measured_value > 0       ? HUGE_VAL
                                                  : 0;
  const double current = bound > 0 ? measured / bound : measured > 0 ? HUGE_VAL : 0;
  return (!ok && passed) || (ok == passed && ratio > current) || detail.empty();
}

const Property& find_property(const std::string& name) {
  for (const Property& p : all_properties())
    if (p.name == name) return p;
  throw std::invalid_argument("unknown property " + name);
}

}  // namespace ropecheck::properties
