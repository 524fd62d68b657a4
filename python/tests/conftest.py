"""Shared helpers of the Python package's tests: the `ropecheck` program (ROPECHECK_CLI, set by
ctest) for bit-exact comparisons, and Hypothesis settings that write nothing to disk."""
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

settings.register_profile("ropecheck", database=None, deadline=None, derandomize=True)
settings.load_profile("ropecheck")

SOURCE_DIR = Path(os.environ.get("ROPECHECK_SOURCE_DIR", Path(__file__).resolve().parents[2]))


def cli_path():
    path = os.environ.get("ROPECHECK_CLI")
    if not path or not Path(path).is_file():
        pytest.fail("ROPECHECK_CLI must name the built ropecheck program (ctest sets it)")
    return path


def rotate(request):
    """`ropecheck rotate` on a request dict: the response's y as float64 (from y_hex, exact)."""
    result = subprocess.run([cli_path(), "rotate"], input=json.dumps(request), text=True,
                            capture_output=True, check=False)
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout)
    return np.array([[float.fromhex(v) for v in row] for row in response["y_hex"]])


def hex_rows(x):
    """Rows of x as exact hex floats for a rotate request."""
    return [[float(v).hex() for v in row] for row in np.asarray(x, dtype=np.float64)]


def same_bits(a, b):
    """Bit-for-bit equality of arrays as float64 (-0 differs from +0; a NaN equals a NaN)."""
    a = np.ascontiguousarray(a, dtype=np.float64)
    b = np.ascontiguousarray(b, dtype=np.float64)
    if a.shape != b.shape or not np.array_equal(np.isnan(a), np.isnan(b)):
        return False
    numbers = ~np.isnan(a)
    return np.array_equal(a[numbers].view(np.int64), b[numbers].view(np.int64))
