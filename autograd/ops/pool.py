"""Pooling ops (1-D and 2-D): max pooling with indices, average pooling, adaptive average pooling.

Each op's backward is linear in the incoming gradient and is itself an op whose backward is the forward's
linear map again, so gradients of any order exist:

- ``MaxPool`` -> ``MaxPoolBackward`` (scatter g to the argmax) <-> ``GatherPlanes`` (read at the argmax)
- ``AvgPool`` <-> ``AvgPoolBackward`` (adjoints)
- ``AdaptiveAvgPool``: y = P_h x P_w^T, whose adjoint is the same op with the transposed matrices.

Kernels: ``autograd.kernels.pool`` (Numba loops, numpy reference). 1-D inputs run as 2-D with H = 1.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..function import Op
from ..kernels import pool as K
from ..tensor import Tensor
from ._spatial import from_2d as _from_2d
from ._spatial import to_2d as _to_2d

__all__: list[str] = []


class PoolGeom(NamedTuple):
    """2-D window geometry (a 1-D pool has kernel 1, stride 1, padding 0 along H) and the input's rank."""

    nd: int
    kernel: tuple
    stride: tuple
    padding: tuple
    dilation: tuple
    out_hw: tuple


class MaxPool(Op):
    """y = max over each window; dy/dx = 1 at the window's argmax (the returned index), 0 elsewhere"""

    @staticmethod
    def forward(ctx, x, geom, return_indices=False):
        out, idx = K.max_pool2d_forward(_to_2d(x, geom.nd), geom.kernel, geom.stride, geom.padding,
                                        geom.dilation, geom.out_hw)
        ctx.idx, ctx.x_shape, ctx.nd = idx, x.shape, geom.nd
        if not return_indices:  # the kernels' indices may be int32; the user's are int64, as in PyTorch
            return _from_2d(out, geom.nd)
        return _from_2d(out, geom.nd), _from_2d(idx.astype(np.int64, copy=False), geom.nd)

    @staticmethod
    def backward(ctx, g, _g_idx=None):
        return MaxPoolBackward.apply(g, ctx.idx, ctx.x_shape, ctx.nd), None, None


class MaxPoolBackward(Op):
    """gx = scatter-add of g at the argmax indices; linear in g, adjoint of ``GatherPlanes``"""

    @staticmethod
    def forward(ctx, g, idx, x_shape, nd):
        ctx.idx, ctx.nd = idx, nd
        shape2d = x_shape if nd == 2 else x_shape[:2] + (1,) + x_shape[2:]
        return _from_2d(K.max_pool2d_backward(_to_2d(g, nd), idx, shape2d), nd)

    @staticmethod
    def backward(ctx, h):
        return GatherPlanes.apply(h, ctx.idx, ctx.nd), None, None, None


class GatherPlanes(Op):
    """y[n, c, p] = h[n, c, idx[n, c, p]] (per-plane flat indices); adjoint of ``MaxPoolBackward``"""

    @staticmethod
    def forward(ctx, h, idx, nd):
        ctx.idx, ctx.nd, ctx.h_shape = idx, nd, h.shape
        return _from_2d(K.gather_planes(_to_2d(h, nd), idx), nd)

    @staticmethod
    def backward(ctx, g):
        return MaxPoolBackward.apply(g, ctx.idx, ctx.h_shape, ctx.nd), None, None


class AvgPool(Op):
    """y = sum over each window / divisor; dy/dx = 1 / divisor of every window containing x"""

    @staticmethod
    def forward(ctx, x, geom, div):
        ctx.geom, ctx.div, ctx.x_shape = geom, div, x.shape
        return _from_2d(K.avg_pool2d_forward(_to_2d(x, geom.nd), geom.kernel, geom.stride, geom.padding,
                                             geom.out_hw, div), geom.nd)

    @staticmethod
    def backward(ctx, g):
        return AvgPoolBackward.apply(g, ctx.geom, ctx.div, ctx.x_shape), None, None


class AvgPoolBackward(Op):
    """gx = the adjoint of average pooling applied to g; its own adjoint is ``AvgPool``"""

    @staticmethod
    def forward(ctx, g, geom, div, x_shape):
        ctx.geom, ctx.div = geom, div
        shape2d = x_shape if geom.nd == 2 else x_shape[:2] + (1,) + x_shape[2:]
        gx = K.avg_pool2d_backward(_to_2d(g, geom.nd), shape2d, geom.kernel, geom.stride, geom.padding, div)
        return _from_2d(gx, geom.nd)

    @staticmethod
    def backward(ctx, h):
        return AvgPool.apply(h, ctx.geom, ctx.div), None, None, None


class AdaptiveAvgPool(Op):
    """y[n, c] = P_h x[n, c] P_w^T; dx = P_h^T g P_w (the same op with transposed matrices)"""

    @staticmethod
    def forward(ctx, x, ph, pw):
        ctx.ph, ctx.pw = ph, pw
        if ph is None:  # 1-D: only P_w
            return np.ascontiguousarray(x @ pw.T)
        return np.ascontiguousarray(np.matmul(np.matmul(ph, x), pw.T))

    @staticmethod
    def backward(ctx, g):
        return AdaptiveAvgPool.apply(g, None if ctx.ph is None else ctx.ph.T, ctx.pw.T), None, None


def avg_pool(x: Tensor, geom: PoolGeom, count_include_pad: bool, divisor_override: int | None) -> Tensor:
    """Average pooling of (N, C, [H,] W) over ``geom``'s windows: each window's sum / its divisor (the window
    size, without the padded part unless ``count_include_pad``, or ``divisor_override``), as PyTorch."""
    in_hw = (1,) + tuple(x.shape[2:]) if geom.nd == 1 else tuple(x.shape[2:])
    div = K.avg_divisor(in_hw, geom.kernel, geom.stride, geom.padding, geom.out_hw, count_include_pad,
                        divisor_override, x.dtype)
    return AvgPool.apply(x, geom, div)


def adaptive_avg_pool(x: Tensor, output_size: tuple[int, ...]) -> Tensor:
    """Average pooling of the last ``len(output_size)`` (1 or 2) dims of ``x`` to ``output_size`` windows that
    tile each dim as evenly as possible."""
    in_sp = x.shape[x.ndim - len(output_size):]
    mats = [K.adaptive_matrix(i, o, x.dtype) for i, o in zip(in_sp, output_size)]
    if len(mats) == 1:
        return AdaptiveAvgPool.apply(x, None, mats[0])
    return AdaptiveAvgPool.apply(x, mats[0], mats[1])
