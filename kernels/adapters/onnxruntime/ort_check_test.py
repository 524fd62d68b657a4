#!/usr/bin/env python3
"""ONNX Runtime's RotaryEmbedding (pinned onnxruntime-node) graded on golden vectors.

Each variant (the com.microsoft contrib op and the ONNX opset-23 op; half-split and interleaved;
full and partial rotary; f32 and f16; rank-3 and rank-4 inputs; cache rows named by position_ids
or given per token) is fed ropecheck's correctly rounded cos/sin cache, so its outputs must lie
within the cos/sin-cache bound of a rotation in f32 (spec/precision.md, "Cos/sin-cache
kernels"): `ropecheck grade --bound cache:f32` exits 0. Two planted bugs must each fail that
grade (exit 1) with their first violation named: an interleaved graph fed a half-split set (a
layout swap) and the cache read at position + 1. The tables an ONNX export builds (f32 angle) stay
within the f32 pipeline's bound but not the cache bound, and their error grows with the position.
Fails loudly when onnxruntime-node is absent: run ci/onnxruntime.sh (it needs the npm registry).
Usage: ort_check_test.py ROPECHECK ORT_DIR
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ort_harness as h  # noqa: E402

ROPECHECK, ORT_DIR = sys.argv[1:3]
h.ort_dir_or_exit(ORT_DIR)
HEADS = 2
# Positions across the audit's bands up to 2^24, and a prefix 0..31 for which the cache rows
# are the positions themselves (so "position + 1" is the realistic off-by-one).
SPREAD = "0..31,log:32..2^24:16"
PREFIX = "0..31"
failures = []


def config(layout, partial):
    c = {"head_dim": 16, "rope_theta": 10000, "layout": layout}
    if partial:
        c["partial_rotary_factor"] = 0.5  # 8 of 16 channels rotate; the rest pass through
    return c


def expect(name, got_exit, wanted_exit, stdout, results):
    print(f"--- {name}: grade exit {got_exit}, margin {results.get('margin')}")
    if got_exit != wanted_exit:
        failures.append(f"{name}: grade exited {got_exit}, expected {wanted_exit}\n{stdout}")


def named_finding(name, stdout, results):
    """The grade's finding: a FAIL line naming the cache bound and the first violating output."""
    lines = [line for line in stdout.splitlines() if line.startswith("FAIL")]
    first = results.get("first_violation")
    if len(lines) != 1 or "cos/sin cache, rotation in f32" not in lines[0] or first is None or \
            f"token {first['token']} " not in lines[0]:
        failures.append(f"{name}: no finding naming the bound and the first violation\n{stdout}")
    else:
        print(f"    {lines[0]}")


def band_errors(results):
    return [(b["lo"], float(b["max_rel_err"]["error"])) for b in results["bands"]
            if b["max_rel_err"] is not None]


with tempfile.TemporaryDirectory() as work:
    # (op, dtype, layout, partial rotary, rank, position_ids)
    variants = [
        ("contrib", "f32", "half", False, 3, True),
        ("contrib", "f32", "interleaved", True, 4, True),
        ("contrib", "f16", "interleaved", False, 3, True),
        ("contrib", "f16", "half", True, 3, True),
        ("onnx23", "f32", "interleaved", False, 4, True),
        ("onnx23", "f32", "half", True, 3, False),
        ("onnx23", "f16", "half", False, 4, False),
        ("onnx23", "f16", "interleaved", True, 3, True),
    ]
    for k, (op, dtype, layout, partial, rank, ids) in enumerate(variants):
        name = f"{op}-{dtype}-{layout}-{'partial' if partial else 'full'}-rank{rank}-" \
               f"{'position_ids' if ids else 'per-token'}"
        vectors, cos_sin = h.make_set(ROPECHECK, work, name, config(layout, partial), dtype,
                                      SPREAD, HEADS, seed=k)
        rotary = 8 if partial else 16
        model = h.make_graph(work, op, dtype, layout, HEADS, rotary, rank, ids)
        y = h.run_ort(ORT_DIR, model, vectors, os.path.join(work, name + ".npy"), rank, cos_sin)
        code, out, results = h.grade(ROPECHECK, vectors, y, "cache:f32",
                                     os.path.join(work, name + ".grade"))
        expect(name, code, 0, out, results)
        if code == 0 and not 0 < results["margin"] <= 1:
            failures.append(f"{name}: margin {results['margin']} outside (0, 1]")

    # Planted: an interleaved graph fed a half-split set.
    vectors, cos_sin = h.make_set(ROPECHECK, work, "swap", config("half", False), "f32", SPREAD,
                                  HEADS)
    model = h.make_graph(work, "contrib", "f32", "interleaved", HEADS, 16, 3)
    y = h.run_ort(ORT_DIR, model, vectors, os.path.join(work, "swap.npy"), 3, cos_sin)
    code, out, results = h.grade(ROPECHECK, vectors, y, "cache:f32", os.path.join(work, "swap.g"))
    expect("planted layout swap", code, 1, out, results)
    named_finding("planted layout swap", out, results)

    # Planted: every token reads the cache row of position + 1 (opset 23 and contrib).
    for op in ("contrib", "onnx23"):
        vectors, cos_sin = h.make_set(ROPECHECK, work, "shift-" + op,
                                      config("interleaved", True), "f16", PREFIX, HEADS)
        model = h.make_graph(work, op, "f16", "interleaved", HEADS, 8, 3)
        y = h.run_ort(ORT_DIR, model, vectors, os.path.join(work, f"shift-{op}.npy"), 3, cos_sin,
                      plant="position-plus-one")
        code, out, results = h.grade(ROPECHECK, vectors, y, "cache:f32",
                                     os.path.join(work, f"shift-{op}.g"))
        expect(f"planted position + 1 ({op})", code, 1, out, results)
        named_finding(f"planted position + 1 ({op})", out, results)

    # The deployed recipe: tables built with an f32 angle, as ONNX exports build them.
    vectors, _ = h.make_set(ROPECHECK, work, "export", config("half", False), "f32",
                            "0..31,log:32..2^24:32", HEADS)
    model = h.make_graph(work, "contrib", "f32", "half", HEADS, 16, 3)
    y = h.run_ort(ORT_DIR, model, vectors, os.path.join(work, "export.npy"), 3)
    code, out, results = h.grade(ROPECHECK, vectors, y, "f32", os.path.join(work, "export.f32"))
    expect("export-built tables, f32 pipeline bound", code, 0, out, results)
    errors = band_errors(results)
    print("export-built tables, worst relative error per band:", errors)
    if len(errors) < 3 or not errors[-1][1] > 100 * errors[0][1]:
        failures.append(f"export-built tables: the error does not grow with the position: {errors}")
    code, out, results = h.grade(ROPECHECK, vectors, y, "cache:f32",
                                 os.path.join(work, "export.cache"))
    expect("export-built tables, cache bound", code, 1, out, results)

if failures:
    sys.exit("FAIL:\n" + "\n".join(failures))
print("ONNX Runtime's RotaryEmbedding: every variant within the cos/sin-cache bound; the planted "
      "bugs fail; the export-built tables' error grows with the position")
