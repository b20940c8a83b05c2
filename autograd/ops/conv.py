"""Convolution ops (1-D and 2-D, groups, stride, dilation, asymmetric zero padding) and their adjoints.

Three bilinear ops close under differentiation, so gradients of any order exist:

- ``Conv``: y = conv(x, w) + b
- ``ConvBackwardInput``: the adjoint of conv in x (= transposed convolution): gx = conv^T(g, w) (+ b)
- ``ConvBackwardWeight``: the adjoint of conv in w: gw = corr(x, g)

With <conv(x, w), g> = <x, conv^T(g, w)> = <w, corr(x, g)>, each op's backward is written with the other two.
The geometry (``ConvGeom``) is fixed when the op is built, so all three agree on shapes. The arrays work goes
to ``autograd.kernels.conv`` (im2row/im2col + one BLAS GEMM, Numba row2im/col2im); 1-D inputs run as 2-D with H = 1.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..function import Op
from ..kernels import conv as K
from ..tensor import Tensor
from ._spatial import from_2d as _from_2d
from ._spatial import to_2d as _to_2d

__all__: list[str] = []


class ConvGeom(NamedTuple):
    """Geometry of a convolution with ``nd`` spatial dims; ``padding`` is one (low, high) pair per dim."""

    nd: int
    stride: tuple
    padding: tuple
    dilation: tuple
    groups: int
    in_sp: tuple  # spatial size of the convolution's input (the transposed convolution's output)
    k_sp: tuple
    out_sp: tuple  # spatial size of the convolution's output

    def as_2d(self):
        if self.nd == 2:
            return self.stride, self.padding, self.dilation, self.out_sp
        return (1,) + self.stride, ((0, 0),) + self.padding, (1,) + self.dilation, (1,) + self.out_sp


def _bias_grad(g: Tensor, nd: int) -> Tensor:
    """d/db of a convolution's output: g summed over batch and space."""
    return g.sum(dim=(0,) + tuple(range(2, 2 + nd)))


def _conv(x, w, b, geom: ConvGeom) -> np.ndarray:
    stride, padding, dilation, out_hw = geom.as_2d()
    y = K.conv2d_forward(_to_2d(x, geom.nd), _to_2d(w, geom.nd), b, stride, padding, dilation, out_hw, geom.groups)
    return _from_2d(y, geom.nd)


def _conv_t(g, w, b, geom: ConvGeom) -> np.ndarray:
    stride, padding, dilation, _ = geom.as_2d()
    x_shape = (g.shape[0], w.shape[1] * geom.groups) + ((1,) if geom.nd == 1 else ()) + geom.in_sp
    gx = K.conv2d_backward_input(_to_2d(g, geom.nd), _to_2d(w, geom.nd), x_shape, stride, padding, dilation,
                                 geom.groups)
    gx = np.ascontiguousarray(_from_2d(gx, geom.nd))
    if b is not None:
        gx += b.reshape((1, -1) + (1,) * geom.nd)
    return gx


def _corr(x, g, geom: ConvGeom) -> np.ndarray:
    stride, padding, dilation, _ = geom.as_2d()
    w_shape = (g.shape[1], x.shape[1] // geom.groups) + ((1,) if geom.nd == 1 else ()) + geom.k_sp
    gw = K.conv2d_backward_weight(_to_2d(x, geom.nd), _to_2d(g, geom.nd), w_shape, stride, padding, dilation,
                                  geom.groups)
    return _from_2d(gw, geom.nd)


class Conv(Op):
    """y = conv(x, w) + b; dx = conv^T(g, w), dw = corr(x, g), db = sum of g over batch and space

    The forward's im2row(x) is not kept for the weight grad: the row kernels build it a batch block at a time,
    and holding the whole matrix from forward to backward costs more in heap trimming and page faults than
    rebuilding it.
    """

    @staticmethod
    def forward(ctx, x, w, b, geom):
        ctx.geom = geom
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, w if ctx.needs_input_grad[0] else None)
        return _conv(x, w, b, geom)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        geom = ctx.geom
        gx = ConvBackwardInput.apply(g, w, None, geom) if ctx.needs_input_grad[0] else None
        gw = ConvBackwardWeight.apply(x, g, geom) if ctx.needs_input_grad[1] else None
        gb = _bias_grad(g, geom.nd) if ctx.needs_input_grad[2] else None
        return gx, gw, gb, None


class ConvBackwardInput(Op):
    """y = conv^T(g, w) + b (transposed convolution); dg = conv(h, w), dw = corr(h, g), db = sum of h"""

    @staticmethod
    def forward(ctx, g, w, b, geom):
        ctx.geom = geom
        ctx.save_for_backward(g if ctx.needs_input_grad[1] else None, w if ctx.needs_input_grad[0] else None)
        return _conv_t(g, w, b, geom)

    @staticmethod
    def backward(ctx, h):
        g, w = ctx.saved_tensors
        geom = ctx.geom
        dg = Conv.apply(h, w, None, geom) if ctx.needs_input_grad[0] else None
        dw = ConvBackwardWeight.apply(h, g, geom) if ctx.needs_input_grad[1] else None
        db = _bias_grad(h, geom.nd) if ctx.needs_input_grad[2] else None
        return dg, dw, db, None


class ConvBackwardWeight(Op):
    """gw = corr(x, g); dx = conv^T(g, k), dg = conv(x, k)"""

    @staticmethod
    def forward(ctx, x, g, geom):
        ctx.geom = geom
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, g if ctx.needs_input_grad[0] else None)
        return _corr(x, g, geom)

    @staticmethod
    def backward(ctx, k):
        x, g = ctx.saved_tensors
        geom = ctx.geom
        dx = ConvBackwardInput.apply(g, k, None, geom) if ctx.needs_input_grad[0] else None
        dg = Conv.apply(x, k, None, geom) if ctx.needs_input_grad[1] else None
        return dx, dg, None
