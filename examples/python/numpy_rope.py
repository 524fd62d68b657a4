#!/usr/bin/env python3
"""A NumPy RoPE graded with ropecheck's golden vectors (spec/vectors.md).

Needs only NumPy (Debian's python3-numpy) and the standard library; no ropecheck code.

    python3 numpy_rope.py VECTORS OUTPUTS
    ropecheck grade VECTORS OUTPUTS --max-ulp 1

VECTORS is what `ropecheck vectors` wrote: a .safetensors file (parsed here by hand) or a
directory holding x.npy, positions.npy, expected.npy and meta.json. OUTPUTS is written as a
.safetensors file with one tensor "y" (or, for a name ending in .npy, as a .npy file).

The rotation is computed in float64 and rounded once to the vectors' dtype. It supports the
half and interleaved layouts, partial rotary dims, and the "default" and "linear" rope types;
any other scaling is refused with a message.
"""
import json
import struct
import sys
from pathlib import Path

import numpy as np

# safetensors dtype -> NumPy dtype of the stored elements (bf16 is kept as its raw bits).
SAFETENSORS_TO_NUMPY = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2", "I64": "<i8"}
DTYPE_TO_SAFETENSORS = {"f64": "F64", "f32": "F32", "f16": "F16", "bf16": "BF16"}


def read_safetensors(path):
    """Returns ({name: NumPy array}, metadata) of a .safetensors file."""
    data = Path(path).read_bytes()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_len])
    metadata = header.pop("__metadata__", {})
    buffer = memoryview(data)[8 + header_len:]
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        array = np.frombuffer(buffer[begin:end], dtype=SAFETENSORS_TO_NUMPY[entry["dtype"]])
        tensors[name] = array.reshape(entry["shape"])
    return tensors, metadata


def write_safetensors(path, tensors, metadata=None):
    """Writes {name: (safetensors dtype, NumPy array)} as a .safetensors file, with an optional
    {str: str} __metadata__."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = dict(metadata)
    for name, (dtype, array) in tensors.items():
        blob = np.ascontiguousarray(array).astype(SAFETENSORS_TO_NUMPY[dtype]).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned
    Path(path).write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def load_vectors(path):
    """Returns (x as float64 [tokens, heads, head_dim], positions int64, metadata)."""
    path = Path(path)
    if path.is_dir():
        metadata = json.loads((path / "meta.json").read_text())
        tensors = {name: np.load(path / f"{name}.npy") for name in ("x", "positions")}
    else:
        tensors, metadata = read_safetensors(path)
    x = tensors["x"]
    if metadata["dtype"] == "bf16":  # raw bits: the high half of a float32
        x = (x.astype(np.uint32) << 16).view(np.float32)
    return x.astype(np.float64), tensors["positions"].astype(np.int64), metadata


def round_to_bf16_bits(values):
    """float64 -> bfloat16 bits, rounded to nearest, ties to even, in one step."""
    _, exponent = np.frexp(values)  # |v| = f * 2^exponent with 0.5 <= f < 1
    quantum = np.maximum(exponent - 1, -126) - 7  # 8 significant bits; subnormals below 2^-126
    rounded = np.ldexp(np.rint(np.ldexp(values, -quantum)), quantum)
    with np.errstate(over="ignore"):
        as_float = rounded.astype(np.float32)  # exact, or inf past the largest bf16
    return (as_float.view(np.uint32) >> 16).astype(np.uint16)


def rope(x, positions, rope_meta):
    """RoPE of x [tokens, heads, head_dim] at positions [tokens], in float64."""
    rope_type = rope_meta["rope_type"]
    if rope_type not in ("default", "linear"):
        sys.exit(f"numpy_rope.py: rope_type {rope_type!r} is not supported by this example "
                 "(only 'default' and 'linear')")
    rotary_dim, half = rope_meta["rotary_dim"], rope_meta["rotary_dim"] // 2
    inv_freq = 1.0 / rope_meta["rope_theta"] ** (np.arange(0, rotary_dim, 2) / rotary_dim)
    if rope_type == "linear":
        inv_freq = inv_freq / rope_meta["factor"]
    angle = positions.astype(np.float64)[:, None] * inv_freq[None, :]  # [tokens, pairs]
    cos, sin = np.cos(angle)[:, None, :], np.sin(angle)[:, None, :]  # broadcast over heads
    if rope_meta["layout"] == "half":
        a, b = slice(0, half), slice(half, rotary_dim)
    elif rope_meta["layout"] == "interleaved":
        a, b = slice(0, rotary_dim, 2), slice(1, rotary_dim, 2)
    else:
        sys.exit(f"numpy_rope.py: layout {rope_meta['layout']!r} is not supported")
    y = x.copy()  # channels past rotary_dim pass through
    y[..., a] = x[..., a] * cos - x[..., b] * sin
    y[..., b] = x[..., b] * cos + x[..., a] * sin
    factor = rope_meta["attention_factor"]
    if factor != 1.0:
        y[..., :rotary_dim] *= factor
    return y


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    x, positions, metadata = load_vectors(argv[1])
    dtype = metadata["dtype"]
    y = rope(x, positions, json.loads(metadata["rope"]))
    if dtype == "bf16":
        stored = round_to_bf16_bits(y)
    else:
        stored = y.astype({"f64": np.float64, "f32": np.float32, "f16": np.float16}[dtype])
    if argv[2].endswith(".npy"):
        np.save(argv[2], stored)
    else:
        write_safetensors(argv[2], {"y": (DTYPE_TO_SAFETENSORS[dtype], stored)})
    print(f"wrote {argv[2]}: y {list(stored.shape)} {dtype}")


if __name__ == "__main__":
    main(sys.argv)
