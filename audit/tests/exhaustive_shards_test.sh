#!/bin/sh
# An exhaustive audit split into shards run in parallel (xargs -P, as a job array would run
# them), merged, must equal the unsharded run byte for byte; the shard index also comes from the
# Slurm and Kubernetes job-array variables, and the run says which it used.
set -eu
bin=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
args="audit --exhaustive --preset llama-3.2-1b --impl elementwise:f32 --impl elementwise:bf16-hf
      --positions 0..30000 --threshold 1e-4 --threshold 1e-3 --no-progress --threads 1"

"$bin" $args --out "$dir/whole" >/dev/null

seq 0 3 | xargs -P 4 -I {} "$bin" $args --shard {}/4 --out "$dir/shards" >/dev/null
"$bin" merge "$dir/shards" --out "$dir/merged" >/dev/null
cmp "$dir/whole/report.txt" "$dir/merged/report.txt"
cmp "$dir/whole/results.json" "$dir/merged/results.json"

seq 0 2 | xargs -P 3 -I {} env SLURM_ARRAY_TASK_ID={} SLURM_ARRAY_TASK_COUNT=3 \
  "$bin" $args --out "$dir/slurm" >/dev/null 2>"$dir/slurm.err"
grep -q "from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT" "$dir/slurm.err"
"$bin" merge "$dir/slurm" --out "$dir/slurm-merged" >/dev/null
cmp "$dir/whole/results.json" "$dir/slurm-merged/results.json"

seq 0 4 | xargs -P 5 -I {} env JOB_COMPLETION_INDEX={} \
  "$bin" $args --shards 5 --out "$dir/k8s" >/dev/null
"$bin" merge "$dir/k8s" --out "$dir/k8s-merged" >/dev/null
cmp "$dir/whole/results.json" "$dir/k8s-merged/results.json"

# A missing shard is an error (exit 2), never a partial report.
rm "$dir/k8s/shard-2-of-5.json"
if "$bin" merge "$dir/k8s" --out "$dir/partial" >/dev/null 2>&1; then
  echo "merge accepted a missing shard" >&2
  exit 1
fi
echo "exhaustive shards merge byte for byte"
