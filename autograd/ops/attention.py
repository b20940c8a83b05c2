"""Scaled dot-product attention as one op: o = softmax(q k^T scale) v over the last two dims, batch dims broadcast.

The work runs a block of the first batch axis at a time (``BLOCK_SCORES`` scores a block), so a block's scores
stay in cache between the product that makes them, the softmax and the product that uses them; only the
weights P = softmax(q k^T scale) are kept for the backward. Outputs and gradients take the memory order of
``q`` (of the input, for each gradient): attention heads that are a permuted view of one projection give an
output and gradients laid out as that projection is, so the heads' merge afterwards is a view, not a copy.
The backward is an op of its own (``AttentionBackward``, the same blocks), whose derivative replays the
forward in Tensor ops (``ReplayVjp``), so every order is exact.
"""

from __future__ import annotations

import numpy as np

from ..function import Op
from ..kernels import softmax as KS
from ..tensor import Tensor
from .replay import replay_vjp, vjp_of

__all__ = ["scaled_dot_product_attention"]

BLOCK_SCORES = 1 << 18  # scores (L x S entries) a block holds: about 1 MiB of float32, in a core's L2


def _blocks(lead: tuple, per_row: int) -> list:
    """Index expressions over the first of the batch axes ``lead``, each ``BLOCK_SCORES`` scores or one row."""
    if not lead:
        return [()]
    step = max(1, BLOCK_SCORES // max(1, per_row * int(np.prod(lead[1:]))))
    return [slice(i, min(i + step, lead[0])) for i in range(0, lead[0], step)]


def _like(ref: np.ndarray, shape: tuple, dtype) -> np.ndarray:
    """An empty array of ``shape`` whose axes lie in memory in the order of ``ref``'s strides (the last axis
    innermost): the layout ``ref``'s gradient or a result of the same batch layout should have."""
    n = len(shape)
    if n < 3:
        return np.empty(shape, dtype)
    lead = sorted(range(n - 1), key=lambda i: (-abs(ref.strides[i]), i))
    order = lead + [n - 1]
    base = np.empty(tuple(shape[i] for i in order), dtype)
    return base.transpose(np.argsort(order))


def _broadcast(lead: tuple, *arrays) -> list:
    return [np.broadcast_to(a, lead + a.shape[-2:]) for a in arrays]


def _sum_to(d: np.ndarray, shape: tuple) -> np.ndarray:
    """``d`` summed over the batch axes its input was broadcast along, back to the input's ``shape``."""
    if d.shape == shape:
        return d
    extra = d.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(i + extra for i, n in enumerate(shape) if n == 1 and d.shape[i + extra] != 1)
    return d.sum(axis=axes, keepdims=True).reshape(shape)


class Attention(Op):
    """o = P v, P = softmax(q k^T scale) (rows); d/dv = P^T g, d/dq = dS k scale, d/dk = dS^T q scale with
    dS = P (dP - rowsum(dP P)), dP = g v^T (``AttentionBackward``)"""

    @staticmethod
    def forward(ctx, q, k, v, scale):
        lead = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
        qb, kb, vb = _broadcast(lead, q, k, v)
        L, S = q.shape[-2], k.shape[-2]
        p = np.empty(lead + (L, S), q.dtype)
        o = _like(q if q.ndim == len(lead) + 2 else p, lead + (L, v.shape[-1]), q.dtype)
        for i in _blocks(lead, L * S):
            scores = np.matmul(qb[i] * scale, np.swapaxes(kb[i], -1, -2))
            KS.softmax(scores, -1, out=p[i])
            np.matmul(p[i], vb[i], out=o[i])
        ctx.p, ctx.scale = p, scale
        ctx.save_for_backward(q, k, v)
        return o

    @staticmethod
    def backward(ctx, g):
        q, k, v = ctx.saved_tensors
        need = ctx.needs_input_grad[:3]
        grads = iter(AttentionBackward.apply(g, q, k, v, ctx.p, ctx.scale, need))
        return tuple(next(grads) if n else None for n in need) + (None,)


def _attention_ops(q: Tensor, k: Tensor, v: Tensor, scale: float) -> Tensor:
    """``Attention`` in Tensor ops (its replay, for the derivatives of ``AttentionBackward``)."""
    return ((q * scale) @ k.transpose(-2, -1)).softmax(-1) @ v


class AttentionBackward(Op):
    """(dq, dk, dv) of ``Attention`` (those in ``need``, in that order), given its weights p, by the same blocks:
    dv = p^T g, dS = p (g v^T - rowsum(p g v^T)), dq = dS k scale, dk = dS^T q scale. Its own derivative is the
    replayed vector-Jacobian product of ``_attention_ops`` (``ReplayVjp``)."""

    @staticmethod
    def forward(ctx, g, q, k, v, p, scale, need):
        ctx.scale, ctx.need = scale, need
        ctx.save_for_backward(g, q, k, v)
        lead = p.shape[:-2]
        qb, kb, vb = _broadcast(lead, q, k, v)
        gb = np.broadcast_to(g, p.shape[:-1] + g.shape[-1:])
        full = len(lead) + 2
        dq, dk, dv = (_like(a if a.ndim == full else p, lead + a.shape[-2:], q.dtype) if n else None
                      for a, n in zip((q, k, v), need))
        ds = None
        for i in _blocks(lead, p.shape[-2] * p.shape[-1]):
            pi, gi = p[i], gb[i]
            if dv is not None:
                np.matmul(np.swapaxes(pi, -1, -2), gi, out=dv[i])
            if dq is None and dk is None:
                continue
            dp = np.matmul(gi, np.swapaxes(vb[i], -1, -2))
            if ds is None or ds.shape != dp.shape:
                ds = np.empty_like(dp)
            KS.softmax_backward(dp, pi, -1, out=ds)
            if dq is not None:
                np.matmul(ds, kb[i], out=dq[i])
                dq[i] *= scale
            if dk is not None:
                np.matmul(np.swapaxes(ds, -1, -2), qb[i] * scale, out=dk[i])
        return tuple(_sum_to(d, a.shape) for d, a in zip((dq, dk, dv), (q, k, v)) if d is not None)

    @staticmethod
    def backward(ctx, *hs):
        g, q, k, v = ctx.saved_tensors
        scale = ctx.scale
        wanted = [i for i, n in enumerate(ctx.need) if n]
        z = (q, k, v, g)
        z_need = tuple(ctx.needs_input_grad[1:4]) + (ctx.needs_input_grad[0],)
        wrt = [i for i, n in enumerate(z_need) if n]
        result = [None] * 7
        if wrt:
            fn = vjp_of(lambda q_, k_, v_: _attention_ops(q_, k_, v_, scale), wanted, 3)
            for i, d in zip(wrt, replay_vjp(fn, z, hs, wrt)):
                result[0 if i == 3 else i + 1] = d
        return tuple(result)


def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor, scale: float) -> Tensor:
    """softmax(q k^T scale) v over the last two dims (..., L, E), (..., S, E), (..., S, Ev); batch dims broadcast.
    q, k, v: one floating dtype, non-empty (callers check: ``nn.functional.scaled_dot_product_attention``)."""
    return Attention.apply(q, k, v, float(scale))
