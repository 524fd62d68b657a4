#!/usr/bin/env python3
"""ctest: examples/torch/rope_torch.py's plain torch path on the CPU, graded by ropecheck.

    rope_torch_test.py ROPECHECK ROPE_TORCH CASE        CASE: f32, bf16 or flipped_sine

Needs PyTorch (Debian's python3-torch). f32 and bf16 sets of llama-3.1-8b at positions up to
2^31 - 1 go through rope_torch.py --impl plain --device cpu; the grade must pass the bound of the
pipeline that models the Hugging Face recipe in that dtype and name that pipeline as the one the
outputs compute like. flipped_sine plants a bug (the sine's sign flipped) that must fail.
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROPECHECK, ROPE_TORCH, CASE = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, str(Path(ROPE_TORCH).resolve().parent.parent / "python"))
sys.dont_write_bytecode = True
from numpy_rope import read_safetensors  # noqa: E402

# Positions 0..31 and 32 log-spaced ones up to 2^31 - 1, one head: 64 x 128 values, a fraction
# of a second to grade against every registered pipeline of the dtype.
POSITIONS = "0..31,log:32..2^31-1:32"
# dtype -> the registry pipeline that models what Hugging Face's eager rotary code does in it
# (spec/rope.md, "Precision pipelines": f32 = powf theta, f32 position and angle, cosf/sinf, f32
# rotation; bf16-hf = the same cos/sin cast to bf16, rotation in bf16 arithmetic).
PIPELINE = {"f32": "f32", "bf16": "bf16-hf"}


def run(*args, expect):
    result = subprocess.run([ROPECHECK, *args], capture_output=True, text=True)
    if result.returncode != expect:
        sys.exit(f"ropecheck {' '.join(args)}\nexited {result.returncode}, expected {expect}\n"
                 f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    return result


def check(condition, message):
    if not condition:
        sys.exit(message)


def torch_outputs(work, dtype, *extra):
    vectors, outputs = work / f"v_{dtype}.safetensors", work / f"y_{dtype}.safetensors"
    run("vectors", "--preset", "llama-3.1-8b", "--dtype", dtype, "--positions", POSITIONS,
        "--heads", "1", "--out", str(vectors), expect=0)
    result = subprocess.run([sys.executable, ROPE_TORCH, str(vectors), str(outputs), "--impl",
                             "plain", "--device", "cpu", *extra], capture_output=True, text=True)
    check(result.returncode == 0, f"rope_torch.py failed:\n{result.stdout}{result.stderr}")
    print(result.stdout)
    return vectors, outputs


def values(array, dtype):
    """A stored tensor as float64 (bf16 from its raw bits)."""
    if dtype == "bf16":
        array = (array.astype(np.uint32) << 16).view(np.float32)
    return array.astype(np.float64)


def independent_bands(vectors, outputs, dtype):
    """Per audit band [lo, hi): the largest |(y - e) pair| / |x pair| measured here with NumPy
    (llama-3.1-8b: half layout, full rotation, attention factor 1), and the first position
    whose pair error exceeds 1e-3 of the pair norm."""
    tensors, _ = read_safetensors(vectors)
    x, expected = values(tensors["x"], dtype), values(tensors["expected"], dtype)
    y = values(read_safetensors(outputs)[0]["y"], dtype)
    half = x.shape[-1] // 2
    err = np.hypot(y[..., :half] - expected[..., :half], y[..., half:] - expected[..., half:])
    norm = np.hypot(x[..., :half], x[..., half:])
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(err == 0, 0.0, err / norm)  # as grade: 0 stays 0, else over a 0 norm is inf
    worst = rel.reshape(rel.shape[0], -1).max(axis=1)  # per token
    positions = tensors["positions"]
    edges = [0, 2**10, 2**16, 2**20, 2**24, 2**28, 2**31]  # the audit's bands, the last closed
    bands = {}
    for k, (lo, hi) in enumerate(zip(edges, edges[1:])):
        inside = (positions >= lo) & ((positions < hi) if k + 2 < len(edges) else (positions <= hi))
        if inside.any():
            bands[lo] = float(worst[inside].max())
    over = positions[worst > 1e-3]
    return bands, (int(over.min()) if over.size else None)


def case_clean(work, dtype):
    pipeline = PIPELINE[dtype]
    vectors, outputs = torch_outputs(work, dtype)
    graded = run("grade", str(vectors), str(outputs), "--bound", pipeline, "--json",
                 str(work / "report.json"), expect=0)
    print(graded.stdout)
    report = json.loads((work / "report.json").read_text())
    check(report["passed"] and 0 < report["margin"] <= 1, report["margin"])
    closest = report["closest_pipeline"]
    # Ties (the three forms of one pipeline compute alike) are listed in registry order, which
    # puts the elementwise form first.
    check(closest["impl"] == f"elementwise:{pipeline}" and closest["within_bound"] is True,
          report["behaves_like"][:4])
    check(f"behaves like: computes like `elementwise:{pipeline}` (" in graded.stdout,
          graded.stdout)
    check("within that pipeline's bound" in graded.stdout, graded.stdout)
    # No other pipeline of the dtype matches more outputs.
    shares = {entry["impl"]: entry["share"] for entry in report["behaves_like"]}
    check(max(shares.values()) == closest["share"], shares)
    # The band errors and the first position over 1e-3 agree with a measurement made here.
    bands, first_over = independent_bands(vectors, outputs, dtype)
    reported = {band["lo"]: band["max_rel_err"]["error"] for band in report["bands"]}
    check(sorted(reported) == sorted(bands), (reported, bands))
    for lo, mine in bands.items():
        check(abs(reported[lo] - mine) <= 1e-12 * mine, (lo, reported[lo], mine))
    check(report["safe_up_to"][0]["first_over"] == first_over,
          (report["safe_up_to"][0], first_over))
    # y's provenance travels with it.
    header_len = int.from_bytes(outputs.read_bytes()[:8], "little")
    metadata = json.loads(outputs.read_bytes()[8:8 + header_len])["__metadata__"]
    check(metadata["device"] == "cpu" and "torch" in json.loads(metadata["versions"]), metadata)


def case_flipped_sine(work):
    vectors, outputs = torch_outputs(work, "f32", "--flip-sine")
    graded = run("grade", str(vectors), str(outputs), "--bound", "f32", "--json",
                 str(work / "report.json"), expect=1)
    print(graded.stdout)
    report = json.loads((work / "report.json").read_text())
    check(not report["passed"] and report["margin"] > 1, report["margin"])
    check(report["closest_pipeline"]["within_bound"] is False, report["closest_pipeline"])
    # Position 0 rotates by nothing, so the first failure is position 1.
    check(report["safe_up_to"][0]["first_over"] == 1, report["safe_up_to"])


def main():
    with tempfile.TemporaryDirectory(prefix="ropecheck-torch-") as tmp:
        work = Path(tmp)
        if CASE in PIPELINE:
            case_clean(work, CASE)
        elif CASE == "flipped_sine":
            case_flipped_sine(work)
        else:
            sys.exit(f"unknown case {CASE}")


if __name__ == "__main__":
    main()
