"""Normalization op: y = (x - mean) / sqrt(var + eps) * w + b, statistics over a chosen grouping of x.

One ``Normalize`` op serves batch, layer and group norm; ``NormSpec`` says how x is viewed as (A, C, B) for
the statistics (per C over A and B), and how ``w``/``b`` broadcast against x. Forward and the closed-form
backward run in the fused kernels of ``autograd.kernels.norm``; the backward is an op of its own
(``NormalizeBackward``, PyTorch's native_batch_norm_backward) whose backward is written in Tensor ops,
recomputing the statistics from x, so higher derivatives are exact.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..function import Op
from ..kernels import norm as K

__all__: list[str] = []


class NormSpec(NamedTuple):
    view: tuple  # (A, C, B): statistics per C over A and B
    affine_shape: tuple  # shape w and b broadcast to against x
    affine_dims: tuple  # axes of x summed for the gradients of w and b
    eps: float
    rows: bool = False  # a (1, M, K) view with the affine along K (layer norm): the fused row kernels


class Normalize(Op):
    """y = xhat * w + b with xhat = (x - mean) invstd;
    dx = invstd (gxhat - mean(gxhat) - xhat mean(gxhat xhat)), gxhat = g w; dw = sum g xhat; db = sum g"""

    @staticmethod
    def forward(ctx, x, w, b, spec):
        ctx.spec = spec
        ctx.save_for_backward(x, w)
        if spec.rows and x.size:  # affine along the normalized axis: one fused pass, no xhat kept
            y2, mean, var, invstd = K.normalize_rows(x.reshape(spec.view[1:]), w, b, spec.eps)
            ctx.stats = (mean, invstd)
            mean, var = mean.astype(x.dtype), var.astype(x.dtype)
            ctx.mark_non_differentiable(mean, var)
            return y2.reshape(x.shape), mean, var
        xhat3, mean, var, invstd = K.normalize(x.reshape(spec.view), spec.eps)
        xhat = xhat3.reshape(x.shape)
        y = xhat
        if w is not None:
            y = y * w.reshape(spec.affine_shape)
        if b is not None:
            y = y + b.reshape(spec.affine_shape)
        if y is xhat:
            y = xhat.copy()
        ctx.stats = (xhat, invstd)
        ctx.mark_non_differentiable(mean, var)
        return y, mean, var

    @staticmethod
    def backward(ctx, g, _gm, _gv):
        x, w = ctx.saved_tensors
        need = ctx.needs_input_grad[:3]
        b_shape = ctx._in_meta[2][0] if need[2] else None
        grads = iter(NormalizeBackward.apply(g, x, w, ctx.stats, ctx.spec, need, b_shape))
        return tuple(next(grads) if n else None for n in need) + (None,)


class NormalizeBackward(Op):
    """(dx, dw, db) of ``Normalize`` (only those in ``need``, in that order) by the fused kernel (``stats``: the
    forward's (xhat, invstd), or (mean, invstd) of a ``rows`` spec, whose kernel recomputes xhat from x):
    dx = M(g w), M(v) = invstd (v - mean(v) - xhat mean(v xhat)) (self-adjoint), dw = sum g xhat, db = sum g.
    Given (hx, hw, hb), with gx = M(g w) and means over each statistics group:
    d/dg = M(hx) w + hw xhat + hb, d/dw = sum M(hx) g, and
    d/dx = -invstd (xhat mean(hx gx) + gx mean(hx xhat) + mean(g w xhat) M(hx)) + M(hw g)"""

    @staticmethod
    def forward(ctx, g, x, w, stats, spec, need, b_shape):
        ctx.spec, ctx.need = spec, need
        ctx.save_for_backward(g, x, w)
        out = []
        if spec.rows and x.size:
            gx, dw, db = K.normalize_rows_backward(g.reshape(spec.view[1:]), x.reshape(spec.view[1:]), w, *stats,
                                                   need_x=need[0])
            for n, v, shape in zip(need, (gx, dw, db), (x.shape, w.shape if w is not None else None, b_shape)):
                if n:
                    out.append(v.reshape(shape))
            return tuple(out)
        xhat, invstd = stats
        if need[0]:
            gh = g * w.reshape(spec.affine_shape) if w is not None else g
            out.append(K.normalize_backward(gh.reshape(spec.view), xhat.reshape(spec.view), invstd).reshape(x.shape))
        if need[1]:
            out.append((g * xhat).sum(axis=spec.affine_dims).reshape(w.shape))
        if need[2]:
            out.append(g.sum(axis=spec.affine_dims).reshape(b_shape))
        return tuple(out)

    @staticmethod
    def backward(ctx, *hs):
        g, x, w = ctx.saved_tensors
        spec = ctx.spec
        it = iter(hs)
        hx, hw, hb = (next(it) if n else None for n in ctx.need)
        view = spec.view

        def mean(v3):  # over each statistics group, in the (A, C, B) view
            return v3.mean(dim=(0, 2), keepdim=True)

        x3 = x.reshape(view)
        xc = x3 - mean(x3)
        invstd = (mean(xc * xc) + spec.eps).rsqrt()
        xhat = xc * invstd

        def adj(v3):  # M: the adjoint of x -> xhat, applied to v (it is self-adjoint)
            return invstd * (v3 - mean(v3) - xhat * mean(v3 * xhat))

        wb = w.reshape(spec.affine_shape) if w is not None else None
        dg = dx3 = dw = None
        if hx is not None:
            hx3 = hx.reshape(view)
            m_hx = adj(hx3)
            gh3 = (g * wb if wb is not None else g).reshape(view)
            gx3 = adj(gh3)
            dx3 = -invstd * (xhat * mean(hx3 * gx3) + gx3 * mean(hx3 * xhat) + mean(gh3 * xhat) * m_hx)
            m_hx = m_hx.reshape(x.shape)
            dg = m_hx * wb if wb is not None else m_hx
            if wb is not None and ctx.needs_input_grad[2]:
                dw = (m_hx * g).sum(dim=spec.affine_dims).reshape(w.shape)
        if hw is not None:
            hwb = hw.reshape(spec.affine_shape)
            dx3 = _add(dx3, adj((g * hwb).reshape(view)))
            dg = _add(dg, xhat.reshape(x.shape) * hwb)
        if hb is not None:
            dg = _add(dg, hb.reshape(spec.affine_shape).expand(x.shape))
        dx = dx3.reshape(x.shape) if dx3 is not None and ctx.needs_input_grad[1] else None
        return (dg if ctx.needs_input_grad[0] else None), dx, dw, None, None, None, None


def _add(a, b):
    return b if a is None else a + b


def batch_norm_spec(shape: tuple, eps: float) -> NormSpec:
    n, c = shape[:2]
    rest = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return NormSpec((n, c, rest), (1, c) + (1,) * (len(shape) - 2), (0,) + tuple(range(2, len(shape))), eps)


def layer_norm_spec(shape: tuple, normalized_shape: tuple, eps: float) -> NormSpec:
    k = int(np.prod(normalized_shape)) if normalized_shape else 1
    lead = len(shape) - len(normalized_shape)
    m = int(np.prod(shape[:lead])) if lead else 1
    return NormSpec((1, m, k), tuple(normalized_shape), tuple(range(lead)), eps, rows=True)


def group_norm_spec(shape: tuple, groups: int, eps: float) -> NormSpec:
    n, c = shape[:2]
    rest = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return NormSpec((1, n * groups, (c // groups) * rest), (1, c) + (1,) * (len(shape) - 2),
                    (0,) + tuple(range(2, len(shape))), eps)
