#include "kernels/vectors/file_bytes.hpp"

#include <filesystem>
#include <fmt/format.h>
#include <fstream>

#include "core/config_error.hpp"

namespace ropecheck::vectors {

std::string read_file_bytes(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  const auto status = fs::status(path, error);
  if (error || !fs::exists(status)) throw ConfigError(path, "no such file");
  if (!fs::is_regular_file(status)) throw ConfigError(path, "is not a regular file");
  const std::uintmax_t size = fs::file_size(path, error);
  if (error) throw ConfigError(path, "cannot read its size: " + error.message());
  if (size > kMaxFileBytes)
    throw ConfigError(path, fmt::format("is {} bytes, over the {}-byte limit", size, kMaxFileBytes));
  std::ifstream file(path, std::ios::binary);
  std::string bytes(static_cast<std::size_t>(size), '\0');
  if (!file || !file.read(bytes.data(), static_cast<std::streamsize>(size)) ||
      file.peek() != std::ifstream::traits_type::eof())
    throw ConfigError(path, "cannot be read (or changed while being read)");
  return bytes;
}

}  // namespace ropecheck::vectors
