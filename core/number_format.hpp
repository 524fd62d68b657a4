// Number formats of RoPE inputs and outputs: f64, f32, bf16, f16 and their IEEE-style parameters.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ropecheck {

// A binary floating-point storage format that q/k vectors and RoPE outputs may be held in.
enum class Dtype { f64, f32, bf16, f16 };

// The parameters of a binary format: precision p counts the implicit bit; normal numbers are
// 1.f x 2^e with emin <= e <= emax; subnormals extend below 2^emin down to 2^(emin - p + 1).
struct FormatTraits {
  std::string_view name;
  int precision;
  int emin;
  int emax;
  double max_finite;
};

constexpr FormatTraits format_traits(Dtype dtype) {
  switch (dtype) {
    case Dtype::f64: return {"f64", 53, -1022, 1023, 1.7976931348623157e308};
    case Dtype::f32: return {"f32", 24, -126, 127, 3.4028234663852886e38};
    case Dtype::bf16: return {"bf16", 8, -126, 127, 3.3895313892515355e38};
    case Dtype::f16: return {"f16", 11, -14, 15, 65504.0};
  }
  return {"f64", 53, -1022, 1023, 1.7976931348623157e308};
}

constexpr std::string_view dtype_name(Dtype dtype) { return format_traits(dtype).name; }

// Every format, in the order they are listed to users.
std::vector<Dtype> all_dtypes();

// "f64", "f32", "bf16", "f16" (also "float64", "float32", "bfloat16", "float16"); nullopt otherwise.
std::optional<Dtype> parse_dtype(std::string_view text);

// "f64, f32, bf16, f16", for error messages.
std::string accepted_dtypes();

}  // namespace ropecheck

namespace ropecheck {

// Whether `value` is exactly representable in `dtype` (NaN and infinities are).
bool representable(double value, Dtype dtype);

// `value` rounded to the nearest value of `dtype`, ties to even, with subnormals and overflow to
// infinity; rounded once, straight from double (never through f32, which would round twice).
double round_to(double value, Dtype dtype);

}  // namespace ropecheck
