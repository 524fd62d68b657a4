"""reference, cos_sin and pipeline(...) compute what the `ropecheck` program computes, bit for
bit, and cos_sin what an independent multiprecision evaluation gives."""
import json
import subprocess

import mpmath
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import ropecheck as rc
from conftest import SOURCE_DIR, cli_path, hex_rows, rotate, same_bits

# Positions every comparison holds besides the drawn ones: the float edges and int32's largest.
EDGES = np.array([0, 2**24 + 1, 1000003, 2**31 - 1], dtype=np.int64)


@settings(max_examples=12)
@given(rc.strategies.configs(), rc.strategies.positions(max_position=2**31 - 1, max_size=4),
       st.sampled_from(["f64", "f32", "bf16", "f16"]), st.data())
def test_reference_equals_rotate_bit_for_bit(cfg, positions, dtype, data):
    m = np.concatenate([positions, EDGES])
    x = data.draw(rc.strategies.inputs(dtype, (len(m), cfg.head_dim), max_magnitude=4.0))
    y = rc.reference(x, m, cfg, dtype)
    expected = rotate({**cfg.request(), "impl": "reference", "dtype": dtype,
                       "positions": m.tolist(), "x": hex_rows(x)})
    assert same_bits(y, expected)


def test_reference_keeps_shapes_and_torch_dtypes():
    cfg = rc.Config.from_preset("llama-3.1-8b")
    m = np.array([3, 70000, 2**31 - 1])
    # [batch, heads, tokens, head_dim] (Hugging Face) and [tokens, heads, head_dim] (vLLM).
    x = rc._native.draw_inputs("bf16", 2 * 4 * 3 * 128, 5).reshape(2, 4, 3, 128)
    hf = rc.reference(torch.from_numpy(x).to(torch.bfloat16), m, cfg)
    assert hf.dtype == torch.bfloat16 and tuple(hf.shape) == (2, 4, 3, 128)
    vllm = rc.reference(np.ascontiguousarray(np.moveaxis(x, 2, 0)).astype(np.float32), m, cfg,
                        "bf16")
    assert vllm.shape == (3, 2, 4, 128)
    assert same_bits(np.moveaxis(hf.float().numpy(), 2, 0), vllm)
    rows = rotate({"preset": "llama-3.1-8b", "impl": "reference", "dtype": "bf16",
                   "positions": [3, 70000, 2**31 - 1], "x": hex_rows(x[1, 2])})
    assert same_bits(hf[1, 2].float().numpy(), rows)


@pytest.mark.parametrize("preset,dtype", [("llama-3.1-8b", "f32"), ("gpt-j-6b", "bf16"),
                                          ("phi-3-mini-128k", "f64")])
def test_cos_sin_equals_the_reference_coefficients(preset, dtype):
    cfg = rc.Config.from_preset(preset)
    m = np.array([0, 1, 257, 2**24 + 1, 1000003, 2**31 - 1])
    c, s = rc.cos_sin(m, cfg, dtype)
    assert c.shape == s.shape == (len(m), cfg.rotary_dim // 2)
    # The unit pair (1, 0) rotates to (a cos, a sin): the coefficients the reference applies.
    unit = np.zeros((cfg.rotary_dim // 2, cfg.head_dim))
    for i in range(cfg.rotary_dim // 2):
        a = 2 * i if cfg.layout == "interleaved" else i
        unit[i, a] = 1.0
    b = (lambda i: 2 * i + 1) if cfg.layout == "interleaved" else \
        (lambda i: i + cfg.rotary_dim // 2)
    for t, position in enumerate(m.tolist()):
        y = rotate({"preset": preset, "impl": "reference", "dtype": dtype,
                    "positions": [position] * len(unit), "x": hex_rows(unit),
                    "seq_len": int(m.max()) + 1})
        a_index = [2 * i if cfg.layout == "interleaved" else i for i in range(len(unit))]
        assert same_bits(c[t], y[np.arange(len(unit)), a_index])
        assert same_bits(s[t], y[np.arange(len(unit)), [b(i) for i in range(len(unit))]])


def test_cos_sin_equals_multiprecision_cos_and_sin():
    cfg = rc.Config({"head_dim": 8, "rope_theta": 10000.0})
    m = [0, 7, 2**24 + 1, 2**31 - 1]
    c, s = rc.cos_sin(m, cfg, "f32")
    for t, position in enumerate(m):
        for i in range(4):
            with mpmath.workprec(400):
                angle = position * mpmath.power(10000, mpmath.mpf(-2 * i) / 8)
                exact_c, exact_s = mpmath.cos(angle), mpmath.sin(angle)
            with mpmath.workprec(24):  # rounded once, to nearest, to f32's 24 bits
                assert float(c[t, i]) == float(+exact_c)
                assert float(s[t, i]) == float(+exact_s)


def test_every_registered_pipeline_equals_the_programs_bit_for_bit():
    cfg = rc.Config.from_preset("qwen2.5-7b-yarn")
    m = np.array([0, 2049, 65519, 2**24 + 1, 2**31 - 1])
    names = rc.implementations()
    assert len(names) >= 20
    for name, dtype in names.items():
        x = rc._native.draw_inputs(dtype, len(m) * cfg.head_dim, 11).reshape(len(m), -1)
        y = rc.pipeline(name)(x, m, cfg)
        expected = rotate({"preset": "qwen2.5-7b-yarn", "impl": name, "positions": m.tolist(),
                           "x": hex_rows(x)})
        assert same_bits(y, expected), name


@pytest.mark.parametrize("seq_len", [None, 100000])
def test_resolved_is_what_ropecheck_config_prints(seq_len):
    path = SOURCE_DIR / "spec" / "configs" / "gemma3_1b_it.json"
    cfg = rc.Config.from_hf_config(path, layer_type="sliding_attention")
    args = [cli_path(), "config", "--hf-config", str(path), "--json"]
    args += ["--seq-len", str(seq_len)] if seq_len else []
    printed = json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)
    [layer] = [e for e in printed["layer_types"] if e["layer_type"] == "sliding_attention"]
    assert cfg.resolved(seq_len) == layer
    assert cfg.resolved()["rope_theta"]["value"] == 10000.0  # Gemma 3's local base
