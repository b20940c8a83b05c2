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
``autograd.threads.kernel`` loops of the "norm" family: one thread below its threshold, the range of C cut over
the library's threads above it (each C's statistics summed by one iteration in the serial order: the same bits
on any thread count).

Layer norm (and any grouping whose affine runs along the normalized axis: a (1, M, K) view with ``w``, ``b`` of
K) has row kernels of its own that apply the affine in the same pass: ``normalize_rows`` writes
y = xhat w + b and keeps mean and invstd in float64 (no xhat array: the backward recomputes xhat from x, rounded
as the forward rounded it; the rest of the elementwise work in x's precision, twice the SIMD lanes of float64 for
float32), and ``normalize_rows_backward`` gives dx, dw = sum g xhat and db = sum g in one pass over g and x. The
column sums are taken per block of ``ROW_BLOCK`` rows (one loop iteration each) and the blocks' partial
sums are added in block order afterwards, so the bits do not depend on the thread count.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .. import threads
from ._fastexp import as_type_of


@threads.kernel("norm", fastmath={"reassoc", "contract"})
def _forward_numba(lo, hi, x, eps, xhat, mean, var, invstd):
    a_n, c_n, b_n = x.shape
    n = a_n * b_n
    for c in range(lo, hi):  # of [0, c_n)
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
def _backward_numba(lo, hi, gh, xhat, invstd, gx):
    a_n, c_n, b_n = gh.shape
    n = a_n * b_n
    for c in range(lo, hi):  # of [0, c_n)
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


ROW_BLOCK = 32  # rows per partial sum of dw, db in the layer-norm backward (fixed: the same bits on any threads)


@njit(cache=True, error_model="numpy")
def _xhat_row(x, i, m, r, out):  # pragma: no cover - compiled
    """out = (x[i] - m) r in float64, rounded once to x's type; no fastmath, so the forward and the backward
    round every xhat alike (in the backward g w - mean(g w) - xhat mean(g w xhat) nearly cancels, and only does
    so accurately with the xhat the forward used)."""
    for j in range(x.shape[1]):
        out[j] = (x[i, j] - m) * r


@threads.kernel("norm", fastmath={"reassoc", "contract"})
def _rows_forward_numba(lo, hi, x, w, b, eps, y, mean, var, invstd):
    m_n, k_n = x.shape
    for i in range(lo, hi):  # of [0, m_n)
        s = 0.0
        for j in range(k_n):
            s += x[i, j]
        m = s / k_n
        v = 0.0
        for j in range(k_n):
            d = x[i, j] - m
            v += d * d
        v /= k_n
        r = 1.0 / np.sqrt(v + eps)
        _xhat_row(x, i, m, r, y[i])
        for j in range(k_n):
            y[i, j] = y[i, j] * w[j] + b[j]
        mean[i] = m
        var[i] = v
        invstd[i] = r


@threads.kernel("norm", fastmath={"reassoc", "contract"})
def _rows_backward_numba(lo, hi, g, x, w, mean, invstd, need_x, gx, pw, pb):
    m_n, k_n = x.shape
    for blk in range(lo, hi):  # of [0, pw.shape[0])
        xh = np.empty(k_n, x.dtype)
        for j in range(k_n):
            pw[blk, j] = 0.0
            pb[blk, j] = 0.0
        for i in range(blk * ROW_BLOCK, min(blk * ROW_BLOCK + ROW_BLOCK, m_n)):
            r = invstd[i]
            _xhat_row(x, i, mean[i], r, xh)
            s1 = 0.0
            s2 = 0.0
            for j in range(k_n):
                gh = g[i, j] * w[j]
                s1 += gh
                s2 += gh * xh[j]
                pw[blk, j] += g[i, j] * xh[j]
                pb[blk, j] += g[i, j]
            if need_x:
                a = as_type_of(x, s1 / k_n)
                c = as_type_of(x, s2 / k_n)
                r_ = as_type_of(x, r)
                for j in range(k_n):
                    gx[i, j] = r_ * (g[i, j] * w[j] - a - xh[j] * c)


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
    _forward_numba(x3, eps, xhat, mean, var, invstd, work=x3.size, count=c)
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
    _backward_numba(np.ascontiguousarray(gh), np.ascontiguousarray(xhat), invstd, gx, work=gx.size,
                    count=gx.shape[1])
    return gx


def _affine_or(v, k: int, fill: float, dtype) -> np.ndarray:
    return np.full(k, fill, dtype=dtype) if v is None else np.ascontiguousarray(v).reshape(k)


def normalize_rows(x2: np.ndarray, w, b, eps: float):
    """(y, mean, biased var, invstd) of a (M, K) array normalized per row, y = (x - mean) invstd w + b with ``w``,
    ``b`` of K elements (None: 1 and 0); mean, var and invstd are float64."""
    m_n, k_n = x2.shape
    if not _numba_ok(x2, *(v for v in (w, b) if v is not None)):
        xhat, mean, var, invstd = normalize_numpy(x2[None], eps)
        y = xhat[0]
        y = y * w.reshape(k_n) if w is not None else y
        y = y + b.reshape(k_n) if b is not None else y
        return y, mean.astype(np.float64), var.astype(np.float64), invstd.astype(np.float64)
    x2 = np.ascontiguousarray(x2)
    y = np.empty_like(x2)
    mean, var, invstd = (np.empty(m_n, dtype=np.float64) for _ in range(3))
    _rows_forward_numba(x2, _affine_or(w, k_n, 1.0, x2.dtype), _affine_or(b, k_n, 0.0, x2.dtype), eps, y, mean,
                        var, invstd, work=x2.size, count=m_n)
    return y, mean, var, invstd


def normalize_rows_backward(g2: np.ndarray, x2: np.ndarray, w, mean: np.ndarray, invstd: np.ndarray,
                            need_x: bool = True):
    """(dx or None, dw, db) of ``normalize_rows`` given g = d loss / d y (all (M, K); mean, invstd from the
    forward): dx = invstd (g w - mean(g w) - xhat mean(g w xhat)), dw = sum_rows g xhat, db = sum_rows g."""
    m_n, k_n = x2.shape
    if not _numba_ok(g2, x2, *(v for v in (w,) if v is not None)):
        xhat = ((x2 - mean[:, None]) * invstd[:, None]).astype(x2.dtype)
        gh = g2 * w.reshape(k_n) if w is not None else g2
        gx = normalize_backward_numpy(gh[None], xhat[None], invstd.astype(x2.dtype))[0] if need_x else None
        return gx, (g2 * xhat).sum(axis=0), g2.sum(axis=0)
    g2, x2 = np.ascontiguousarray(g2), np.ascontiguousarray(x2)
    gx = np.empty_like(x2) if need_x else np.empty((0, 0), x2.dtype)
    blocks = -(-m_n // ROW_BLOCK)
    pw, pb = np.empty((blocks, k_n)), np.empty((blocks, k_n))
    _rows_backward_numba(g2, x2, _affine_or(w, k_n, 1.0, x2.dtype), mean, invstd, need_x, gx, pw, pb,
                         work=x2.size, count=blocks)
    return (gx if need_x else None), pw.sum(axis=0).astype(x2.dtype), pb.sum(axis=0).astype(x2.dtype)
