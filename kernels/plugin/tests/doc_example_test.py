#!/usr/bin/env python3
"""The minimal plugin of spec/kernel-abi.md §11, compiled from the document itself with the C
compiler alone and checked: a stranger following the document gets a passing plugin.
Usage: doc_example_test.py ROPECHECK CC KERNEL_ABI_MD ABI_INCLUDE_DIR
"""
import os
import re
import subprocess
import sys
import tempfile

ROPECHECK, CC, DOC, INCLUDE = sys.argv[1:5]

text = open(DOC).read()
match = re.search(r"<!-- doc-example: minimal_plugin\.c -->\s*```c\n(.*?)```", text, re.S)
if not match:
    sys.exit(f"no minimal_plugin.c example block in {DOC}")

with tempfile.TemporaryDirectory() as tmp:
    source, library = os.path.join(tmp, "minimal_plugin.c"), os.path.join(tmp, "minimal_plugin.so")
    open(source, "w").write(match.group(1))
    # The build line of the document, with warnings as errors.
    subprocess.run([CC, "-std=c99", "-O2", "-fPIC", "-shared", "-Wall", "-Wextra", "-Werror",
                    "-I", INCLUDE, source, "-o", library, "-lm"], check=True)
    proc = subprocess.run([ROPECHECK, "check", "--kernel", library], capture_output=True,
                          text=True, timeout=840)
    print(proc.stdout)
    if proc.returncode != 0:
        sys.exit(f"the document's plugin does not pass (exit {proc.returncode}):\n{proc.stderr}")
    if "minimal_f32:f32" not in proc.stdout or "PASS: every property holds" not in proc.stdout:
        sys.exit("unexpected summary")
