#!/bin/bash
# The exhaustive audit of elementwise:f32 over every position in [0, 2^31) as a Slurm job array:
# 64 tasks, each one contiguous 64th of the range (ropecheck reads SLURM_ARRAY_TASK_ID and
# SLURM_ARRAY_TASK_COUNT itself, so no --shard is needed). Submit from a directory on a shared
# file system, then merge once every task has finished:
#
#   sbatch docs/exhaustive-slurm.sh
#   ropecheck merge exhaustive-shards --out exhaustive-report
#
#SBATCH --job-name=ropecheck-exhaustive
#SBATCH --array=0-63
#SBATCH --cpus-per-task=2
#SBATCH --mem=1G
#SBATCH --time=01:00:00
#SBATCH --output=exhaustive-%A_%a.log
set -euo pipefail

ropecheck audit --exhaustive --preset llama-3.1-8b --impl elementwise:f32 \
  --positions 0..2^31-1 --threads "${SLURM_CPUS_PER_TASK:-2}" --no-progress \
  --out exhaustive-shards
