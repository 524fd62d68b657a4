"""Hypothesis strategies for RoPE tests: configurations, positions and inputs that shrink
toward the simplest failing case (head_dim 2, base 10000, no scaling; position 0; inputs 0).

    from hypothesis import given
    import ropecheck as rc

    @given(rc.strategies.configs(), rc.strategies.positions(), st.data())
    def test_my_rope(cfg, positions, data):
        x = data.draw(rc.strategies.inputs("f32", (len(positions), 2, cfg.head_dim)))
        rc.assert_rope_close(my_rope(x, positions, cfg), x, positions, cfg, bound="f32")
"""
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from . import _native
from .config import Config

# Listed simplest first: Hypothesis shrinks a sampled_from toward its first element.
HEAD_DIMS = (2, 4, 8, 16, 32, 64, 128, 256)
BASES = (10000.0, 500000.0, 1000000.0, 100.0, 150000.0)
ROTARY_FRACTIONS = (1.0, 0.5, 0.25)
WIDTHS = {"f64": 64, "f32": 32, "f16": 16, "bf16": 32}


@st.composite
def _scaling(draw, max_position_embeddings):
    kind = draw(st.sampled_from(("default", "linear", "dynamic", "yarn", "llama3")))
    if kind == "default":
        return None
    factor = draw(st.sampled_from((2.0, 4.0, 8.0, 32.0)))
    block = {"rope_type": kind, "factor": factor}
    original = max(1, int(max_position_embeddings / factor))
    if kind == "yarn":
        block["original_max_position_embeddings"] = original
    if kind == "llama3":
        block.update({"low_freq_factor": 1.0, "high_freq_factor": 4.0,
                      "original_max_position_embeddings": original})
    return block


@st.composite
def configs(draw, head_dims=HEAD_DIMS, scaling=True, layouts=("half", "interleaved")):
    """ropecheck.Config values: head_dim, rope_theta, layout, partial rotary factor and a
    scaling variant (linear, dynamic NTK, YaRN, Llama 3) of Hugging Face's keys."""
    head_dim = draw(st.sampled_from(head_dims))
    fractions = [f for f in ROTARY_FRACTIONS if (head_dim * f) % 2 == 0 and head_dim * f >= 2]
    keys = {"head_dim": head_dim,
            "rope_theta": draw(st.sampled_from(BASES)),
            "layout": draw(st.sampled_from(layouts)),
            "max_position_embeddings": draw(st.sampled_from((4096, 8192, 131072)))}
    fraction = draw(st.sampled_from(fractions))
    if fraction != 1.0:
        keys["partial_rotary_factor"] = fraction
    # The scaling variants need two rotated pairs at least (dynamic NTK's base exponent
    # d / (d - 2), the ramps of YaRN and Llama 3).
    if scaling and head_dim * fraction >= 4:
        block = draw(_scaling(keys["max_position_embeddings"]))
        if block is not None:
            keys["rope_scaling"] = block
    return Config(keys)


def positions(max_position=2**31 - 1, min_size=1, max_size=8, min_position=0):
    """1-D int64 arrays of positions in [min_position, max_position]; they shrink toward
    [min_position]."""
    if not 0 <= min_position <= max_position < 2**53:
        raise ValueError("positions: need 0 <= min_position <= max_position < 2^53")
    return st.lists(st.integers(min_position, max_position), min_size=min_size,
                    max_size=max_size).map(lambda m: np.array(m, dtype=np.int64))


def inputs(dtype, shape, max_magnitude=1.0):
    """Arrays of `shape` whose values are exact in `dtype` (f64, f32, f16, or bf16 held in
    float32), within [-max_magnitude, max_magnitude]; they shrink toward zeros."""
    if dtype not in WIDTHS:
        raise ValueError(f"dtype: unknown value {dtype!r}; accepted: f64, f32, bf16, f16")
    width = WIDTHS[dtype]
    bound = float(_native.round_to(np.array([max_magnitude], dtype=np.float64), dtype)[0])
    elements = st.floats(-bound, bound, width=width, allow_nan=False, allow_infinity=False)
    numpy_dtype = {"f64": np.float64, "f32": np.float32, "f16": np.float16, "bf16": np.float32}
    arrays = hnp.arrays(numpy_dtype[dtype], tuple(shape), elements=elements)
    if dtype == "bf16":
        # Rounded by the library's codec: bf16 has no NumPy dtype.
        return arrays.map(lambda a: _native.round_to(a.astype(np.float64), "bf16")
                          .astype(np.float32))
    return arrays
