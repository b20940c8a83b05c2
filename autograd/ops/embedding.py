"""Embedding lookup as one op (``EmbeddingLookup``: rows of a table picked by integer indices) with its adjoint
(``EmbeddingBackward``: the scatter-add of the gradient rows), each the other's derivative; and
``embedding_renorm_``, PyTorch's in-place row renormalisation for ``max_norm``."""

from __future__ import annotations

import numpy as np

from ..function import Op
from ..tensor import Tensor, _make

__all__ = ["embedding", "embedding_renorm_"]


class EmbeddingLookup(Op):
    """out = W[idx]; dW = sum of g over the positions of each index (0 for ``padding_idx``)"""

    @staticmethod
    def forward(ctx, w, idx, padding_idx, scale_grad_by_freq):
        ctx.idx, ctx.num, ctx.padding_idx, ctx.scale = idx, w.shape[0], padding_idx, scale_grad_by_freq
        return w[idx]

    @staticmethod
    def backward(ctx, g):
        return EmbeddingBackward.apply(g, ctx.idx, ctx.num, ctx.padding_idx, ctx.scale), None, None, None


class EmbeddingBackward(Op):
    """gW[i] = sum of g[p] over positions p with idx[p] == i; its derivative w.r.t. g is the lookup again"""

    @staticmethod
    def forward(ctx, g, idx, num, padding_idx, scale):
        ctx.idx, ctx.padding_idx, ctx.weights = idx, padding_idx, None
        d = g.shape[-1]
        flat_idx = idx.reshape(-1)
        g2 = g.reshape(-1, d)
        if scale:
            counts = np.bincount(flat_idx, minlength=num)
            ctx.weights = (1.0 / counts[flat_idx]).astype(g.dtype)
            g2 = g2 * ctx.weights[:, None]
        out = np.zeros((num, d), dtype=g.dtype)
        np.add.at(out, flat_idx, g2)
        if padding_idx is not None:
            out[padding_idx] = 0
        return out

    @staticmethod
    def backward(ctx, gg):
        out = EmbeddingLookup.apply(gg, ctx.idx, None, False)
        if ctx.weights is not None:
            out = out * _make(ctx.weights.reshape(ctx.idx.shape)[..., None])
        if ctx.padding_idx is not None:
            out = out * _make((ctx.idx != ctx.padding_idx).astype(gg.dtype)[..., None])
        return out, None, None, None, None


def _indices(indices) -> np.ndarray:
    return indices._data if isinstance(indices, Tensor) else np.asarray(indices)


def embedding(weight: Tensor, indices, padding_idx: int | None = None, scale_grad_by_freq: bool = False) -> Tensor:
    """weight[indices]: the rows picked by an integer tensor or array (``padding_idx``'s row gets no gradient;
    ``scale_grad_by_freq`` divides each row's gradient by its index's count)"""
    return EmbeddingLookup.apply(weight, _indices(indices), padding_idx, scale_grad_by_freq)


def embedding_renorm_(weight: Tensor, indices, max_norm: float, norm_type: float = 2.0) -> Tensor:
    """Rows of ``weight`` picked by ``indices`` whose ``norm_type``-norm exceeds ``max_norm`` are scaled, in place
    and outside autograd, to norm ``max_norm`` (PyTorch's ``embedding_renorm_``); returns ``weight``."""
    w = weight._data
    rows = np.unique(_indices(indices))
    norms = np.linalg.norm(w[rows].astype(np.float64), ord=norm_type, axis=1)
    big = norms > max_norm
    if big.any():
        scale = max_norm / (norms[big] + 1e-7)
        w[rows[big]] = (w[rows[big]] * scale[:, None]).astype(w.dtype)
        weight._version[0] += 1
    return weight
