#include "cli/output_files.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "cli/signal_cleanup.hpp"
#include "core/config_error.hpp"

namespace ropecheck::cli {

namespace fs = std::filesystem;

namespace {

// "out/" and "out/." name the directory "out": the trailing separators are dropped so that the
// staging directory is made beside it, not inside it.
fs::path normal_dir(const std::string& dir) {
  fs::path path = fs::path(dir).lexically_normal();
  while (!path.has_filename() && path.has_parent_path() && path.parent_path() != path)
    path = path.parent_path();
  return path;
}

fs::path parent_of(const fs::path& path) {
  return path.has_parent_path() ? path.parent_path() : fs::path(".");
}

// An existing target must be a regular file (symlink_status: a link is not followed).
void require_regular_or_absent(const fs::path& path, const std::string& option) {
  std::error_code error;
  const auto status = fs::symlink_status(path, error);
  if (error && error != std::errc::no_such_file_or_directory)
    throw ConfigError(option,
                      fmt::format("{} cannot be inspected: {}", path.string(), error.message()));
  if (!fs::exists(status) || fs::is_regular_file(status)) return;
  const char* kind = fs::is_directory(status) ? "a directory"
                     : fs::is_symlink(status) ? "a symbolic link"
                                              : "not a regular file";
  throw ConfigError(option, fmt::format("{} is {}; ropecheck replaces only regular files: give "
                                        "a new file name",
                                        path.string(), kind));
}

void require_writable_directory(const fs::path& dir, const std::string& option) {
  std::error_code error;
  if (!fs::is_directory(dir, error))
    throw ConfigError(option, fmt::format("{} is not an existing directory", dir.string()));
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw ConfigError(option,
                      fmt::format("cannot write into {}: {}", dir.string(), std::strerror(errno)));
}

// The nearest existing ancestor of `dir` must be a writable directory (so create_directories
// will succeed later).
void require_creatable(const fs::path& dir, const std::string& option) {
  fs::path probe = dir;
  std::error_code error;
  while (!fs::exists(fs::symlink_status(probe, error))) {
    if (!probe.has_parent_path() || probe.parent_path() == probe) {
      probe = ".";
      break;
    }
    probe = probe.parent_path();
  }
  require_writable_directory(probe, option);
}

void write_new_file(const std::string& path, const std::string& content,
                    const std::string& option) {
  // O_EXCL: the temporary is ours; nothing that appeared under its name is followed or reused.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0)
    throw ConfigError(option, fmt::format("cannot create {}: {}", path, std::strerror(errno)));
  remove_on_signal(path);
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int saved = errno;
      ::close(fd);
      throw ConfigError(option, fmt::format("cannot write {}: {}", path, std::strerror(saved)));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0)
    throw ConfigError(option, fmt::format("cannot write {}: {}", path, std::strerror(errno)));
}

std::string temporary_name(const fs::path& target) {
  return (parent_of(target) / fmt::format(".{}.tmp-{}", target.filename().string(), ::getpid()))
      .string();
}

}  // namespace

void check_output_file(const std::string& path, const std::string& option) {
  if (path.empty()) throw ConfigError(option, "needs a file name");
  const fs::path target(path);
  if (!target.has_filename())
    throw ConfigError(option, fmt::format("{} names a directory; give a file name", path));
  require_regular_or_absent(target, option);
  require_creatable(parent_of(target), option);
}

void check_output_set(const std::string& dir, const std::vector<std::string>& names,
                      const std::string& option) {
  if (dir.empty()) throw ConfigError(option, "needs a directory name");
  std::error_code error;
  const auto status = fs::symlink_status(dir, error);
  if (!fs::exists(status)) {
    require_creatable(parent_of(normal_dir(dir)), option);
    return;
  }
  if (!fs::is_directory(status))
    throw ConfigError(option, fmt::format("{} exists and is not a directory", dir));
  // The whole directory is replaced, so it may hold only an earlier set of the same outputs.
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (std::find(names.begin(), names.end(), name) == names.end() ||
        !entry.is_regular_file(error) || entry.is_symlink(error))
      throw ConfigError(option, fmt::format("{} holds {}, which is not one of ropecheck's output "
                                            "files; give a new or empty directory",
                                            dir, name));
  }
  if (error) throw ConfigError(option, fmt::format("cannot list {}: {}", dir, error.message()));
  require_writable_directory(dir, option);
  require_writable_directory(parent_of(normal_dir(dir)), option);
}

OutputFiles::OutputFiles(std::string dir, std::string option)
    : dir_(std::move(dir)), option_(std::move(option)) {
  std::error_code error;
  fs::create_directories(dir_, error);
  if (error || !fs::is_directory(dir_))
    throw ConfigError(option_, "cannot create directory " + dir_ + ": " + error.message());
}

