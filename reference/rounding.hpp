// Correct rounding (to nearest, ties to even) into the output formats f64, f32, bf16 and f16,
// with subnormals and IEEE overflow, from MPFR numbers and from doubles.
#pragma once

#include "core/number_format.hpp"
#include "reference/format_params.hpp"
#include "reference/multiprecision.hpp"

namespace ropecheck::reference {

// RN_F(v): v rounded to the nearest value of format F, ties to even, with gradual underflow and
// overflow to +-inf when |v| >= max_finite + ulp(max_finite)/2 (IEEE 754-2019 §4.3.1, §7.4).
// Zeros keep their sign, a rounding to zero keeps the sign of v, NaN gives the quiet NaN.
double round_mpfr(mpfr_srcptr v, Dtype dtype);
double round_double(double v, Dtype dtype);

// Whether the double v is a value of format F (NaN and +-inf count as values).
bool is_representable(double v, Dtype dtype);

// The canonical NaN every reference output uses (positive, quiet), so both paths agree bitwise.
double canonical_nan();

}  // namespace ropecheck::reference
