#!/usr/bin/env python3
"""RoPE of a ropecheck vector set computed by PyTorch, as a real stack computes it.

    rope_torch.py VECTOR_SET OUTPUT [--device auto|cpu|cuda] [--impl auto|hf|plain]
    ropecheck grade VECTOR_SET OUTPUT --bound f32          # or bf16-hf, ...

VECTOR_SET is what `ropecheck vectors` wrote (spec/vectors.md): a .safetensors file, read with the
`safetensors` package when it is importable and by the NumPy reader of
examples/python/numpy_rope.py otherwise, or a directory of .npy files. OUTPUT receives `y` in the
set's dtype: a .safetensors file (tensor "y", with metadata naming the implementation, device and
versions) or, for a name ending in .npy, one .npy file (bf16 as '<u2' bits).

--impl hf (the default when `transformers` is importable) runs Hugging Face transformers' own
rotary module and apply function for the set's configuration:
  * a half-split layout with full rotation: LlamaRotaryEmbedding + llama's apply_rotary_pos_emb,
    or Gemma3RotaryEmbedding + gemma3's when the config is a Gemma 3 one (model_type gemma3*, a
    gemma-3 preset, or a sliding_attention layer);
  * a half-split layout with partial rotation: GPTNeoXRotaryEmbedding + gpt_neox's
    apply_rotary_pos_emb on the first rotary_dim channels, the rest passed through;
  * an interleaved layout: DeepseekV3RotaryEmbedding + apply_rotary_pos_emb_interleave, whose
    output (left de-interleaved by transformers, as DeepSeek-V3's attention does not need it in
    place) is put back in the interleaved channel order for grading.
The transformers config is built from the parameters the config file states (`rope_resolved`
entries whose origin is "file: ..."), so transformers fills in its own defaults and derives its
own attention factor. Both the transformers 4.4x-4.5x config API (rope_theta, rope_scaling,
partial_rotary_factor) and the 5.x one (rope_parameters) are handled.

--impl plain (the default otherwise) is the same recipe written out in torch (inv_freq in f32,
f32 positions, f32 angle as an inv_freq @ positions matmul, cos/sin in f32 times the attention
factor, cast to the dtype, then q * cos + rotate_half(q) * sin in the dtype) for the default,
linear, llama3 and yarn rope types; any other is refused.

--device auto runs on CUDA when torch sees a GPU, else on the CPU.
"""
import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python"))
sys.dont_write_bytecode = True  # leave no __pycache__ beside the NumPy example
from numpy_rope import read_safetensors, write_safetensors  # noqa: E402

TORCH_DTYPES = {"f64": torch.float64, "f32": torch.float32, "f16": torch.float16,
                "bf16": torch.bfloat16}
SAFETENSORS_DTYPES = {"f64": "F64", "f32": "F32", "f16": "F16", "bf16": "BF16"}

# Entries of `rope_resolved` that describe the tensor shape or ropecheck's own bookkeeping, not a
# rope parameter transformers reads.
NOT_ROPE_PARAMETERS = {"model_type", "config_class", "layer_type", "head_dim", "rotary_dim",
                       "layout", "rope_type", "rope_theta", "max_position_embeddings", "notes"}


class UsageError(Exception):
    """A set or option this script cannot honour: exit status 2 with the message."""


# ---------------------------------------------------------------------------------------------
# Reading the set and writing y

