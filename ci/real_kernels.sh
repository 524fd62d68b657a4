#!/usr/bin/env bash
# The README's real-kernel accuracy table, in one command: installs the pinned ggml and ONNX
# Runtime packages (ci/ggml.sh, ci/onnxruntime.sh), builds the ropecheck CLI and the ggml
# adapter in ./build, runs every real kernel on golden vectors, grades it, and prints the table
# (kernels/adapters/real_kernel_table.py). Exit 1 when a row's verdict differs from the one
# recorded in kernels/adapters/real_kernel_verdicts.json (a kernel outside its bound is a
# recorded finding, not a failure).
#   bash ci/real_kernels.sh [OUT_DIR]   reports in OUT_DIR (default out/real-kernels)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-out/real-kernels}"

ggml_dir=$(bash ci/ggml.sh | sed -n 's/^ROPECHECK_GGML_DIR=//p')
ort_dir=$(bash ci/onnxruntime.sh | sed -n 's/^ROPECHECK_ORT_DIR=//p')
args=(-DROPECHECK_GGML_DIR="$ggml_dir" -DROPECHECK_ORT_DIR="$ort_dir")
if [ ! -f build/CMakeCache.txt ]; then
  args+=(-DCMAKE_BUILD_TYPE=Release)
  if command -v ninja >/dev/null 2>&1; then args+=(-G Ninja); fi
fi
cmake -S . -B build "${args[@]}" >/dev/null
cmake --build build -j "$(nproc)" --target ropecheck ropecheck_ggml_adapter >/dev/null
adapter=$(find build -name libropecheck_ggml_adapter.so -print -quit)
/usr/bin/python3 kernels/adapters/real_kernel_table.py --ropecheck build/cli/ropecheck \
  --ggml-adapter "$adapter" --ggml-dir "$ggml_dir" --ort-dir "$ort_dir" --out "$out" \
  --check kernels/adapters/real_kernel_verdicts.json
