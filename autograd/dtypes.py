"""Dtypes and PyTorch's type-promotion rules.

The dtypes are numpy's. Promotion follows PyTorch, not numpy: operands are ranked by category
(bool < integer < floating) and by priority (tensors with dimensions > 0-d tensors > Python scalars).
The result is the promoted dtype of the highest-priority operands; a lower-priority operand can only lift
the *category*, and then its own dtype is used: ``float32_tensor + 1.5`` stays float32,
``float32_tensor + float64_0d_tensor`` stays float32, ``int64_tensor + float64_0d_tensor`` gives float64,
``int64_tensor + 1.5`` gives the default float dtype (float32).
"""

from __future__ import annotations

import builtins

import numpy as np

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
float16 = np.dtype(np.float16)
int64 = np.dtype(np.int64)
int32 = np.dtype(np.int32)
int16 = np.dtype(np.int16)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
bool = np.dtype(np.bool_)  # noqa: A001 - PyTorch's spelling: autograd.bool
float = float32  # noqa: A001
double = float64
long = int64
half = float16

_state = {"default_float": float32}

_ALIASES = {
    "float32": float32, "float": float32, "float64": float64, "double": float64, "float16": float16,
    "half": float16, "int64": int64, "long": int64, "int32": int32, "int": int32, "int16": int16,
    "int8": int8, "uint8": uint8, "bool": bool,
}


def get_default_dtype() -> np.dtype:
    return _state["default_float"]


def set_default_dtype(dtype) -> None:
    """Set the dtype that Python floats and float creation functions produce (float32 or float64)."""
    d = as_dtype(dtype)
    if d.kind != "f":
        raise TypeError(f"set_default_dtype only supports floating point dtypes, got {d}")
    _state["default_float"] = d


def as_dtype(dtype) -> np.dtype:
    """Normalise ``dtype`` (numpy dtype, Python type, or PyTorch-style name) to a numpy dtype."""
    if isinstance(dtype, np.dtype):
        return dtype
    if isinstance(dtype, str):
        try:
            return _ALIASES[dtype.removeprefix("torch.")]
        except KeyError:
            raise TypeError(f"unknown dtype {dtype!r}") from None
    if dtype is builtins.float:
        return _state["default_float"]
    if dtype is builtins.int:
        return int64
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}") from None


def is_floating(dtype: np.dtype) -> builtins.bool:
    return dtype.kind == "f"


def _category(dtype: np.dtype) -> int:
    return 0 if dtype.kind == "b" else (2 if dtype.kind == "f" else 1)


def promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """PyTorch's promote_types: a higher category wins outright (int64 + float32 -> float32)."""
    ca, cb = _category(a), _category(b)
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)


def scalar_dtype(value) -> np.dtype:
    """The dtype a Python scalar becomes on its own: bool, int64, or the default float."""
    if isinstance(value, (builtins.bool, np.bool_)):
        return bool
    if isinstance(value, (int, np.integer)):
        return int64
    if isinstance(value, (builtins.float, np.floating)):
        return _state["default_float"]
    raise TypeError(f"expected a Tensor or a Python number, got {type(value).__name__}")


_promote_cache: dict = {}


def promote(*operands) -> np.dtype:
    """Result dtype of an elementwise op on ``operands`` (Tensors, numpy arrays or Python scalars)."""
    key = tuple(_operand_key(o) for o in operands)
    try:
        return _promote_cache[key]
    except KeyError:
        pass
    best: list = [None, None, None]  # promoted dtype at each priority: scalars, 0-d tensors, dimensioned
    for prio, dtype in key:
        best[prio] = dtype if best[prio] is None else promote_types(best[prio], dtype)
    result = None
    for dtype in reversed(best):  # dimensioned tensors first; lower priorities may only lift the category
        if dtype is not None and (result is None or _category(dtype) > _category(result)):
            result = dtype
    if best[0] is not None and result is best[0] and best[0].kind == "f":
        result = _state["default_float"]  # a Python float that lifts the category gives the default dtype
    if len(_promote_cache) < 4096:
        _promote_cache[key] = result
    return result


def _operand_key(o):
    dtype = getattr(o, "dtype", None)
    if dtype is not None and not isinstance(o, np.generic):
        return (2 if o.ndim else 1), dtype
    return 0, scalar_dtype(o)
