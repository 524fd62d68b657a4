#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer build of ropecheck and the tests of the fast
# labels (in build-sanitize, or $ROPECHECK_SANITIZE_DIR), then those labels under both
# sanitizers. Any report stops the test that triggered it (halt_on_error) and fails this script.
#   bash ci/sanitize.sh          build, then test
#   bash ci/sanitize.sh build    only configure and build
#   bash ci/sanitize.sh test     only run the tests of an existing build
# The normal build (./build) must exist: the tests of these labels there are the ones run here.
# Plugins (kernels/examples, the ggml adapter) are built without sanitizers: they are the code
# under test, and their deliberate crashes must reach ropecheck as crashes.
# The compiler is clang (Debian's clang-14, which ci/fuzz.sh also uses): it compiles these files
# under the sanitizers in about 60% of GCC's CPU time. The normal build (ci/build.sh) stays GCC,
# so both compilers' warnings, each an error here and there, gate CI.
#   SANITIZE_CXX, SANITIZE_CC   the compilers to use (default: clang++-14 and clang-14, else
#                               clang++ and clang)
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${ROPECHECK_SANITIZE_DIR:-build-sanitize}"
step="${1:-all}"
case "$step" in
  all | build | test) ;;
  *) echo "usage: ci/sanitize.sh [build|test]" >&2; exit 2 ;;
esac

# The slow labels (properties, mutants, audit, cli, package, ggml, bench) run in the normal build
# only, so only the programs these labels run are built.
labels='unit|reference|vectors|kernels'
targets=(core_tests impl_tests reference_tests vector_format_tests vector_set_tests grade_schema_tests
         plugin_tests
         ropecheck ropecheck_correct_plugin ropecheck_broken_plugin)

if [ "$step" != test ]; then
  cxx="${SANITIZE_CXX:-}"
  cc="${SANITIZE_CC:-}"
  if [ -z "$cxx" ] && [ -z "$cc" ]; then
    for version in -14 ""; do
      if command -v "clang++$version" >/dev/null 2>&1 && command -v "clang$version" >/dev/null 2>&1
      then
        cxx="clang++$version" cc="clang$version"
        break
      fi
    done
  fi
  if [ -z "$cxx" ] || [ -z "$cc" ]; then
    echo "ci/sanitize.sh: needs clang and clang++ with the sanitizer runtimes (Debian 12: clang-14" \
      "libclang-rt-14-dev), or both SANITIZE_CXX and SANITIZE_CC set" >&2
    exit 2
  fi
  # -O1 -g1: the sanitizers' job is memory errors and undefined behaviour, which -O1 keeps
  # (it is what their documentation recommends) at a fraction of -O2's compile time; -g1 keeps
  # the line tables that stack traces need. The test programs, the parsing and printing code
  # and the code that drives the numerics (cmake/ropecheck_build_speed.cmake) compile at -O0,
  # which finds as much, at 40% of -O1's compile time here; the numerics keep -O1, which the
  # tests' run time needs.
  # -fno-sanitize-recover=all: an undefined-behaviour report ends the program, as
  # UBSAN_OPTIONS' halt_on_error asks (clang would otherwise build the checks to go on).
  sanitizers="-fsanitize=address,undefined -fno-sanitize-recover=all"
  flags="$sanitizers -fno-omit-frame-pointer"
  # With GCC chosen instead, its -Wmaybe-uninitialized misfires on sanitizer-instrumented
  # Boost.Multiprecision code; it stays a warning then (the normal -Werror build enforces it).
  # (The predefined macros are read whole before grep looks at them: with pipefail, grep -q
  # quitting at its first match can end the compiler by SIGPIPE, which read as "not clang".)
  predefined=$("$cxx" -dM -E -x c++ /dev/null)
  if ! grep -q '__clang__' <<<"$predefined"; then
    flags="$flags -Wno-error=maybe-uninitialized"
  fi
  # A directory configured with another compiler (GCC, before) is configured afresh: CMake
  # cannot switch the compiler of an existing cache.
  if [ -f "$dir/CMakeCache.txt" ] &&
     [ "$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$dir/CMakeCache.txt")" != "$(command -v "$cxx")" ]
  then
    echo "ci/sanitize.sh: $dir was configured with another compiler; configuring it afresh"
    rm -rf "$dir/CMakeCache.txt" "$dir/CMakeFiles"
  fi
  generator=()
  if [ ! -f "$dir/CMakeCache.txt" ] && command -v ninja >/dev/null 2>&1; then
    generator=(-G Ninja)
  fi
  cmake -S . -B "$dir" "${generator[@]}" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_C_COMPILER="$cc" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DROPECHECK_WERROR=ON \
    -DROPECHECK_BUILD_BENCH=OFF \
    -DROPECHECK_TEST_OPTIMIZATION=-O0 -DROPECHECK_IO_OPTIMIZATION=-O0 \
    -DROPECHECK_DRIVER_OPTIMIZATION=-O0 \
    -DROPECHECK_UNITY_BUILD=ON \
    -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="$sanitizers" >/dev/null
  # The plugins the kernels label loads (fixtures and the hostile corpus, built unsanitized as
  # the code under test) and the worker that alone loads them.
  mapfile -t plugins < <(cmake --build "$dir" --target help |
                         grep -oE 'ropecheck_(fixture|hostile)_[A-Za-z0-9_]+' | sort -u)
  cmake --build "$dir" -j "$(nproc)" --target "${targets[@]}" ropecheck-kernel-worker \
    "${plugins[@]}"
fi

if [ "$step" != build ]; then
  export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
  # `ropecheck check` runs its property battery with fewer random cases per property here: the
  # sanitizers look for memory errors and undefined behaviour, which every code path shows on
  # a few cases; the statistics of the full battery are the normal build's job.
  export ROPECHECK_CHECK_CASES="${ROPECHECK_CHECK_CASES:-5}"
  # and shrinks each failing property's counterexample for 0.2 s instead of 20: the shrinking
  # code runs all the same, and under ASan rapidcheck's shrinks of two 128-double heads were
  # two thirds of this step's time (kernels.check.whole_broken_library: 64 s; 16 s with 1 s).
  export ROPECHECK_CHECK_SHRINK_SECONDS="${ROPECHECK_CHECK_SHRINK_SECONDS:-0.2}"
  # Likewise the largest statistical sweep of the reference's tests (a million hard pairs)
  # runs a tenth of its pairs (reference/tests/test_support.hpp).
  export ROPECHECK_SANITIZED=1
  # Every test these labels hold in the normal build (./build, which ci/test.sh builds first)
  # must be here too: a test program missing from the target list above fails this script
  # instead of silently not running under the sanitizers.
  if [ ! -f build/CTestTestfile.cmake ]; then
    echo "ci/sanitize.sh: build ./build first (bash ci/build.sh): its tests are the list to run" >&2
    exit 2
  fi
  list_tests() { ctest --test-dir "$1" -N -L "$labels" | sed -n 's/^ *Test *#[0-9]*: //p' | sort; }
  missing=$(comm -23 <(list_tests build) <(list_tests "$dir"))
  if [ -n "$missing" ]; then
    echo "ci/sanitize.sh: tests of $labels not built here (add their programs to the targets):" >&2
    echo "$missing" >&2
    exit 1
  fi
  ctest --test-dir "$dir" -L "$labels" --output-on-failure -j "$(nproc)"
fi
