#!/usr/bin/env bash
# Builds the libFuzzer targets of kernels/fuzz with clang (ASan + UBSan) and runs each for a
# bounded time from the committed seed corpus (kernels/fuzz/corpus/NAME). Exits non-zero when a
# target crashes, leaks, hits undefined behaviour, times out or runs out of memory; the input
# that did it is left in build-fuzz/artifacts/.
#   FUZZ_SECONDS   seconds per target (default 20)
#   FUZZ_CXX       the clang++ to use (default: clang++-14, else clang++)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-20}"
cxx="${FUZZ_CXX:-}"
if [ -z "$cxx" ]; then
  for candidate in clang++-14 clang++; do
    if command -v "$candidate" >/dev/null 2>&1; then cxx="$candidate"; break; fi
  done
fi
if [ -z "$cxx" ]; then
  echo "ci/fuzz.sh: needs clang++ with libFuzzer (Debian 12: clang-14 libclang-rt-14-dev)" >&2
  exit 2
fi

build=build-fuzz
cmake -S kernels/fuzz -B "$build" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  >/dev/null
cmake --build "$build" -j "$(nproc)"

mkdir -p "$build/artifacts"
for name in safetensors npy hf_config; do
  # New inputs go to a scratch corpus in the build tree; the committed seeds are only read.
  mkdir -p "$build/corpus/$name"
  echo "ci/fuzz.sh: fuzzing $name for ${seconds}s"
  "$build/fuzz_$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -malloc_limit_mb=512 -dict=kernels/fuzz/json.dict -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/$name-" "$build/corpus/$name" "kernels/fuzz/corpus/$name"
done
echo "ci/fuzz.sh: no crash in ${seconds}s per target"
