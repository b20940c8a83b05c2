"""Scaled dot-product attention as one op: o = softmax(q k^T scale) v over the last two dims, batch dims broadcast.

The work runs a block of the first batch axis at a time (``BLOCK_SCORES`` scores a block), so a block's scores
stay in cache between the product that makes them, the softmax and the product that uses them; only the
weights P = softmax(q k^T scale) are kept for the backward. Outputs and gradients take the memory order of
``q`` (of the input, for each gradient): attention heads that are a permuted view of one projection give an
output and gradients laid out as that projection is, so the heads' merge afterwards is a view, not a copy.
The backward is an op of its own (``AttentionBackward``, the same blocks), whose derivative replays the
forward in Tensor ops (``ReplayVjp``), so every order is exact.

``PackedAttention`` is multi-head self-attention on one packed projection [q | k | v] (the in-projection's
output): the heads are views of it, the output comes with the heads merged, and the backward writes dq, dk and
dv into one array shaped as the projection, so neither the split nor the merge of the heads copies anything.
"""

from __future__ import annotations

import numpy as np

from .. import threads
from ..function import Op
from ..kernels import softmax as KS
from ..tensor import Tensor
from .replay import replay_vjp, vjp_of

__all__ = ["scaled_dot_product_attention", "packed_self_attention"]

# scores (L x S entries) a block holds: 512 KiB of float32, so the three such arrays the backward works on at
# once (the weights, dP and dS of the block) stay in a core's L2
BLOCK_SCORES = 1 << 17


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


def _blas_ready(g: np.ndarray) -> np.ndarray:
    """``g`` copied where an axis has stride 0 (the expanded gradient of a sum), which numpy's matmul would run
    without the BLAS."""
    return np.ascontiguousarray(g) if 0 in g.strides and g.size > 1 else g


def _broadcast(lead: tuple, *arrays) -> list:
    return [np.broadcast_to(a, lead + a.shape[-2:]) for a in arrays]


def _forward_blocks(q, k, v, scale: float, p: np.ndarray, o: np.ndarray) -> None:
    """p = softmax(q k^T scale), o = p v, a block of the first batch axis at a time (q, k, v broadcast alike)."""

    def block(i) -> None:
        if scale > 0:  # softmax(scale s) = exp(scale (s - max s)) / sum: the softmax scales as it goes
            KS.softmax(np.matmul(q[i], np.swapaxes(k[i], -1, -2)), -1, out=p[i], scale=scale)
        else:  # the largest scaled score is not scale * max s: scale q first
            KS.softmax(np.matmul(q[i] * scale, np.swapaxes(k[i], -1, -2)), -1, out=p[i])
        np.matmul(p[i], v[i], out=o[i])

    _each(block, _blocks(p.shape[:-2], p.shape[-2] * p.shape[-1]), p.size * (q.shape[-1] + v.shape[-1]))


def _backward_blocks(g, q, k, v, p, scale: float, dq, dk, dv) -> None:
    """dv = p^T g, dS = p (g v^T - rowsum(p g v^T)) scale, dq = dS k, dk = dS^T q into the given arrays (None:
    not wanted), by the blocks of the forward."""

    def block(i) -> None:
        pi, gi = p[i], g[i]
        if dv is not None:
            np.matmul(np.swapaxes(pi, -1, -2), gi, out=dv[i])
        if dq is None and dk is None:
            return
        dp = np.matmul(gi, np.swapaxes(v[i], -1, -2))
        ds = KS.softmax_backward(dp, pi, -1, scale=scale)  # d/d(q k^T): the scale is in ds
        if dq is not None:
            np.matmul(ds, k[i], out=dq[i])
        if dk is not None:
            np.matmul(np.swapaxes(ds, -1, -2), q[i], out=dk[i])

    _each(block, _blocks(p.shape[:-2], p.shape[-2] * p.shape[-1]), p.size * (q.shape[-1] + v.shape[-1]))


def _each(fn, blocks: list, work: int) -> None:
    """``fn`` of every block; the blocks write disjoint parts of the outputs and need nothing from one another, so
    above the "gemm" threshold (``work`` multiply-adds) contiguous runs of them go to the library's threads, each
    run in order (the same bits on any thread count)."""

    def run(span) -> None:
        for i in blocks[span[0]:span[1]]:
            fn(i)

    threads.parallel_map(run, threads.chunks(len(blocks), work, "gemm"))


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
        p = np.empty(lead + (q.shape[-2], k.shape[-2]), q.dtype)
        o = _like(q if q.ndim == len(lead) + 2 else p, lead + (q.shape[-2], v.shape[-1]), q.dtype)
        _forward_blocks(*_broadcast(lead, q, k, v), scale, p, o)
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
        g = _blas_ready(g)
        lead = p.shape[:-2]
        full = len(lead) + 2
        dq, dk, dv = (_like(a if a.ndim == full else p, lead + a.shape[-2:], q.dtype) if n else None
                      for a, n in zip((q, k, v), need))
        _backward_blocks(np.broadcast_to(g, p.shape[:-1] + g.shape[-1:]), *_broadcast(lead, q, k, v), p, scale,
                         dq, dk, dv)
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


