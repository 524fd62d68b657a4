// ropecheck._native: the library layers the Python package (python/ropecheck/) wraps. Every
// number is computed here by the same code the command-line program runs: the reference of
// `ropecheck rotate`, the registry's implementations, the grading of `ropecheck grade`, the
// format codec and the audit's position language. Python only reshapes arrays.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fmt/format.h>
#include <algorithm>
#include <optional>
#include <stdexcept>
#include <type_traits>

#include "audit/position_spec.hpp"
#include "audit/shard_env.hpp"
#include "core/config_error.hpp"
#include "core/format_codec.hpp"
#include "core/hex_float.hpp"
#include "core/hf_config_report.hpp"
#include "core/presets.hpp"
#include "impl/implementation.hpp"
#include "kernels/vectors/input_draw.hpp"
#include "python/src/native_arrays.hpp"
#include "python/src/native_config.hpp"
#include "python/src/native_grade.hpp"
#include "reference/reference.hpp"

namespace ropecheck::python {
namespace {

// |m| < 2^53, as `ropecheck rotate` accepts.
constexpr std::int64_t kLowestPosition = -((std::int64_t{1} << 53) - 1);

std::int64_t seq_len_for(std::span<const std::int64_t> positions,
                         std::optional<std::int64_t> seq_len) {
  if (seq_len && *seq_len < 1) throw ConfigError("seq_len", "must be at least 1");
  if (positions.empty()) return seq_len.value_or(1);
  return effective_seq_len(*std::max_element(positions.begin(), positions.end()), seq_len);
}

// Checks rows x (R, head_dim) against positions (R,).
void require_rows(const py::array& x, const I64Array& positions, const RopeConfig& config) {
  require_ndim(positions, 1, "positions", "(rows,)");
  require_ndim(x, 2, "x", "(rows, head_dim)");
  if (x.shape(1) != config.head_dim)
    throw ConfigError("x", fmt::format("rows hold {} values but the config's head_dim is {}",
                                       x.shape(1), config.head_dim));
  if (x.shape(0) != positions.shape(0))
    throw ConfigError("positions", fmt::format("holds {} positions for {} rows of x",
                                               positions.shape(0), x.shape(0)));
}

// Rows of x (float64, or float32 widened one row at a time rather than as a whole copy).
template <typename T>
F64Array reference_rows_of(const NativeConfig& cfg, const I64Array& positions,
                           const py::array_t<T, py::array::c_style>& x,
                           const std::string& dtype_name_text,
                           std::optional<std::int64_t> seq_len) {
  const RopeConfig& config = cfg.rope();
  require_rows(x, positions, config);
  const Dtype dtype = dtype_from_name(dtype_name_text);
  const auto m = values(positions);
  require_positions(m, kLowestPosition);
  const std::int64_t length = seq_len_for(m, seq_len);
  const auto n = static_cast<std::size_t>(config.head_dim);
  // Written in place: the result is the array Python gets, with no copy.
  F64Array result({x.shape(0), x.shape(1)});
  const std::span<double> y(result.mutable_data(), m.size() * n);
  const T* in = x.data();
  {
    py::gil_scoped_release unlocked;
    // As `ropecheck rotate` runs it (cli/rotate_request.cpp): one oracle, one row at a time;
    // like the request's values, every input must be exact in the output dtype.
    const reference::Reference oracle(config, length);
    std::vector<double> row(n);
    for (std::size_t r = 0; r < m.size(); ++r) {
      for (std::size_t j = 0; j < n; ++j) row[j] = static_cast<double>(in[r * n + j]);
      if (!std::is_same_v<T, float> || dtype == Dtype::bf16 || dtype == Dtype::f16)
        require_representable(row, dtype, "x", true, r * n);
      oracle.apply(m[r], row, dtype, y.subspan(r * n, n));
    }
  }
  return result;
}

F64Array reference_rows(const NativeConfig& cfg, const I64Array& positions, const py::array& x,
                        const std::string& dtype_name_text, std::optional<std::int64_t> seq_len) {
  using F32Array = py::array_t<float, py::array::c_style>;
  if (F32Array::check_(x))
    return reference_rows_of<float>(cfg, positions, x.cast<F32Array>(), dtype_name_text, seq_len);
  return reference_rows_of<double>(cfg, positions, F64Array::ensure(x), dtype_name_text, seq_len);
}

// RN(a cos(m theta_i)) and RN(a sin(m theta_i)): the reference's outputs for the unit input
// (1, 0) of every pair, whose rotation is exactly (a cos, a sin).
py::tuple cos_sin_rows(const NativeConfig& cfg, const I64Array& positions,
                       const std::string& dtype_name_text, std::optional<std::int64_t> seq_len) {
  const RopeConfig& config = cfg.rope();
  require_ndim(positions, 1, "positions", "(tokens,)");
  const Dtype dtype = dtype_from_name(dtype_name_text);
  const auto m = values(positions);
  require_positions(m, kLowestPosition);
  const std::int64_t length = seq_len_for(m, seq_len);
  const auto pairs = static_cast<std::size_t>(config.pairs());
  std::vector<double> c(m.size() * pairs), s(m.size() * pairs);
  {
    py::gil_scoped_release unlocked;
    const reference::Reference oracle(config, length);
    std::vector<double> unit(static_cast<std::size_t>(config.head_dim), 0.0), y(unit.size());
    for (std::size_t i = 0; i < pairs; ++i)
      unit[static_cast<std::size_t>(
          pair_channels(config.layout, config.rotary_dim, static_cast<int>(i)).a)] = 1.0;
    for (std::size_t r = 0; r < m.size(); ++r) {
      oracle.apply(m[r], unit, dtype, y);
      for (std::size_t i = 0; i < pairs; ++i) {
        const PairChannels ch =
            pair_channels(config.layout, config.rotary_dim, static_cast<int>(i));
        c[r * pairs + i] = y[static_cast<std::size_t>(ch.a)];
        s[r * pairs + i] = y[static_cast<std::size_t>(ch.b)];
      }
    }
  }
  const std::vector<py::ssize_t> shape = {static_cast<py::ssize_t>(m.size()),
                                          static_cast<py::ssize_t>(pairs)};
  return py::make_tuple(to_array(c, shape), to_array(s, shape));
}

F64Array implementation_rows(const std::string& name, const NativeConfig& cfg,
                             const I64Array& positions, const F64Array& x,
                             std::optional<std::int64_t> seq_len) {
  const Implementation& impl = find_implementation(name);
  const RopeConfig& config = cfg.rope();
  require_rows(x, positions, config);
  const auto m = values(positions);
  const auto in = values(x);
  require_positions(m, kLowestPosition);
  require_representable(in, impl.dtype(), "x", true);
  const std::int64_t length = seq_len_for(m, seq_len);
  std::vector<double> y(in.size());
  {
    py::gil_scoped_release unlocked;
    impl.prepare(config, length)->apply_batch(m, in, y);
  }
  return to_array(y, {x.shape(0), x.shape(1)});
}

U64Array encode(const F64Array& x, const std::string& dtype_text) {
  const Dtype dtype = dtype_from_name(dtype_text);
  const auto in = values(x);
  require_representable(in, dtype, "values", true);
  U64Array out(std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim()));
  std::uint64_t* bits = out.mutable_data();
  for (std::size_t i = 0; i < in.size(); ++i) bits[i] = encode_bits(in[i], dtype);
  return out;
}

F64Array decode(const U64Array& bits, const std::string& dtype_text) {
  const Dtype dtype = dtype_from_name(dtype_text);
  const int width = format_bits(dtype);
  F64Array out(std::vector<py::ssize_t>(bits.shape(), bits.shape() + bits.ndim()));
  double* y = out.mutable_data();
  const std::uint64_t* in = bits.data();
  for (py::ssize_t i = 0; i < bits.size(); ++i) {
    if (width < 64 && (in[i] >> width) != 0)
      throw ConfigError(
          "bits", fmt::format("{:#x} at flat index {} is wider than {} bits", in[i], i, width));
    y[i] = decode_bits(in[i], dtype);
  }
  return out;
}

F64Array round_values(const F64Array& x, const std::string& dtype_text) {
  const Dtype dtype = dtype_from_name(dtype_text);
  F64Array out(std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim()));
  const auto in = values(x);
  for (std::size_t i = 0; i < in.size(); ++i) out.mutable_data()[i] = round_to(in[i], dtype);
  return out;
}

