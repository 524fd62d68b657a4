// The loader: the example plugin's table, and a clear ConfigError for each malformed plugin.
#include <gtest/gtest.h>

#include "core/config_error.hpp"
#include "kernels/plugin/plugin_library.hpp"

namespace ropecheck::kernels {
namespace {

// The message of the ConfigError that opening `path` throws ("" if none).
std::string open_error(const std::string& path) {
  try {
    PluginLibrary::open(path);
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.key(), "--kernel");
    return error.what();
  }
  return "";
}

TEST(PluginLibrary, ListsTheCorrectPluginsKernels) {
  const auto lib = PluginLibrary::open(CORRECT_PLUGIN);
  ASSERT_EQ(lib->kernels().size(), 3u);
  const KernelInfo& k = lib->kernel("correct_f32");
  EXPECT_EQ(k.dtypes, RC_DTYPE_F32);
  EXPECT_EQ(k.layouts, RC_LAYOUT_HALF | RC_LAYOUT_INTERLEAVED);
  EXPECT_EQ(k.angle_mode, RC_ANGLES_COMPUTED);
  EXPECT_EQ(k.bound, "f32");
  EXPECT_EQ(dtype_mask_names(lib->kernel("correct_cached_bf16").dtypes), "bf16");
  // A cache-taking kernel runs every variant: ropecheck computes its angles.
  EXPECT_EQ(lib->kernel("correct_cached_f32").rope_types, RC_ROPE_ALL);
}

TEST(PluginLibrary, MissingFileNamesThePath) {
  const std::string message = open_error("/nonexistent/plugin.so");
  EXPECT_NE(message.find("cannot load plugin /nonexistent/plugin.so"), std::string::npos) << message;
}

TEST(PluginLibrary, MissingSymbolNamesLibraryAndSymbol) {
  const std::string message = open_error(FIXTURE_NO_SYMBOL);
  EXPECT_NE(message.find(FIXTURE_NO_SYMBOL), std::string::npos) << message;
  EXPECT_NE(message.find("does not export the symbol ropecheck_kernels"), std::string::npos)
      << message;
}

TEST(PluginLibrary, AbiVersionMismatchNamesBothVersions) {
  const std::string message = open_error(FIXTURE_ABI_99);
  EXPECT_NE(message.find("built for kernel ABI version 99"), std::string::npos) << message;
  EXPECT_NE(message.find("speaks version 1"), std::string::npos) << message;
}

TEST(PluginLibrary, NullTableSaysTheVersionIsNotServed) {
  const std::string message = open_error(FIXTURE_NULL_TABLE);
  EXPECT_NE(message.find("does not serve kernel ABI version 1"), std::string::npos) << message;
}

TEST(PluginLibrary, DescriptorWithoutApplyIsRejected) {
  const std::string message = open_error(FIXTURE_NO_APPLY);
  EXPECT_NE(message.find("kernel \"fixture\" has no apply function"), std::string::npos) << message;
}

TEST(PluginLibrary, UnknownKernelNameListsTheKernels) {
  const auto lib = PluginLibrary::open(CORRECT_PLUGIN);
  try {
    lib->kernel("nope");
    FAIL() << "no error";
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.key(), "--kernel-name");
    EXPECT_NE(std::string(error.what()).find("correct_f32, correct_cached_f32"), std::string::npos);
  }
}

}  // namespace
}  // namespace ropecheck::kernels
