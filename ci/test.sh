#!/usr/bin/env bash
# The test command of the README: installs what is missing, builds, and runs every test.
# Each phase starts with a line "ci/test.sh: phase NAME"; with ROPECHECK_PHASE_TIMES=FILE set,
# each also appends "NAME WALL USER SYS" (seconds) to FILE when it ends (ci/timing.sh reads it).
set -euo pipefail
cd "$(dirname "$0")/.."

phase() {
  local name="$1"
  shift
  echo "ci/test.sh: phase $name"
  if [ -z "${ROPECHECK_PHASE_TIMES:-}" ]; then
    "$@"
    return
  fi
  # bash's `time` counts the CPU time of every process the phase ran (user and sys).
  local TIMEFORMAT="$name %R %U %S" times
  times=$(mktemp)
  { time "$@" 2>&3; } 3>&2 2>"$times"
  cat "$times" >>"$ROPECHECK_PHASE_TIMES"
  rm -f "$times"
}

setup() {
  bash ci/setup.sh
  # llama.cpp's ggml libraries for the real third-party kernel test; the build is told where.
  local dir
  dir=$(bash ci/ggml.sh | sed -n 's/^ROPECHECK_GGML_DIR=//p')
  export ROPECHECK_GGML_DIR="$dir"
  # ONNX Runtime (onnxruntime-node) for the RotaryEmbedding golden-vector test, likewise.
  dir=$(bash ci/onnxruntime.sh | sed -n 's/^ROPECHECK_ORT_DIR=//p')
  export ROPECHECK_ORT_DIR="$dir"
}

phase setup setup
phase build bash ci/build.sh
phase ctest ctest --test-dir build --output-on-failure -j "$(nproc)"
# The parsers under libFuzzer for a bounded time, then the fast labels under ASan+UBSan.
phase fuzz bash ci/fuzz.sh
phase sanitize-build bash ci/sanitize.sh build
phase sanitize-ctest bash ci/sanitize.sh test
