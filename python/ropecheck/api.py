"""reference, cos_sin, pipeline, grade and assert_rope_close: the library's oracle, registry
and grading on arrays. Arrays are (..., tokens, head_dim) (Hugging Face's [batch, heads, tokens,
head_dim] among them) or (tokens, heads, head_dim) (vLLM's), one position per token; which axis
holds the tokens is found from the number of positions, or given as token_axis=."""
import json
import shlex

import numpy as np

from . import _arrays, _native
from .config import as_config
from .report import GradeReport

# The thresholds on the error relative to the pair norm for "safe up to" (as `ropecheck grade`).
DEFAULT_THRESHOLDS = (1e-3, 1e-2)


def reference(x, positions, cfg, dtype=None, *, seq_len=None, token_axis=None):
    """The exact RoPE of x, correctly rounded (to nearest, ties to even) to `dtype` (default:
    x's dtype; every input must be exactly representable in it): what `ropecheck rotate` with
    "impl": "reference" computes. Same shape as x; a tensor when x is one (bfloat16 included),
    else NumPy (bf16 as float32 holding the bf16 values). seq_len (dynamic NTK, LongRoPE)
    defaults to max(positions) + 1, as Hugging Face does."""
    cfg = as_config(cfg)
    values, x_dtype = _arrays.floats(x, "x", keep_f32=True)
    dtype = _dtype(dtype, x_dtype)
    m = _arrays.positions(positions)
    rows = _arrays.Rows(values.shape, len(m), token_axis)
    flat, row_positions = rows.rows(values, m)
    y = _native.reference(cfg._native, row_positions, flat, dtype, _seq_len(seq_len))
    return _arrays.output(rows.restore(y), dtype, x)


def cos_sin(positions, cfg, dtype="f32", *, seq_len=None, like=None):
    """(c, s): RN(a cos(m theta_i)) and RN(a sin(m theta_i)), shape (tokens, rotary_dim / 2),
    with the config's attention factor a: the reference's rotation of the unit pair (1, 0).
    NumPy arrays, or tensors when `like` is a tensor."""
    cfg = as_config(cfg)
    dtype = _dtype(dtype, None)
    m = _arrays.positions(positions)
    c, s = _native.cos_sin(cfg._native, m, dtype, _seq_len(seq_len))
    return _arrays.output(c, dtype, like), _arrays.output(s, dtype, like)


class Pipeline:
    """A registered implementation ("form:pipeline", `ropecheck impls`): call it as
    pipeline(x, positions, cfg) to run the library's own implementation of that recipe."""

    def __init__(self, name):
        if not isinstance(name, str):
            raise TypeError(f"pipeline: expected a name, got {type(name).__name__}")
        self.dtype = _native.implementation_dtype(name)
        self.name = name

    def __call__(self, x, positions, cfg, *, seq_len=None, token_axis=None):
        cfg = as_config(cfg)
        values, _ = _arrays.floats(x, "x")
        m = _arrays.positions(positions)
        rows = _arrays.Rows(values.shape, len(m), token_axis)
        flat, row_positions = rows.rows(values, m)
        y = _native.implementation(self.name, cfg._native, row_positions, flat,
                                   _seq_len(seq_len))
        return _arrays.output(rows.restore(y), self.dtype, x)

    def __repr__(self):
        return f"ropecheck.pipeline({self.name!r})"


def pipeline(name):
    """The registered implementation `name`, e.g. "elementwise:f32" or
    "elementwise:bf16-hf"; a ValueError lists the accepted names."""
    return Pipeline(name)


def grade(y, x, positions, cfg, bound=None, *, max_ulp=None, dtype=None, seq_len=None,
          token_axis=None, thresholds=DEFAULT_THRESHOLDS, behaves_like=True):
    """Grades a kernel's outputs y for inputs x at `positions` against the correctly rounded
    reference, as `ropecheck grade` does: bound="exact" (the default: every output bit for bit),
    max_ulp=N (every output within N ulps), or bound=PIPELINE ("f32", "bf16-hf", ...: within
    that pipeline's derived error bound). y and x share a shape; dtype defaults to y's.
    Returns a GradeReport; it does not raise when the outputs fail (see assert_rope_close)."""
    cfg = as_config(cfg)
    if bound is not None and max_ulp is not None:
        raise ValueError("bound: give either bound= or max_ulp=, not both")
    if max_ulp is not None:
        if isinstance(max_ulp, bool) or not isinstance(max_ulp, (int, np.integer)) \
                or not 0 <= max_ulp <= 2**32:
            raise ValueError(f"max_ulp: {max_ulp!r} is not an integer in [0, 2^32]")
        kind, ulps = "max_ulp", int(max_ulp)
    else:
        kind, ulps = ("exact" if bound is None else bound), 0
        if not isinstance(kind, str):
            raise TypeError(f"bound: expected \"exact\" or a pipeline name, got "
                            f"{type(kind).__name__}")
        if kind == "max_ulp":
            raise ValueError("bound: give the number of ulps as max_ulp=N")
    y_values, y_dtype = _arrays.floats(y, "y")
    x_values, _ = _arrays.floats(x, "x")
    dtype = _dtype(dtype, y_dtype)
    if x_values.shape != y_values.shape:
        raise ValueError(f"y: has shape {y_values.shape} but x has {x_values.shape}")
    m = _arrays.positions(positions)
    rows = _arrays.Rows(x_values.shape, len(m), token_axis)
    x_t = rows.to_tokens_first(x_values)
    y_t = rows.to_tokens_first(y_values)
    text, data = _native.grade(cfg._native, m, x_t, y_t, dtype, kind, ulps,
                               [float(t) for t in thresholds], _seq_len(seq_len), behaves_like)
    data = json.loads(data)
    site = data["first_violation"]
    replay = _replay(cfg, dtype, m, x_t, site, seq_len) if site else ""
    return GradeReport(text, data, replay)


def assert_rope_close(y, x, positions, cfg, bound=None, **options):
    """grade(...), raising AssertionError carrying the report's text (with the worst input in
    hex and a replay line) when the outputs break the bound; returns the report."""
    report = grade(y, x, positions, cfg, bound, **options)
    if not report.passed:
        raise AssertionError("RoPE outputs differ from the reference:\n" + str(report))
    return report


def presets():
    """The built-in presets' names."""
    return list(_native.presets())


def implementations():
    """{name: dtype} of every registered implementation."""
    return dict(_native.implementations())


def _dtype(dtype, default):
    if dtype is None:
        if default is None:
            raise ValueError("dtype: give one of f64, f32, bf16, f16")
        return default
    if not isinstance(dtype, str):
        raise TypeError(f"dtype: expected a name such as \"f32\" or \"bf16\", got "
                        f"{type(dtype).__name__}")
    return dtype


def _seq_len(seq_len):
    if seq_len is None:
        return None
    if isinstance(seq_len, bool) or not isinstance(seq_len, (int, np.integer)):
        raise TypeError(f"seq_len: expected an integer, got {type(seq_len).__name__}")
    return int(seq_len)


def _replay(cfg, dtype, positions, x_tokens_first, site, seq_len):
    """A `ropecheck rotate` command giving the reference's outputs for the failing site's row."""
    row = x_tokens_first[site["token"], site["head"]]
    request = dict(cfg.request())
    request.update({"impl": "reference", "dtype": dtype, "positions": [site["position"]],
                    "x": [_native.hex_floats(row)],
                    "seq_len": int(seq_len if seq_len is not None else positions.max() + 1)})
    return f"echo {shlex.quote(json.dumps(request, separators=(',', ':')))} | ropecheck rotate"
