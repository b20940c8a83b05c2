"""``repeat_interleave``: each element (slice along ``dim``) repeated ``repeats`` times in place.

It is an ``index_select`` with the index ``[0]*r0 + [1]*r1 + ...``, so the gradient of an input slice is the
sum of the gradients of its copies (accumulated by indexing's scatter-add backward).
"""

from __future__ import annotations

import operator

import numpy as np

from ..tensor import Tensor, _make
from .indexing import index_select
from .shape import canonical_dim, reshape

__all__: list[str] = ["repeat_interleave"]


def _repeats_array(repeats, n: int) -> np.ndarray:
    if isinstance(repeats, Tensor):
        r = repeats._data
        if r.dtype.kind not in "iu":
            raise RuntimeError(f"repeat_interleave: repeats must be an integer tensor, got dtype {r.dtype}")
        if r.ndim > 1:
            raise RuntimeError(f"repeat_interleave: repeats must be 0-dim or 1-dim tensor, got shape "
                               f"{list(r.shape)}")
        r = r.reshape(-1).astype(np.int64)
        if r.size == 1:
            r = np.broadcast_to(r, (n,))
        elif r.size != n:
            raise RuntimeError(f"repeat_interleave: repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {r.size} and input.size(dim) = {n}")
    else:
        r = np.full(n, operator.index(repeats), np.int64)
    if r.size and r.min() < 0:
        raise RuntimeError("repeat_interleave: repeats can not be negative")
    return r


def repeat_interleave(input, repeats=None, dim: int | None = None, *, output_size: int | None = None) -> Tensor:  # noqa: A002
    """out = input with element i (or slice i along ``dim``) repeated repeats[i] times; ``dim=None`` flattens
    first. ``repeat_interleave(r)`` of an integer tensor r alone gives ``[0]*r[0] + [1]*r[1] + ...``."""
    if repeats is None:  # torch.repeat_interleave(repeats)
        r = _repeats_array(input, input.numel() if input.ndim else 1)
        return _make(np.repeat(np.arange(r.size, dtype=np.int64), r))
    if dim is None:
        input, d = reshape(input, (-1,)), 0
    else:
        d = canonical_dim(dim, input.ndim)
        if input.ndim == 0:
            input = reshape(input, (1,))
    r = _repeats_array(repeats, input.shape[d])
    index = np.repeat(np.arange(r.size, dtype=np.int64), r)
    if output_size is not None and output_size != index.size:
        raise RuntimeError(f"repeat_interleave: output_size={output_size} but the repeats sum to {index.size}")
    return index_select(input, d, _make(index))
