// Generating golden vector sets with the reference, and reading them back from both layouts.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "kernels/vectors/file_bytes.hpp"
#include "kernels/vectors/npy.hpp"
#include "kernels/vectors/safetensors.hpp"
#include "kernels/vectors/tests/hostile_bytes.hpp"
#include "kernels/vectors/vector_files.hpp"
#include "reference/reference.hpp"

namespace ropecheck::vectors {
namespace {

namespace fs = std::filesystem;
using testing::expect_config_error;

VectorSpec small_spec(Dtype dtype) {
  VectorSpec spec;
  spec.config = {{"head_dim", 8}, {"rope_theta", 10000.0}, {"layout", "interleaved"}};
  spec.dtype = dtype;
  spec.positions_spec = "0,1,100,2^20";
  spec.positions = {0, 1, 100, 1 << 20};
  spec.heads = 3;
  spec.seed = 11;
  return spec;
}

// A fresh directory under the system temporary directory, removed afterwards.
class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / ("vector_set_test-" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

void write_files(const std::string& dir,
                 const std::vector<std::pair<std::string, std::string>>& files) {
  fs::create_directories(dir);
  for (const auto& [name, bytes] : files)
    std::ofstream(fs::path(dir) / name, std::ios::binary) << bytes;
}

void expect_same_set(const VectorSet& a, const VectorSet& b) {
  EXPECT_EQ(a.metadata, b.metadata);
  EXPECT_EQ(a.dtype, b.dtype);
  EXPECT_EQ(a.seq_len, b.seq_len);
  EXPECT_EQ(a.heads, b.heads);
  EXPECT_EQ(a.positions, b.positions);
  ASSERT_EQ(a.x.size(), b.x.size());
  for (std::size_t i = 0; i < a.x.size(); ++i) {
    EXPECT_EQ(std::signbit(a.x[i]), std::signbit(b.x[i]));
    EXPECT_EQ(a.x[i], b.x[i]);
    EXPECT_EQ(a.expected[i], b.expected[i]);
  }
}

TEST(GenerateVectors, ExpectedIsTheReferenceCorrectlyRounded) {
  for (Dtype dtype : all_dtypes()) {
    const VectorSpec spec = small_spec(dtype);
    const VectorSet set = generate_vectors(spec);
    EXPECT_EQ(set.shape(), (std::vector<std::int64_t>{4, 3, 8}));
    ASSERT_EQ(set.x.size(), 96u);
    const reference::Reference oracle(set.config, (1 << 20) + 1);
    std::vector<double> y(8);
    for (std::size_t row = 0; row < 12; ++row) {
      const auto x = std::span<const double>(set.x).subspan(row * 8, 8);
      oracle.apply(set.positions[row / 3], x, dtype, y);
      for (std::size_t c = 0; c < 8; ++c) {
        EXPECT_EQ(set.expected[row * 8 + c], y[c]) << dtype_name(dtype) << " row " << row;
        EXPECT_TRUE(representable(set.expected[row * 8 + c], dtype));
        if (row < 3) {
          EXPECT_EQ(set.expected[row * 8 + c], x[c]) << "position 0 is the identity";
        }
      }
    }
    EXPECT_EQ(set.metadata.at("ropecheck_vectors"), "1");
    EXPECT_EQ(set.metadata.at("dtype"), dtype_name(dtype));
    EXPECT_EQ(set.metadata.at("seq_len"), std::to_string((1 << 20) + 1));
    EXPECT_EQ(set.seq_len, (1 << 20) + 1);
    EXPECT_EQ(set.metadata.at("seed"), "11");
    EXPECT_EQ(set.metadata.at("positions_spec"), "0,1,100,2^20");
    EXPECT_EQ(nlohmann::json::parse(set.metadata.at("config")), spec.config);
    const auto rope = nlohmann::json::parse(set.metadata.at("rope"));
    EXPECT_EQ(rope["layout"], "interleaved");
    EXPECT_EQ(rope["rope_type"], "default");
    EXPECT_EQ(rope["attention_factor"], 1.0);
    EXPECT_EQ(set.metadata.count("preset"), 0u);
  }
}

TEST(GenerateVectors, IsDeterministicAndKeyedBySeed) {
  VectorSpec spec = small_spec(Dtype::bf16);
  const VectorSet a = generate_vectors(spec);
  expect_same_set(a, generate_vectors(spec));
  spec.seed = 12;
  EXPECT_NE(generate_vectors(spec).x, a.x);
}

TEST(GenerateVectors, RejectsBadSpecs) {
  VectorSpec spec = small_spec(Dtype::f32);
  spec.heads = 0;
  expect_config_error([&] { generate_vectors(spec); }, "--heads", "out of range");
  spec = small_spec(Dtype::f32);
  spec.positions = {};
  expect_config_error([&] { generate_vectors(spec); }, "--positions", "no position");
  spec = small_spec(Dtype::f32);
  spec.positions = std::vector<std::int64_t>(1 << 20, 5);
  spec.heads = 4096;
  expect_config_error([&] { generate_vectors(spec); }, "--positions", "more than");
  spec = small_spec(Dtype::f32);
  spec.config["head_dim"] = 7;
  EXPECT_THROW(generate_vectors(spec), ConfigError);
}

TEST(VectorsFromInputs, GivenTheDrawnInputsItIsTheGeneratedSet) {
  const VectorSpec spec = small_spec(Dtype::bf16);
  const VectorSet drawn = generate_vectors(spec);
  expect_same_set(vectors_from_inputs(spec, drawn.x), drawn);
}

TEST(VectorsFromInputs, RejectsAWrongCountAndValuesOutsideTheDtype) {
  const VectorSpec spec = small_spec(Dtype::bf16);
  std::vector<double> x = generate_vectors(spec).x;
  expect_config_error(
      [&] {
        vectors_from_inputs(spec, {x.begin(), x.end() - 1});
      },
      "x", "holds 95 values");
  x[5] = 0.1;  // not a bf16 value
  expect_config_error([&] { vectors_from_inputs(spec, x); }, "x", "flat index 5");
  x[5] = NAN;
  expect_config_error([&] { vectors_from_inputs(spec, x); }, "x", "not a finite bf16 value");
}

TEST(VectorFiles, BothLayoutsRoundTrip) {
  const TempDir dir;
  const VectorSet set = generate_vectors(small_spec(Dtype::f16));
  write_files(dir / "st", encode_vector_set(set, VectorLayout::safetensors_file, "v.safetensors"));
  expect_same_set(set, read_vector_set(dir / "st/v.safetensors"));
  write_files(dir / "npy", encode_vector_set(set, VectorLayout::npy_directory, ""));
  expect_same_set(set, read_vector_set(dir / "npy"));
  EXPECT_EQ(read_npy(read_file_bytes(dir / "npy/x.npy"), "x").shape, set.shape());
}

TEST(VectorFiles, LayoutFollowsTheOutputName) {
  EXPECT_EQ(vector_layout_for("a/b.safetensors", "--out"), VectorLayout::safetensors_file);
  EXPECT_EQ(vector_layout_for("a/dir", "--out"), VectorLayout::npy_directory);
  expect_config_error([] { vector_layout_for("v.npy", "--out"); }, "--out", "directory");
}

TEST(VectorFiles, ReadsOutputsAndRejectsMismatches) {
  const TempDir dir;
  const VectorSet set = generate_vectors(small_spec(Dtype::bf16));
  const auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir / name, std::ios::binary) << bytes;
    return dir / name;
  };
  const Tensor y = float_tensor(Dtype::bf16, set.shape(), set.expected);
  EXPECT_EQ(read_outputs(write("y.safetensors", write_safetensors({{{"y", y}}, {}})), set),
            set.expected);
  EXPECT_EQ(read_outputs(write("y.npy", write_npy(y)), set), set.expected);
  const std::string no_y = write("no_y.safetensors", write_safetensors({{{"z", y}}, {}}));
  expect_config_error([&] { read_outputs(no_y, set); }, no_y, "no tensor 'y'");
  const std::string f32 =
      write("f32.npy", write_npy(float_tensor(Dtype::f32, set.shape(), set.expected)));
  expect_config_error([&] { read_outputs(f32, set); }, f32,
                      "outputs are f32 but the vectors are bf16");
  const std::string flat =
      write("flat.npy", write_npy(float_tensor(Dtype::bf16, {96}, set.expected)));
  expect_config_error([&] { read_outputs(flat, set); }, flat, "shape [96]");
  const std::string missing = dir / "missing.npy";
  expect_config_error([&] { read_outputs(missing, set); }, missing, "no such file");
  expect_config_error([&] { read_outputs(dir / "", set); }, dir / "", "not a regular file");
}

TEST(VectorFiles, RejectsSetsThatDisagreeWithThemselves) {
  const TempDir dir;
  const VectorSet set = generate_vectors(small_spec(Dtype::f32));
  const Tensor x = float_tensor(Dtype::f32, set.shape(), set.x);
  const Tensor positions = int64_tensor({set.tokens()}, set.positions);
  const auto rejects = [&](SafetensorsFile file, const std::string& fragment) {
    const std::string path = dir / "bad.safetensors";
    std::ofstream(path, std::ios::binary) << write_safetensors(file);
    expect_config_error([&] { read_vector_set(path); }, path, fragment);
  };
  const std::vector<NamedTensor> tensors = {{"x", x}, {"positions", positions}, {"expected", x}};
  rejects({tensors, {}}, "lacks \"ropecheck_vectors\"");
  auto metadata = set.metadata;
  metadata["ropecheck_vectors"] = "2";
  rejects({tensors, metadata}, "version \"2\"");
  metadata = set.metadata;
  metadata["dtype"] = "f8";
  rejects({tensors, metadata}, "dtype \"f8\"");
  metadata = set.metadata;
  metadata["seq_len"] = "12x";
  rejects({tensors, metadata}, "seq_len \"12x\"");
  metadata = set.metadata;
  metadata["config"] = "{not json";
  rejects({tensors, metadata}, "not valid JSON");
  metadata["config"] = R"({"head_dim": 8, "rope_theta": 0.5})";
  rejects({tensors, metadata}, "metadata config: rope_theta");
  rejects({{{"x", x}, {"expected", x}}, set.metadata}, "lacks tensor 'positions'");
  rejects({{{"x", x},
            {"positions", positions},
            {"expected", int64_tensor({1}, std::vector<std::int64_t>{0})}},
           set.metadata},
          "tensor 'expected' is i64");
  const Tensor f16 = float_tensor(Dtype::f16, set.shape(), std::vector<double>(set.x.size()));
  rejects({{{"x", f16}, {"positions", positions}, {"expected", x}}, set.metadata},
          "tensor 'x' is f16");
  const Tensor wide = float_tensor(Dtype::f32, {4, 3, 4}, std::vector<double>(48));
  rejects({{{"x", wide}, {"positions", positions}, {"expected", wide}}, set.metadata},
          "expected [tokens, heads, 8]");
  const Tensor negative = int64_tensor({4}, std::vector<std::int64_t>{0, 1, -5, 3});
  rejects({{{"x", x}, {"positions", negative}, {"expected", x}}, set.metadata}, "position -5");
}

}  // namespace
}  // namespace ropecheck::vectors
