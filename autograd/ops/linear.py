"""The affine map of a fully connected layer as one op: ``linear(x, w, b) = x W^T + b`` over any leading dims.

``Linear``'s backward is an op of its own (``LinearBackward``: the GEMMs for dx and dW and the sum for db in one
node), whose backward is written in Tensor ops, so every order of derivative runs through the same code.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..function import Op
from ..kernels import gemm
from ..tensor import Tensor

__all__ = ["linear"]


def _rows(a: np.ndarray) -> np.ndarray:
    """(..., n) as one (rows, n) matrix: numpy's matmul runs a 3-D operand as one GEMM per batch entry."""
    return a.reshape(-1, a.shape[-1])


class Linear(Op):
    """y = x W^T + b; dy/dx = g W, dy/dW = g^T x (over all leading dims), dy/db = sum of g"""

    @staticmethod
    def forward(ctx, x, w, b):
        dt = dtypes.promote(x, w) if b is None else dtypes.promote(x, w, b)
        if dt.kind != "f":
            dt = dtypes.get_default_dtype()
        x = x.astype(dt, copy=False)
        w = w.astype(dt, copy=False)
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, w if ctx.needs_input_grad[0] else None)
        if x.ndim == 1:
            out = x @ w.T
            if b is not None:
                out += b
            return out
        return gemm.mm(_rows(x), w.T, b).reshape(x.shape[:-1] + (w.shape[0],))

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        grads = LinearBackward.apply(g, x, w, need=need)
        if len(grads) == 3:
            return grads
        grads = iter(grads)
        return tuple(next(grads) if n else None for n in need)


class LinearBackward(Op):
    """(dx, dW, db) = (g W, g^T x, sum of g) over all leading dims, only those in ``need``;
    its backward: d/dg = hx W^T + x hW^T + hb, d/dx = g hW, d/dW = g^T hx"""

    @staticmethod
    def forward(ctx, g, x, w, need):
        g2 = _rows(g)
        out = []
        if need[0]:
            out.append(gemm.mm(g2, w).reshape(g.shape[:-1] + (w.shape[1],)))
        if need[1]:
            out.append(gemm.mm(g2.T, _rows(x)))
        if need[2]:
            out.append(g2.sum(0))
        ctx.need = need
        ctx.save_for_backward(g, x, w)
        return tuple(out)

    @staticmethod
    def backward(ctx, *hs):
        g, x, w = ctx.saved_tensors
        hs = iter(hs)
        hx, hw, hb = (next(hs) if n else None for n in ctx.need)
        need_g, need_x, need_w = ctx.needs_input_grad[:3]
        dg = dx = dw = None
        if need_g:
            parts = []
            if hx is not None:
                parts.append(hx.matmul(w.t()))
            if hw is not None:
                parts.append(x.matmul(hw.t()))
            dg = sum(parts[1:], parts[0]) if parts else None
            if hb is not None:
                dg = hb.expand(g.shape) if dg is None else dg + hb
        if need_x and hw is not None:
            dx = g.matmul(hw)
        if need_w and hx is not None:
            dw = g.reshape(-1, g.shape[-1]).t().matmul(hx.reshape(-1, hx.shape[-1]))
        return dg, dx, dw, None


def linear(x: Tensor, w: Tensor, b: Tensor | None = None) -> Tensor:
    """x W^T + b for W of shape (out_features, in_features) and any number of leading dims of x"""
    return Linear.apply(x, w, b)
