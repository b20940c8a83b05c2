"""Activation ops that need more than a composition of elementwise ops: exact ``gelu`` (it needs ``erf``),
``softplus`` (no overflow at any |x|, PyTorch's ``threshold``), the ELU family (``expm1`` of the non-positive
part only, so no inf * 0 in backward) and ``silu`` (a backward that stays finite for large |x|).

``nn.functional`` checks the arguments and handles ``inplace``; these are the differentiable ops. Gelu and Elu
have a fused backward; it is an op of its own (``GeluBackward``, ``EluBackward``), so every order of derivative
runs through the same code.
"""

from __future__ import annotations

import math

import numpy as np

from ..function import Op
from ..kernels import activation as K
from ..kernels import elementwise as KE
from ..tensor import Tensor
from .elementwise import _as_float, clamp, exp, sigmoid, where

__all__ = ["elu", "gelu", "silu", "softplus"]

_INV_SQRT2 = 1 / math.sqrt(2.0)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


class Gelu(Op):
    """gelu(x) = x Phi(x); d/dx = Phi(x) + x phi(x)"""

    @staticmethod
    def forward(ctx, x):
        x = _as_float(x)
        ctx.save_for_backward(x)
        return K.gelu(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return GeluBackward.apply(g, x)


class GeluBackward(Op):
    """gelu'(x) g = (Phi(x) + x phi(x)) g; d/dg = gelu'(x), d/dx = g phi(x) (2 - x^2)"""

    @staticmethod
    def forward(ctx, g, x):
        ctx.save_for_backward(g if ctx.needs_input_grad[1] else None, x)
        return K.gelu_backward(g, x)

    @staticmethod
    def backward(ctx, h):
        g, x = ctx.saved_tensors
        dg = GeluBackward.apply(h, x) if ctx.needs_input_grad[0] else None
        dx = h * g * exp(x * x * -0.5) * _INV_SQRT_2PI * (2 - x * x) if ctx.needs_input_grad[1] else None
        return dg, dx


class Softplus(Op):
    """softplus(x) = log(1 + exp(beta x)) / beta (x where beta x > threshold); d/dx = sigmoid(beta x) (or 1)"""

    @staticmethod
    def forward(ctx, x, beta, threshold):
        x = _as_float(x)
        ctx.save_for_backward(x)
        ctx.beta, ctx.threshold = beta, threshold
        return K.softplus(x, beta, threshold)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        bx = x * ctx.beta
        return where(bx > ctx.threshold, g, g * sigmoid(bx)), None, None


def _elu_slope(x: np.ndarray, alpha: float, scale: float, input_scale: float) -> np.ndarray:
    """d elu/dx: scale (x > 0), scale alpha input_scale exp(input_scale x) (x <= 0)."""
    neg = (scale * alpha * input_scale) * np.exp(np.minimum(x, 0) * input_scale)
    return np.where(x > 0, scale, neg).astype(x.dtype, copy=False)


class Elu(Op):
    """elu(x) = scale x (x > 0), scale alpha (exp(input_scale x) - 1) (x <= 0);
    d/dx = scale (x > 0), scale alpha input_scale exp(input_scale x) (x <= 0)"""

    @staticmethod
    def forward(ctx, x, alpha, scale, input_scale):
        x = _as_float(x)
        ctx.save_for_backward(x)
        ctx.alpha, ctx.scale, ctx.input_scale = alpha, scale, input_scale
        neg = alpha * np.expm1(np.minimum(x, 0) * input_scale)
        return (scale * np.where(x > 0, x, neg)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return EluBackward.apply(g, x, ctx.alpha, ctx.scale, ctx.input_scale), None, None, None


class EluBackward(Op):
    """elu'(x) g; d/dg = elu'(x), d/dx = g elu''(x) = g scale alpha input_scale^2 exp(input_scale x) (x <= 0, else 0)"""

    @staticmethod
    def forward(ctx, g, x, alpha, scale, input_scale):
        ctx.save_for_backward(g if ctx.needs_input_grad[1] else None, x)
        ctx.alpha, ctx.scale, ctx.input_scale = alpha, scale, input_scale
        return g * _elu_slope(x, alpha, scale, input_scale)

    @staticmethod
    def backward(ctx, h):
        g, x = ctx.saved_tensors
        a, s, i = ctx.alpha, ctx.scale, ctx.input_scale
        dg = EluBackward.apply(h, x, a, s, i) if ctx.needs_input_grad[0] else None
        dx = None
        if ctx.needs_input_grad[1]:
            dx = h * g * where(x > 0, 0.0, (s * a * i * i) * exp(clamp(x, max=0) * i))
        return dg, dx, None, None, None


class Silu(Op):
    """silu(x) = x sigmoid(x); d/dx = s (1 + x (1 - s)), s = sigmoid(x): the product rule's x * s(1 - s) term
    overflows to inf * 0 for large |x| with a large upstream gradient, this form does not (PyTorch's)"""

    @staticmethod
    def forward(ctx, x):
        x = _as_float(x)
        ctx.save_for_backward(x)
        return x * KE.sigmoid(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        s = sigmoid(x)
        return g * (s * (1 + x * (1 - s)))


def gelu(x: Tensor) -> Tensor:
    """x Phi(x), Phi the standard normal CDF (exact, via erf)"""
    return Gelu.apply(x)


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, x where beta x > threshold"""
    return Softplus.apply(x, beta, threshold)


def elu(x: Tensor, alpha: float = 1.0, scale: float = 1.0, input_scale: float = 1.0) -> Tensor:
    """scale x where x > 0, else scale alpha (exp(input_scale x) - 1): ELU, SELU and CELU in one"""
    return Elu.apply(x, alpha, scale, input_scale)


def silu(x: Tensor) -> Tensor:
    """x sigmoid(x)"""
    return Silu.apply(x)

