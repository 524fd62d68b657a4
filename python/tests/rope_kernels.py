"""RoPE kernels as users write them, correct and buggy, for the tests: Hugging Face's recipe
(transformers' LlamaRotaryEmbedding and apply_rotary_pos_emb, default rope type, half-split
layout) in NumPy and in PyTorch. x is (tokens, heads, head_dim)."""
import numpy as np


def hf_numpy_f32(x, positions, base):
    """The float32 recipe in NumPy: powf theta, f32 position and product, cos/sin rounded to
    f32, the rotation in f32."""
    x = np.asarray(x, dtype=np.float32)
    d = x.shape[-1]
    inv_freq = (np.float32(1.0) / (np.float32(base) ** (np.arange(0, d, 2, dtype=np.float32)
                                                         / np.float32(d)))).astype(np.float32)
    angle = np.asarray(positions).astype(np.float32)[:, None] * inv_freq[None, :]
    emb = np.concatenate([angle, angle], axis=-1)
    cos = np.cos(emb.astype(np.float64)).astype(np.float32)[:, None, :]
    sin = np.sin(emb.astype(np.float64)).astype(np.float32)[:, None, :]
    half = d // 2
    rotated = np.concatenate([-x[..., half:], x[..., :half]], axis=-1)
    return x * cos + rotated * sin


def hf_torch(x, positions, base, flip_sine=False, invfreq_bf16=False, positions_f16=False):
    """The recipe in PyTorch on CPU, in x's dtype (float32 or bfloat16): cos/sin computed in
    float32 and cast to x's dtype, the rotation in x's dtype. The flags plant known bugs: the
    rotation's direction flipped, inv_freq held in bfloat16 (transformers #25681), positions
    held in float16 (Megatron-LM #535)."""
    import torch
    d = x.shape[-1]
    inv_freq = 1.0 / (base ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
    if invfreq_bf16:
        inv_freq = inv_freq.to(torch.bfloat16).float()
    position_ids = torch.as_tensor(np.asarray(positions), dtype=torch.int64)[None, :]
    position_ids = position_ids.to(torch.float16) if positions_f16 else position_ids
    freqs = (inv_freq[None, :, None] @ position_ids[:, None, :].float()).transpose(1, 2)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos = emb.cos().to(x.dtype)[0][:, None, :]
    sin = emb.sin().to(x.dtype)[0][:, None, :]
    rotated = torch.cat((-x[..., d // 2:], x[..., : d // 2]), dim=-1)
    return x * cos - rotated * sin if flip_sine else x * cos + rotated * sin
