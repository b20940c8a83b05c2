"""``index_add``: ``out = input`` with ``alpha * source[i]`` added to slice ``index[i]`` along ``dim``
(repeated indices accumulate); d/dinput = g, d/dsource = alpha * g.index_select(dim, index)."""

from __future__ import annotations

import numpy as np

from ..function import Op
from ..kernels import scatter as K
from ..tensor import Tensor, _make
from .elementwise import mul
from .indexing import GetItem
from .shape import canonical_dim, reshape

__all__: list[str] = ["index_add"]


class IndexAdd(Op):
    """input with source added at ``adv`` (repeats accumulate, in index order, into input's own values);
    d/dinput = g, d/dsource = g[adv]"""

    @staticmethod
    def forward(ctx, x, src, adv):
        ctx.adv = adv
        out = x.copy()
        K.scatter_add(out, adv, src)
        return out

    @staticmethod
    def backward(ctx, g):
        gs = GetItem.apply(g, (Ellipsis,), ctx.adv) if ctx.needs_input_grad[1] else None
        return g, gs, None


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:  # noqa: A002
    """A copy of ``input`` with ``alpha * source`` added at ``index`` (1-d) along ``dim``."""
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.dtype.kind not in "iu" or idx.ndim > 1:
        raise IndexError(f"index_add_(): Index is supposed to be a vector of int64/int32, got a {idx.ndim}-d "
                         f"{idx.dtype} index")
    if not isinstance(source, Tensor):
        raise TypeError(f"index_add(): argument 'source' must be a Tensor, not {type(source).__name__}")
    if source.dtype != input.dtype:
        raise RuntimeError(f"index_add_(): self ({input.dtype}) and source ({source.dtype}) must have the same "
                           f"scalar type")
    x = reshape(input, (1,)) if input.ndim == 0 else input
    src = reshape(source, (1,)) if source.ndim == 0 else source
    d = canonical_dim(dim, x.ndim)
    idx = idx.reshape(-1).astype(np.int64)
    want = x.shape[:d] + (idx.size,) + x.shape[d + 1:]
    if tuple(src.shape) != want:
        raise RuntimeError(f"index_add_(): source shape {list(source.shape)} must equal input shape "
                           f"{list(input.shape)} except along dim {d}, where it must be len(index) = {idx.size}")
    n = x.shape[d]
    if idx.size and (idx.max() >= n or idx.min() < -n):
        bad = idx.max() if idx.max() >= n else idx.min()
        raise IndexError(f"index_add_(): index {bad} is out of bounds for dimension {d} with size {n}")
    if alpha != 1:
        src = mul(src, _make(np.asarray(alpha, src.dtype)))
    out = IndexAdd.apply(x, src, (slice(None),) * d + (idx,))
    return reshape(out, ()) if input.ndim == 0 else out
