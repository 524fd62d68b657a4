// The property checks (statements in spec/properties.md, bounds derived in spec/precision.md).
#pragma once

#include "properties/property.hpp"

namespace ropecheck::properties {

// Each output within the pipeline's derived bound of the correctly rounded reference.
CheckResult check_reference_agreement(const Subject& s, const TestCase& c);
// R_0 x = a x (bit for bit when a = 1).
CheckResult check_identity_at_zero(const Subject& s, const TestCase& c);
// |R_m x| = a |x| within the bound.
CheckResult check_norm_preservation(const Subject& s, const TestCase& c);
// R_-m R_m x = a^2 x.
CheckResult check_inverse(const Subject& s, const TestCase& c);
// R_m R_n x = a R_(m+n) x.
CheckResult check_composition(const Subject& s, const TestCase& c);
// RoPE_half(P x) = P RoPE_interleaved(x).
CheckResult check_layout_equivalence(const Subject& s, const TestCase& c);
// <R_m q, R_n k> = <R_(m+t) q, R_(n+t) k>.
CheckResult check_invariance_under_shift(const Subject& s, const TestCase& c);
// <R_m q, R_n k> = g(q, k, m - n), g from the reference.
CheckResult check_invariance_exact(const Subject& s, const TestCase& c);
// RoFormer's long-term decay bound (Eq. 35-37) on the subject's scores.
CheckResult check_decay_bound(const Subject& s, const TestCase& c);
// The scaling variants' frequency invariants, read off the subject's rotation at m = 1.
CheckResult check_scaling_invariants(const Subject& s, const TestCase& c);
// Finite in -> finite out; a NaN input poisons its own pair (or pass-through channel) only.
CheckResult check_nonfinite_propagation(const Subject& s, const TestCase& c);

}  // namespace ropecheck::properties
