// Writing a command's output files without ever leaving a mix of old and new outputs, and
// without replacing anything that is not a regular file (a symlink, a device such as /dev/null).
//
// One file: written to a temporary twin in the same directory, renamed over the target.
// A set of files (audit --out, vectors --out DIR): written into a temporary directory next to
// the target, which then takes the target's place in one rename (an atomic exchange when the
// target already holds an earlier set). Temporaries are removed on failure and on SIGINT/SIGTERM.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace ropecheck::cli {

// Checks, before any work, that `path` can be written as one output file: it is absent or a
// regular file (not a directory, symlink or device), and its directory exists (or can be made)
// and is writable. Throws ConfigError(option) naming the path otherwise.
void check_output_file(const std::string& path, const std::string& option);

// Checks, before any work, that `dir` can receive an output set made of `names`: it is absent
// (and its parent writable) or a directory holding nothing but files of such a set.
void check_output_set(const std::string& dir, const std::vector<std::string>& names,
                      const std::string& option);

// Files written into one directory, each renamed into place by commit().
class OutputFiles {
 public:
  // Creates `dir` if needed; throws ConfigError("--out") if it cannot be used.
  explicit OutputFiles(std::string dir, std::string option = "--out");
  ~OutputFiles();  // removes temporaries that were never committed
  OutputFiles(const OutputFiles&) = delete;
  OutputFiles& operator=(const OutputFiles&) = delete;

  // Writes `content` to the temporary twin of `name` and returns the temporary path.
  std::string write(const std::string& name, const std::string& content);
  // The temporary path `name` will be renamed from (for files a tool writes itself).
  std::string temporary(const std::string& name);
  // Renames every temporary into place; throws ConfigError if a target became something other
  // than a regular file meanwhile.
  void commit();
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_, option_;
  std::vector<std::pair<std::string, std::string>> pending_;  // (temporary, final)
};

// A directory of outputs that appears all at once (see the top of this file).
class OutputSet {
 public:
  // Checks `dir` with check_output_set and creates the staging directory next to it.
  OutputSet(std::string dir, std::vector<std::string> names, std::string option);
  ~OutputSet();  // removes the staging directory unless committed
  OutputSet(const OutputSet&) = delete;
  OutputSet& operator=(const OutputSet&) = delete;

  // Writes `content` as `name` (one of the set's names) into the staging directory.
  void write(const std::string& name, const std::string& content);
  // The staging path of `name`, for a file another program writes (removed on failure).
  std::string path(const std::string& name);
  // The staging directory (the working directory of a program that writes into the set).
  const std::string& staging() const { return staging_; }
  // Puts the set in place of `dir` in one rename; an earlier set there is removed afterwards.
  void commit();

 private:
  std::string dir_, option_, staging_;
  std::vector<std::string> names_, staged_;
};

}  // namespace ropecheck::cli
