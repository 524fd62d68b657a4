// The C++ side of python/bench/reference_speed.py: the reference (reference::Reference::apply,
// one oracle, one row at a time, as `ropecheck rotate` runs it) over the rows of X.npy at the
// positions of POSITIONS.npy, for a preset and output dtype. Prints the CPU seconds of the
// rotation loop and its result's allocation (files excluded) and writes the outputs to Y.npy
// (float64), so that the Python side can show it computed the same outputs.
//   ropecheck_reference_pairs PRESET DTYPE X.npy POSITIONS.npy Y.npy
#include <algorithm>
#include <cstdint>
#include <ctime>
#include <exception>
#include <fstream>
#include <iostream>
#include <span>
#include <vector>

#include "core/presets.hpp"
#include "kernels/vectors/file_bytes.hpp"
#include "kernels/vectors/npy.hpp"
#include "kernels/vectors/tensor.hpp"
#include "reference/reference.hpp"

namespace {

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ropecheck;
  if (argc != 6) {
    std::cerr << "usage: ropecheck_reference_pairs PRESET DTYPE X.npy POSITIONS.npy Y.npy\n";
    return 2;
  }
  try {
    const RopeConfig config = find_preset(argv[1]).rope;
    const auto dtype = parse_dtype(argv[2]);
    if (!dtype) throw std::invalid_argument("unknown dtype");
    const auto x =
        vectors::float_values(vectors::read_npy(vectors::read_file_bytes(argv[3]), argv[3]));
    const auto positions =
        vectors::int64_values(vectors::read_npy(vectors::read_file_bytes(argv[4]), argv[4]));
    const auto n = static_cast<std::size_t>(config.head_dim);
    if (x.size() != positions.size() * n) throw std::invalid_argument("x is not rows x head_dim");
    // The result's allocation counts, as it does for the Python call, which returns a new array.
    const double start = cpu_seconds();
    std::vector<double> y(x.size());
    const reference::Reference oracle(
        config, effective_seq_len(*std::max_element(positions.begin(), positions.end()), {}));
    for (std::size_t r = 0; r < positions.size(); ++r)
      oracle.apply(positions[r], std::span(x).subspan(r * n, n), *dtype,
                   std::span(y).subspan(r * n, n));
    const double seconds = cpu_seconds() - start;
    std::ofstream(argv[5], std::ios::binary) << vectors::write_npy(
        vectors::float_tensor(Dtype::f64, {static_cast<std::int64_t>(y.size())}, y));
    std::cout << "cpu_seconds " << seconds << "\n";
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "ropecheck_reference_pairs: " << error.what() << "\n";
    return 2;
  }
}
