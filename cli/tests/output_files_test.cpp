// Output files: sets appear whole, only regular files are replaced, temporaries never remain.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>
#include <filesystem>
#include <fstream>

#include "cli/output_files.hpp"
#include "core/config_error.hpp"

namespace ropecheck::cli {
namespace {

namespace fs = std::filesystem;

class OutputFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("ropecheck-output-files-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string read(const fs::path& path) {
    std::ifstream file(path);
    return std::string(std::istreambuf_iterator<char>(file), {});
  }
  // Names in the parent directory other than the expected ones: leftovers of a write.
  std::vector<std::string> entries() {
    std::vector<std::string> out;
    for (const auto& entry : fs::directory_iterator(root_))
      out.push_back(entry.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }

  fs::path root_;
  const std::vector<std::string> names_ = {"a.txt", "b.txt"};
};

TEST_F(OutputFilesTest, SetReplacesAnEarlierSetWhole) {
  const std::string dir = (root_ / "out").string();
  {
    OutputSet set(dir, names_, "--out");
    set.write("a.txt", "first a");
    set.write("b.txt", "first b");
    set.commit();
  }
  {
    OutputSet set(dir, names_, "--out");
    set.write("a.txt", "second a");
    set.commit();  // b.txt is not part of the new set: it must not survive from the first
  }
  EXPECT_EQ(read(root_ / "out" / "a.txt"), "second a");
  EXPECT_FALSE(fs::exists(root_ / "out" / "b.txt"));
  EXPECT_EQ(entries(), std::vector<std::string>{"out"});
}

TEST_F(OutputFilesTest, AbandonedSetLeavesTheEarlierOneAndNoTemporaries) {
  const std::string dir = (root_ / "out/").string();  // a trailing slash names the same directory
  {
    OutputSet set(dir, names_, "--out");
    set.write("a.txt", "kept");
    set.commit();
  }
  {
    OutputSet set(dir, names_, "--out");
    set.write("a.txt", "never committed");
  }
  EXPECT_EQ(read(root_ / "out" / "a.txt"), "kept");
  EXPECT_EQ(entries(), std::vector<std::string>{"out"});
}

TEST_F(OutputFilesTest, SetRefusesADirectoryWithOtherFiles) {
  fs::create_directories(root_ / "home");
  std::ofstream(root_ / "home" / "notes.txt") << "mine";
  EXPECT_THROW(OutputSet((root_ / "home").string(), names_, "--out"), ConfigError);
  EXPECT_THROW(check_output_set((root_ / "home" / "notes.txt").string(), names_, "--out"),
               ConfigError);
  EXPECT_EQ(read(root_ / "home" / "notes.txt"), "mine");
}

TEST_F(OutputFilesTest, OnlyRegularFilesAreReplaced) {
  fs::create_symlink(root_ / "target.json", root_ / "link.json");
  EXPECT_THROW(check_output_file((root_ / "link.json").string(), "--json"), ConfigError);
  ASSERT_EQ(::mkfifo((root_ / "special").c_str(), 0600), 0);  // stands for a device
  EXPECT_THROW(check_output_file((root_ / "special").string(), "--json"), ConfigError);
  EXPECT_THROW(check_output_file(root_.string(), "--json"), ConfigError);
  OutputFiles files(root_.string(), "--json");
  EXPECT_THROW(files.write("link.json", "x"), ConfigError);
  EXPECT_FALSE(fs::exists(root_ / "target.json"));
  EXPECT_NO_THROW(check_output_file((root_ / "new.json").string(), "--json"));
}

TEST_F(OutputFilesTest, TemporariesAreRemovedOnSigterm) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    OutputSet set((root_ / "out").string(), names_, "--out");
    set.write("a.txt", "half written");
    OutputFiles single(root_.string(), "--json");
    single.write("report.json", "{}");
    ::raise(SIGTERM);
    ::_exit(0);  // not reached: SIGTERM's default action ends the process
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
  EXPECT_EQ(entries(), std::vector<std::string>{});  // no staging directory, no .tmp file
}

}  // namespace
}  // namespace ropecheck::cli
