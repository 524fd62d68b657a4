#!/usr/bin/env bash
# Configures and builds ropecheck in ./build (Release). Warnings are errors when CI is set.
#   ROPECHECK_GGML_DIR   where ggml's libraries are (ci/ggml.sh prints it); default: the build's
#   ROPECHECK_ORT_DIR    where onnxruntime-node is (ci/onnxruntime.sh prints it); default: the build's
set -euo pipefail
cd "$(dirname "$0")/.."
werror=OFF
if [ -n "${CI:-}" ]; then werror=ON; fi
# Each library and program compiles as few files as possible (unity files; cmake/
# ropecheck_build_speed.cmake: a half to two thirds of the compile time of its files apart), and
# the code that only parses and prints at -O1 (60% of -O3's compile time; nothing it does is
# speed-critical). The numerics and what drives them (audit, vectors, check) keep -O3.
args=(-DCMAKE_BUILD_TYPE=Release -DROPECHECK_WERROR="$werror" -DROPECHECK_REQUIRE_PYTHON="$werror"
      -DROPECHECK_UNITY_BUILD=ON -DROPECHECK_IO_OPTIMIZATION=-O1)
if [ -n "${ROPECHECK_GGML_DIR:-}" ]; then args+=(-DROPECHECK_GGML_DIR="$ROPECHECK_GGML_DIR"); fi
if [ -n "${ROPECHECK_ORT_DIR:-}" ]; then args+=(-DROPECHECK_ORT_DIR="$ROPECHECK_ORT_DIR"); fi
# Ninja when there is one (it schedules the two cores better than make); an existing build
# directory keeps the generator it was configured with.
if [ ! -f build/CMakeCache.txt ] && command -v ninja >/dev/null 2>&1; then args+=(-G Ninja); fi
cmake -S . -B build "${args[@]}" >/dev/null
cmake --build build -j "$(nproc)"
