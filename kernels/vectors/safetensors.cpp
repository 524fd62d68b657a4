#include "kernels/vectors/safetensors.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "core/config_error.hpp"
#include "core/json_input.hpp"

namespace ropecheck::vectors {
namespace {

using nlohmann::json;

constexpr std::string_view kMetadataKey = "__metadata__";

std::string_view safetensors_dtype(TensorDtype dtype) {
  switch (dtype) {
    case TensorDtype::f64: return "F64";
    case TensorDtype::f32: return "F32";
    case TensorDtype::bf16: return "BF16";
    case TensorDtype::f16: return "F16";
    case TensorDtype::i64: return "I64";
  }
  return "F64";
}

std::optional<TensorDtype> parse_safetensors_dtype(const std::string& text) {
  for (TensorDtype dtype : {TensorDtype::f64, TensorDtype::f32, TensorDtype::bf16,
                            TensorDtype::f16, TensorDtype::i64})
    if (text == safetensors_dtype(dtype)) return dtype;
  return std::nullopt;
}

// A tensor entry of the header, checked against itself (not yet against the buffer).
struct Entry {
  std::string name;
  TensorDtype dtype;
  std::vector<std::int64_t> shape;
  std::uint64_t begin;
  std::uint64_t end;
};

class HeaderReader {
 public:
  explicit HeaderReader(const std::string& name) : name_(name) {}

  [[noreturn]] void fail(const std::string& message) const {
    throw ConfigError(name_, "invalid .safetensors file: " + message);
  }

  std::uint64_t unsigned_number(const json& value, const std::string& what) const {
    if (!value.is_number_unsigned())
      fail(fmt::format("{} must be a non-negative integer", what));
    return value.get<std::uint64_t>();
  }

  Entry entry(const std::string& tensor, const json& value) const {
    if (!value.is_object()) fail(fmt::format("tensor '{}' is not a JSON object", tensor));
    for (const auto& [key, ignored] : value.items())
      if (key != "dtype" && key != "shape" && key != "data_offsets")
        fail(fmt::format("tensor '{}' has unknown key '{}'; accepted: dtype, shape, "
                         "data_offsets", tensor, key));
    if (!value.contains("dtype") || !value.contains("shape") || !value.contains("data_offsets"))
      fail(fmt::format("tensor '{}' lacks one of dtype, shape, data_offsets", tensor));
    const json& dtype = value["dtype"];
    const auto parsed = dtype.is_string() ? parse_safetensors_dtype(dtype.get<std::string>())
                                          : std::nullopt;
    if (!parsed)
      fail(fmt::format("tensor '{}' has dtype {}; accepted: F64, F32, BF16, F16, I64", tensor,
                       dtype.is_string() ? "\"" + dtype.get<std::string>() + "\"" : "not a string"));
    Entry out{tensor, *parsed, {}, 0, 0};
    const json& shape = value["shape"];
    if (!shape.is_array()) fail(fmt::format("tensor '{}' shape is not an array", tensor));
    for (const json& dim : shape) {
      const std::uint64_t d = unsigned_number(dim, fmt::format("tensor '{}' shape entry", tensor));
      if (d > static_cast<std::uint64_t>(INT64_MAX))
        fail(fmt::format("tensor '{}' has an absurd shape", tensor));
      out.shape.push_back(static_cast<std::int64_t>(d));
    }
    const json& offsets = value["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2)
      fail(fmt::format("tensor '{}' data_offsets must be [begin, end]", tensor));
    out.begin = unsigned_number(offsets[0], fmt::format("tensor '{}' data_offsets", tensor));
    out.end = unsigned_number(offsets[1], fmt::format("tensor '{}' data_offsets", tensor));
    if (out.end < out.begin)
      fail(fmt::format("tensor '{}' data_offsets [{}, {}] end before they begin", tensor,
                       out.begin, out.end));
    const auto size = checked_byte_size(out.shape, element_size(out.dtype));
    if (!size)
      fail(fmt::format("tensor '{}' shape {} is absurd: its size overflows", tensor,
                       shape_text(out.shape)));
    if (*size != out.end - out.begin)
      fail(fmt::format("tensor '{}' data_offsets [{}, {}] span {} bytes but {} x {} needs {}",
                       tensor, out.begin, out.end, out.end - out.begin, safetensors_dtype(out.dtype),
                       shape_text(out.shape), *size));
    return out;
  }

  std::map<std::string, std::string> metadata(const json& value) const {
    if (!value.is_object()) fail("__metadata__ must be an object of strings");
    std::map<std::string, std::string> out;
    for (const auto& [key, item] : value.items()) {
      if (!item.is_string()) fail(fmt::format("__metadata__ value of '{}' is not a string", key));
      out[key] = item.get<std::string>();
    }
    return out;
  }

 private:
  const std::string& name_;
};

std::uint64_t load_u64_le(std::string_view bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i)
    value |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  return value;
}

// Parses the header, refusing duplicate top-level keys (nlohmann would keep the last silently).
json parse_header(std::string_view text, const HeaderReader& reader) {
  std::set<std::string> top_keys;
  std::optional<std::string> duplicate;
  const json::parser_callback_t callback = [&](int depth, json::parse_event_t event,
                                               json& parsed) {
    if (event == json::parse_event_t::key && depth == 1 &&
        !top_keys.insert(parsed.get<std::string>()).second)
      duplicate = parsed.get<std::string>();
    return true;
  };
  json header;
  try {
    header = parse_json_text(text, "header", callback);
  } catch (const ConfigError& error) {
    reader.fail(error.what());
  }
  if (duplicate) reader.fail(fmt::format("header repeats the key '{}'", *duplicate));
  if (!header.is_object()) reader.fail("header is not a JSON object");
  return header;
}

}  // namespace

const Tensor* SafetensorsFile::find(std::string_view name) const {
  for (const NamedTensor& entry : tensors)
    if (entry.name == name) return &entry.tensor;
  return nullptr;
}

std::string write_safetensors(const SafetensorsFile& file) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!file.metadata.empty()) header[std::string(kMetadataKey)] = file.metadata;
  std::uint64_t offset = 0;
  for (const NamedTensor& entry : file.tensors) {
    const std::uint64_t size = entry.tensor.data.size();
    header[entry.name] = {{"dtype", safetensors_dtype(entry.tensor.dtype)},
                          {"shape", entry.tensor.shape},
                          {"data_offsets", {offset, offset + size}}};
    offset += size;
  }
  std::string text = dump_json(header);
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  for (std::size_t i = 0; i < 8; ++i)
    out[i] = static_cast<char>(static_cast<std::uint64_t>(text.size()) >> (8 * i));
  out += text;
  for (const NamedTensor& entry : file.tensors)
    out.append(reinterpret_cast<const char*>(entry.tensor.data.data()), entry.tensor.data.size());
  return out;
}