OutputFiles::~OutputFiles() {
  std::error_code ignored;
  for (const auto& [temporary, final_name] : pending_) {
    fs::remove(temporary, ignored);
    keep_on_signal(temporary);
  }
}

std::string OutputFiles::temporary(const std::string& name) {
  const fs::path target = fs::path(dir_) / name;
  require_regular_or_absent(target, option_);
  const std::string temporary = temporary_name(target);
  std::error_code ignored;
  fs::remove(temporary, ignored);  // a leftover of an earlier process with our pid
  remove_on_signal(temporary);
  pending_.emplace_back(temporary, target.string());
  return temporary;
}

std::string OutputFiles::write(const std::string& name, const std::string& content) {
  const fs::path target = fs::path(dir_) / name;
  require_regular_or_absent(target, option_);
  const std::string temporary = temporary_name(target);
  std::error_code ignored;
  fs::remove(temporary, ignored);
  pending_.emplace_back(temporary, target.string());
  write_new_file(temporary, content, option_);
  return temporary;
}

void OutputFiles::commit() {
  for (const auto& [temporary, final_name] : pending_)
    require_regular_or_absent(final_name, option_);
  for (const auto& [temporary, final_name] : pending_) {
    if (std::rename(temporary.c_str(), final_name.c_str()) != 0)
      throw ConfigError(option_, fmt::format("cannot rename {} to {}: {}", temporary, final_name,
                                             std::strerror(errno)));
    keep_on_signal(temporary);
  }
  pending_.clear();
}

OutputSet::OutputSet(std::string dir, std::vector<std::string> names, std::string option)
    : dir_(std::move(dir)), option_(std::move(option)), names_(std::move(names)) {
  check_output_set(dir_, names_, option_);
  const fs::path target = normal_dir(dir_);
  const fs::path parent = parent_of(target);
  std::error_code error;
  fs::create_directories(parent, error);
  std::string pattern =
      (parent / fmt::format(".{}.tmp-{}-XXXXXX", target.filename().string(), ::getpid())).string();
  if (::mkdtemp(pattern.data()) == nullptr)
    throw ConfigError(option_, fmt::format("cannot create a directory next to {}: {}", dir_,
                                           std::strerror(errno)));
  staging_ = pattern;
  remove_on_signal(staging_, /*directory=*/true);
}

OutputSet::~OutputSet() {
  if (staging_.empty()) return;
  std::error_code ignored;
  for (const std::string& file : staged_) keep_on_signal(file);
  keep_on_signal(staging_);
  fs::remove_all(staging_, ignored);
}

std::string OutputSet::path(const std::string& name) {
  if (std::find(names_.begin(), names_.end(), name) == names_.end())
    throw std::logic_error("output set has no file " + name);
  const std::string file = (fs::path(staging_) / name).string();
  remove_on_signal(file);
  staged_.push_back(file);
  return file;
}

void OutputSet::write(const std::string& name, const std::string& content) {
  if (std::find(names_.begin(), names_.end(), name) == names_.end())
    throw std::logic_error("output set has no file " + name);
  const std::string file = (fs::path(staging_) / name).string();
  staged_.push_back(file);
  write_new_file(file, content, option_);
}

void OutputSet::commit() {
  // Checked again: the target may have changed while the work ran.
  check_output_set(dir_, names_, option_);
  const std::string target = normal_dir(dir_).string();
  std::error_code error;
  const bool exists = fs::exists(fs::symlink_status(target, error));
  // Linux swaps two directories atomically; a plain rename needs the target absent (or empty).
  if (exists &&
      ::renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0) {
    // staging_ now holds the earlier set: removed below.
  } else if (exists && errno != EINVAL && errno != ENOSYS) {
    throw ConfigError(option_, fmt::format("cannot replace {}: {}", target, std::strerror(errno)));
  } else {
    // No exchange on this filesystem: the earlier set moves aside first, so that the target is
    // briefly absent but never a mix of two sets.
    const std::string aside = staging_ + ".old";
    if (exists && std::rename(target.c_str(), aside.c_str()) != 0)
      throw ConfigError(option_,
                        fmt::format("cannot move {} aside: {}", target, std::strerror(errno)));
    if (std::rename(staging_.c_str(), target.c_str()) != 0)
      throw ConfigError(option_, fmt::format("cannot rename {} to {}: {}", staging_, target,
                                             std::strerror(errno)));
    if (exists) std::rename(aside.c_str(), staging_.c_str());  // removed below
  }
  for (const std::string& file : staged_) keep_on_signal(file);
  staged_.clear();
  keep_on_signal(staging_);
  fs::remove_all(staging_, error);
  staging_.clear();
}

}  // namespace ropecheck::cli
