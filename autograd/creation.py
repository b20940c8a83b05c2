"""Creating tensors: ``tensor``, ``from_numpy``, ``zeros``, ``ones``, ``full``, ``empty``, ``eye``, ``arange``,
``linspace`` and the ``*_like`` forms, with PyTorch's dtype inference (Python floats give the default float
dtype, Python ints int64, bools bool; a numpy array keeps its dtype)."""

from __future__ import annotations

import numpy as np

from . import _device, dtypes
from .tensor import Tensor, _make, _shape_args


def _infer_list_dtype(data) -> np.dtype | None:
    """dtype of a nested Python list by PyTorch's rule, or None if it holds arrays/tensors."""
    stack, kind = [data], "b"
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, (bool, np.bool_)):
            pass
        elif isinstance(x, (int, np.integer)):
            kind = "i" if kind == "b" else kind
        elif isinstance(x, float):
            kind = "f"
        else:
            return None
    return {"b": dtypes.bool, "i": dtypes.int64, "f": dtypes.get_default_dtype()}[kind]


def _kind_name(dtype: np.dtype) -> str:
    return {"U": "strings", "S": "bytes", "V": "structured records", "M": "datetimes", "m": "timedeltas"}[dtype.kind]


def _to_array(data, dtype=None, copy: bool = True) -> np.ndarray:
    """An ndarray for ``data`` (Tensor, ndarray, number or nested list) by PyTorch's dtype rules."""
    dtype = dtypes.as_dtype(dtype) if dtype is not None else None
    if isinstance(data, Tensor):
        arr = data._data
    elif isinstance(data, np.ndarray | np.generic):
        arr = np.asarray(data)
    elif isinstance(data, (bool, int, float)):
        arr = np.array(data, dtype=dtype or dtypes.scalar_dtype(data))
    elif isinstance(data, (list, tuple)):
        inferred = _infer_list_dtype(data)
        try:
            arr = np.array(data, dtype=dtype or inferred)
        except ValueError as e:
            raise ValueError(f"tensor(): cannot build a tensor from a ragged nested sequence ({e})") from None
    else:
        raise TypeError(f"tensor(): expected a number, sequence, numpy array or Tensor, got {type(data).__name__}")
    if arr.dtype == object:
        raise TypeError("tensor(): could not infer a numeric dtype from the given data")
    if arr.dtype.kind in "USVMm":
        # numpy happily makes string/bytes/record/datetime arrays; a Tensor of them fails later, far from here
        raise TypeError(
            f"tensor(): cannot make a tensor of {arr.dtype} data ({_kind_name(arr.dtype)}); a tensor holds numbers "
            f"or bools: convert the values first (e.g. float(s) for numeric strings, or map labels to int indices)"
        )
    if dtype is not None and arr.dtype != dtype:
        return arr.astype(dtype)
    return arr.copy() if copy and (isinstance(data, (Tensor, np.ndarray))) else arr


def tensor(data, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A new tensor holding a copy of ``data``."""
    _device.require_cpu(device)
    t = _make(_to_array(data, dtype))
    if requires_grad:
        t.requires_grad_(True)
    return t


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a numpy array or Tensor of the right dtype."""
    _device.require_cpu(device)
    if isinstance(data, Tensor) and (dtype is None or data.dtype == dtypes.as_dtype(dtype)):
        return data
    return _make(_to_array(data, dtype, copy=False))


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (same dtype)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expected a numpy.ndarray, got {type(array).__name__}")
    return _make(array)


def _float_dtype(dtype) -> np.dtype:
    return dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()


def _new(arr: np.ndarray, requires_grad: bool) -> Tensor:
    t = _make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def zeros(*size, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    _device.require_cpu(device)
    return _new(np.zeros(_shape_args(size), _float_dtype(dtype)), requires_grad)


def ones(*size, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    _device.require_cpu(device)
    return _new(np.ones(_shape_args(size), _float_dtype(dtype)), requires_grad)


def empty(*size, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    _device.require_cpu(device)
    return _new(np.empty(_shape_args(size), _float_dtype(dtype)), requires_grad)


def full(size, fill_value, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    _device.require_cpu(device)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    dtype = dtypes.as_dtype(dtype) if dtype is not None else dtypes.scalar_dtype(fill_value)
    return _new(np.full(_shape_args((size,)), fill_value, dtype), requires_grad)


def eye(n: int, m: int | None = None, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    _device.require_cpu(device)
    return _new(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Values from ``start`` (default 0) up to, not including, ``end``; int64 unless a bound is a float."""
    _device.require_cpu(device)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if dtype is None:
        is_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = dtypes.int64 if is_int else dtypes.get_default_dtype()
    dtype = dtypes.as_dtype(dtype)
    n = max(int(np.ceil((end - start) / step)), 0)
    arr = (start + step * np.arange(n, dtype=np.float64)) if dtype.kind == "f" else np.arange(start, end, step)
    return _new(arr.astype(dtype), requires_grad)


def linspace(start, end, steps: int, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    _device.require_cpu(device)
    return _new(np.linspace(start, end, int(steps)).astype(_float_dtype(dtype)), requires_grad)


def _like(t: Tensor, fn, dtype, requires_grad):
    return _new(fn(t.shape, dtypes.as_dtype(dtype) if dtype is not None else t.dtype), requires_grad)


def zeros_like(t: Tensor, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    _device.require_cpu(device)
    return _like(t, np.zeros, dtype, requires_grad)


def ones_like(t: Tensor, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    _device.require_cpu(device)
    return _like(t, np.ones, dtype, requires_grad)


def empty_like(t: Tensor, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    _device.require_cpu(device)
    return _like(t, np.empty, dtype, requires_grad)


def full_like(t: Tensor, fill_value, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    _device.require_cpu(device)
    return _new(np.full(t.shape, fill_value, dtypes.as_dtype(dtype) if dtype is not None else t.dtype),
                requires_grad)
