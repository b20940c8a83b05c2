"""``median``: the lower median (the ((n - 1) // 2)-th smallest value, as PyTorch; NaN if a NaN is present).

``median(x)`` reduces every element to a 0-d tensor, the gradient shared evenly by the entries equal to the
median (as PyTorch's); ``median(x, dim)`` returns ``(values, indices)`` and the gradient goes to the index.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..tensor import Tensor, _make
from .reduce import TakeAlong, _Extreme
from .shape import canonical_dim

__all__: list[str] = ["median"]

return_types_median = namedtuple("median", ["values", "indices"])


def _lower_median(x: np.ndarray, axis, keepdims: bool) -> np.ndarray:
    flat = x.reshape(-1)
    if x.dtype.kind == "f" and np.isnan(flat).any():
        value = np.array(np.nan, x.dtype)
    else:
        k = (flat.size - 1) // 2
        value = np.partition(flat, k)[k]
    return np.asarray(value, x.dtype).reshape((1,) * x.ndim if keepdims else ())


class MedianAll(_Extreme):
    """lower median of every element; the gradient is split evenly among the entries equal to it"""

    fn = staticmethod(_lower_median)
    label = "median"


def _median_index(a: np.ndarray, axis: int) -> np.ndarray:
    """Index (along ``axis``, keepdims) of the lower median of each slice; of its first NaN if it has one."""
    n = a.shape[axis]
    order = np.argsort(a, axis=axis, kind="stable")  # NaN sorts last
    index = np.take(order, [(n - 1) // 2], axis=axis)
    if a.dtype.kind == "f":
        nan = np.isnan(a)
        has_nan = nan.any(axis=axis, keepdims=True)
        if has_nan.any():
            index = np.where(has_nan, np.argmax(nan, axis=axis, keepdims=True), index)
    return index.astype(np.int64)


def median(input: Tensor, dim: int | None = None, keepdim: bool = False):  # noqa: A002
    """``median(x)``: the lower median of all elements (0-d); ``median(x, dim, keepdim=False)``: the named
    tuple ``(values, indices)`` of the lower median of each slice along ``dim``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"median(): argument 'input' must be a Tensor, not {type(input).__name__}")
    a = input._data
    if dim is None:
        if a.size == 0:
            return _make(np.array(np.nan, a.dtype if a.dtype.kind == "f" else np.float32))
        return MedianAll.apply(input, tuple(range(a.ndim)), False)
    axis = canonical_dim(int(dim), input.ndim)
    if a.ndim == 0:
        return return_types_median(TakeAlong.apply(input, np.zeros((), np.int64), 0, keepdim),
                                   _make(np.zeros((), np.int64)))
    if a.shape[axis] == 0:
        raise IndexError(f"median(): Expected reduction dim {axis} to have non-zero size (input shape "
                         f"{tuple(a.shape)}).")
    index = _median_index(a, axis)
    if not keepdim:
        index = np.squeeze(index, axis)
    return return_types_median(TakeAlong.apply(input, index, axis, keepdim), _make(index))
