"""Normalization op: y = (x - mean) / sqrt(var + eps) * w + b, statistics over a chosen grouping of x.

One ``Normalize`` op serves batch, layer and group norm; ``NormSpec`` says how x is viewed as (A, C, B) for
the statistics (per C over A and B), and how ``w``/``b`` broadcast against x. Forward and the closed-form
backward run in the fused kernels of ``autograd.kernels.norm``; when a graph of the backward is being recorded
(``create_graph=True``) the backward is the same formula in Tensor ops, recomputing the statistics from x, so
higher derivatives are exact.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..function import Op
from ..grad_mode import _mode
from ..kernels import norm as K
from ..tensor import _make

__all__: list[str] = []


class NormSpec(NamedTuple):
    view: tuple  # (A, C, B): statistics per C over A and B
    affine_shape: tuple  # shape w and b broadcast to against x
    affine_dims: tuple  # axes of x summed for the gradients of w and b
    eps: float


class Normalize(Op):
    """y = xhat * w + b with xhat = (x - mean) invstd;
    dx = invstd (gxhat - mean(gxhat) - xhat mean(gxhat xhat)), gxhat = g w; dw = sum g xhat; db = sum g"""

    @staticmethod
    def forward(ctx, x, w, b, spec):
        xhat3, mean, var, invstd = K.normalize(x.reshape(spec.view), spec.eps)
        xhat = xhat3.reshape(x.shape)
        y = xhat
        if w is not None:
            y = y * w.reshape(spec.affine_shape)
        if b is not None:
            y = y + b.reshape(spec.affine_shape)
        if y is xhat:
            y = xhat.copy()
        ctx.spec, ctx.xhat, ctx.invstd = spec, xhat, invstd
        ctx.save_for_backward(x, w)
        ctx.mark_non_differentiable(mean, var)
        return y, mean, var

    @staticmethod
    def backward(ctx, g, _gm, _gv):
        x, w = ctx.saved_tensors
        spec = ctx.spec
        if _mode.enabled:
            return _backward_graph(ctx, g, x, w, spec)
        gd = g._data
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gh = gd * w._data.reshape(spec.affine_shape) if w is not None else gd
            gx = K.normalize_backward(gh.reshape(spec.view), ctx.xhat.reshape(spec.view), ctx.invstd)
            gx = _make(gx.reshape(x.shape))
        if ctx.needs_input_grad[1]:
            gw = _make((gd * ctx.xhat).sum(axis=spec.affine_dims).reshape(w.shape))
        if ctx.needs_input_grad[2]:
            gb = _make(gd.sum(axis=spec.affine_dims).reshape(ctx._in_meta[2][0]))
        return gx, gw, gb, None


def _backward_graph(ctx, g, x, w, spec: NormSpec):
    """The same gradients in Tensor ops (differentiable in x, w and g)."""
    dims = (0, 2)
    x3 = x.reshape(spec.view)
    xc = x3 - x3.mean(dim=dims, keepdim=True)
    invstd = ((xc * xc).mean(dim=dims, keepdim=True) + spec.eps).rsqrt()
    xhat = xc * invstd
    gx = gw = gb = None
    if ctx.needs_input_grad[0]:
        gh = (g * w.reshape(spec.affine_shape) if w is not None else g).reshape(spec.view)
        gx = invstd * (gh - gh.mean(dim=dims, keepdim=True) - xhat * (gh * xhat).mean(dim=dims, keepdim=True))
        gx = gx.reshape(x.shape)
    if ctx.needs_input_grad[1]:
        gw = (g * xhat.reshape(x.shape)).sum(dim=spec.affine_dims).reshape(w.shape)
    if ctx.needs_input_grad[2]:
        gb = g.sum(dim=spec.affine_dims).reshape(ctx._in_meta[2][0])
    return gx, gw, gb, None


def batch_norm_spec(shape: tuple, eps: float) -> NormSpec:
    n, c = shape[:2]
    rest = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return NormSpec((n, c, rest), (1, c) + (1,) * (len(shape) - 2), (0,) + tuple(range(2, len(shape))), eps)


def layer_norm_spec(shape: tuple, normalized_shape: tuple, eps: float) -> NormSpec:
    k = int(np.prod(normalized_shape)) if normalized_shape else 1
    lead = len(shape) - len(normalized_shape)
    m = int(np.prod(shape[:lead])) if lead else 1
    return NormSpec((1, m, k), tuple(normalized_shape), tuple(range(lead)), eps)


def group_norm_spec(shape: tuple, groups: int, eps: float) -> NormSpec:
    n, c = shape[:2]
    rest = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return NormSpec((1, n * groups, (c // groups) * rest), (1, c) + (1,) * (len(shape) - 2),
                    (0,) + tuple(range(2, len(shape))), eps)
