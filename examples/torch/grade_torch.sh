#!/usr/bin/env bash
# Grades examples/torch/rope_torch.py on one preset in f32 and bf16: writes the vector sets, runs
# the script (its defaults: transformers when importable, CUDA when torch sees a GPU; extra
# arguments go to it, e.g. --impl plain --device cpu), and keeps each grade report with its plot.
#
#   bash examples/torch/grade_torch.sh ROPECHECK OUTDIR [rope_torch.py options...]
#
# OUTDIR/f32/ and OUTDIR/bf16/ receive report.txt, results.json, results.csv and
# error_vs_position.png/.svg; OUTDIR/machine.txt says where and with what it ran.
# Environment: PRESET (default llama-3.1-8b), POSITIONS (default the audit-like sweep below),
# HEADS (default 2), PYTHON (default /usr/bin/python3).
set -euo pipefail
if [ $# -lt 2 ]; then
  sed -n '2,12p' "$0" >&2
  exit 2
fi
ropecheck=$(realpath "$1")
mkdir -p "$2"
out=$(realpath "$2")
shift 2
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-/usr/bin/python3}
preset=${PRESET:-llama-3.1-8b}
positions=${POSITIONS:-0..511,log:512..2^31-1:1536}
heads=${HEADS:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"  # the sets and outputs are named relative to it, so the reports name no temporary path

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "machine: $(uname -m), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(nproc) cores"
  echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "python: $("$python" -c 'import sys; print(sys.version.split()[0])')"
  echo "torch: $("$python" -c 'import torch; print(torch.__version__)')$(dpkg-query -W -f ' (Debian python3-torch ${Version})' python3-torch 2>/dev/null || true)"
  echo "transformers: $("$python" -c 'import transformers; print(transformers.__version__)' 2>/dev/null || echo 'not installed')"
  echo "ropecheck: $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "set: --preset $preset --positions '$positions' --heads $heads"
} >"$out/machine.txt"

status=0
for dtype in f32 bf16; do
  bound=$([ "$dtype" = f32 ] && echo f32 || echo bf16-hf)
  "$ropecheck" vectors --preset "$preset" --dtype "$dtype" --positions "$positions" \
    --heads "$heads" --out "v_$dtype.safetensors" >/dev/null
  "$python" "$here/rope_torch.py" "v_$dtype.safetensors" "y_$dtype.safetensors" "$@" \
    | tee -a "$out/machine.txt"
  "$ropecheck" grade "v_$dtype.safetensors" "y_$dtype.safetensors" --bound "$bound" \
    --out "$out/$dtype" || status=$?
done
exit "$status"
