#!/usr/bin/env bash
# Times the test command (.ci/run, i.e. ci/test.sh) from a fresh clone of this checkout's HEAD
# and prints each phase's wall time and CPU time (user + sys of every process it ran): set-up,
# build, ctest, fuzz, sanitized build, sanitized tests. A developers' tool, not a test.
#   ci/timing.sh [DIR]   clone into DIR and keep it, with the run's log in DIR.log (default: a
#                        new temporary directory, removed at the end)
# The clone reuses this checkout's ggml and ONNX Runtime downloads (.cache/ggml,
# .cache/onnxruntime) when there are, so that the set-up phase does not time the network; set
# ROPECHECK_GGML_PREFIX or ROPECHECK_ORT_PREFIX to choose others.
# On a machine shared with other jobs wall times stretch but CPU times hardly move: compare CPU
# times, and read "CPU/cores" as what the phase would take on this machine idle (a lower bound:
# a phase can also be held up by its longest single job).
set -euo pipefail
cd "$(dirname "$0")/.."
source_dir=$(pwd)

if [ "$#" -gt 1 ]; then
  echo "usage: ci/timing.sh [DIR]" >&2
  exit 2
fi
if [ "$#" -eq 1 ]; then
  clone="$1"
  if [ -e "$clone" ]; then
    echo "ci/timing.sh: $clone exists; give a new directory" >&2
    exit 2
  fi
else
  clone=$(mktemp -d)/ropecheck
  trap 'rm -rf "$(dirname "$clone")"' EXIT
fi

git clone --quiet "$source_dir" "$clone"
if [ -z "${ROPECHECK_GGML_PREFIX:-}" ] && [ -f "$source_dir/.cache/ggml/.installed" ]; then
  export ROPECHECK_GGML_PREFIX="$source_dir/.cache/ggml"
fi
if [ -z "${ROPECHECK_ORT_PREFIX:-}" ] && [ -f "$source_dir/.cache/onnxruntime/.installed" ]; then
  export ROPECHECK_ORT_PREFIX="$source_dir/.cache/onnxruntime"
fi

times="$clone.phase-times"
log="$clone.log"
: >"$times"
cores=$(nproc)
echo "ci/timing.sh: running the test command in $clone ($cores cores; log: $log)"
start=$(date +%s.%N)
status=0
ROPECHECK_PHASE_TIMES="$times" bash "$clone/.ci/run" >"$log" 2>&1 || status=$?
end=$(date +%s.%N)

awk -v cores="$cores" -v total="$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" '
  BEGIN { printf "%-16s %9s %9s %10s\n", "phase", "wall s", "CPU s", "CPU/cores" }
  { cpu = $3 + $4; wall += $2; all += cpu
    printf "%-16s %9.1f %9.1f %10.1f\n", $1, $2, cpu, cpu / cores }
  END { printf "%-16s %9.1f %9.1f %10.1f\n", "total", total, all, all / cores }' "$times"
if [ "$status" -ne 0 ]; then
  echo "ci/timing.sh: the test command failed (exit $status); the end of its log:" >&2
  tail -n 40 "$log" >&2
  exit "$status"
fi
