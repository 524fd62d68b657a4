#!/usr/bin/env python3
"""The command-line contract of `ropecheck` (README, "Using it"), one case per ctest test.

Usage: cli_contract.py PATH_TO_ROPECHECK CASE
Each case runs the real binary and checks exit codes, messages and JSON shapes.
"""
import json
import math
import subprocess
import sys


def run(binary, args, stdin=None):
    done = subprocess.run([binary, *args], input=stdin, capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout, done.stderr


def rotate(binary, request):
    return run(binary, ["rotate"], json.dumps(request))


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def expect_bad_input(code, err, *words):
    expect(code == 2, f"exit code {code}, wanted 2; stderr: {err}")
    for word in words:
        expect(word in err, f"stderr does not name {word!r}: {err}")
    expect("Traceback" not in err and "terminate" not in err, f"crash text in stderr: {err}")


def case_impls_json(binary):
    code, out, err = run(binary, ["impls", "--json"])
    expect(code == 0, err)
    impls = json.loads(out)
    expect({i["form"] for i in impls} == {"matrix", "complex", "elementwise"}, "forms")
    pipelines = {i["pipeline"] for i in impls}
    for name in ["f64", "f32", "f32-exact-angle", "bf16-hf", "bf16-cache", "bf16-invfreq",
                 "f16-positions", "ggml-f32", "fastmath-f32"]:
        expect(name in pipelines, f"pipeline {name} missing")
    for impl in impls:
        expect(impl["name"] == f'{impl["form"]}:{impl["pipeline"]}', impl["name"])
        expect(impl["dtype"] in {"f64", "f32", "bf16", "f16"}, impl["dtype"])


def case_presets_json(binary):
    code, out, err = run(binary, ["presets", "--json"])
    expect(code == 0, err)
    presets = json.loads(out)
    expect(len(presets) == 13, f"{len(presets)} presets")
    for preset in presets:
        expect(preset["source"].startswith("https://"), preset["name"])


def request(**overrides):
    base = {"config": {"head_dim": 8, "rope_theta": 10000.0}, "impl": "elementwise:f64",
            "positions": [0, 3], "x": [[1, 2, 3, 4, 5, 6, 7, 8], [1, 0, 0, 0, 0, 0, 0, 0]]}
    base.update(overrides)
    return base


def case_rotate_odd_head_dim(binary):
    code, _, err = rotate(binary, request(config={"head_dim": 7}, x=[[1] * 7, [1] * 7]))
    expect_bad_input(code, err, "head_dim")


def case_rotate_bad_json(binary):
    code, _, err = run(binary, ["rotate"], "{not json")
    expect_bad_input(code, err, "JSON")


def case_rotate_unknown_impl(binary):
    code, _, err = rotate(binary, request(impl="elementwise:f128"))
    expect_bad_input(code, err, "impl", "elementwise:f64")


def case_rotate_inexact_input(binary):
    code, _, err = rotate(binary, request(impl="elementwise:f32", x=[[0.1] * 8, [1] * 8]))
    expect_bad_input(code, err, "x[0][0]", "f32")


def case_rotate_bad_positions(binary):
    code, _, err = rotate(binary, request(positions=[0.5, 1]))
    expect_bad_input(code, err, "positions")
    code, _, err = rotate(binary, request(positions=[0, 2 ** 60]))
    expect_bad_input(code, err, "2^53")


def case_rotate_missing_file(binary):
    code, _, err = run(binary, ["rotate", "--input", "/nonexistent/request.json"])
    expect_bad_input(code, err, "--input")


def case_unknown_subcommand(binary):
    code, _, err = run(binary, ["frobnicate"])
    expect(code == 2, f"exit {code}: {err}")


def case_rotate_identity_and_hex(binary):
    code, out, err = rotate(binary, request())
    expect(code == 0, err)
    response = json.loads(out)
    expect(response["y"][0] == [1, 2, 3, 4, 5, 6, 7, 8], "position 0 is the identity")
    for row, hex_row in zip(response["y"], response["y_hex"]):
        for value, spelled in zip(row, hex_row):
            expect(float.fromhex(spelled) == value, f"{spelled} != {value}")
    # Half layout, head_dim 8: pair 0 is channels (0, 4) with theta_0 = 1, so at m = 3 the unit
    # vector e_0 turns into (cos 3, sin 3).
    expect(abs(response["y"][1][0] - math.cos(3)) < 1e-15, "cos 3")
    expect(abs(response["y"][1][4] - math.sin(3)) < 1e-15, "sin 3")


def case_rotate_preset_hex_input(binary):
    x = [float.hex(1.5)] + ["0x0p+0"] * 127
    code, out, err = rotate(binary, {"preset": "llama-3.1-8b", "impl": "elementwise:f32",
                                     "positions": [1000], "x": [x]})
    expect(code == 0, err)
    response = json.loads(out)
    expect(response["dtype"] == "f32", response["dtype"])
    expect(abs(response["y"][0][0] - 1.5 * math.cos(1000)) < 1e-4, "f32 at 1000")


def case_rotate_reference(binary):
    x = [[0.75, -0.5, 0.25, 1.0, 2.0, -1.0, 0.5, 0.125]]
    code, out, err = rotate(binary, request(impl="reference", dtype="f32", positions=[12345], x=x))
    expect(code == 0, err)
    ref = json.loads(out)
    expect(ref["dtype"] == "f32", "dtype")
    code, out, err = rotate(binary, request(positions=[12345], x=x))
    expect(code == 0, err)
    f64 = json.loads(out)["y"][0]
    for r, f in zip(ref["y"][0], f64):
        # The f32-rounded exact value is within half an f32 ulp (2^-24 relative) of the f64 one.
        expect(abs(r - f) <= 2 ** -24 * abs(f) + 1e-12, f"{r} vs {f}")


def case_rotate_dtype_mismatch(binary):
    code, _, err = rotate(binary, request(dtype="bf16"))
    expect_bad_input(code, err, "dtype", "f64")


def case_audit_bad_positions(binary):
    code, _, err = run(binary, ["audit", "--positions", "10..5"])
    expect_bad_input(code, err, "--positions")
    code, _, err = run(binary, ["audit", "--impl", "nosuch:*"])
    expect_bad_input(code, err, "--impl")


def audit_args(out):
    return ["audit", "--preset", "llama-3.2-1b", "--impl", "elementwise:f32",
            "--impl", "complex:f64", "--positions", "0..2999,log:3000..2^31-1:500",
            "--no-progress", "--out", out]


def case_audit_outputs(binary):
    import os
    import tempfile
    out = tempfile.mkdtemp()
    code, stdout, err = run(binary, audit_args(out))
    expect(code == 0, err)
    for name in ["report.txt", "results.csv", "results.json", "error_vs_position.png",
                 "error_vs_position.svg", "error_vs_position.gp", "error_vs_position.dat"]:
        expect(os.path.getsize(os.path.join(out, name)) > 0, name)
    expect(not [f for f in os.listdir(out) if f.startswith(".tmp")], "temporaries left behind")
    report = json.load(open(os.path.join(out, "results.json")))
    for row in report["results"]:
        for key in ["impl", "band", "max_abs_err", "max_err_ulp_norm", "worst"]:
            expect(key in row, key)
    safe = report["safe_position"]["elementwise:f32"]
    expect(0 < safe["0.001"] < safe["0.01"] < 2 ** 31, f"safe positions {safe}")
    expect("elementwise:f32" in stdout and "safe<=0.001" in stdout, "table on stdout")


def case_audit_shards_merge_exactly(binary):
    import os
    import tempfile
    whole, shards, merged = tempfile.mkdtemp(), tempfile.mkdtemp(), tempfile.mkdtemp()
    code, _, err = run(binary, audit_args(whole) + ["--threads", "1"])
    expect(code == 0, err)
    for k in range(3):
        code, _, err = run(binary, audit_args(shards) + ["--shard", f"{k}/3"])
        expect(code == 0, err)
    code, _, err = run(binary, ["merge", shards, "--out", merged])
    expect(code == 0, err)
    a = open(os.path.join(whole, "results.json")).read()
    b = open(os.path.join(merged, "results.json")).read()
    expect(a == b, "merged results.json differs from the unsharded one")
    # 3500 positions make 4 blocks of 1024: shard 1 holds block 1, which must then be missing.
    os.remove(os.path.join(shards, "shard-1-of-3.json"))
    code, _, err = run(binary, ["merge", shards, "--out", merged])
    expect_bad_input(code, err, "block")


def case_audit_require(binary):
    base = ["audit", "--impl", "elementwise:f32", "--positions", "0..50,2^20", "--no-progress"]
    code, _, err = run(binary, base + ["--require", "1e-9"])
    expect(code == 1 and "requirement broken" in err, f"exit {code}: {err}")
    code, _, err = run(binary, base + ["--require", "elementwise:f32=10"])
    expect(code == 0, err)


def main():
    binary, case = sys.argv[1], sys.argv[2]
    globals()["case_" + case](binary)
    print(f"cli contract: {case}: ok")


if __name__ == "__main__":
    main()
