#!/usr/bin/env python3
"""The reference from Python costs what it costs in C++: rc.reference over 10^6 rotated pairs
against the C++ library (ropecheck_reference_pairs, Reference::apply one row at a time, as
`ropecheck rotate` runs it) on the same pairs, in CPU seconds. Not a timed test: run it by hand.

    PYTHONPATH=build/python /usr/bin/python3 python/bench/reference_speed.py \\
        --cpp build/python/ropecheck_reference_pairs

Inputs: llama-3.1-8b's head (64 pairs), bf16 values from the golden vectors' draw, positions
log-uniform up to 2^31 - 1. Prints both times, their ratio and whether the outputs are the same
bits; exits 1 when they differ or the ratio exceeds 1.5.
"""
import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import ropecheck as rc


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpp", required=True, help="path of ropecheck_reference_pairs")
    parser.add_argument("--pairs", type=int, default=10**6)
    parser.add_argument("--preset", default="llama-3.1-8b")
    parser.add_argument("--dtype", default="bf16")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each; the median counts")
    args = parser.parse_args()

    cfg = rc.Config.from_preset(args.preset)
    rows = -(-args.pairs // cfg.pairs)
    x = rc._native.draw_inputs(args.dtype, rows * cfg.head_dim, 1).reshape(rows, cfg.head_dim)
    rng = np.random.default_rng(2024)
    positions = np.floor(np.exp2(rng.uniform(0, 31, rows))).astype(np.int64)
    positions = np.minimum(positions, 2**31 - 1)

    with tempfile.TemporaryDirectory() as tmp:
        np.save(Path(tmp) / "x.npy", x)
        np.save(Path(tmp) / "positions.npy", positions)
        cpp = []
        for _ in range(args.repeat):
            out = subprocess.run([args.cpp, args.preset, args.dtype, f"{tmp}/x.npy",
                                  f"{tmp}/positions.npy", f"{tmp}/y.npy"],
                                 capture_output=True, text=True, check=True).stdout
            cpp.append(float(out.split()[1]))
        y_cpp = np.load(Path(tmp) / "y.npy").reshape(rows, cfg.head_dim)

    x32 = x.astype(np.float32)  # as a kernel test holds its inputs
    python = []
    for _ in range(args.repeat):
        start = time.process_time()
        y = rc.reference(x32, positions, cfg, args.dtype)
        python.append(time.process_time() - start)

    same = np.array_equal(y.astype(np.float64).view(np.int64), y_cpp.view(np.int64))
    c, p = float(np.median(cpp)), float(np.median(python))
    pairs = rows * cfg.pairs
    print(f"{pairs} pairs ({rows} rows of {args.preset}, {args.dtype}), CPU seconds, median of "
          f"{args.repeat}:")
    print(f"  C++ library   {c:.3f} s  ({1e9 * c / pairs:.0f} ns/pair)")
    print(f"  from Python   {p:.3f} s  ({1e9 * p / pairs:.0f} ns/pair)")
    print(f"  ratio {p / c:.3f} (limit 1.5); outputs bit for bit equal: {'yes' if same else 'NO'}")
    return 0 if same and p / c <= 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
