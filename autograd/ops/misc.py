"""Ops real PyTorch programs use beyond the contract: ``erf``, ``acos``, ``fmod``, ``logaddexp``, ``isclose``,
``trapezoid``, ``unfold`` (sliding windows) and ``svd``. Each forward stands beside its backward, written in Tensor
ops."""

from __future__ import annotations

import builtins
import operator

import numpy as np

from ..function import Op
from ..kernels import activation as K
from ..tensor import Tensor, _make
from .elementwise import _arr, _as_float, _binary_forward, exp, sigmoid, sqrt, trunc
from .shape import canonical_dim

__all__ = ["acos", "arccos", "erf", "fmod", "isclose", "logaddexp", "svd", "trapezoid", "trapz", "unfold"]


class Erf(Op):
    """erf(x); d/dx = 2/sqrt(pi) exp(-x^2)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return K.erf(_as_float(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (2.0 / np.sqrt(np.pi)) * exp(-(x * x))


class Acos(Op):
    """arccos(x); d/dx = -1/sqrt(1 - x^2)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arccos(_as_float(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g / sqrt(1 - x * x)


class Fmod(Op):
    """a - trunc(a / b) * b (sign of a, as C's fmod); d/da = 1, d/db = -trunc(a / b)"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b if ctx.needs_input_grad[1] else None)
        return _binary_forward("fmod", np.fmod, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g, (-g * trunc(a / b) if ctx.needs_input_grad[1] else None)


class LogAddExp(Op):
    """log(exp(a) + exp(b)) = max(a, b) + log1p(exp(-|a - b|)) (numpy's logaddexp: no overflow);
    d/da = sigmoid(a - b), d/db = sigmoid(b - a), the softmax weights of a and b"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _binary_forward("logaddexp", np.logaddexp, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        d = a - b
        return (g * sigmoid(d) if ctx.needs_input_grad[0] else None,
                g * sigmoid(-d) if ctx.needs_input_grad[1] else None)


def logaddexp(input, other) -> Tensor:  # noqa: A002
    return LogAddExp.apply(input, other)


def erf(input: Tensor) -> Tensor:  # noqa: A002
    return Erf.apply(input)


def acos(input: Tensor) -> Tensor:  # noqa: A002
    return Acos.apply(input)


arccos = acos


def fmod(input, other) -> Tensor:  # noqa: A002
    return Fmod.apply(input, other)


def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:  # noqa: A002
    """|input - other| <= atol + rtol * |other|, elementwise (a bool tensor; not differentiable)."""
    return _make(np.isclose(_arr(input), _arr(other), rtol=rtol, atol=atol, equal_nan=equal_nan))


def trapezoid(y: Tensor, x: Tensor | None = None, *, dx: float | None = None, dim: int = -1) -> Tensor:
    """The trapezoidal rule along ``dim``: sum of (y[i] + y[i+1]) / 2 * (x[i+1] - x[i]) (spacing ``dx``, default 1)."""
    d = canonical_dim(dim, y.ndim)
    n = y.shape[d]
    lo, hi = y.narrow(d, 0, builtins.max(n - 1, 0)), y.narrow(d, builtins.min(1, n), builtins.max(n - 1, 0))
    if x is not None:
        if dx is not None:
            raise TypeError("trapezoid: give x or dx, not both")
        xd = canonical_dim(dim, x.ndim) if x.ndim == y.ndim else x.ndim - 1
        spacing = x.narrow(xd, 1, n - 1) - x.narrow(xd, 0, n - 1)
        return ((lo + hi) * spacing).sum(d) / 2
    return (lo + hi).sum(d) * ((1.0 if dx is None else dx) / 2)


trapz = trapezoid


def unfold(x: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """Every window of ``size`` elements along ``dimension``, ``step`` apart: that dim becomes the window count and
    a last dim of ``size`` is appended (PyTorch's ``Tensor.unfold``)."""
    d = canonical_dim(dimension, builtins.max(x.ndim, 1))
    n = x.shape[d] if x.ndim else 1
    size, step = operator.index(size), operator.index(step)
    if size > n:
        raise RuntimeError(f"unfold: maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"unfold: step is {step} but must be > 0")
    idx = np.arange(0, n - size + 1, step)[:, None] + np.arange(size)
    moved = x.transpose(d, -1) if x.ndim else x.reshape(1)
    windows = moved[..., _make(idx)]  # (..., windows, size) with x's last dim where dimension was
    return windows.transpose(d, -2) if x.ndim > 1 else windows


class Svd(Op):
    """A = U diag(S) V^T (reduced); backward by the standard formula for the real SVD (distinct singular values)"""

    @staticmethod
    def forward(ctx, a, some):
        u, s, vh = np.linalg.svd(_as_float(a), full_matrices=not some)
        v = np.swapaxes(vh, -1, -2)
        ctx.save_for_backward(u, s, v)  # the outputs themselves: their graph carries the second derivative
        ctx.some = some
        return u, s, v

    @staticmethod
    def backward(ctx, gu, gs, gv):
        u, s, v = ctx.saved_tensors
        k = s.shape[-1]
        u, v = u[..., :k], v[..., :k]
        gu = gu[..., :k] if gu is not None else None
        gv = gv[..., :k] if gv is not None else None
        s2 = s * s
        diff = s2.unsqueeze(-2) - s2.unsqueeze(-1)  # s_j^2 - s_i^2 at [i, j]
        eye = np.eye(k, dtype=bool)
        f = (1.0 / diff.masked_fill(_make(eye), 1.0)).masked_fill(_make(eye), 0.0)
        ut, vt = u.transpose(-2, -1), v.transpose(-2, -1)
        eyef = _make(eye.astype(s.dtype))
        inner = gs.unsqueeze(-1) * eyef if gs is not None else (s.unsqueeze(-1) * eyef) * 0
        if gu is not None:
            j = ut @ gu
            inner = inner + f * (j - j.transpose(-2, -1)) * s.unsqueeze(-2)
        if gv is not None:
            kk = vt @ gv
            inner = inner + s.unsqueeze(-1) * (f * (kk - kk.transpose(-2, -1)))
        ga = u @ inner @ vt
        m, n = u.shape[-2], v.shape[-2]
        if gu is not None and m > k:
            ga = ga + (gu - u @ (ut @ gu)) / s.unsqueeze(-2) @ vt
        if gv is not None and n > k:
            ga = ga + (u / s.unsqueeze(-2)) @ (gv - v @ (vt @ gv)).transpose(-2, -1)
        return ga, None


def svd(input: Tensor, some: bool = True, compute_uv: bool = True):  # noqa: A002
    """``(U, S, V)`` with ``input = U @ diag(S) @ V.mT`` (PyTorch's ``torch.svd``; V, not V^H). Gradients need
    ``some=True`` and distinct singular values."""
    if input.ndim < 2:
        raise RuntimeError(f"svd: expected a tensor with 2 or more dimensions, got {input.ndim}")
    if not compute_uv:
        with_grad = Svd.apply(input, True)
        return _make(np.zeros((0,), input.dtype)), with_grad[1], _make(np.zeros((0,), input.dtype))
    if not some and input.requires_grad:
        raise RuntimeError("svd: gradients need some=True (the reduced factors)")
    return Svd.apply(input, bool(some))
