#!/usr/bin/env python3
"""`ropecheck check` on llama.cpp's ggml CPU RoPE (the adapter plugin).

Expects: the run completes and exits 1, and the summary names where ggml leaves the "f32"
bound it is held to by default (reference_agreement and the position sweep, with positions);
held to ropecheck's own model of ggml (--bound ggml-f32) its outputs are within bound.
Fails loudly when the ggml libraries are absent: run ci/ggml.sh (it needs the npm registry).
Usage: ggml_check_test.py ROPECHECK ADAPTER_SO GGML_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

ROPECHECK, ADAPTER, GGML_DIR = sys.argv[1:4]
PINNED = "ggml 0.25.1 (0ad4a86)"
ACCURACY = ("reference_agreement", "position-sweep")

if not os.path.isfile(os.path.join(GGML_DIR, "libggml-base.so")):
    sys.exit(f"FAIL: no libggml-base.so in {GGML_DIR}.\n"
             "The ggml adapter test needs llama.cpp's CPU libraries: run `bash ci/ggml.sh` (npm "
             "install of the pinned @node-llama-cpp/linux-x64) and configure with "
             "-DROPECHECK_GGML_DIR=<the directory it prints>.")


def check(extra, expected_exit):
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "ggml.json")
        env = dict(os.environ, ROPECHECK_GGML_DIR=GGML_DIR)
        proc = subprocess.run([ROPECHECK, "check", "--kernel", ADAPTER, "--json", report, *extra],
                              capture_output=True, text=True, env=env, timeout=1400)
        print(proc.stdout)
        if proc.returncode != expected_exit:
            sys.exit(f"expected exit {expected_exit}, got {proc.returncode}\n{proc.stderr}")
        return proc.stdout, json.load(open(report))


def failed(data, properties):
    return [(c["config"], f["property"], f["position"])
            for c in data["subjects"][0]["configs"] for f in c["findings"]
            if f["property"] in properties and not f["passed"]]


stdout, data = check([], 1)
subject = data["subjects"][0]
if PINNED not in subject["description"]:
    sys.exit(f"loaded {subject['description']!r}, expected the pinned {PINNED}")
misses = failed(data, ACCURACY)
if not any(p == "position-sweep" for _, p, _ in misses) or not any(
        p == "reference_agreement" for _, p, _ in misses):
    sys.exit(f"expected ggml to leave the f32 bound (reference_agreement and position-sweep); "
             f"failed accuracy findings: {misses}")
if "outside it from position" not in stdout:
    sys.exit("the summary does not say from which position ggml is outside its bound")

_, own = check(["--bound", "ggml-f32"], 0)
if failed(own, ACCURACY):
    sys.exit(f"ggml is outside ropecheck's ggml-f32 error model: {failed(own, ACCURACY)}")
print(f"ggml leaves the f32 bound at {misses} and stays within its own ggml-f32 model")
