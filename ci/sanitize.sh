#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer build of ropecheck and its tests (in
# build-sanitize, or $ROPECHECK_SANITIZE_DIR), then the fast test labels under both sanitizers.
# Any report stops the test that triggered it (halt_on_error) and fails this script.
# Plugins (kernels/examples, the ggml adapter) are built without sanitizers: they are the code
# under test, and their deliberate crashes must reach ropecheck as crashes.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${ROPECHECK_SANITIZE_DIR:-build-sanitize}"

# GCC's -Wmaybe-uninitialized misfires on sanitizer-instrumented Boost.Multiprecision code; it
# stays a warning here (the normal -Werror build enforces it), every other warning is an error.
flags="-fsanitize=address,undefined -fno-omit-frame-pointer -g -Wno-error=maybe-uninitialized"
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DROPECHECK_WERROR=ON \
  -DROPECHECK_BUILD_BENCH=OFF \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build "$dir" -j "$(nproc)"

export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
# The slow labels (properties, mutants, audit, package, ggml) run in the normal build only.
ctest --test-dir "$dir" -L 'unit|reference|vectors|kernels' --output-on-failure -j "$(nproc)"
