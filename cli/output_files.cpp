#include "cli/output_files.hpp"

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "core/config_error.hpp"

namespace ropecheck::cli {

namespace fs = std::filesystem;

OutputFiles::OutputFiles(std::string dir) : dir_(std::move(dir)) {
  std::error_code error;
  fs::create_directories(dir_, error);
  if (error || !fs::is_directory(dir_))
    throw ConfigError("--out", "cannot create directory " + dir_ + ": " + error.message());
}

OutputFiles::~OutputFiles() {
  std::error_code ignored;
  for (const auto& [temporary, final_name] : pending_) fs::remove(temporary, ignored);
}

std::string OutputFiles::temporary(const std::string& name) {
  const std::string temporary = (fs::path(dir_) / (".tmp-" + std::to_string(::getpid()) + "-" + name)).string();
  pending_.emplace_back(temporary, (fs::path(dir_) / name).string());
  return temporary;
}

std::string OutputFiles::write(const std::string& name, const std::string& content) {
  const std::string path = temporary(name);
  std::ofstream file(path, std::ios::binary);
  file << content;
  file.close();
  if (!file) throw ConfigError("--out", "cannot write " + path);
  return path;
}

void OutputFiles::commit() {
  for (const auto& [temporary, final_name] : pending_) fs::rename(temporary, final_name);
  pending_.clear();
}

}  // namespace ropecheck::cli
