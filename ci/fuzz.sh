#!/usr/bin/env bash
# Builds the libFuzzer targets of kernels/fuzz with clang (ASan + UBSan) and runs each for a
# bounded time from the committed seed corpus (kernels/fuzz/corpus/NAME). Exits non-zero when a
# target crashes, leaks, hits undefined behaviour, times out or runs out of memory; the input
# that did it is left in build-fuzz/artifacts/. Targets run side by side, one per core; each
# one's output is in build-fuzz/logs/NAME.log, and the console gets a line per target.
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
# Ninja when there is one: it compiles the targets' own files beside the parsers' library
# (make waits for the library first), 20 s instead of 27 s on two cores. An existing build
# directory keeps the generator it was configured with.
generator=()
if [ ! -f "$build/CMakeCache.txt" ] && command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
cmake -S kernels/fuzz -B "$build" "${generator[@]}" -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" >"$build/build.log" 2>&1 ||
  { tail -n 80 "$build/build.log"; exit 1; }

mkdir -p "$build/artifacts" "$build/logs"
# One target per core at a time, each for the full time; libFuzzer's output goes to
# build-fuzz/logs/NAME.log and the log gets one line per target (the file's tail on failure).
fuzz_one() {
  local name="$1" log="$build/logs/$1.log"
  # New inputs go to a scratch corpus in the build tree; the committed seeds are only read.
  mkdir -p "$build/corpus/$name"
  if "$build/fuzz_$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -malloc_limit_mb=512 -dict=kernels/fuzz/json.dict -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/$name-" "$build/corpus/$name" "kernels/fuzz/corpus/$name" \
    >"$log" 2>&1; then
    local runs cov
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9/]*[a-zA-Z]*' "$log" | tail -n 1)
    echo "ci/fuzz.sh: $name: no finding in ${seconds}s, ${runs:-?} runs, ${cov:-no coverage line} (log: $log)"
  else
    echo "ci/fuzz.sh: $name FAILED (log: $log, input in $build/artifacts/); its tail:"
    tail -n 60 "$log"
    return 1
  fi
}

rm -f "$build"/logs/*.failed
for name in safetensors npy hf_config; do
  while (($(jobs -rp | wc -l) >= $(nproc))); do wait -n || true; done
  { fuzz_one "$name" || touch "$build/logs/$name.failed"; } &
done
wait
if compgen -G "$build/logs/*.failed" >/dev/null; then
  echo "ci/fuzz.sh: a fuzz target found a problem (above)" >&2
  exit 1
fi
echo "ci/fuzz.sh: no finding in ${seconds}s per target"
