"""The Hypothesis strategies find a planted bug and shrink it to a small case."""
import numpy as np
from hypothesis import find, given, settings
from hypothesis import strategies as st

import ropecheck as rc


def kernel_with_planted_bug(x, positions, cfg):
    """The exact reference, except that the last pair rotates backwards at positions of 1000
    and more: a bug that needs two pairs, a large enough position and a nonzero input."""
    seq_len = int(np.max(positions)) + 1
    y = rc.reference(x, positions, cfg, seq_len=seq_len)
    if cfg.pairs < 2:
        return y
    backwards = rc.reference(x, -np.asarray(positions), cfg, seq_len=seq_len)
    pair = cfg.pairs - 1
    channels = [2 * pair, 2 * pair + 1] if cfg.layout == "interleaved" else \
        [pair, pair + cfg.rotary_dim // 2]
    late = np.asarray(positions) >= 1000
    for c in channels:
        y[late, c] = backwards[late, c]
    return y


@st.composite
def cases(draw):
    cfg = draw(rc.strategies.configs())
    positions = draw(rc.strategies.positions(max_position=2**31 - 1))
    x = draw(rc.strategies.inputs("f32", (len(positions), cfg.head_dim)))
    return cfg, positions, x


def fails(case):
    cfg, positions, x = case
    # max_ulp=0: equal values, with -0 and +0 taken as equal (a zero's sign is not the bug).
    return not rc.grade(kernel_with_planted_bug(x, positions, cfg), x, positions, cfg,
                        max_ulp=0, behaves_like=False).passed


def test_strategies_find_and_shrink_the_planted_bug():
    cfg, positions, x = find(cases(), fails, settings=settings(max_examples=500, database=None))
    # Shrunk to the smallest head with two pairs, the bug's first position, simple inputs.
    assert (cfg.head_dim, cfg.rotary_dim, cfg.rope_type) == (4, 4, "default")
    assert positions.tolist() == [1000]
    assert set(np.abs(x).ravel().tolist()) <= {0.0, 1.0} and np.any(x != 0)


@settings(max_examples=20)
@given(rc.strategies.configs(), rc.strategies.positions(), st.data())
def test_inputs_are_exact_in_their_dtype_and_the_reference_passes(cfg, positions, data):
    x = data.draw(rc.strategies.inputs("bf16", (len(positions), cfg.head_dim)))
    assert np.all(np.abs(x) <= 1) and x.dtype == np.float32
    assert np.array_equal(rc._native.round_to(x.astype(np.float64), "bf16"), x)
    rc.assert_rope_close(rc.reference(x, positions, cfg, "bf16"), x, positions, cfg,
                         dtype="bf16")
