#include "python/src/native_arrays.hpp"

#include <fmt/format.h>
#include <cmath>
#include <cstring>

#include "core/config_error.hpp"
#include "core/hex_float.hpp"

namespace ropecheck::python {

std::span<const double> values(const F64Array& array) {
  return {array.data(), static_cast<std::size_t>(array.size())};
}

std::span<const std::int64_t> values(const I64Array& array) {
  return {array.data(), static_cast<std::size_t>(array.size())};
}

F64Array to_array(const std::vector<double>& data, std::vector<py::ssize_t> shape) {
  F64Array out(shape);
  if (!data.empty()) std::memcpy(out.mutable_data(), data.data(), data.size() * sizeof(double));
  return out;
}

void require_ndim(const py::array& array, py::ssize_t ndim, const std::string& name,
                  const std::string& layout) {
  if (array.ndim() == ndim) return;
  std::string shape;
  for (py::ssize_t k = 0; k < array.ndim(); ++k)
    shape += (k ? ", " : "") + std::to_string(array.shape(k));
  throw ConfigError(name, fmt::format("has shape ({}); expected {}", shape, layout));
}

Dtype dtype_from_name(const std::string& text) {
  const auto dtype = parse_dtype(text);
  if (!dtype)
    throw ConfigError("dtype",
                      fmt::format("unknown value \"{}\"; accepted: {}", text, accepted_dtypes()));
  return *dtype;
}

void require_representable(std::span<const double> data, Dtype dtype, const std::string& name,
                           bool allow_nonfinite, std::size_t offset) {
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (!std::isfinite(data[i]) && !allow_nonfinite)
      throw ConfigError(
          name, fmt::format("holds the non-finite value {} at flat index {}", data[i], offset + i));
    if (!representable(data[i], dtype))
      throw ConfigError(name, fmt::format("value {} at flat index {} is not exactly "
                                          "representable in {}; give values of that format",
                                          hex_float(data[i]), offset + i, dtype_name(dtype)));
  }
}

void require_positions(std::span<const std::int64_t> positions, std::int64_t lo) {
  constexpr std::int64_t kLimit = std::int64_t{1} << 53;  // positions stay exact in a double
  for (std::size_t i = 0; i < positions.size(); ++i)
    if (positions[i] < lo || positions[i] >= kLimit)
      throw ConfigError("positions",
                        fmt::format("position {} at index {} is outside {}", positions[i], i,
                                    lo == 0 ? "[0, 2^53)" : "(-2^53, 2^53)"));
}

}  // namespace ropecheck::python