def numpy_to_torch(array, dtype):
    """A NumPy array of the set's storage (bf16 as '<u2' bits) as a torch tensor of `dtype`."""
    array = np.array(array, copy=True)  # writable and contiguous: torch shares its memory
    if dtype == "bf16":
        return torch.from_numpy(array.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(array)


def torch_to_numpy(tensor, dtype):
    """The inverse of numpy_to_torch: bf16 as '<u2' bits, the others as they are."""
    tensor = tensor.detach().to("cpu").contiguous()
    if dtype == "bf16":
        return tensor.view(torch.int16).numpy().view(np.uint16)
    return tensor.numpy()


def load_set(path):
    """Returns (x as a torch tensor of the set's dtype [tokens, heads, head_dim], positions as an
    int64 tensor, metadata, the name of the reader used)."""
    path = Path(path)
    if path.is_dir():
        metadata = json.loads((path / "meta.json").read_text())
        x = numpy_to_torch(np.load(path / "x.npy"), metadata["dtype"])
        return x, torch.from_numpy(np.load(path / "positions.npy")), metadata, "numpy (.npy)"
    try:
        from safetensors import safe_open
    except ImportError:
        tensors, metadata = read_safetensors(path)
        return (numpy_to_torch(tensors["x"], metadata["dtype"]),
                torch.from_numpy(np.array(tensors["positions"], copy=True)), metadata,
                "numpy (examples/python/numpy_rope.py)")
    with safe_open(str(path), framework="pt") as f:
        return f.get_tensor("x"), f.get_tensor("positions"), f.metadata(), "safetensors"


def save_y(path, y, dtype, metadata):
    """Writes y as OUTPUT (see the top of this file)."""
    path = Path(path)
    if path.suffix == ".npy":
        np.save(path, torch_to_numpy(y, dtype))
        return
    try:
        from safetensors.torch import save_file
    except ImportError:
        write_safetensors(path, {"y": (SAFETENSORS_DTYPES[dtype], torch_to_numpy(y, dtype))},
                          metadata)
        return
    save_file({"y": y.detach().to("cpu").contiguous()}, str(path), metadata=metadata)


# ---------------------------------------------------------------------------------------------
# The set's configuration

def resolved_layer(metadata):
    """The resolved configuration of the set's layer type: {key: {"value", "origin"}}."""
    resolved = json.loads(metadata["rope_resolved"])
    if "layer_types" in resolved:
        matches = [layer for layer in resolved["layer_types"]
                   if layer["layer_type"] == metadata["layer_type"]]
        if len(matches) != 1:
            raise UsageError(f"rope_resolved holds no single layer {metadata['layer_type']!r}")
        return matches[0]
    return resolved


class RopeSetup:
    """What both implementations need, read from the set's metadata."""

    def __init__(self, metadata):
        layer = resolved_layer(metadata)
        self.config = json.loads(metadata["config"])
        self.layer_type = metadata["layer_type"]
        self.preset = metadata.get("preset", "")
        self.head_dim = layer["head_dim"]["value"]
        self.rotary_dim = layer["rotary_dim"]["value"]
        self.layout = layer["layout"]["value"]
        self.rope_type = layer["rope_type"]["value"]
        self.theta = float(layer["rope_theta"]["value"])
        self.max_position_embeddings = layer.get("max_position_embeddings", {}).get("value")
        self.seq_len = int(metadata["seq_len"])
        # Every parameter with its resolved value (the plain recipe), and those the config file
        # states (what transformers is given, so that it applies its own defaults to the rest).
        self.parameters = {k: v["value"] for k, v in layer.items()
                           if k not in NOT_ROPE_PARAMETERS and isinstance(v, dict)}
        self.file_parameters = {k: v["value"] for k, v in layer.items()
                                if k not in NOT_ROPE_PARAMETERS and isinstance(v, dict)
                                and str(v.get("origin", "")).startswith("file:")}
        # Those the file states at its top level rather than inside rope_scaling (Phi-3's
        # original_max_position_embeddings): transformers 4.x reads them from the config itself.
        self.top_level_file_parameters = {
            k: value for k, value in self.file_parameters.items()
            if str(layer[k].get("origin", "")).strip() == f"file: {k}"}

    def family(self):
        """Which transformers model's rotary code applies (see the top of this file)."""
        model_type = str(self.config.get("model_type", ""))
        if self.layout == "interleaved":
            return "deepseek_v3"
        if model_type == "gpt_neox" or self.rotary_dim < self.head_dim:
            return "gpt_neox"
        if (model_type.startswith("gemma3") or self.preset.startswith("gemma-3")
                or self.layer_type == "sliding_attention"):
            return "gemma3"
        return "llama"


# ---------------------------------------------------------------------------------------------
# The rotation itself, shared by both implementations (transformers' apply functions when
# --impl hf, these when --impl plain; they are the same formulas)

def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def deinterleave(x):
    """Channels (0, 1, 2, 3, ...) -> (0, 2, ..., 1, 3, ...): pairs (2i, 2i+1) become (i, i + d/2)."""
    *lead, d = x.shape
    return x.reshape(*lead, d // 2, 2).transpose(-1, -2).reshape(*lead, d)


def interleave(x):
    """The inverse of deinterleave."""
    *lead, d = x.shape
    return x.reshape(*lead, 2, d // 2).transpose(-1, -2).reshape(*lead, d)


def plain_apply(q, cos, sin, interleaved, sine_sign):
    """q [1, heads, tokens, rotary_dim] rotated as HF does, in q's dtype."""
    cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
    if sine_sign != 1:
        sin = -sin
    if interleaved:
        q = deinterleave(q)
    out = q * cos + rotate_half(q) * sin
    return interleave(out) if interleaved else out


# ---------------------------------------------------------------------------------------------
# --impl plain: HF's recipe written out in torch

def plain_inv_freq(setup, device):
    """inv_freq in f32 and the attention factor, as modeling_rope_utils.py computes them."""
    d = setup.rotary_dim
    base = setup.theta
    exponents = torch.arange(0, d, 2, dtype=torch.int64).to(device=device, dtype=torch.float) / d
    inv_freq = 1.0 / (base ** exponents)
    p = setup.parameters
    if setup.rope_type == "default":
        return inv_freq, 1.0
    if setup.rope_type == "linear":
        return inv_freq / float(p["factor"]), 1.0
    if setup.rope_type == "llama3":
        factor, low, high = float(p["factor"]), float(p["low_freq_factor"]), float(p["high_freq_factor"])
        old_context = float(p["original_max_position_embeddings"])
        low_wavelen, high_wavelen = old_context / low, old_context / high
        wavelen = 2 * math.pi / inv_freq
        scaled = torch.where(wavelen > low_wavelen, inv_freq / factor, inv_freq)
        smooth = (old_context / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wavelen < high_wavelen) * ~(wavelen > low_wavelen)
        return torch.where(medium, smoothed, scaled), 1.0
    if setup.rope_type == "yarn":
        factor = float(p["factor"])
        original = float(p.get("original_max_position_embeddings") or setup.max_position_embeddings)
        beta_fast, beta_slow = float(p.get("beta_fast", 32)), float(p.get("beta_slow", 1))
        attention_factor = float(p["attention_factor"])

        def correction_dim(rotations):
            return (d * math.log(original / (rotations * 2 * math.pi))) / (2 * math.log(base))

        low, high = correction_dim(beta_fast), correction_dim(beta_slow)
        if p.get("truncate", True):
            low, high = math.floor(low), math.ceil(high)
        low, high = max(low, 0), min(high, d - 1)
        if low == high:
            high += 0.001  # the ramp's division must not be by zero
        ramp = torch.clamp((torch.arange(d // 2, dtype=torch.float32, device=device) - low)
                           / (high - low), 0, 1)
        extrapolation_factor = 1 - ramp
        pos_freqs = base ** exponents
        inv_freq = (1.0 / (factor * pos_freqs)) * (1 - extrapolation_factor) \
            + (1.0 / pos_freqs) * extrapolation_factor
        return inv_freq, attention_factor
    raise UsageError(f"rope_type {setup.rope_type!r} is not written out in --impl plain "
                     "(default, linear, llama3 and yarn are); use --impl hf")


def plain_cos_sin(setup, positions, dtype, device):
    """cos and sin [1, tokens, rotary_dim] as the HF rotary module's forward computes them."""
    inv_freq, attention_factor = plain_inv_freq(setup, device)
    position_ids = positions[None, :].to(device)
    inv_freq_expanded = inv_freq[None, :, None].float().expand(position_ids.shape[0], -1, 1)
    position_ids_expanded = position_ids[:, None, :].float()  # f32 positions, as HF
    freqs = (inv_freq_expanded.float() @ position_ids_expanded.float()).transpose(1, 2)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos = emb.cos() * attention_factor
    sin = emb.sin() * attention_factor
    return cos.to(dtype=dtype), sin.to(dtype=dtype)


# ---------------------------------------------------------------------------------------------
# --impl hf: transformers' own modules

def hf_modules(family):
    """(config class, rotary class, apply function) of a transformers model family."""
    if family == "gemma3":
        from transformers import Gemma3TextConfig as Config
        from transformers.models.gemma3.modeling_gemma3 import (
            Gemma3RotaryEmbedding as Rotary, apply_rotary_pos_emb as apply)
    elif family == "gpt_neox":
        from transformers import GPTNeoXConfig as Config
        from transformers.models.gpt_neox.modeling_gpt_neox import (
            GPTNeoXRotaryEmbedding as Rotary, apply_rotary_pos_emb as apply)
    elif family == "deepseek_v3":
        from transformers import DeepseekV3Config as Config
        from transformers.models.deepseek_v3.modeling_deepseek_v3 import (
            DeepseekV3RotaryEmbedding as Rotary, apply_rotary_pos_emb_interleave as apply)
    else:
        from transformers import LlamaConfig as Config
        from transformers.models.llama.modeling_llama import (
            LlamaRotaryEmbedding as Rotary, apply_rotary_pos_emb as apply)
    return Config, Rotary, apply


def hf_config(setup, family, Config):
    """A transformers config of `family` holding the set's RoPE (one head of head_dim)."""
    # DeepSeek-V3's config describes the rotated slice alone (its head_dim is the rope width).
    partial = 1.0 if family == "deepseek_v3" else setup.rotary_dim / setup.head_dim
    rope = {"rope_type": setup.rope_type, **setup.file_parameters}
    common = {"hidden_size": setup.head_dim, "num_attention_heads": 1, "num_hidden_layers": 1}
    if family != "gpt_neox":  # GPT-NeoX has no separate key/value heads
        common["num_key_value_heads"] = 1
    if setup.max_position_embeddings is not None:
        common["max_position_embeddings"] = int(setup.max_position_embeddings)
    if family == "deepseek_v3":
        # DeepseekV3Config's head_dim is qk_rope_head_dim: RoPE runs on that slice alone.
        common.update(qk_rope_head_dim=setup.rotary_dim, qk_nope_head_dim=0,
                      v_head_dim=setup.head_dim, rope_interleave=True)
    elif family != "gpt_neox":
        common["head_dim"] = setup.head_dim
    if family == "gpt_neox":
        # GPT-NeoX names them rotary_pct and rotary_emb_base in 4.x and 5.x alike.
        common.update(rotary_pct=partial, rotary_emb_base=setup.theta)
    v5 = "rope_parameters" in getattr(Config, "__dataclass_fields__", {}) or \
        "rope_parameters" in Config.__init__.__code__.co_varnames
    if v5:
        params = {**rope, "rope_theta": setup.theta}
        if partial != 1:
            params["partial_rotary_factor"] = partial
        if family == "gemma3":
            common["layer_types"] = [setup.layer_type]
            params = {setup.layer_type: params}
        return Config(**common, rope_parameters=params)
    scaling = None if setup.rope_type == "default" else rope
    if family == "gemma3":
        # 4.5x: one rope_theta and rope_scaling for the module; the local base is its own key.
        return Config(**common, rope_theta=setup.theta, rope_local_base_freq=setup.theta,
                      rope_scaling=scaling)
    extra = {} if partial == 1 or family == "gpt_neox" else {"partial_rotary_factor": partial}
    extra.update(setup.top_level_file_parameters)
    return Config(**common, rope_theta=setup.theta, rope_scaling=scaling, **extra)


def hf_cos_sin(setup, family, positions, dtype, device):
    """cos, sin from transformers' rotary module, and its apply function."""
    if setup.rope_type in ("dynamic", "longrope") and setup.seq_len != int(positions.max()) + 1:
        raise UsageError(f"the set's seq_len {setup.seq_len} is not max(positions) + 1, which is "
                         "the length transformers uses for rope_type " + setup.rope_type)
    Config, Rotary, apply = hf_modules(family)
    config = hf_config(setup, family, Config)
    import inspect
    takes_layer_type = "layer_type" in inspect.signature(Rotary.__init__).parameters
    kwargs = {"layer_type": setup.layer_type} if takes_layer_type else {}
    rotary = Rotary(config=config, device=device, **kwargs).to(device)
    like = torch.zeros(1, dtype=dtype, device=device)
    forward_kwargs = {}
    if "layer_type" in inspect.signature(rotary.forward).parameters:
        forward_kwargs["layer_type"] = setup.layer_type
    cos, sin = rotary(like, positions[None, :].to(device), **forward_kwargs)
    if cos.shape[-1] != setup.rotary_dim:
        raise UsageError(f"transformers' {Rotary.__name__} made cos/sin of width "
                         f"{cos.shape[-1]}, not the set's rotary_dim {setup.rotary_dim}")
    return cos, sin, apply


# ---------------------------------------------------------------------------------------------

def rope(x, positions, setup, impl, device, sine_sign):
    """y [tokens, heads, head_dim] in x's dtype."""
    dtype = x.dtype
    q = x.to(device).permute(1, 0, 2).unsqueeze(0)  # [1, heads, tokens, head_dim], as HF
    rot, passed = q[..., :setup.rotary_dim], q[..., setup.rotary_dim:]
    interleaved = setup.layout == "interleaved"
    if setup.layout not in ("half", "interleaved"):
        raise UsageError(f"layout {setup.layout!r} is not supported")
    with torch.no_grad():
        if impl == "hf":
            family = setup.family()
            cos, sin, apply = hf_cos_sin(setup, family, positions, dtype, device)
            if sine_sign != 1:
                sin = -sin
            out, _ = apply(rot, rot, cos, sin, unsqueeze_dim=1)
            if family == "deepseek_v3":
                out = interleave(out)  # transformers leaves it de-interleaved
        else:
            cos, sin = plain_cos_sin(setup, positions, dtype, device)
            out = plain_apply(rot, cos, sin, interleaved, sine_sign)
        y = torch.cat((out, passed), dim=-1)
    return y.squeeze(0).permute(1, 0, 2).contiguous()


def choose(args):
    """(impl, device) from --impl and --device."""
    try:
        import transformers  # noqa: F401
        have_transformers = True
    except ImportError:
        have_transformers = False
    impl = args.impl if args.impl != "auto" else ("hf" if have_transformers else "plain")
    if impl == "hf" and not have_transformers:
        raise UsageError("--impl hf needs the transformers package, which is not importable")
    device = args.device if args.device != "auto" else \
        ("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda: torch sees no CUDA device")
    return impl, device


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("vector_set")
    parser.add_argument("output")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    parser.add_argument("--impl", choices=["auto", "hf", "plain"], default="auto")
    # A planted bug, so that a test can see the grade fail: the sine's sign flipped.
    parser.add_argument("--flip-sine", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        impl, device = choose(args)
        x, positions, metadata, reader = load_set(args.vector_set)
        setup = RopeSetup(metadata)
        dtype = metadata["dtype"]
        if x.dtype != TORCH_DTYPES[dtype]:
            raise UsageError(f"x is {x.dtype}, the set says {dtype}")
        y = rope(x, positions.to(torch.int64), setup, impl, device, -1 if args.flip_sine else 1)
    except UsageError as error:
        print(f"rope_torch.py: {error}", file=sys.stderr)
        return 2
    versions = {"torch": torch.__version__}
    what = "plain torch re-implementation of the Hugging Face recipe"
    if impl == "hf":
        import transformers
        versions["transformers"] = transformers.__version__
        what = f"transformers {setup.family()} rotary module"
    device_name = torch.cuda.get_device_name(0) if device == "cuda" else "cpu"
    provenance = {"implementation": what, "device": device_name, "reader": reader,
                  "versions": json.dumps(versions), "flip_sine": str(args.flip_sine).lower()}
    save_y(args.output, y, dtype, provenance)
    print(f"wrote {args.output}: y {list(y.shape)} {dtype} by {what} on {device_name} "
          f"({', '.join(f'{k} {v}' for k, v in versions.items())}; set read by {reader})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
