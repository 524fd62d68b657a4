#!/usr/bin/env python3
"""`ropecheck check` on one hostile plugin: the exact exit code, the words that name the problem,
and no crash, hang or silent pass. Usage: hostile_test.py CASE ROPECHECK PLUGIN_DIR
"""
import os
import subprocess
import sys
import time

CASE, ROPECHECK, PLUGINS = sys.argv[1:4]

# One configuration, few cases and a 1 s call timeout keep every case within seconds.
QUICK = ["--preset", "llama-2-7b", "--cases", "10", "--timeout", "1"]
LOADING = "dlopen (the library's constructors)"
ENTRY = "ropecheck_kernels()"

# case -> (plugin, extra arguments, exit code, words the output must contain)
CASES = {
    "ctor_exit": ("ctor_exit", QUICK, 1, ["no-crash", "exited with status 0", LOADING]),
    "ctor_segv": ("ctor_segv", QUICK, 1, ["no-crash", "crash (SIGSEGV)", LOADING]),
    "ctor_hang": ("ctor_hang", QUICK, 1, ["no-crash", "hang in " + LOADING, "no answer within 1000 ms"]),
    "entry_exit": ("entry_exit", QUICK, 1, ["exited with status 0", ENTRY]),
    "entry_segv": ("entry_segv", QUICK, 1, ["crash (SIGSEGV)", ENTRY]),
    "entry_hang": ("entry_hang", QUICK, 1, ["hang in " + ENTRY]),
    "supports_exit": ("supports_exit", QUICK, 1, ["no-crash", "exited with status 0 in supports()"]),
    "supports_segv": ("supports_segv", QUICK, 1, ["no-crash", "crash (SIGSEGV) in supports()"]),
    "supports_hang": ("supports_hang", QUICK, 1, ["no-hang", "hang in supports()"]),
    "apply_exit": ("apply_exit", QUICK, 1, ["no-crash", "exited with status 0 in apply()"]),
    "apply_segv": ("apply_segv", QUICK, 1, ["no-crash", "crash (SIGSEGV) in apply()"]),
    "apply_hang": ("apply_hang", QUICK, 1, ["no-hang", "hang in apply()"]),
    "bad_count": ("bad_count", QUICK, 2, ["the table's count is", "sizeof"]),
    "close_fds_hang": ("close_fds_hang", QUICK, 1, ["no-crash", "closed ropecheck's channel"]),
    "fork_child": ("fork_child", QUICK, 1, ["no-stray-processes", "left 1 process running"]),
    "every_nth": ("every_nth", QUICK, 1, ["fails 1 of 5 identical calls"]),
    "zeros_2pct": ("zeros_2pct", QUICK, 1, ["identical calls"]),
    "overread": ("overread", QUICK, 1, ["in-bounds-writes", "out-of-bounds read past the end of x"]),
    "heads_ge4": ("heads_ge4", QUICK, 1, ["batch-shape-independence", "differs bit for bit"]),
    "heads_eq2": ("heads_eq2", QUICK, 1, ["batch-shape-independence", "2 heads] call"]),
    "rows_gt256": ("rows_gt256", QUICK, 1, ["batch-shape-independence"]),
    "negzero": ("negzero", QUICK, 1, ["batch-shape-independence", "-0x0p+0", "bit for bit"]),
    "text_injection": ("text_injection", QUICK, 0, ["PASS: every property holds", "\\x1b[2J"]),
    "huge_output": ("huge_output", QUICK, 1, ["bounded-output", "bytes to stdout/stderr"]),
    "memory_hog": ("memory_hog", ["--preset", "llama-2-7b", "--cases", "10", "--timeout", "10",
                                  "--memory-limit", "128"], 1,
                   ["no-crash", "in apply()", "near the memory limit of 128 MiB"]),
}
# Dynamic NTK (no preset uses it): given with --config, as a user would. The frozen base must be
# caught at the boundary lengths, which do not depend on the seed; the correct one must pass.
DYNAMIC = ["--config", '{"head_dim": 128, "rope_theta": 10000.0, "max_position_embeddings": 4096, '
           '"rope_scaling": {"rope_type": "dynamic", "factor": 4.0}}', "--cases", "10", "--timeout", "5"]
CASES["dynamic_correct"] = ("dynamic_correct", DYNAMIC, 0, ["PASS: every property holds"])
CASES["dynamic_frozen"] = ("dynamic_frozen", DYNAMIC + ["--seed", "1"], 1,
                           ["reference_agreement", "at a boundary length"])
# A correct kernel stopped by the time budget: reported as not completed, never as a pass.
CASES["time_budget"] = ("text_injection", ["--cases", "50", "--time-budget", "1"], 1,
                        ["not completed", "not a pass"])


def main():
    plugin, args, code, words = CASES[CASE]
    path = os.path.join(PLUGINS, f"hostile_{plugin}.so")
    started = time.monotonic()
    proc = subprocess.run([ROPECHECK, "check", "--kernel", path, *args], capture_output=True,
                          timeout=50)
    seconds = time.monotonic() - started
    out = proc.stdout.decode("utf-8", "strict") + proc.stderr.decode("utf-8", "strict")
    if proc.returncode != code:
        sys.exit(f"expected exit {code}, got {proc.returncode} after {seconds:.1f} s\n{out[-6000:]}")
    for word in words:
        if word not in out:
            sys.exit(f"missing {word!r} in:\n{out[-6000:]}")
    # Plugin text never reaches the terminal raw: no escape characters, no injected lines.
    if "\x1b" in out or "\nFAIL: injected" in out:
        sys.exit(f"raw plugin text in the output:\n{out[-6000:]}")
    # The plugin's own output is captured, never passed through.
    if "AAAAAAAAAAAAAAAA" in out:
        sys.exit("the worker's output reached ropecheck's output")
    if seconds > 40:
        sys.exit(f"took {seconds:.1f} s")
    print(f"{CASE}: exit {proc.returncode} in {seconds:.1f} s")


main()
