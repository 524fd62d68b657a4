#!/usr/bin/env python3
"""End-to-end tests of `ropecheck vectors` and `ropecheck grade` (one ctest test per case).

    vectors_cli_test.py ROPECHECK EXAMPLE CASE

ROPECHECK is the binary, EXAMPLE is examples/python/numpy_rope.py. The python_* and numpy_*
cases need NumPy; the others use the standard library only.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

ROPECHECK, EXAMPLE, CASE = sys.argv[1], sys.argv[2], sys.argv[3]

# Why --max-ulp 1 is the bound for numpy_rope.py (float64 evaluation, then one rounding to the
# dtype; spec/vectors.md §A float64 NumPy kernel says the same):
#   The exact output is y* = a cos(m theta) - b sin(m theta). In float64, theta = 1 / base**(2i/d)
#   carries a relative error below (ln(base) + 3) 2^-53 (the rounded exponent costs ln(base)
#   2^-53, pow, the division and the linear factor at most 2^-53 each), the angle m theta adds
#   2^-53, and cos/sin, two products and a sum add a few 2^-53 more, so with phi = m theta <= phi_max
#       |y64 - y*| <= delta = (|a| + |b|) ((ln(base) + 4) phi_max + 4) 2^-53.
#   Rounding both y64 and y* to the dtype gives results at most ulp + delta apart, hence at most
#   1 ulp apart whenever delta < ulp(y*), and ulp(y*) >= |y*| 2^-p (p = 24, 11, 8 for f32, f16,
#   bf16; for subnormal results ulp is the fixed least subnormal, far above delta here).
#   The cases below keep phi_max small (base 10000: ln(base) + 4 < 13.3):
#     f32,  positions 0..63,       phi_max = 63:    delta < (|a|+|b|) 2^-43.3 -> 1 ulp unless |y*| < (|a|+|b|) 2^-19
#     f16,  positions <= 2047,     phi_max = 2047:  delta < (|a|+|b|) 2^-38.3 -> 1 ulp unless |y*| < (|a|+|b|) 2^-27
#     bf16, positions <= 4095 / 4, phi_max = 1024:  delta < (|a|+|b|) 2^-39.3 -> 1 ulp unless |y*| < (|a|+|b|) 2^-31
#   i.e. only a cancellation that deep could cost a second ulp. The inputs are fixed by the seed
#   and hold no such output (grade names the worst input if that ever changes); the float64
#   error bound itself has no such exception, which is why ropecheck's pipeline bounds are
#   absolute, not in ulps.
PYTHON_CASES = {
    "python_f32_half_default": ["--preset", "llama-2-7b", "--dtype", "f32", "--positions", "0..63"],
    "python_f16_partial_rotary": ["--preset", "gpt-neox-20b", "--dtype", "f16",
                                  "--positions", "0..31,2^11-1", "--heads", "4"],
    "python_bf16_interleaved_linear": [
        "--config", json.dumps({"head_dim": 64, "rope_theta": 10000.0, "layout": "interleaved",
                                "rope_scaling": {"rope_type": "linear", "factor": 4.0}}),
        "--dtype", "bf16", "--positions", "0..15,2^10,2^12-1", "--seed", "5"],
}


def run(*args, expect):
    result = subprocess.run([ROPECHECK, *args], capture_output=True, text=True)
    if result.returncode != expect:
        sys.exit(f"ropecheck {' '.join(args)}\nexited {result.returncode}, expected {expect}\n"
                 f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    return result


def check(condition, message):
    if not condition:
        sys.exit(message)


def safetensors_parts(path):
    data = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + n]), data[8 + n:]


def write_y_from_expected(vectors, outputs, flip=None):
    """Writes tensor y = expected (bit for bit), with element `flip` moved by one ulp."""
    header, buffer = safetensors_parts(vectors)
    entry = header["expected"]
    begin, end = entry["data_offsets"]
    blob = bytearray(buffer[begin:end])
    if flip is not None:
        width = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2}[entry["dtype"]]
        blob[flip * width] ^= 1  # the lowest significand bit: one ulp up or down
    text = json.dumps({"y": {"dtype": entry["dtype"], "shape": entry["shape"],
                             "data_offsets": [0, len(blob)]}}).encode()
    Path(outputs).write_bytes(struct.pack("<Q", len(text)) + text + bytes(blob))


def flip_npy(source, target, index):
    data = bytearray(Path(source).read_bytes())
    (header_len,) = struct.unpack("<H", data[8:10])
    width = 2 if "'<u2'" in data[10:10 + header_len].decode() else 4
    data[10 + header_len + index * width] ^= 1
    Path(target).write_bytes(bytes(data))


def case_python(work, args):
    vectors, outputs = work / "v.safetensors", work / "y.safetensors"
    run("vectors", *args, "--out", str(vectors), expect=0)
    result = subprocess.run([sys.executable, EXAMPLE, str(vectors), str(outputs)],
                            capture_output=True, text=True)
    check(result.returncode == 0, f"numpy_rope.py failed:\n{result.stdout}{result.stderr}")
    graded = run("grade", str(vectors), str(outputs), "--max-ulp", "1", expect=0)
    print(graded.stdout)
    check("PASS" in graded.stdout, graded.stdout)


def case_python_refuses_yarn(work):
    vectors = work / "v.safetensors"
    run("vectors", "--preset", "deepseek-v3", "--dtype", "f32", "--positions", "0..3",
        "--out", str(vectors), expect=0)
    result = subprocess.run([sys.executable, EXAMPLE, str(vectors), str(work / "y.safetensors")],
                            capture_output=True, text=True)
    check(result.returncode != 0 and "rope_type 'yarn' is not supported" in result.stderr,
          f"numpy_rope.py must refuse yarn clearly:\n{result.stdout}{result.stderr}")
    check(not (work / "y.safetensors").exists(), "numpy_rope.py wrote outputs for yarn")


def case_exact_safetensors(work):
    vectors = work / "v.safetensors"
    run("vectors", "--preset", "llama-3.1-8b", "--dtype", "bf16", "--positions",
        "0..7,2^20,2^31-1", "--heads", "2", "--out", str(vectors), expect=0)
    write_y_from_expected(vectors, work / "same.safetensors")
    passed = run("grade", str(vectors), str(work / "same.safetensors"), "--bound", "exact",
                 expect=0)
    check("bit-exact: 2560 (100.00%)" in passed.stdout, passed.stdout)
    write_y_from_expected(vectors, work / "one_ulp.safetensors", flip=1000)
    failed = run("grade", str(vectors), str(work / "one_ulp.safetensors"), "--bound", "exact",
                 "--json", str(work / "report.json"), expect=1)
    check("FAIL: 1 of 2560" in failed.stdout, failed.stdout)
    report = json.loads((work / "report.json").read_text())
    check(report["passed"] is False and report["max_ulp"] == 1 and report["violations"] == 1,
          report)
    # Element 1000 of [11 tokens, 2 heads, 128]: token 3, head 1, channel 104.
    check((report["worst"]["token"], report["worst"]["head"], report["worst"]["channel"]) ==
          (3, 1, 104), report["worst"])
    # One bf16 ulp of one component, in ulps of its pair's norm: more than 0, at most 2 (the
    # component is at most the norm, hence its ulp at most the norm's).
    check(sum(report["norm_ulp_histogram"].values()) == report["pairs"] == 1280, report)
    check(report["norm_ulp_histogram"]["0"] == 1279, report)
    check(0 < report["max_norm_ulps"] <= 2, report)
    run("grade", str(vectors), str(work / "one_ulp.safetensors"), "--max-ulp", "1", expect=0)
    bounded = run("grade", str(vectors), str(work / "one_ulp.safetensors"), "--bound", "bf16-hf",
                  expect=0)
    check("against bound: pipeline bf16-hf" in bounded.stdout, bounded.stdout)
    run("grade", str(vectors), str(work / "one_ulp.safetensors"), "--max-ulp", "0", expect=1)


def case_exact_npy(work):
    run("vectors", "--config", '{"head_dim": 32, "layout": "interleaved"}', "--dtype", "f32",
        "--positions", "0..9", "--out", str(work / "set"), expect=0)
    for name in ("x.npy", "positions.npy", "expected.npy", "meta.json"):
        check((work / "set" / name).is_file(), f"missing {name}")
    shutil.copy(work / "set" / "expected.npy", work / "y.npy")
    run("grade", str(work / "set"), str(work / "y.npy"), expect=0)
    flip_npy(work / "set" / "expected.npy", work / "y1.npy", 17)
    failed = run("grade", str(work / "set"), str(work / "y1.npy"), expect=1)
    check("token 0 (position 0) head 0 channel 17" in failed.stdout, failed.stdout)


def case_numpy_loads(work):
    import numpy as np
    sys.path.insert(0, str(Path(EXAMPLE).parent))
    sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
    from numpy_rope import read_safetensors
    args = ["--preset", "gpt-j-6b", "--dtype", "bf16", "--positions", "0,1,2^16", "--seed", "9"]
    run("vectors", *args, "--out", str(work / "v.safetensors"), expect=0)
    run("vectors", *args, "--out", str(work / "set"), expect=0)
    tensors, metadata = read_safetensors(work / "v.safetensors")
    check(json.loads((work / "set" / "meta.json").read_text()) == metadata, "metadata differ")
    for name in ("x", "positions", "expected"):
        loaded = np.load(work / "set" / f"{name}.npy")
        check(loaded.dtype == tensors[name].dtype and np.array_equal(loaded, tensors[name]),
              f"{name}: .npy and .safetensors differ")
    check(tensors["x"].shape == (3, 2, 256) and tensors["x"].dtype == np.dtype("<u2"),
          tensors["x"].shape)
    x = (tensors["x"].astype(np.uint32) << 16).view(np.float32)
    check(np.all(np.abs(x) < 2.0**64) and np.all(np.isfinite(x)), "x out of range")
    check(tensors["positions"].tolist() == [0, 1, 65536], tensors["positions"])
    check(metadata["preset"] == "gpt-j-6b" and metadata["dtype"] == "bf16" and
          metadata["seed"] == "9" and metadata["ropecheck_vectors"] == "1", metadata)
    check(np.array_equal(tensors["expected"][0], tensors["x"][0]), "position 0 must be identity")


def tensor(vectors, name):
    """The tensor `name` of a .safetensors file as a flat list of Python numbers."""
    header, buffer = safetensors_parts(vectors)
    entry = header[name]
    begin, end = entry["data_offsets"]
    code = {"F64": "d", "F32": "f", "I64": "q"}[entry["dtype"]]
    return list(struct.unpack(f"<{(end - begin) // struct.calcsize(code)}{code}",
                              buffer[begin:end])), entry["shape"], header["__metadata__"]


def write_registry_outputs(work, vectors, impl, outputs, flip_position=None):
    """y = the registry implementation `impl` on the set's inputs, through `ropecheck rotate`;
    at `flip_position` the sine's sign is flipped (a rotation by -m): the planted bug."""
    x, (tokens, heads, dim), meta = tensor(vectors, "x")
    positions = tensor(vectors, "positions")[0]
    rows = [p for p in positions for _ in range(heads)]
    request = {"config": json.loads(meta["config"]), "layer_type": meta["layer_type"],
               "impl": impl, "seq_len": int(meta["seq_len"]),
               "positions": [-p if p == flip_position else p for p in rows],
               "x": [[float.hex(v) for v in x[r * dim:(r + 1) * dim]] for r in range(len(rows))]}
    (work / "request.json").write_text(json.dumps(request))
    response = json.loads(run("rotate", "--input", str(work / "request.json"), expect=0).stdout)
    y = [float.fromhex(v) for row in response["y_hex"] for v in row]
    blob = struct.pack(f"<{len(y)}f", *y)
    text = json.dumps({"y": {"dtype": "F32", "shape": [tokens, heads, dim],
                             "data_offsets": [0, len(blob)]}}).encode()
    Path(outputs).write_bytes(struct.pack("<Q", len(text)) + text + blob)


