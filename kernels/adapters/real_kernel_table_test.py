#!/usr/bin/env python3
"""The README's real-kernel table is produced, and each row's verdict is the recorded one.

Runs real_kernel_table.py (ggml, ONNX Runtime and, when examples/torch/rope_torch.py exists,
PyTorch) with --check real_kernel_verdicts.json into a temporary directory; expects exit 0, a
table.md with one row per kernel that ran, a number in every band cell, and the PyTorch row
either present or declared missing. A kernel outside its bound is a recorded FAIL verdict, not a
failure of this test; a verdict that changes is.
Usage: real_kernel_table_test.py ROPECHECK GGML_ADAPTER GGML_DIR ORT_DIR
"""
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROPECHECK, ADAPTER, GGML_DIR, ORT_DIR = sys.argv[1:5]
VERDICTS = os.path.join(HERE, "real_kernel_verdicts.json")

if not os.path.isfile(os.path.join(GGML_DIR, "libggml-base.so")):
    sys.exit(f"FAIL: no libggml-base.so in {GGML_DIR}: run `bash ci/ggml.sh`")

with tempfile.TemporaryDirectory() as out:
    proc = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "real_kernel_table.py"),
                           "--ropecheck", ROPECHECK, "--ggml-adapter", ADAPTER, "--ggml-dir",
                           GGML_DIR, "--ort-dir", ORT_DIR, "--out", out, "--check", VERDICTS],
                          capture_output=True, text=True, timeout=600)
    print(proc.stdout, proc.stderr)
    if proc.returncode != 0:
        sys.exit(f"FAIL: real_kernel_table.py exited {proc.returncode}")
    table = open(os.path.join(out, "table.md")).read()
    produced = json.load(open(os.path.join(out, "verdicts.json")))

recorded = json.load(open(VERDICTS))
rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line][1:]
names = [row.split(" | ")[0][2:] for row in rows]
if names != list(produced):
    sys.exit(f"FAIL: table rows {names} differ from the verdicts written {list(produced)}")
missing = [row for row in recorded if row not in produced]
torch_missing = "No PyTorch row" in table
if missing and (missing != ["PyTorch HF recipe f32, CPU"] or not torch_missing):
    sys.exit(f"FAIL: recorded rows missing from the table: {missing}")
for row in rows:
    cells = row.strip("| ").split(" | ")
    bands = cells[1:-4]
    if len(bands) < 5 or not all(re.fullmatch(r"\d\.\de[+-]\d\d", c) for c in bands):
        sys.exit(f"FAIL: a band cell is not a measured error: {row}")
    if cells[-1] != recorded[cells[0]]:
        sys.exit(f"FAIL: {cells[0]}: verdict {cells[-1]}, recorded {recorded[cells[0]]}")
print(f"{len(rows)} rows, every verdict as recorded"
      + (" (no PyTorch row: examples/torch/rope_torch.py absent)" if torch_missing else ""))
