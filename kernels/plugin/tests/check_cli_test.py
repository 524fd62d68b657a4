#!/usr/bin/env python3
"""`ropecheck check` end to end on the example plugins: exit codes, the names of the findings,
and well-formed JUnit/JSON. Usage: check_cli_test.py CASE ROPECHECK CORRECT_SO BROKEN_SO FIXTURE_DIR
"""
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree

CASE, ROPECHECK, CORRECT, BROKEN, FIXTURES = sys.argv[1:6]

# One small configuration keeps the broken-kernel runs quick; each still runs every property.
QUICK = ["--preset", "llama-2-7b", "--cases", "10", "--timeout", "2"]

# Broken kernel -> words its failure must be reported with (spec/kernel-abi.md, "What is checked").
BROKEN_MARKERS = {
    "segfault": ["no-crash", "crash (SIGSEGV)"],
    "hang": ["no-hang", "hang in apply(): no answer within 2000 ms"],
    "nan_far": ["finite-outputs", "NaN outputs for finite inputs"],
    "overflow_by_one": ["in-bounds-writes", "out-of-bounds write past the end of y (byte 0 after"],
    "overflow_far": ["in-bounds-writes", "out-of-bounds write past the end of y"],
    "writes_input": ["inputs-untouched", "wrote into its read-only input x"],
    "error_far": ["no-error-return", "RC_ERROR_INTERNAL"],
    "flipped": ["reference_agreement"],
}


def run(args, expect_code, env=None):
    proc = subprocess.run([ROPECHECK, "check", *args], capture_output=True, text=True, timeout=840,
                          env=env)
    out = proc.stdout + proc.stderr
    if proc.returncode != expect_code:
        sys.exit(f"expected exit {expect_code}, got {proc.returncode}\n{out}")
    # rapidcheck's own configuration line names a seed that plays no part in the run.
    if "Using configuration" in out:
        sys.exit(f"rapidcheck's configuration line in the output:\n{out[:2000]}")
    return proc.stdout, proc.stderr


def expect_in(text, words):
    for word in words:
        if word not in text:
            sys.exit(f"missing {word!r} in:\n{text}")


def failed_lines(stdout, subject):
    """The summary's lines for one subject (from its header to the next blank line)."""
    block = stdout.split(f"\n{subject}  (bound:", 1)
    if len(block) < 2:
        sys.exit(f"no section for {subject} in:\n{stdout}")
    return block[1].split("\n\n", 1)[0]


def correct_passes():
    with tempfile.TemporaryDirectory() as tmp:
        junit, report = os.path.join(tmp, "out", "junit.xml"), os.path.join(tmp, "report.json")
        stdout, _ = run(["--kernel", CORRECT, "--junit", junit, "--json", report], 0)
        expect_in(stdout, ["PASS: every property holds", "correct_f32:f32", "correct_cached_bf16:bf16"])
        root = ElementTree.parse(junit).getroot()
        if root.get("failures") != "0" or int(root.get("tests")) < 30:
            sys.exit(f"unexpected JUnit totals {root.attrib}")
        names = {case.get("name") for case in root.iter("testcase")}
        expect_in(" ".join(sorted(names)), ["reference_agreement", "no-crash", "batch-shape-independence"])
        data = json.load(open(report))
        if data["passed"] is not True or len(data["subjects"]) != 3:
            sys.exit(f"unexpected JSON {json.dumps(data)[:400]}")
        # The margins and the sweep's bands: in the summary, and as numbers in JUnit and JSON.
        expect_in(stdout, ["bound margin per property", "safe<=0.001  safe<=0.01  safe<=bound"])
        cases = list(root.iter("testcase"))
        for case in cases:
            props = {p.get("name"): p.get("value") for p in case.iter("property")}
            if "margin" in props and not float(props["margin"]) <= 1:
                sys.exit(f"a passing testcase with margin over 1: {case.attrib} {props}")
        agreement = [{p.get("name"): p.get("value") for p in c.iter("property")}
                     for c in cases if c.get("name") == "reference_agreement"]
        if not agreement or not all(0 < float(p["margin"]) <= 1 and int(p["cases"]) > 0
                                    for p in agreement):
            sys.exit(f"reference_agreement testcases without a margin in (0, 1]: {agreement}")
        sweeps = [{p.get("name"): p.get("value") for p in c.iter("property")}
                  for c in cases if c.get("name") == "position-sweep"]
        if not sweeps or not all(p["safe_up_to_bound"].startswith(">=") and int(p["cases"]) > 0
                                 for p in sweeps):
            sys.exit(f"position-sweep testcases of a correct kernel must never leave the bound: {sweeps}")
        for subject in data["subjects"]:
            margins = {m["property"]: m["margin"] for m in subject["margins"]}
            if not 0 < margins.get("reference_agreement", 0) <= 1:
                sys.exit(f"{subject['subject']}: reference_agreement margin {margins}")
            for config in subject["configs"]:
                if "not_applicable" in config:
                    continue
                within = config["position_sweep_report"]["within_bound"]
                if within["exceeded"] or not config["position_sweep_report"]["bands"]:
                    sys.exit(f"{subject['subject']} {config['config']}: sweep {within}")