def _heads(qkv: np.ndarray, heads: int, batch_first: bool) -> list:
    """q, k, v of a packed projection (N, L, 3E) (or (L, N, 3E)) as views (N, heads, L, E / heads)."""
    a, b, e3 = qkv.shape
    x = qkv.reshape(a, b, 3, heads, e3 // (3 * heads))
    return [x[:, :, j].transpose(0, 2, 1, 3) if batch_first else x[:, :, j].transpose(1, 2, 0, 3) for j in range(3)]


def _merged(shape: tuple, heads: int, batch_first: bool, dtype) -> tuple:
    """An (N, L, E) (or (L, N, E)) array and its view (N, heads, L, E / heads)."""
    out = np.empty(shape, dtype)
    a, b, e = shape
    x = out.reshape(a, b, heads, e // heads)
    return out, (x.transpose(0, 2, 1, 3) if batch_first else x.transpose(1, 2, 0, 3))


class PackedAttention(Op):
    """o = merge(softmax(q k^T scale) v) with [q | k | v] = qkv split into heads (self-attention on the packed
    in-projection); d/dqkv = [dq | dk | dv] of ``Attention`` (``PackedAttentionBackward``)"""

    @staticmethod
    def forward(ctx, qkv, heads, scale, batch_first):
        q, k, v = _heads(qkv, heads, batch_first)
        p = np.empty(q.shape[:-1] + (k.shape[-2],), qkv.dtype)
        out, o = _merged(qkv.shape[:2] + (qkv.shape[2] // 3,), heads, batch_first, qkv.dtype)
        _forward_blocks(q, k, v, scale, p, o)
        ctx.p, ctx.attrs = p, (heads, scale, batch_first)
        ctx.save_for_backward(qkv)
        return out

    @staticmethod
    def backward(ctx, g):
        (qkv,) = ctx.saved_tensors
        return PackedAttentionBackward.apply(g, qkv, ctx.p, *ctx.attrs), None, None, None


def _packed_ops(qkv: Tensor, heads: int, scale: float, batch_first: bool) -> Tensor:
    """``PackedAttention`` in Tensor ops (its replay, for the derivatives of ``PackedAttentionBackward``)."""
    a, b, e3 = qkv.shape
    perm = (0, 2, 1, 3) if batch_first else (1, 2, 0, 3)
    q, k, v = (t.reshape(a, b, heads, e3 // (3 * heads)).permute(*perm) for t in qkv.chunk(3, -1))
    o = _attention_ops(q, k, v, scale)
    return o.permute(*((0, 2, 1, 3) if batch_first else (2, 0, 1, 3))).reshape(a, b, e3 // 3)


class PackedAttentionBackward(Op):
    """d/dqkv of ``PackedAttention`` given its weights p: dq, dk, dv of ``AttentionBackward`` written into one
    array shaped as qkv. Its own derivative is the replayed vector-Jacobian product of ``_packed_ops``."""

    @staticmethod
    def forward(ctx, g, qkv, p, heads, scale, batch_first):
        ctx.attrs = (heads, scale, batch_first)
        ctx.save_for_backward(g, qkv)
        g = _blas_ready(g)
        dqkv = np.empty(qkv.shape, qkv.dtype)
        a, b, e3 = qkv.shape
        go = g.reshape(a, b, heads, e3 // (3 * heads))
        go = go.transpose(0, 2, 1, 3) if batch_first else go.transpose(1, 2, 0, 3)
        _backward_blocks(go, *_heads(qkv, heads, batch_first), p, scale, *_heads(dqkv, heads, batch_first))
        return dqkv

    @staticmethod
    def backward(ctx, h):
        g, qkv = ctx.saved_tensors
        heads, scale, batch_first = ctx.attrs
        need = ctx.needs_input_grad
        wrt = [i for i, n in ((0, need[1]), (1, need[0])) if n]
        result = [None] * 6
        if wrt:
            fn = vjp_of(lambda x: _packed_ops(x, heads, scale, batch_first), [0], 1)
            for i, d in zip(wrt, replay_vjp(fn, (qkv, g), (h,), wrt)):
                result[1 if i == 0 else 0] = d
        return tuple(result)


def packed_self_attention(qkv: Tensor, num_heads: int, scale: float, batch_first: bool) -> Tensor:
    """Multi-head self-attention on a packed projection qkv (N, L, 3E) (``batch_first``) or (L, N, 3E): the heads
    of q, k, v are its thirds split into ``num_heads`` each; returns softmax(q k^T scale) v with the heads merged,
    (N, L, E) or (L, N, E). Floating, non-empty, 3E divisible by 3 ``num_heads`` (callers check)."""
    return PackedAttention.apply(qkv, num_heads, float(scale), batch_first)
