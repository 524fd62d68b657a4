// The list of properties the battery and the suites run.
#include "properties/checks.hpp"

namespace ropecheck::properties {
namespace {

bool supports(const Subject& s, const RopeConfig& c) { return s.supports(c); }

bool supports_both_layouts(const Subject& s, const RopeConfig& c) {
  RopeConfig half = c, interleaved = c;
  half.layout = Layout::half;
  interleaved.layout = Layout::interleaved;
  return s.supports(half) && s.supports(interleaved);
}

}  // namespace

const std::vector<Property>& all_properties() {
  static const std::vector<Property> properties = {
      {"reference_agreement", "every output within the pipeline's derived bound of the correctly rounded reference", false, supports, check_reference_agreement},
      {"identity_at_zero", "R_0 x = a x, bit for bit when a = 1", false, supports, check_identity_at_zero},
      {"norm_preservation", "|R_m x| = a |x|", true, supports, check_norm_preservation},
      {"inverse", "R_-m R_m x = a^2 x", true, supports, check_inverse},
      {"composition", "R_m R_n x = a R_(m+n) x", true, supports, check_composition},
      {"layout_equivalence", "RoPE_half(P x) = P RoPE_interleaved(x)", false, supports_both_layouts, check_layout_equivalence},
      {"invariance_under_shift", "<R_m q, R_n k> = <R_(m+t) q, R_(n+t) k>", true, supports, check_invariance_under_shift},
      {"invariance_exact", "<R_m q, R_n k> = g(q, k, m - n)", true, supports, check_invariance_exact},
      {"decay_bound", "|<R_m q, R_n k>| within RoFormer's Abel-summation bound", true, supports, check_decay_bound},
      {"scaling_invariants", "linear, llama3, yarn and ntk frequency invariants", false, supports, check_scaling_invariants},
      {"nonfinite_propagation", "finite in, finite out; NaN stays in its pair", false, supports, check_nonfinite_propagation},
  };
  return properties;
}

}  // namespace ropecheck::properties