SafetensorsFile read_safetensors(std::string_view bytes, const std::string& name) {
  const HeaderReader reader(name);
  if (bytes.size() < 8)
    reader.fail(fmt::format("truncated: {} bytes, shorter than the 8-byte header length",
                            bytes.size()));
  const std::uint64_t header_length = load_u64_le(bytes);
  if (header_length > bytes.size() - 8)
    reader.fail(fmt::format("header length {} runs past the end of the file ({} bytes)",
                            header_length, bytes.size()));
  if (header_length > kMaxSafetensorsHeader)
    reader.fail(fmt::format("header length {} exceeds the {}-byte limit", header_length,
                            kMaxSafetensorsHeader));
  const std::string_view text = bytes.substr(8, header_length);
  if (text.empty() || text.front() != '{') reader.fail("header does not start with '{'");
  const json header = parse_header(text, reader);

  SafetensorsFile out;
  std::vector<Entry> entries;
  for (const auto& [key, value] : header.items()) {
    if (key == kMetadataKey)
      out.metadata = reader.metadata(value);
    else
      entries.push_back(reader.entry(key, value));
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  const std::string_view buffer = bytes.substr(8 + header_length);
  std::uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (const Entry& entry : entries) {
    if (entry.begin < covered)
      reader.fail(fmt::format("tensor '{}' data_offsets [{}, {}] overlap tensor '{}' [{}, {}]",
                              entry.name, entry.begin, entry.end, previous->name,
                              previous->begin, previous->end));
    if (entry.begin > covered)
      reader.fail(fmt::format("bytes [{}, {}) of the data buffer belong to no tensor", covered,
                              entry.begin));
    if (entry.end > buffer.size())
      reader.fail(fmt::format("tensor '{}' data_offsets [{}, {}] run past the data buffer ({} "
                              "bytes)", entry.name, entry.begin, entry.end, buffer.size()));
    covered = entry.end;
    previous = &entry;
  }
  if (covered != buffer.size())
    reader.fail(fmt::format("bytes [{}, {}) of the data buffer belong to no tensor", covered,
                            buffer.size()));
  for (const Entry& entry : entries) {
    const std::string_view data = buffer.substr(entry.begin, entry.end - entry.begin);
    out.tensors.push_back({entry.name, {entry.dtype, entry.shape, {data.begin(), data.end()}}});
  }
  return out;
}

}  // namespace ropecheck::vectors
