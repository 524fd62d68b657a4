// Writing a command's output files all-or-nothing: each file goes to a temporary name first and
// is renamed into place only when every file has been written.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace ropecheck::cli {

class OutputFiles {
 public:
  // Creates `dir` if needed; throws ConfigError("--out") if it cannot be used.
  explicit OutputFiles(std::string dir);
  ~OutputFiles();  // removes temporaries that were never committed

  // Writes `content` to the temporary twin of `name` and returns the temporary path.
  std::string write(const std::string& name, const std::string& content);
  // The temporary path `name` will be renamed from (for files a tool writes itself).
  std::string temporary(const std::string& name);
  // Renames every temporary into place.
  void commit();
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::vector<std::pair<std::string, std::string>> pending_;  // (temporary, final)
};

}  // namespace ropecheck::cli
