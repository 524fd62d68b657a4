"""A RoPE kernel tested with ropecheck's pytest plugin; copy this file next to your own kernel.

    pytest examples/pytest                          # with the package installed (README)
    pytest -p ropecheck.pytest_plugin examples/pytest   # with it only on PYTHONPATH

The plugin's `rope_case` runs the test over presets x dtypes x position sets that always hold
0, 255-257, 2047-2049, 2^24 +- 1, 131071, 1000003 and 2^31 - 1; the `rope` marker chooses them,
`--rope-shard K/N` splits them over CI jobs. A failure prints the grade report, the failing
input in hex and a `ropecheck rotate` line that replays it.
"""
import pytest
import torch


def my_rope(x, positions, rope_theta, rotary_dim, interleaved):
    """The kernel under test: Hugging Face's recipe in PyTorch. x is (tokens, heads, head_dim)
    in float32 or bfloat16; cos/sin are computed in float32 and cast to x's dtype."""
    inv_freq = 1.0 / (rope_theta ** (torch.arange(0, rotary_dim, 2).float() / rotary_dim))
    freqs = torch.as_tensor(positions).float()[:, None] * inv_freq[None, :]
    cos, sin = freqs.cos().to(x.dtype)[:, None, :], freqs.sin().to(x.dtype)[:, None, :]
    rot, rest = x[..., :rotary_dim], x[..., rotary_dim:]
    if interleaved:  # pairs (2i, 2i + 1), as GPT-J
        a, b = rot[..., 0::2], rot[..., 1::2]
        out = torch.stack((a * cos - b * sin, a * sin + b * cos), dim=-1).flatten(-2)
    else:  # pairs (i, i + d/2), as Llama's rotate_half
        a, b = rot[..., : rotary_dim // 2], rot[..., rotary_dim // 2:]
        out = torch.cat((a * cos - b * sin, b * cos + a * sin), dim=-1)
    return torch.cat((out, rest), dim=-1)


@pytest.mark.rope(presets=["llama-2-7b", "mistral-7b", "gpt-j-6b"], dtypes=["f32", "bf16"])
def test_my_rope(rope_case):
    cfg = rope_case.cfg
    y = my_rope(rope_case.torch_x(), rope_case.positions, cfg.rope_theta, cfg.rotary_dim,
                cfg.layout == "interleaved")
    # Within the derived error bound of the pipeline this recipe is (ropecheck impls).
    rope_case.check(y, bound={"f32": "f32", "bf16": "bf16-hf"}[rope_case.dtype])
