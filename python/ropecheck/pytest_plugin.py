"""The pytest plugin: a `rope_case` fixture over a standard matrix of presets x dtypes x
position sets, a `rope` marker to choose them, and `--rope-shard K/N`.

Registered by the installed package (entry point "ropecheck.pytest_plugin"); without it, load it
with `pytest -p ropecheck.pytest_plugin` or `pytest_plugins = ["ropecheck.pytest_plugin"]`.

    def test_my_rope(rope_case):
        y = my_rope(rope_case.x, rope_case.positions, rope_case.cfg)
        rope_case.check(y, bound="f32")

    @pytest.mark.rope(presets=["llama-3.1-8b"], dtypes=["bf16"], positions={"long": "2^30..2^30+7"})
    def test_my_bf16_rope(rope_case): ...
"""
from dataclasses import dataclass

import numpy as np
import pytest

from . import _native
from .api import assert_rope_close, reference
from .config import Config

# Every position set holds these: 0, the edges where bf16 (2^8), f16 (2^11) and f32 (2^24)
# stop holding every integer, Llama 3's 2^17 context, a large prime and the largest int32.
EDGE_POSITIONS = "0,255..257,2047..2049,2^24-1..2^24+1,131071,1000003,2^31-1"
POSITION_SETS = {
    "edges": "",
    "log": "log:1..2^31-1:48",  # plus log-spaced positions over the whole int32 range
}
DEFAULT_PRESETS = ("llama-3.1-8b", "qwen2.5-7b-yarn", "gpt-j-6b")
DEFAULT_DTYPES = ("f32", "bf16")
DEFAULT_HEADS = 2


def pytest_addoption(parser):
    group = parser.getgroup("ropecheck")
    group.addoption("--rope-shard", default=None, metavar="K/N",
                    help="run only shard K of N (K from 0) of the rope_case tests")


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "rope(presets=[...], dtypes=[...], positions={name: spec} or [spec, ...], heads=N, "
        "seed=S): the rope_case matrix of this test (positions in `ropecheck audit "
        "--positions` syntax; the edge positions are always added)")
    shard = config.getoption("--rope-shard")
    config._ropecheck_shard = None
    if shard is not None:
        try:
            config._ropecheck_shard = _native.parse_shard(shard)
        except ValueError as error:
            raise pytest.UsageError(f"--rope-shard: {error}") from None


@dataclass(frozen=True)
class _CaseSpec:
    preset: str
    dtype: str
    positions_name: str
    positions_spec: str
    heads: int
    seed: int

    @property
    def id(self):
        return f"{self.preset}-{self.dtype}-{self.positions_name}"


def _matrix(marker):
    options = dict(marker.kwargs) if marker else {}
    unknown = set(options) - {"presets", "dtypes", "positions", "heads", "seed"}
    if unknown or (marker and marker.args):
        raise pytest.UsageError(f"rope marker: unknown arguments {sorted(unknown) or marker.args}"
                                "; accepted: presets, dtypes, positions, heads, seed")
    presets = options.get("presets", DEFAULT_PRESETS)
    dtypes = options.get("dtypes", DEFAULT_DTYPES)
    sets = options.get("positions", POSITION_SETS)
    if isinstance(sets, str):
        sets = {"custom": sets}
    elif not isinstance(sets, dict):
        sets = {f"set{k}": spec for k, spec in enumerate(sets)}
    for label, values in (("presets", presets), ("dtypes", dtypes), ("positions", sets)):
        if isinstance(values, str) or not values:
            raise pytest.UsageError(f"rope marker: {label} must be a non-empty list")
    return [_CaseSpec(p, d, name, spec, int(options.get("heads", DEFAULT_HEADS)),
                      int(options.get("seed", 0)))
            for p in presets for d in dtypes for name, spec in sets.items()]


def pytest_generate_tests(metafunc):
    if "rope_case" not in metafunc.fixturenames:
        return
    cases = _matrix(metafunc.definition.get_closest_marker("rope"))
    metafunc.parametrize("rope_case", cases, ids=[c.id for c in cases], indirect=True)


def pytest_collection_modifyitems(config, items):
    shard = getattr(config, "_ropecheck_shard", None)
    if shard is None:
        return
    index, count = shard
    keep, drop, case = [], [], 0
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None or "rope_case" not in callspec.params:
            keep.append(item)
            continue
        (keep if case % count == index else drop).append(item)
        case += 1
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


class RopeCase:
    """One case of the matrix: cfg, positions (int64), x (tokens, heads, head_dim) of dtype
    (NumPy; bf16 values held in float32; `torch_x()` gives a tensor of the real dtype) and
    check(y, bound=...) grading a kernel's outputs against the correctly rounded reference."""

    def __init__(self, spec, nodeid):
        self.spec = spec
        self.nodeid = nodeid
        self.preset = spec.preset
        self.dtype = spec.dtype
        self.cfg = Config.from_preset(spec.preset)
        joined = EDGE_POSITIONS + ("," + spec.positions_spec if spec.positions_spec else "")
        self.positions = _native.parse_positions(joined)
        self.heads = spec.heads
        shape = (len(self.positions), spec.heads, self.cfg.head_dim)
        values = _native.draw_inputs(spec.dtype, int(np.prod(shape)), spec.seed).reshape(shape)
        self.x = values.astype({"f64": np.float64, "f16": np.float16}.get(spec.dtype,
                                                                              np.float32))

    def torch_x(self):
        """x as a PyTorch tensor of the case's dtype (bfloat16 included)."""
        import torch
        dtype = {"f64": torch.float64, "f32": torch.float32, "f16": torch.float16,
                 "bf16": torch.bfloat16}[self.dtype]
        return torch.from_numpy(self.x.astype(np.float64)).to(dtype)

    def expected(self):
        """The reference's correctly rounded outputs for x."""
        return reference(self.x, self.positions, self.cfg, self.dtype)

    def check(self, y, bound=None, **options):
        """assert_rope_close(y, x, positions, cfg, bound) in the case's dtype; the failure
        names the case and how to rerun it."""
        try:
            return assert_rope_close(y, self.x, self.positions, self.cfg, bound,
                                     dtype=self.dtype, **options)
        except AssertionError as error:
            raise AssertionError(f"rope case {self.spec.id} (preset {self.preset}, dtype "
                                 f"{self.dtype}, {len(self.positions)} positions x "
                                 f"{self.heads} heads, seed {self.spec.seed})\n{error}"
                                 f"rerun: pytest '{self.nodeid}'\n") from None

    def __repr__(self):
        return f"<RopeCase {self.spec.id}>"


@pytest.fixture
def rope_case(request):
    """A RopeCase of the standard matrix (or of the test's `rope` marker)."""
    spec = getattr(request, "param", None)
    if spec is None:
        raise pytest.UsageError("rope_case is parametrized by the ropecheck plugin's matrix")
    return RopeCase(spec, request.node.nodeid)
