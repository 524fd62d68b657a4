#include "kernels/vectors/npy.hpp"

#include <cstdint>
#include <fmt/format.h>
#include <optional>

#include "core/config_error.hpp"

namespace ropecheck::vectors {
namespace {

constexpr std::string_view kMagic = "\x93NUMPY";
constexpr std::size_t kMaxDims = 32;  // NumPy's own limit on dimensions

std::string_view npy_descr(TensorDtype dtype) {
  switch (dtype) {
    case TensorDtype::f64: return "<f8";
    case TensorDtype::f32: return "<f4";
    case TensorDtype::bf16: return "<u2";
    case TensorDtype::f16: return "<f2";
    case TensorDtype::i64: return "<i8";
  }
  return "<f8";
}

// A strict reader of the Python dict literal in a .npy header:
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& name) : text_(text), name_(name) {}

  void parse(std::string& descr, bool& fortran_order, std::vector<std::int64_t>& shape) {
    bool seen_descr = false, seen_order = false, seen_shape = false;
    expect('{');
    while (!accept('}')) {
      const std::string key = string_literal();
      expect(':');
      if (key == "descr" && !seen_descr) {
        descr = string_literal();
        seen_descr = true;
      } else if (key == "fortran_order" && !seen_order) {
        fortran_order = boolean();
        seen_order = true;
      } else if (key == "shape" && !seen_shape) {
        shape = tuple();
        seen_shape = true;
      } else {
        fail(fmt::format("header key '{}' is unexpected or repeated; a .npy header has "
                         "exactly 'descr', 'fortran_order' and 'shape'", key));
      }
      if (!accept(',')) {
        expect('}');
        break;
      }
    }
    skip_space();
    if (pos_ != text_.size()) fail("header has text after its closing '}'");
    if (!seen_descr || !seen_order || !seen_shape)
      fail("header lacks one of 'descr', 'fortran_order', 'shape'");
  }

 private:
  [[noreturn]] void fail(const std::string& message) const {
    throw ConfigError(name_, "malformed .npy header: " + message);
  }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\t' || text_[pos_] == '\r'))
      ++pos_;
  }
  bool accept(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!accept(c)) fail(fmt::format("expected '{}' at offset {}", c, pos_));
  }
  std::string string_literal() {
    skip_space();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"'))
      fail(fmt::format("expected a quoted string at offset {}", pos_));
    const char quote = text_[pos_++];
    const auto end = text_.find(quote, pos_);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string value(text_.substr(pos_, end - pos_));
    if (value.find('\\') != std::string::npos) fail("escapes in strings are not supported");
    pos_ = end + 1;
    return value;
  }
  bool boolean() {
    skip_space();
    for (const auto& [word, value] : {std::pair{std::string_view("True"), true},
                                      std::pair{std::string_view("False"), false}}) {
      if (text_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        return value;
      }
    }
    fail(fmt::format("expected True or False at offset {}", pos_));
  }
  std::int64_t integer() {
    skip_space();
    const std::size_t start = pos_;
    std::int64_t value = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      if (value > (INT64_MAX - 9) / 10) fail("a shape dimension is absurdly large");
      value = value * 10 + (text_[pos_++] - '0');
    }
    if (pos_ == start) fail(fmt::format("expected a non-negative integer at offset {}", pos_));
    return value;
  }
  std::vector<std::int64_t> tuple() {
    std::vector<std::int64_t> dims;
    expect('(');
    while (!accept(')')) {
      if (dims.size() == kMaxDims) fail(fmt::format("shape has more than {} dimensions", kMaxDims));
      dims.push_back(integer());
      if (!accept(',')) {
        expect(')');
        break;
      }
    }
    return dims;
  }

  std::string_view text_;
  const std::string& name_;
  std::size_t pos_ = 0;
};

