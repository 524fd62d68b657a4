"""Kernels as users write them, graded: the Hugging Face recipe in NumPy and PyTorch passes its
pipeline's derived bound and is recognised as that pipeline; known bugs fail with a report that
shows the worst input in hex and a replay line."""
import numpy as np
import pytest
import torch  # Debian's python3-torch (ci/setup.sh): missing, the suite fails rather than skips

import ropecheck as rc
from rope_kernels import hf_numpy_f32, hf_torch

CFG = rc.Config.from_preset("llama-2-7b")  # default RoPE, base 10000, half-split, head_dim 128
BASE = 10000.0
POSITIONS = rc._native.parse_positions(
    "0..15,255..257,2047..2049,65519..65521,131071,1000003,2^24-1..2^24+1,log:1..2^31-1:24")


def inputs(dtype, heads=2, seed=3):
    count = len(POSITIONS) * heads * CFG.head_dim
    return rc._native.draw_inputs(dtype, count, seed).reshape(len(POSITIONS), heads, -1)


def test_numpy_hf_f32_passes_the_f32_bound_and_fails_exact():
    x = inputs("f32").astype(np.float32)
    y = hf_numpy_f32(x, POSITIONS, BASE)
    report = rc.grade(y, x, POSITIONS, CFG, bound="f32")
    assert report.passed, str(report)
    assert 0 < report.margin <= 1
    # The report is also an audit report (spec/vectors.md): one row per band with inputs in
    # [-1, 1], counted among the graded outputs, and the caller's inputs name no seed.
    assert report.json["ropecheck_audit"] == 1 and report.json["options"]["seed"] is None
    assert [r["band"][0] for r in report.results] == [b.lo for b in report.bands]
    assert 0 < sum(r["outputs"] for r in report.results) <= report.compared
    assert set(report.safe_position) == set(report.safe_up_to)
    exact = rc.grade(y, x, POSITIONS, CFG, bound="exact")
    assert not exact.passed and exact.violations > 0
    with pytest.raises(AssertionError, match="FAIL"):
        rc.assert_rope_close(y, x, POSITIONS, CFG, bound="exact")


@pytest.mark.parametrize("dtype,pipeline", [(torch.float32, "f32"), (torch.bfloat16, "bf16-hf")])
def test_torch_hf_recipe_is_graded_as_its_pipeline(dtype, pipeline):
    x = torch.from_numpy(inputs("bf16" if dtype == torch.bfloat16 else "f32")).to(dtype)
    y = hf_torch(x, POSITIONS, BASE)
    report = rc.assert_rope_close(y, x, POSITIONS, CFG, bound=pipeline)
    assert report.behaves_like == f"elementwise:{pipeline}", str(report)
    assert report.dtype == ("bf16" if dtype == torch.bfloat16 else "f32")
    assert report.safe_up_to[1e-3] is not None and report.safe_up_to[1e-3] < 2**31 - 1


@pytest.mark.parametrize("bug,like", [("flip_sine", None), ("invfreq_bf16", "bf16-invfreq"),
                                      ("positions_f16", "f16-positions")])
def test_known_bugs_fail_with_readable_reports(bug, like):
    x = torch.from_numpy(inputs("f32")).float()
    y = hf_torch(x, POSITIONS, BASE, **{bug: True})
    with pytest.raises(AssertionError) as failure:
        rc.assert_rope_close(y, x, POSITIONS, CFG, bound="f32")
    text = str(failure.value)
    assert "FAIL:" in text and "break the bound (pipeline f32)" in text
    assert "x = (0x" in text  # the failing input, exactly, in hex
    assert "replay: echo '" in text and "| ropecheck rotate" in text
    report = rc.grade(y, x, POSITIONS, CFG, bound="f32")
    assert not report.passed and report.first_violation is not None
    if like:
        assert report.behaves_like == f"elementwise:{like}", str(report)
