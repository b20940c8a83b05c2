"""Activation kernels numpy lacks: the error function (for exact GELU), Numba-compiled.

Pure array functions: they know nothing of Tensors or autodiff. ``erf``'s loop is an ``autograd.threads.kernel`` of
the "elementwise" family (its range cut over the library's threads above the family's threshold; the same bits on
any thread count).
"""

from __future__ import annotations

import math

import numpy as np

from .. import threads


@threads.kernel("elementwise", flat=True)
def _erf_flat(x, out):  # pragma: no cover - compiled
    for i in range(x.size):
        out[i] = math.erf(x[i])


def erf(x: np.ndarray) -> np.ndarray:
    """The error function elementwise, in ``x``'s dtype (float32/float64 via Numba, others via ``math.erf``)."""
    x = np.asarray(x)
    if x.dtype in (np.float32, np.float64):
        flat = np.ascontiguousarray(x).reshape(-1)
        out = np.empty_like(flat)
        _erf_flat(flat, out, work=out.size)
        return out.reshape(x.shape)
    return np.vectorize(math.erf, otypes=[np.float64])(x).astype(x.dtype if x.dtype.kind == "f" else np.float32)


def gelu(x: np.ndarray) -> np.ndarray:
    """x * Phi(x) = x/2 (1 + erf(x / sqrt 2))"""
    half = x.dtype.type(0.5)
    return half * x * (1 + erf(x * x.dtype.type(1 / math.sqrt(2.0))))


def gelu_backward(g: np.ndarray, x: np.ndarray) -> np.ndarray:
    """g * (Phi(x) + x phi(x))"""
    t = x.dtype.type
    cdf = t(0.5) * (1 + erf(x * t(1 / math.sqrt(2.0))))
    pdf = np.exp(t(-0.5) * x * x) * t(1 / math.sqrt(2 * math.pi))
    return g * (cdf + x * pdf)


def softplus(x: np.ndarray, beta: float, threshold: float) -> np.ndarray:
    """log(1 + exp(beta x)) / beta, linear above ``threshold``; no overflow at any |x|."""
    bx = x * beta
    with np.errstate(over="ignore"):
        soft = (np.maximum(bx, 0) + np.log1p(np.exp(-np.abs(bx)))) / beta
    return np.where(bx > threshold, x, soft).astype(x.dtype, copy=False)