std::optional<TensorDtype> parse_descr(const std::string& descr) {
  for (TensorDtype dtype : {TensorDtype::f64, TensorDtype::f32, TensorDtype::bf16,
                            TensorDtype::f16, TensorDtype::i64})
    if (descr == npy_descr(dtype)) return dtype;
  return std::nullopt;
}

std::uint64_t load_le(std::string_view bytes, std::size_t offset, std::size_t width) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < width; ++i)
    value |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  return value;
}

}  // namespace

std::string write_npy(const Tensor& tensor) {
  std::string shape = "(";
  for (std::size_t i = 0; i < tensor.shape.size(); ++i)
    shape += fmt::format("{}{}", i ? " " : "", tensor.shape[i]) + ",";
  if (tensor.shape.size() > 1) shape.pop_back();
  shape += ")";
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
                                   npy_descr(tensor.dtype), shape);
  // NumPy pads with spaces and a final newline so the data starts on a 64-byte boundary.
  const std::size_t preamble = kMagic.size() + 4;
  header.append(63 - (preamble + header.size()) % 64, ' ');
  header += '\n';
  std::string out(kMagic);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xFF);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  out.append(reinterpret_cast<const char*>(tensor.data.data()), tensor.data.size());
  return out;
}

Tensor read_npy(std::string_view bytes, const std::string& name) {
  if (bytes.size() < kMagic.size() + 4)
    throw ConfigError(name, fmt::format("truncated .npy file: {} bytes, shorter than its "
                                        "preamble", bytes.size()));
  if (bytes.substr(0, kMagic.size()) != kMagic)
    throw ConfigError(name, "not a .npy file: it does not start with \\x93NUMPY");
  const auto major = static_cast<unsigned char>(bytes[6]);
  const auto minor = static_cast<unsigned char>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0)
    throw ConfigError(name, fmt::format(".npy version {}.{} is not supported; accepted: 1.0, "
                                        "2.0, 3.0", major, minor));
  const std::size_t length_bytes = major == 1 ? 2 : 4;
  const std::size_t preamble = 8 + length_bytes;
  if (bytes.size() < preamble)
    throw ConfigError(name, fmt::format("truncated .npy file: {} bytes, shorter than its "
                                        "preamble", bytes.size()));
  const std::uint64_t header_length = load_le(bytes, 8, length_bytes);
  if (header_length > bytes.size() - preamble)
    throw ConfigError(name, fmt::format(".npy header length {} runs past the end of the file "
                                        "({} bytes)", header_length, bytes.size()));
  const std::string_view header = bytes.substr(preamble, header_length);

  std::string descr;
  bool fortran_order = false;
  Tensor tensor;
  HeaderParser(header, name).parse(descr, fortran_order, tensor.shape);
  const auto dtype = parse_descr(descr);
  if (!dtype) {
    const bool big_endian = !descr.empty() && descr[0] == '>';
    throw ConfigError(name, fmt::format(".npy dtype '{}' is not supported{}; accepted: '<f8', "
                                        "'<f4', '<f2', '<i8', '<u2' (bf16 bits)", descr,
                                        big_endian ? " (big-endian)" : ""));
  }
  tensor.dtype = *dtype;
  if (fortran_order)
    throw ConfigError(name, ".npy array is in Fortran (column-major) order; write it in C order "
                            "(np.ascontiguousarray)");
  const std::uint64_t data_size = bytes.size() - preamble - header_length;
  const auto needed = checked_byte_size(tensor.shape, element_size(tensor.dtype));
  if (!needed)
    throw ConfigError(name, fmt::format(".npy shape {} is absurd: its size overflows",
                                        shape_text(tensor.shape)));
  if (*needed != data_size)
    throw ConfigError(name, fmt::format(".npy data is {} bytes but shape {} of {} needs {}",
                                        data_size, shape_text(tensor.shape), descr, *needed));
  const std::string_view data = bytes.substr(preamble + header_length);
  tensor.data.assign(data.begin(), data.end());
  return tensor;
}

}  // namespace ropecheck::vectors
