#!/bin/sh
# Plugin kernels in exhaustive mode: each kernel runs in its worker process in batches of unit
# inputs; an accurate kernel stays far below the thresholds, a NaN from position 65536 on is
# found exactly there, a crash or a wild write is a failing finding (exit 1), and --kernel
# outside exhaustive mode is bad usage (exit 2).
set -u
bin=$1 correct=$2 broken=$3
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail() { echo "FAIL: $*"; cat "$out"; exit 1; }
common="audit --exhaustive --preset mistral-7b --no-progress --threads 2"

"$bin" $common --kernel "$correct" --kernel-name correct_f32 --positions 0..9000 >"$out" 2>&1 \
  || fail "correct kernel: exit $?"
grep -q "^correct_f32:f32" "$out" || fail "correct kernel: no report"
grep -q "d <= 0.001 at every position of the range" "$out" || fail "correct kernel: above 1e-3"

"$bin" $common --kernel "$broken" --kernel-name nan_far --positions 60000..70000 >"$out" 2>&1 \
  || fail "nan_far: exit $?"
grep -q "first position with d > 0.001: 65536 " "$out" || fail "nan_far: first NaN position"

for kernel in segfault overflow_far writes_input; do
  "$bin" $common --kernel "$broken" --kernel-name $kernel --positions 0..9000 >"$out" 2>&1
  rc=$?
  [ $rc -eq 1 ] || fail "$kernel: exit $rc, expected 1"
  grep -q "kernel failure" "$out" || fail "$kernel: no kernel failure reported"
done

"$bin" audit --kernel "$correct" --positions 0..10 >"$out" 2>&1
rc=$?
[ $rc -eq 2 ] || fail "--kernel without --exhaustive: exit $rc, expected 2"
echo "exhaustive kernel test passed"
