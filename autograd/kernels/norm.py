"""Normalization kernels on a (A, C, B) view: statistics per C over the A and B axes.

Batch norm views (N, C, *) as (N, C, L); layer norm views (..., *shape) as (1, M, K); group norm views
(N, C, *) as (1, N * groups, C / groups * L). ``normalize`` returns the normalized array, the per-C mean and
biased variance, and 1 / sqrt(var + eps); ``normalize_backward`` is the closed-form input gradient
    gx = invstd * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat))
with gxhat the gradient with respect to the normalized array (the affine scale already applied).

The Numba loops (float64 accumulators, ``fastmath`` reassociation only, so sums vectorize while NaN/inf
still propagate) are used for float32/float64: one pass each for the statistics and the output, where numpy
makes several; without that reassociation the sums do not vectorize and the forward loses to numpy. The numpy
functions are the reference (measurements: benchmarks/RESULTS.md, "Design measurements"). The loops are
``autograd.threads.kernel`` loops of the "norm" family: serial below its threshold, a ``prange`` over C above it
(each C's statistics summed by one iteration in the serial order: the same bits on any thread count).
These loops run parallel only with ``autograd.threads.PARALLEL_LOOPS`` on (off by default: see there).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from .. import threads


@threads.kernel("norm", fastmath={"reassoc", "contract"})
def _forward_numba(x, eps, xhat, mean, var, invstd):
    a_n, c_n, b_n = x.shape
    n = a_n * b_n
    for c in prange(c_n):
        s = 0.0
        for a in range(a_n):
            for b in range(b_n):
                s += x[a, c, b]
        m = s / n
        v = 0.0
        for a in range(a_n):
            for b in range(b_n):
                d = x[a, c, b] - m
                v += d * d
        v /= n
        r = 1.0 / np.sqrt(v + eps)
        for a in range(a_n):
            for b in range(b_n):
                xhat[a, c, b] = (x[a, c, b] - m) * r
        mean[c] = m
        var[c] = v
        invstd[c] = r


@threads.kernel("norm", fastmath={"reassoc", "contract"})
def _backward_numba(gh, xhat, invstd, gx):
    a_n, c_n, b_n = gh.shape
    n = a_n * b_n
    for c in prange(c_n):
        s1 = 0.0
        s2 = 0.0
        for a in range(a_n):
            for b in range(b_n):
                s1 += gh[a, c, b]
                s2 += gh[a, c, b] * xhat[a, c, b]
        s1 /= n
        s2 /= n
        r = invstd[c]
        for a in range(a_n):
            for b in range(b_n):
                gx[a, c, b] = r * (gh[a, c, b] - s1 - xhat[a, c, b] * s2)


def _numba_ok(*arrays) -> bool:
    dt = arrays[0].dtype
    return dt in (np.float32, np.float64) and all(a.dtype == dt for a in arrays)


def normalize_numpy(x3: np.ndarray, eps: float):
    mean = x3.mean(axis=(0, 2))
    xc = x3 - mean[:, None]
    var = (xc * xc).mean(axis=(0, 2))
    invstd = (1.0 / np.sqrt(var + eps)).astype(x3.dtype)
    return xc * invstd[:, None], mean, var, invstd


def normalize(x3: np.ndarray, eps: float):
    """(xhat, mean, biased var, invstd) of a (A, C, B) array, statistics per C."""
    if not _numba_ok(x3):
        return normalize_numpy(x3, eps)
    x3 = np.ascontiguousarray(x3)
    c = x3.shape[1]
    xhat = np.empty_like(x3)
    mean, var, invstd = (np.empty(c, dtype=x3.dtype) for _ in range(3))
    _forward_numba(x3, eps, xhat, mean, var, invstd, work=x3.size)
    return xhat, mean, var, invstd


def normalize_backward_numpy(gh: np.ndarray, xhat: np.ndarray, invstd: np.ndarray) -> np.ndarray:
    m1 = gh.mean(axis=(0, 2), keepdims=True)
    m2 = (gh * xhat).mean(axis=(0, 2), keepdims=True)
    return invstd[:, None] * (gh - m1 - xhat * m2)


def normalize_backward(gh: np.ndarray, xhat: np.ndarray, invstd: np.ndarray) -> np.ndarray:
    """d loss / d x for xhat = (x - mean) invstd, given gh = d loss / d xhat (all (A, C, B))."""
    if not _numba_ok(gh, xhat, invstd):
        return normalize_backward_numpy(gh, xhat, invstd)
    gx = np.empty_like(xhat)
    _backward_numba(np.ascontiguousarray(gh), np.ascontiguousarray(xhat), invstd, gx, work=gx.size)
    return gx
