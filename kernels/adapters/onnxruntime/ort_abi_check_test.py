#!/usr/bin/env python3
"""`ropecheck check` on ONNX Runtime's RotaryEmbedding through the C ABI adapter plugin.

Both operators (ort_contrib_rotary, ort_onnx23_rotary) are cos/sin-cache kernels: ropecheck hands
them correctly rounded tables and runs the property battery on their rotation, held to the bound
they claim, cache:f32 (spec/precision.md, "Cos/sin-cache kernels"). In f32 and f16 every property
must hold (exit 0), with the pinned ONNX Runtime loaded, on three configurations: half-split with
full rotary (Llama 2), interleaved with partial rotary (GPT-J), and YaRN's attention factor in the
tables (Qwen2.5). --cases 10 keeps the run to about 10 s of CPU for the four subjects.
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
    proc = subprocess.run([ROPECHECK, "check", "--kernel", ADAPTER, "--cases", "10",
                           "--preset", "llama-2-7b", "--preset", "gpt-j-6b",
                           "--preset", "qwen2.5-7b-yarn", "--json", report],
                          capture_output=True, text=True, env=env, timeout=600)
    print(proc.stdout)
    if proc.returncode != 0:
        sys.exit(f"FAIL: ropecheck check exited {proc.returncode}\n{proc.stderr}")
    data = json.load(open(report))

names = sorted(s["subject"] for s in data["subjects"])
wanted = sorted(f"{k}:{d}" for k in ("ort_contrib_rotary", "ort_onnx23_rotary")
                for d in ("f32", "f16"))
if names != wanted:
    sys.exit(f"FAIL: expected the subjects {wanted}, got {names}")
for subject in data["subjects"]:
    if subject["bound"] != "cache:f32":
        sys.exit(f"FAIL: {subject['subject']} held to {subject['bound']}, not its claim cache:f32")
    if PINNED not in subject["description"]:
        sys.exit(f"FAIL: loaded {subject['description']!r}, expected the pinned {PINNED}")
    findings = [f for c in subject["configs"] for f in c["findings"]]
    if not findings or any(not f["passed"] for f in findings):
        sys.exit(f"FAIL: {subject['description']}: {len(findings)} findings, some failed")
print(f"both operators pass the battery in f32 and f16 within cache:f32 ({names})")
