#!/usr/bin/env python3
"""`ropecheck check` on ONNX Runtime's RotaryEmbedding through the C ABI adapter plugin.

Both operators (ort_contrib_rotary, ort_onnx23_rotary) are cos/sin-cache kernels: ropecheck hands
them correctly rounded tables and runs the property battery on their rotation. In f32 every
property must hold (exit 0) on every default configuration, with the pinned ONNX Runtime loaded.
(--cases 20 keeps the run to a few seconds of CPU per kernel; the golden-vector test,
ort_check_test.py, holds the same kernels to the exact cos/sin-cache bound in f32 and f16.)
Fails loudly when onnxruntime-node is absent: run ci/onnxruntime.sh.
Usage: ort_abi_check_test.py ROPECHECK ADAPTER_SO ORT_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ort_harness as h  # noqa: E402

ROPECHECK, ADAPTER, ORT_DIR = sys.argv[1:4]
h.ort_dir_or_exit(ORT_DIR)
PINNED = "ONNX Runtime 1.30.0"

with tempfile.TemporaryDirectory() as tmp:
    report = os.path.join(tmp, "ort.json")
    env = dict(os.environ, ROPECHECK_ORT_DIR=ORT_DIR)
    proc = subprocess.run([ROPECHECK, "check", "--kernel", ADAPTER, "--dtype", "f32",
                           "--cases", "20", "--json", report],
                          capture_output=True, text=True, env=env, timeout=600)
    print(proc.stdout)
    if proc.returncode != 0:
        sys.exit(f"FAIL: ropecheck check exited {proc.returncode}\n{proc.stderr}")
    data = json.load(open(report))

names = sorted(s["kernel"] if "kernel" in s else s["name"] for s in data["subjects"])
if len(data["subjects"]) != 2:
    sys.exit(f"FAIL: expected the two operators' f32 subjects, got {names}")
for subject in data["subjects"]:
    if PINNED not in subject["description"]:
        sys.exit(f"FAIL: loaded {subject['description']!r}, expected the pinned {PINNED}")
    findings = [f for c in subject["configs"] for f in c["findings"]]
    if not findings or any(not f["passed"] for f in findings):
        sys.exit(f"FAIL: {subject['description']}: {len(findings)} findings, some failed")
print(f"both operators pass the battery in f32 ({names})")