def broken(kernel):
    with tempfile.TemporaryDirectory() as tmp:
        junit = os.path.join(tmp, "junit.xml")
        stdout, _ = run(["--kernel", BROKEN, "--kernel-name", kernel, "--junit", junit, *QUICK], 1)
        expect_in(failed_lines(stdout, f"{kernel}:f32"), BROKEN_MARKERS[kernel])
        failures = [c.get("name") for c in ElementTree.parse(junit).getroot().iter("testcase")
                    if c.find("failure") is not None]
        if BROKEN_MARKERS[kernel][0] not in failures:
            sys.exit(f"JUnit failures {failures} lack {BROKEN_MARKERS[kernel][0]}")


def whole_broken_library():
    # Every kernel in one run: crashes and the hang do not stop the others being checked.
    stdout, _ = run(["--kernel", BROKEN, *QUICK], 1)
    for kernel, markers in BROKEN_MARKERS.items():
        expect_in(failed_lines(stdout, f"{kernel}:f32"), markers)
    expect_in(stdout, ["FAIL: some property does not hold"])


def usage_error(args, words, env=None):
    _, stderr = run(args, 2, env)
    expect_in(stderr, words)


def shrink_seconds():
    # No shrinking at all still reports the failure, with a replayable counterexample.
    stdout, _ = run(["--kernel", BROKEN, "--kernel-name", "flipped", "--shrink-seconds", "0.0",
                     "--verbose", *QUICK], 1)
    expect_in(failed_lines(stdout, "flipped:f32"), BROKEN_MARKERS["flipped"])
    expect_in(stdout, ["ropecheck rotate"])
    # Out of range or not an integer, from the option or from the environment: a usage error.
    for value in ["-1", "86401", "0x1p1", "nan"]:
        usage_error(["--kernel", CORRECT, "--shrink-seconds", value], ["--shrink-seconds", value, "0..86400"])
    env = dict(os.environ, ROPECHECK_CHECK_SHRINK_SECONDS="soon")
    usage_error(["--kernel", CORRECT], ["ROPECHECK_CHECK_SHRINK_SECONDS", "soon"], env)


CASES = {
    "correct_passes": correct_passes,
    "whole_broken_library": whole_broken_library,
    "missing_symbol": lambda: usage_error(
        ["--kernel", os.path.join(FIXTURES, "ropecheck_fixture_no_symbol.so")],
        ["ropecheck_fixture_no_symbol.so does not export the symbol ropecheck_kernels"]),
    "abi_mismatch": lambda: usage_error(
        ["--kernel", os.path.join(FIXTURES, "ropecheck_fixture_abi_99.so")],
        ["built for kernel ABI version 99, this ropecheck speaks version 1"]),
    "null_table": lambda: usage_error(
        ["--kernel", os.path.join(FIXTURES, "ropecheck_fixture_null_table.so")],
        ["does not serve kernel ABI version 1"]),
    "missing_library": lambda: usage_error(["--kernel", "/nonexistent/x.so"],
                                           ["cannot load plugin /nonexistent/x.so"]),
    "unknown_kernel": lambda: usage_error(["--kernel", CORRECT, "--kernel-name", "nope"],
                                          ["has no kernel \"nope\"", "correct_f32"]),
    "unknown_bound": lambda: usage_error(["--kernel", CORRECT, "--bound", "nope"],
                                         ["\"nope\"", "not a pipeline with an error model"]),
}


def list_kernels():
    stdout, _ = run(["--kernel", BROKEN, "--list"], 0)
    expect_in(stdout, list(BROKEN_MARKERS))


CASES["list_kernels"] = list_kernels
CASES["shrink_seconds"] = shrink_seconds
for name in BROKEN_MARKERS:
    CASES[name] = lambda name=name: broken(name)

CASES[CASE]()