def case_grade_report(work):
    # Positions where elementwise:f32 stays under 1e-3 of the pair norm (its angle, rounded to
    # f32, errs by about m 2^-24 rad), so that only the planted bug crosses a threshold.
    vectors = work / "v.safetensors"
    run("vectors", "--preset", "llama-2-7b", "--dtype", "f32", "--positions",
        "0..15,1000,2000,4000", "--heads", "1", "--out", str(vectors), expect=0)
    write_registry_outputs(work, vectors, "elementwise:f32", work / "clean.safetensors")
    clean = run("grade", str(vectors), str(work / "clean.safetensors"), "--bound", "f32",
                "--out", str(work / "clean"), expect=0)
    print(clean.stdout)
    check("computes like `elementwise:f32` (Hugging Face float32: " in clean.stdout and
          ") on 100.00 % of outputs; within that pipeline's bound" in clean.stdout, clean.stdout)
    check("T=0.001: >=4000  T=0.01: >=4000" in clean.stdout, clean.stdout)
    check("of the pipeline f32 bound at its worst, position" in clean.stdout, clean.stdout)
    check(sorted(p.name for p in (work / "clean").iterdir()) ==
          ["error_vs_position.dat", "error_vs_position.gp", "error_vs_position.png",
           "error_vs_position.svg", "report.txt", "results.csv", "results.json"],
          list((work / "clean").iterdir()))
    check((work / "clean" / "error_vs_position.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n",
          "error_vs_position.png is not a PNG")
    # The plot's data: the kernel's worst rel per bucket, then the closest pipeline's (the same
    # outputs here), all under 1e-3.
    rows = [line.split() for line in
            (work / "clean" / "error_vs_position.dat").read_text().splitlines()[1:]]
    check(len(rows) > 0 and all(len(r) == 3 and r[1] == r[2] and float(r[1]) < 1e-3
                                for r in rows), rows)
    check((work / "clean" / "report.txt").read_text() == clean.stdout, "report.txt differs")
    report = json.loads((work / "clean" / "results.json").read_text())
    check(report["closest"] == "elementwise:f32" or
          report["behaves_like"][0]["share"] == 1.0, report["behaves_like"])
    like = {entry["impl"]: entry for entry in report["behaves_like"]}
    check(like["elementwise:f32"]["identical"] == report["compared"], like)
    check([b["lo"] for b in report["bands"]] == [0, 1024], report["bands"])
    check("\n[2^10,2^16)  " in clean.stdout, clean.stdout)  # not the last band: half-open
    check(0 < report["margin"] <= 1, report["margin"])
    # The audit's schema (spec/audit.md) with grade's fields beside it (spec/vectors.md).
    check(report["ropecheck_audit"] == 1 and report["options"]["impls"] == ["kernel"] and
          [r["band"] for r in report["results"]] == [[0, 1024], [1024, 65536]] and
          sum(r["outputs"] for r in report["results"]) <= 2 * report["pairs"] and
          set(report["safe_position"]["kernel"]) == {"0.001", "0.01"}, report["results"])
    csv = (work / "clean" / "results.csv").read_text().splitlines()
    header = csv[0].split(",")
    check(len(csv) == 3 and header[:5] == ["impl", "band_lo", "band_hi", "outputs", "max_abs_err"]
          and "max_rel_err" in header and
          all(len(line.split(",")) == len(header) for line in csv), csv)

    write_registry_outputs(work, vectors, "elementwise:f32", work / "bug.safetensors",
                           flip_position=2000)
    bug = run("grade", str(vectors), str(work / "bug.safetensors"), "--bound", "f32",
              "--json", str(work / "bug.json"), expect=1)
    print(bug.stdout)
    check("T=0.001: 1000  T=0.01: 1000" in bug.stdout, bug.stdout)
    check("at its worst, position 2000" in bug.stdout, bug.stdout)
    report = json.loads((work / "bug.json").read_text())
    check(report["margin"] > 1 and report["margin_site"]["position"] == 2000, report["margin"])
    check(report["bands"][1]["max_rel_err"]["site"]["position"] == 2000, report["bands"])
    check(report["bands"][0]["max_rel_err"]["error"] < 1e-3, report["bands"])
    like = {entry["impl"]: entry for entry in report["behaves_like"]}
    # One position of 19, one head: at most 1/19 of the outputs differ, and some do.
    share = like["elementwise:f32"]["share"]
    check(1 - 1 / 19 <= share < 1, like["elementwise:f32"])
    # --out is checked before the work: a file in the way is an error, and nothing is written.
    (work / "taken").write_text("")
    run("grade", str(vectors), str(work / "bug.safetensors"), "--out", str(work / "taken"),
        expect=2)
    check((work / "taken").read_text() == "", "--out overwrote a file")
    # The plot needs gnuplot: without it on PATH, --out is refused before grading, nothing written.
    result = subprocess.run([ROPECHECK, "grade", str(vectors), str(work / "bug.safetensors"),
                             "--out", str(work / "no_plot")], capture_output=True, text=True,
                            env={**os.environ, "PATH": str(work / "empty-path")})
    check(result.returncode == 2 and "gnuplot" in result.stderr and
          not (work / "no_plot").exists(), f"{result.returncode}: {result.stderr}")


def case_bad_inputs(work):
    vectors = work / "v.safetensors"
    run("vectors", "--preset", "llama-2-7b", "--dtype", "f16", "--positions", "0..3",
        "--out", str(vectors), expect=0)
    data = vectors.read_bytes()
    (work / "truncated.safetensors").write_bytes(data[:len(data) // 2])
    (work / "huge_header.safetensors").write_bytes(struct.pack("<Q", 1 << 60) + data[8:])
    (work / "not_npy.npy").write_bytes(b"hello, I am not a NumPy file")
    write_y_from_expected(vectors, work / "y.safetensors")
    cases = [
        (["grade", str(work / "truncated.safetensors"), str(work / "y.safetensors")],
         "run past the data buffer"),
        (["grade", str(work / "huge_header.safetensors"), str(work / "y.safetensors")],
         "runs past the end"),
        (["grade", str(vectors), str(work / "not_npy.npy")], "not a .npy file"),
        (["grade", str(vectors), str(work / "missing.safetensors")], "no such file"),
        (["grade", str(vectors), str(vectors)], "no tensor 'y'"),
        (["grade", str(vectors), str(work / "y.safetensors"), "--bound", "f32"],
         "pipeline f32 stores f32 but the vectors are f16"),
        (["grade", str(vectors), str(work / "y.safetensors"), "--bound", "nope"],
         "unknown bound \"nope\""),
        (["grade", str(vectors), str(work / "y.safetensors"), "--bound", "exact", "--max-ulp", "1"],
         "not both"),
        (["vectors", "--preset", "llama-2-7b", "--dtype", "f17", "--positions", "0",
          "--out", str(work / "a.safetensors")], "--dtype"),
        (["vectors", "--preset", "nope", "--dtype", "f32", "--positions", "0",
          "--out", str(work / "a.safetensors")], "nope"),
        (["vectors", "--preset", "llama-2-7b", "--dtype", "f32", "--positions", "5..1",
          "--out", str(work / "a.safetensors")], "--positions"),
        (["vectors", "--preset", "llama-2-7b", "--dtype", "f32", "--positions", "0",
          "--out", str(work / "a.npy")], "a .npy file holds one array"),
        (["vectors", "--preset", "llama-2-7b", "--dtype", "f32", "--positions", "0",
          "--out", str(work / "a.safetensors"), "--cos-sin", str(work / "c.npy")],
         "the cos/sin cache is written as FILE.safetensors"),
        (["vectors", "--config", "{bad", "--dtype", "f32", "--positions", "0",
          "--out", str(work / "a.safetensors")], "not valid JSON"),
        (["vectors", "--config", '{"head_dim": 7}', "--dtype", "f32", "--positions", "0",
          "--out", str(work / "a.safetensors")], "head_dim"),
        (["vectors", "--dtype", "f32", "--positions", "0", "--out", str(work / "a.safetensors")],
         "exactly one of"),
        (["vectors", "--preset", "llama-2-7b", "--dtype", "f32", "--positions", "0..2^30",
          "--out", str(work / "a.safetensors")], "more than"),
    ]
    for args, fragment in cases:
        result = run(*args, expect=2)
        lines = result.stderr.strip().splitlines()
        check(len(lines) == 1 and fragment in lines[0],
              f"ropecheck {' '.join(args)}: want one line naming {fragment!r}, got:\n{result.stderr}")
    check(not (work / "a.safetensors").exists(), "a failed run left a file behind")
    leftovers = [p.name for p in work.iterdir() if p.name.startswith(".tmp-")]
    check(not leftovers, f"temporary files left behind: {leftovers}")


def case_cos_sin_cache(work):
    """vectors --cos-sin: the tables hold RN32(cos(m theta'_i)) and RN32(sin(...)), recomputed
    here with mpmath (60 digits, then rounded to 24 bits), for a linear-scaled config."""
    import mpmath
    config = {"head_dim": 8, "rope_theta": 10000.0, "layout": "interleaved",
              "rope_scaling": {"rope_type": "linear", "factor": 2.0}}
    positions = [0, 1, 1000, 1 << 20, (1 << 31) - 1]
    result = run("vectors", "--config", json.dumps(config), "--dtype", "f32", "--positions",
                 ",".join(map(str, positions)), "--out", str(work / "v.safetensors"),
                 "--cos-sin", str(work / "cs.safetensors"), expect=0)
    check("cos/sin cache to" in result.stdout, result.stdout)
    header, blob = safetensors_parts(work / "cs.safetensors")
    check(sorted(k for k in header if k != "__metadata__") == ["cos", "sin"], header)
    mpmath.mp.dps = 60
    for name, fn in (("cos", mpmath.cos), ("sin", mpmath.sin)):
        entry = header[name]
        check(entry["dtype"] == "F32" and entry["shape"] == [len(positions), 4], entry)
        begin, end = entry["data_offsets"]
        got = struct.unpack(f"<{len(positions) * 4}f", blob[begin:end])
        for t, m in enumerate(positions):
            for i in range(4):
                theta = mpmath.power(10000, mpmath.mpf(-2 * i) / 8) / 2
                exact = fn(m * theta)
                with mpmath.workprec(24):
                    want = float(+exact)
                check(got[t * 4 + i] == want,
                      f"{name}[{t}][{i}] (position {m}) = {got[t * 4 + i]!r}, want {want!r}")


def main():
    with tempfile.TemporaryDirectory(prefix="ropecheck-vectors-") as tmp:
        work = Path(tmp)
        if CASE in PYTHON_CASES:
            case_python(work, PYTHON_CASES[CASE])
        elif CASE == "python_refuses_yarn":
            case_python_refuses_yarn(work)
        elif CASE == "exact_safetensors":
            case_exact_safetensors(work)
        elif CASE == "exact_npy":
            case_exact_npy(work)
        elif CASE == "numpy_loads":
            case_numpy_loads(work)
        elif CASE == "grade_report":
            case_grade_report(work)
        elif CASE == "cos_sin_cache":
            case_cos_sin_cache(work)
        elif CASE == "bad_inputs":
            case_bad_inputs(work)
        else:
            sys.exit(f"unknown case {CASE}")


if __name__ == "__main__":
    main()
