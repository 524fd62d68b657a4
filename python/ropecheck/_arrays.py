"""Arrays in and out of the native module: NumPy, anything with __array__ or the buffer
protocol, and PyTorch CPU tensors (bfloat16 included); GPU tensors are copied to the host.

Every conversion is one vectorized step: float16/float32 widen to float64 exactly (in NumPy or
in the module), bfloat16 travels as its 16-bit patterns and is decoded by the library's format
codec (core/format_codec.hpp)."""
import numpy as np

from . import _native

NUMPY_DTYPES = {"f64": np.float64, "f32": np.float32, "f16": np.float16}
_FROM_NUMPY = {np.dtype(np.float64): "f64", np.dtype(np.float32): "f32",
               np.dtype(np.float16): "f16"}


def is_torch(value):
    """Whether `value` is a PyTorch tensor (without importing torch when it is not)."""
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def _torch_dtype_name(tensor):
    import torch
    return {torch.float64: "f64", torch.float32: "f32", torch.float16: "f16",
            torch.bfloat16: "bf16"}.get(tensor.dtype)


def floats(value, name, keep_f32=False):
    """(float64 ndarray, dtype name) of a floating-point array or tensor; with keep_f32, float32
    stays float32 (the module widens it row by row, without a float64 copy of the whole)."""
    if is_torch(value):
        tensor = value.detach()
        if tensor.device.type != "cpu":
            tensor = tensor.cpu()
        dtype = _torch_dtype_name(tensor)
        if dtype is None:
            raise TypeError(f"{name}: a tensor of {tensor.dtype}; accepted: float64, float32, "
                            "float16, bfloat16")
        if dtype == "bf16":
            import torch
            bits = tensor.contiguous().view(torch.int16).numpy().view(np.uint16)
            return _native.decode_bits(bits, "bf16"), dtype
        return _widened(tensor.numpy(), dtype, keep_f32), dtype
    try:
        array = np.asarray(value)
    except Exception as error:  # an object NumPy cannot read
        raise TypeError(f"{name}: not an array ({type(value).__name__}): {error}") from None
    dtype = _FROM_NUMPY.get(array.dtype)
    if dtype is None:
        raise TypeError(f"{name}: an array of {array.dtype}; accepted: float64, float32, "
                        "float16 (bfloat16 as a PyTorch tensor)")
    return _widened(array, dtype, keep_f32), dtype


def _widened(array, dtype, keep_f32):
    if keep_f32 and dtype == "f32":
        return np.ascontiguousarray(array)
    return np.ascontiguousarray(array, dtype=np.float64)


def positions(value, name="positions"):
    """A 1-D int64 ndarray of integer positions."""
    if is_torch(value):
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value)
    except Exception as error:
        raise TypeError(f"{name}: not an array of integers: {error}") from None
    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim != 1:
        raise ValueError(f"{name}: has shape {array.shape}; expected a 1-D list of positions")
    if array.dtype == object:  # Python integers beyond int64
        raise ValueError(f"{name}: positions must be integers with |m| < 2^53")
    if array.dtype.kind == "u":
        if array.size and array.max() >= 2**53:
            raise ValueError(f"{name}: position {int(array.max())} is outside (-2^53, 2^53)")
    elif array.dtype.kind != "i":
        raise TypeError(f"{name}: an array of {array.dtype}; positions must be integers")
    return np.ascontiguousarray(array, dtype=np.int64)


def output(values, dtype, like):
    """float64 `values` as an array of `dtype`: a tensor when `like` is a tensor, else NumPy
    (bf16 in NumPy, which has no bfloat16, as float32 holding the bf16 values exactly)."""
    if is_torch(like):
        import torch
        if dtype == "bf16":
            bits = _native.encode_bits(values, "bf16").astype(np.uint16)
            return torch.from_numpy(bits.view(np.int16)).view(torch.bfloat16)
        return torch.from_numpy(values.astype(NUMPY_DTYPES[dtype]))
    return values.astype(NUMPY_DTYPES.get(dtype, np.float32))


class Rows:
    """x of shape (..., tokens, head_dim) or (tokens, ..., head_dim) as rows (R, head_dim) with
    a position per row, and the way back to x's shape."""

    def __init__(self, shape, tokens, token_axis, name="x"):
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(f"{name}: has shape {shape}; expected (..., tokens, head_dim) or "
                             "(tokens, heads, head_dim)")
        ndim = len(shape)
        if token_axis is None:
            candidates = sorted({a for a in (ndim - 2, 0) if shape[a] == tokens})
            if not candidates:
                raise ValueError(f"{name}: has shape {shape} but there are {tokens} positions; "
                                 "the tokens axis must be the second last (..., tokens, "
                                 "head_dim) or the first (tokens, heads, head_dim)")
            if len(candidates) > 1:
                raise ValueError(f"{name}: shape {shape} has {tokens} on axes 0 and {ndim - 2}; "
                                 "say which holds the tokens with token_axis=")
            token_axis = candidates[0]
        if not -ndim <= token_axis < ndim or token_axis % ndim == ndim - 1:
            raise ValueError(f"{name}: token_axis {token_axis} is not an axis before head_dim")
        token_axis %= ndim
        if shape[token_axis] != tokens:
            raise ValueError(f"{name}: axis {token_axis} holds {shape[token_axis]} tokens but "
                             f"there are {tokens} positions")
        self.shape = shape
        self.axis = token_axis
        self.tokens = tokens
        # (tokens, everything else..., head_dim): grading's (tokens, heads, head_dim) order.
        self.moved = (tokens,) + tuple(s for a, s in enumerate(shape[:-1]) if a != token_axis) \
            + (shape[-1],)

    def to_tokens_first(self, array):
        """(tokens, heads, head_dim), heads being every other axis flattened."""
        moved = np.moveaxis(array, self.axis, 0)
        return np.ascontiguousarray(moved).reshape(self.tokens, -1, self.shape[-1])

    def rows(self, array, positions):
        """(rows, head_dim) and (rows,) positions."""
        tokens_first = self.to_tokens_first(array)
        heads = tokens_first.shape[1]
        return tokens_first.reshape(-1, self.shape[-1]), np.repeat(positions, heads)

    def restore(self, rows):
        """Rows back in x's shape."""
        return np.moveaxis(rows.reshape(self.moved), 0, self.axis)
