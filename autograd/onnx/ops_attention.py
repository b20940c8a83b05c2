"""ONNX translations of the one-op attention (``autograd.ops.attention``): softmax(q k^T scale) v as MatMul,
Softmax and MatMul nodes, and for the packed self-attention the split of the projection into heads and their
merge as Reshape, Gather and Transpose nodes."""

from __future__ import annotations

import numpy as np

from .graph import translates

A = "autograd.ops.attention."


def _attend(g, q: str, k: str, v: str, ndim: int, scale: float, dt) -> str:
    perm = list(range(ndim - 2)) + [ndim - 1, ndim - 2]
    qs = g.op("Mul", q, g.const(np.asarray(scale, dt)))
    weights = g.op("Softmax", g.op("MatMul", qs, g.op("Transpose", k, perm=perm)), axis=-1)
    return g.op("MatMul", weights, v)


@translates(A + "Attention")
def _attention(g, rec):
    q, k, v, scale = rec.args
    dt = rec.outs[0].dtype
    ndim = max(q.ndim, k.ndim, v.ndim)
    return [_attend(g, g.value(q, dt), g.value(k, dt), g.value(v, dt), ndim, scale, dt)]


@translates(A + "PackedAttention")
def _packed_attention(g, rec):
    qkv, heads, scale, batch_first = rec.args
    dt = rec.outs[0].dtype
    head_dim = qkv.shape[2] // (3 * heads)
    split = g.op("Reshape", g.value(qkv, dt), g.ints([0, 0, 3, heads, head_dim]))  # (a, b, 3, heads, head_dim)
    to_heads = [0, 2, 1, 3] if batch_first else [1, 2, 0, 3]  # -> (N, heads, L, head_dim)
    q, k, v = (g.op("Transpose", g.op("Gather", split, g.const(np.asarray(j, np.int64)), axis=2), perm=to_heads)
               for j in range(3))
    o = _attend(g, q, k, v, 4, scale, dt)
    merged = g.op("Transpose", o, perm=[0, 2, 1, 3] if batch_first else [2, 0, 1, 3])
    return [g.op("Reshape", merged, g.ints([0, 0, heads * head_dim]))]
