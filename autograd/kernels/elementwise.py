"""Elementwise kernels for activations and their backward passes: Numba loops and numpy references.

The public functions (``sigmoid``, ``sigmoid_backward``, ``tanh_backward``, ``relu_backward``) use the Numba
kernel when every array is float32/float64 of one dtype and shape, C-contiguous and non-empty (the backward
kernels only from ``MIN_NUMBA_SIZE`` elements: below that the cost of a Numba call outweighs the loop), numpy
otherwise. The kernels are compiled with error_model="numpy" (no ZeroDivisionError branch, which would stop
vectorization) and use ``_fastexp.fexp``, an exp that vectorizes.

Why these and not others:
- sigmoid in numpy needs exp, abs, two divisions and a where, each a pass over memory; the Numba loop is one pass.
- the backward kernels replace several numpy passes (relu_backward: numpy's where + astype) by one loop.
- exp, log and tanh themselves stay numpy: numpy's are SIMD, Numba's np.exp/np.log/np.tanh are scalar libm calls
  without SVML. ``fexp`` is only as fast as numpy's exp alone; it pays when fused with other work.
The kernels are ``autograd.threads.kernel`` loops of the "elementwise" family: one thread below its threshold,
their range cut over the library's threads above it (the same bits on any thread count). The measurements are
in benchmarks/RESULTS.md ("Design measurements").
"""

from __future__ import annotations

import numpy as np

from .. import threads
from ._fastexp import as_type_of, fexp

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
MIN_NUMBA_SIZE = 4096  # backward kernels: numpy wins below this (call overhead)


def _fits(*arrays) -> bool:
    """True when the Numba kernels apply: same float dtype and shape, C-contiguous, non-empty."""
    a = arrays[0]
    if a.dtype not in _FLOATS or a.size == 0:
        return False
    return all(b.dtype == a.dtype and b.shape == a.shape and b.flags.c_contiguous for b in arrays)


# ---- Numba kernels on flat arrays ----
@threads.kernel("elementwise", flat=True, error_model="numpy")
def _sigmoid_kernel(x, out):  # pragma: no cover - compiled
    one = as_type_of(x, 1.0)
    for i in range(x.size):
        e = fexp(-abs(x[i]))
        r = one / (one + e)
        out[i] = r if x[i] >= 0 else e * r


@threads.kernel("elementwise", flat=True, error_model="numpy")
def _sigmoid_backward_kernel(g, y, out):  # pragma: no cover - compiled
    one = as_type_of(g, 1.0)
    for i in range(g.size):
        out[i] = g[i] * y[i] * (one - y[i])


@threads.kernel("elementwise", flat=True, error_model="numpy")
def _tanh_backward_kernel(g, y, out):  # pragma: no cover - compiled
    one = as_type_of(g, 1.0)
    for i in range(g.size):
        out[i] = g[i] * (one - y[i] * y[i])


@threads.kernel("elementwise", flat=True, error_model="numpy")
def _relu_backward_kernel(g, y, out):  # pragma: no cover - compiled
    zero = as_type_of(g, 0.0)
    for i in range(g.size):
        out[i] = g[i] if y[i] > zero else zero


def _run(kernel, *arrays) -> np.ndarray:
    out = np.empty_like(arrays[0])
    kernel(*[a.reshape(-1) for a in arrays], out.reshape(-1), work=out.size)
    return out


# ---- numpy references ----
def sigmoid_numpy(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def sigmoid_backward_numpy(g: np.ndarray, y: np.ndarray) -> np.ndarray:
    return g * y * (1 - y)


def tanh_backward_numpy(g: np.ndarray, y: np.ndarray) -> np.ndarray:
    return g * (1 - y * y)


def relu_backward_numpy(g: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.where(y > 0, g, 0).astype(g.dtype, copy=False)


# ---- public kernels ----
def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)), computed without overflow for large |x|."""
    if _fits(x):
        return _run(_sigmoid_kernel, x)
    return np.asarray(sigmoid_numpy(x))


def sigmoid_backward(g: np.ndarray, y: np.ndarray) -> np.ndarray:
    """g * y * (1 - y)"""
    if g.size >= MIN_NUMBA_SIZE and _fits(g, y):
        return _run(_sigmoid_backward_kernel, g, y)
    return np.asarray(sigmoid_backward_numpy(g, y))  # 0-d: an ndarray, never a numpy scalar


def tanh_backward(g: np.ndarray, y: np.ndarray) -> np.ndarray:
    """g * (1 - y^2)"""
    if g.size >= MIN_NUMBA_SIZE and _fits(g, y):
        return _run(_tanh_backward_kernel, g, y)
    return np.asarray(tanh_backward_numpy(g, y))  # 0-d: an ndarray, never a numpy scalar


def relu_backward(g: np.ndarray, y: np.ndarray) -> np.ndarray:
    """g where y > 0, else 0"""
    if g.size >= MIN_NUMBA_SIZE and _fits(g, y):
        return _run(_relu_backward_kernel, g, y)
    return np.asarray(relu_backward_numpy(g, y))  # 0-d: an ndarray, never a numpy scalar
