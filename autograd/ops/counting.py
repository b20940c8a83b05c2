"""Counting ops: ``unique``, ``unique_consecutive``, ``bincount``, ``equal`` (none is differentiable).

``unique`` follows PyTorch: NaNs are never equal to each other (each is its own value), the inverse has the
input's shape (or one entry per slice with ``dim``), and the values come back sorted even with
``sorted=False`` (PyTorch leaves that order unspecified).
"""

from __future__ import annotations

import builtins
import operator

import numpy as np

from ..tensor import Tensor, _make
from .shape import canonical_dim

__all__: list[str] = ["unique", "unique_consecutive", "bincount", "equal"]


def _array(x, name: str) -> np.ndarray:
    if isinstance(x, Tensor):
        return x._data
    raise TypeError(f"{name}(): argument 'input' must be a Tensor, not {type(x).__name__}")


def _result(values, inverse, counts, return_inverse: bool, return_counts: bool):
    out = [_make(values)]
    if return_inverse:
        out.append(_make(inverse.astype(np.int64)))
    if return_counts:
        out.append(_make(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,  # noqa: A002
           return_counts: bool = False, dim: int | None = None):
    """The distinct values of ``input`` (flattened), or its distinct slices along ``dim``, in ascending order;
    with ``return_inverse`` also where each element (slice) went, with ``return_counts`` how often each occurs."""
    a = _array(input, "unique")
    if dim is None:
        flat = a.reshape(-1)
        values, inverse, counts = np.unique(flat, return_inverse=True, return_counts=True, equal_nan=False)
        return _result(values, inverse.reshape(a.shape), counts, return_inverse, return_counts)
    d = canonical_dim(dim, a.ndim)
    moved = np.moveaxis(a, d, 0)
    if moved.shape[0] == 0:
        return _result(np.moveaxis(moved, 0, d), np.zeros(0, np.int64), np.zeros(0, np.int64), return_inverse,
                       return_counts)
    rows = moved.reshape(moved.shape[0], -1)
    values, inverse, counts = np.unique(rows, axis=0, return_inverse=True, return_counts=True)
    values = np.moveaxis(values.reshape((-1,) + moved.shape[1:]), 0, d)
    return _result(np.ascontiguousarray(values), inverse.reshape(-1), counts, return_inverse, return_counts)


def unique_consecutive(input: Tensor, return_inverse: bool = False, return_counts: bool = False,  # noqa: A002
                       dim: int | None = None):
    """``input`` with each run of equal consecutive values (slices along ``dim``) collapsed to one."""
    a = _array(input, "unique_consecutive")
    if dim is None:
        moved = a.reshape(-1, 1)
    else:
        d = canonical_dim(dim, a.ndim)
        moved = np.moveaxis(a, d, 0)
    rows = moved.reshape(moved.shape[0], -1)
    n = rows.shape[0]
    starts = np.ones(n, bool)
    if n > 1:
        starts[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    first = np.flatnonzero(starts)
    counts = np.diff(np.append(first, n))
    inverse = np.cumsum(starts) - 1
    if dim is None:
        return _result(a.reshape(-1)[first], inverse.reshape(a.shape), counts, return_inverse, return_counts)
    values = np.ascontiguousarray(np.moveaxis(moved[first], 0, d))
    return _result(values, inverse, counts, return_inverse, return_counts)


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:  # noqa: A002
    """out[v] = number of times v occurs in the 1-d non-negative integer ``input`` (or the sum of ``weights``
    there); length max(input) + 1, at least ``minlength``."""
    a = _array(input, "bincount")
    if a.dtype.kind not in "iu" or a.ndim != 1 or (a.size and a.min() < 0):
        what = "negative values" if a.ndim == 1 and a.dtype.kind in "iu" else f"a {a.ndim}-d {a.dtype} tensor"
        raise RuntimeError(f"bincount only supports 1-d non-negative integral inputs (got {what})")
    minlength = operator.index(minlength)
    if minlength < 0:
        raise RuntimeError(f"bincount: minlength should be >= 0, got {minlength}")
    if weights is None:
        return _make(np.bincount(a, minlength=minlength).astype(np.int64))
    w = weights._data if isinstance(weights, Tensor) else np.asarray(weights)
    if w.shape != a.shape:
        raise RuntimeError(f"bincount: weights should be 1-d and have the same length as input (input shape "
                           f"{list(a.shape)}, weights shape {list(w.shape)})")
    out_dtype = w.dtype if w.dtype.kind == "f" else np.dtype(np.float64)
    return _make(np.bincount(a, weights=w.astype(np.float64), minlength=minlength).astype(out_dtype))


def equal(input: Tensor, other: Tensor) -> bool:  # noqa: A002
    """True if both tensors have the same shape and the same values (NaN is unequal to itself)."""
    a, b = _array(input, "equal"), _array(other, "equal")
    return builtins.bool(a.shape == b.shape and np.array_equal(a, b))
