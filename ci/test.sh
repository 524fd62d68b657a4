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

# The ASan+UBSan build starts once the normal build is done, at the lowest priority (nice 19):
# it takes only the CPU time that ctest and the fuzzers leave idle (tests waiting on worker
# processes or timeouts, the last fuzz target running alone on one of two cores), which was a
# tenth of those phases' time. Running under nice, it takes about 1.5% of a core from them
# where they are busy, so the fuzzers keep their full time. Its phase below waits for the rest;
# its output is in its log, printed when it fails.
sanitize_dir="${ROPECHECK_SANITIZE_DIR:-build-sanitize}"
sanitize_log="$sanitize_dir.log"
sanitize_pid=""
start_sanitized_build() {
  nice -n 19 bash ci/sanitize.sh build >"$sanitize_log" 2>&1 &
  sanitize_pid=$!
}
finish_sanitized_build() {
  local status=0
  wait "$sanitize_pid" || status=$?
  sanitize_pid=""
  if [ "$status" -ne 0 ]; then
    echo "ci/test.sh: the sanitized build failed (exit $status); the end of $sanitize_log:" >&2
    tail -n 60 "$sanitize_log" >&2
    return "$status"
  fi
  echo "ci/test.sh: sanitized build done (log: $sanitize_log)"
}
# A phase that fails ends this script: the background build goes with it.
stop_sanitized_build() {
  if [ -n "$sanitize_pid" ]; then kill -- "-$sanitize_pid" 2>/dev/null || kill "$sanitize_pid" 2>/dev/null || true; fi
}
trap stop_sanitized_build EXIT

phase setup setup
phase build bash ci/build.sh
set -m  # the background build gets a process group of its own, which stop_sanitized_build ends
start_sanitized_build
set +m
phase ctest ctest --test-dir build --output-on-failure -j "$(nproc)"
# The parsers under libFuzzer for a bounded time, then the fast labels under ASan+UBSan.
phase fuzz bash ci/fuzz.sh
# What is left of the sanitized build (the phase's CPU time is all of the build's: its processes
# are counted when they end).
phase sanitize-build finish_sanitized_build
phase sanitize-ctest bash ci/sanitize.sh test
