// NumPy arrays at the module's boundary: C-ordered float64 and int64 views, checked shapes.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/number_format.hpp"

namespace ropecheck::python {

namespace py = pybind11;

// Inputs are converted once, in C++: float16/float32 widen to float64 exactly.
using F64Array = py::array_t<double, py::array::c_style | py::array::forcecast>;
using I64Array = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;
using U64Array = py::array_t<std::uint64_t, py::array::c_style | py::array::forcecast>;

// The elements of an array of any shape.
std::span<const double> values(const F64Array& array);
std::span<const std::int64_t> values(const I64Array& array);

// A new float64 array of `shape` holding `data`.
F64Array to_array(const std::vector<double>& data, std::vector<py::ssize_t> shape);

// `name` must have `ndim` dimensions; throws ConfigError(name) otherwise.
void require_ndim(const py::array& array, py::ssize_t ndim, const std::string& name,
                  const std::string& layout);

// The format named `text`; throws ConfigError("dtype") listing the accepted names.
Dtype dtype_from_name(const std::string& text);

// Every value must be exactly representable in `dtype` (and finite unless `allow_nonfinite`);
// throws ConfigError(name) naming the first flat index (`offset` + index) that is not.
void require_representable(std::span<const double> data, Dtype dtype, const std::string& name,
                           bool allow_nonfinite, std::size_t offset = 0);

// Positions must lie in [lo, 2^53); throws ConfigError("positions").
void require_positions(std::span<const std::int64_t> positions, std::int64_t lo);

}  // namespace ropecheck::python