// A library error key that names a command-line option ("--bound") names the Python
// parameter instead ("bound").
std::string python_message(const ConfigError& error) {
  const std::string& key = error.key();
  std::string text = error.what();
  if (key.rfind("--", 0) == 0) text = key.substr(2) + text.substr(key.size());
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

}  // namespace
}  // namespace ropecheck::python

PYBIND11_MODULE(_native, m) {
  using namespace ropecheck;
  using namespace ropecheck::python;
  m.doc() = "ropecheck's C++ library layers (use the ropecheck package, not this module)";

  py::register_exception_translator([](std::exception_ptr error) {
    try {
      if (error) std::rethrow_exception(error);
    } catch (const ConfigError& e) {
      PyErr_SetString(PyExc_ValueError, python_message(e).c_str());
    } catch (const std::out_of_range& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });

  py::class_<NativeConfig>(m, "NativeConfig")
      .def_property_readonly("head_dim", [](const NativeConfig& c) { return c.rope().head_dim; })
      .def_property_readonly("rotary_dim",
                             [](const NativeConfig& c) { return c.rope().rotary_dim; })
      .def_property_readonly("pairs", [](const NativeConfig& c) { return c.rope().pairs(); })
      .def_property_readonly("rope_theta", [](const NativeConfig& c) { return c.rope().base; })
      .def_property_readonly(
          "layout", [](const NativeConfig& c) { return std::string(layout_name(c.rope().layout)); })
      .def_property_readonly(
          "rope_type",
          [](const NativeConfig& c) { return std::string(rope_type_name(c.rope().scaling.type)); })
      .def_property_readonly("preset", [](const NativeConfig& c) { return c.preset; })
      .def_property_readonly("layer_type", [](const NativeConfig& c) { return c.layer_type; })
      .def_property_readonly("hf_keys_json", [](const NativeConfig& c) { return c.hf_keys.dump(); })
      .def(
          "resolved_json",
          [](const NativeConfig& c, std::optional<std::int64_t> seq_len) {
            // As `ropecheck config --json` prints it (cli/config_command.cpp).
            if (seq_len && *seq_len < 1) throw ConfigError("seq_len", "must be at least 1");
            const reference::Reference oracle(c.rope(), seq_len.value_or(1));
            return resolved_json(c.resolved, seq_len, oracle.attention_factor()).dump();
          },
          py::arg("seq_len") = py::none());

  m.def("config_from_json", &config_from_json, py::arg("text"), py::arg("layer_type"));
  m.def("config_from_preset", &config_from_preset, py::arg("name"), py::arg("layer_type"));
  m.def("presets", [] {
    std::vector<std::string> names;
    for (const Preset& p : builtin_presets()) names.push_back(p.name);
    return names;
  });
  m.def("implementations", [] {
    std::vector<std::pair<std::string, std::string>> out;
    for (const Implementation& impl : all_implementations())
      out.emplace_back(impl.name(), std::string(dtype_name(impl.dtype())));
    return out;
  });
  m.def("reference", &reference_rows, py::arg("config"), py::arg("positions"), py::arg("x"),
        py::arg("dtype"), py::arg("seq_len") = py::none());
  m.def("cos_sin", &cos_sin_rows, py::arg("config"), py::arg("positions"), py::arg("dtype"),
        py::arg("seq_len") = py::none());
  m.def("implementation", &implementation_rows, py::arg("name"), py::arg("config"),
        py::arg("positions"), py::arg("x"), py::arg("seq_len") = py::none());
  m.def("implementation_dtype", [](const std::string& name) {
    return std::string(dtype_name(find_implementation(name).dtype()));
  });
  m.def("grade", &grade_outputs_json, py::arg("config"), py::arg("positions"), py::arg("x"),
        py::arg("y"), py::arg("dtype"), py::arg("bound"), py::arg("max_ulp"), py::arg("thresholds"),
        py::arg("seq_len"), py::arg("behaves_like"));
  m.def("encode_bits", &encode, py::arg("values"), py::arg("dtype"));
  m.def("decode_bits", &decode, py::arg("bits"), py::arg("dtype"));
  m.def("round_to", &round_values, py::arg("values"), py::arg("dtype"));
  m.def(
      "hex_floats",
      [](const F64Array& x) {
        std::vector<std::string> out;
        for (const double v : values(x)) out.push_back(hex_float(v));
        return out;
      },
      py::arg("values"));
  m.def(
      "draw_inputs",
      [](const std::string& dtype, std::size_t count, std::uint64_t seed) {
        const auto x = vectors::draw_inputs(dtype_from_name(dtype), count, seed);
        return to_array(x, {static_cast<py::ssize_t>(x.size())});
      },
      py::arg("dtype"), py::arg("count"), py::arg("seed"));
  m.def(
      "parse_shard",
      [](const std::string& text) {
        // The audit's `--shard K/N` reading (K counts from 0); the environment is not consulted.
        const auto choice =
            audit::choose_shard(text, 0, [](const char*) -> const char* { return nullptr; });
        return std::make_pair(choice.index, choice.count);
      },
      py::arg("text"));
  m.def(
      "parse_positions",
      [](const std::string& spec) {
        const auto positions = audit::parse_positions(spec);
        I64Array out(static_cast<py::ssize_t>(positions.size()));
        std::copy(positions.begin(), positions.end(), out.mutable_data());
        return out;
      },
      py::arg("spec"));
}
