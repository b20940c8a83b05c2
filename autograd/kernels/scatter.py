"""Scatter-add kernels: ``out[index[i]] += src[i]``, repeated indices accumulating (the adjoint of indexing).

The common case, one integer index array along dim 0 into a contiguous float array (embedding backward,
``index_select`` along dim 0), runs a Numba loop over rows; everything else uses ``np.add.at``.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _index_add_rows(out: np.ndarray, index: np.ndarray, src: np.ndarray) -> None:  # pragma: no cover - jitted
    """out[index[i], :] += src[i, :] for a 2-d contiguous out and src, 1-d int64 index (already in range)."""
    n, m = src.shape
    for i in range(n):
        r = index[i]
        for j in range(m):
            out[r, j] += src[i, j]


def index_add_rows(out: np.ndarray, index: np.ndarray, src: np.ndarray) -> np.ndarray:
    """In place ``out[index[i]] += src[i]`` along dim 0 (``src.shape == index.shape + out.shape[1:]``).

    Negative indices count from the end; out-of-range ones raise IndexError. Returns ``out``.
    """
    index = np.asarray(index)
    rows = out.shape[0] if out.ndim else 0
    if index.size and (index.max() >= rows or index.min() < -rows):
        bad = index.max() if index.max() >= rows else index.min()
        raise IndexError(f"index {bad} is out of bounds for dimension 0 with size {rows}")
    if (
        out.ndim >= 1
        and out.dtype.kind == "f"
        and src.dtype == out.dtype
        and out.flags.c_contiguous
        and index.dtype.kind in "iu"
        and index.size > 0
    ):
        flat = index.reshape(-1).astype(np.int64, copy=False)
        if flat.min() < 0:
            flat = np.where(flat < 0, flat + rows, flat)
        width = int(np.prod(out.shape[1:]))
        _index_add_rows(out.reshape(rows, width), flat, np.ascontiguousarray(src).reshape(flat.size, width))
        return out
    np.add.at(out, index, src)
    return out


def scatter_add(out: np.ndarray, index: tuple, src: np.ndarray) -> np.ndarray:
    """In place ``out[index] += src`` for any numpy index, accumulating repeated positions. Returns ``out``."""
    if type(index) is tuple and len(index) >= 1 and isinstance(index[0], np.ndarray) and index[0].dtype.kind in "iu" \
            and all(type(i) is slice and i == slice(None) for i in index[1:]):
        return index_add_rows(out, index[0], src)
    np.add.at(out, index, src)
    return out
