// Which of the three forms of RoPE an implementation uses (impl/forms.hpp holds the forms
// themselves). Kept apart so that naming a form does not pull Eigen into every translation unit.
#pragma once

#include <string_view>

namespace ropecheck {

enum class Form { matrix, complex, elementwise };

constexpr std::string_view form_name(Form form) {
  switch (form) {
    case Form::matrix: return "matrix";
    case Form::complex: return "complex";
    case Form::elementwise: return "elementwise";
  }
  return "elementwise";
}

}  // namespace ropecheck
