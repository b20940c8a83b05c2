"""softmax, log_softmax and logsumexp along one axis, forward and backward: fused Numba row kernels and numpy
references.

The Numba kernels work on the rows of a C-contiguous 2-D array (the reduced axis moved last, copying only when
needed): one pass for the row max, one for exp(x - max) and its sum, one to scale, so nothing overflows and no
temporaries are made. exp is ``_fastexp.fexp`` (vectorizable; Numba's own np.exp is a scalar libm call here);
sums accumulate in float64 and use fastmath "reassoc" and "contract" only (the sums vectorize, exp's polynomial
runs on fused multiply-adds; nan/inf semantics are kept).
The public functions take any array and an axis and use Numba for non-empty float32/float64 input, numpy
otherwise (other dtypes, empty arrays, several axes at once for logsumexp).

Measured on this machine (2 cores shared with other jobs; best of 20 calls, microseconds, along the last axis):

    float32            softmax        log_softmax    logsumexp      softmax bwd    log_softmax bwd
    (32, 32)           12 -> 2        15 -> 3        21 -> 2        5 -> 1         6 -> 1
    (128, 128)         35 -> 19       39 -> 21       34 -> 20       16 -> 3        21 -> 10
    (1024, 512)        670 -> 493     678 -> 517     568 -> 498     349 -> 75      530 -> 311
    float64 (1024, 512) 1157 -> 1256  1131 -> 853    926 -> 782     608 -> 177     937 -> 807

(numpy -> Numba). float64 softmax forward is a tie at large sizes (the degree-13 exp polynomial costs about
as much as numpy's SIMD exp); everything else is faster. The row kernels are ``autograd.threads.kernel`` loops of
the "softmax" family: one thread below its threshold, the range of rows cut over the library's threads above it
(each row computed by one iteration in the serial order: the same bits on any thread count).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .. import threads
from ._fastexp import as_type_of, fexp

_NUMBA_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
USE_NUMBA = True  # tests switch it off to run the numpy references through the same public functions


# ---- Numba row kernels (x: 2-D C-contiguous) ----
# fastmath "reassoc" lets LLVM reorder the row sums (so they vectorize) and "contract" fuse exp's multiply-adds;
# nan/inf semantics are kept.
@njit(cache=True, inline="always", error_model="numpy")
def _row_max(x, r, n):  # pragma: no cover - compiled
    """max of row r (nan entries make the row's result nan later, through exp). Eight running maxima, each over
    every eighth entry, so eight compare-selects run at once (a single running max is a serial dependency chain
    whose select LLVM does not vectorize without assuming no nan)."""
    m0 = m1 = m2 = m3 = m4 = m5 = m6 = m7 = x[r, 0]
    nb = n // 8 * 8
    for j in range(0, nb, 8):
        v = x[r, j]
        m0 = v if v > m0 else m0
        v = x[r, j + 1]
        m1 = v if v > m1 else m1
        v = x[r, j + 2]
        m2 = v if v > m2 else m2
        v = x[r, j + 3]
        m3 = v if v > m3 else m3
        v = x[r, j + 4]
        m4 = v if v > m4 else m4
        v = x[r, j + 5]
        m5 = v if v > m5 else m5
        v = x[r, j + 6]
        m6 = v if v > m6 else m6
        v = x[r, j + 7]
        m7 = v if v > m7 else m7
    for j in range(nb, n):
        v = x[r, j]
        m0 = v if v > m0 else m0
    m0 = m1 if m1 > m0 else m0
    m2 = m3 if m3 > m2 else m2
    m4 = m5 if m5 > m4 else m4
    m6 = m7 if m7 > m6 else m6
    m0 = m2 if m2 > m0 else m0
    m4 = m6 if m6 > m4 else m4
    return m4 if m4 > m0 else m0


@njit(cache=True, inline="always")
def _row_shift(x, r, n):  # pragma: no cover - compiled
    """the row max, or 0 when it is not finite (all -inf rows give -inf, +inf rows inf, not nan)."""
    m = _row_max(x, r, n)
    return m if np.isfinite(m) else as_type_of(m, 0.0)


@threads.kernel("softmax", fastmath={"reassoc", "contract"}, error_model="numpy")
def _softmax_rows(lo, hi, x, out, scale=1.0):  # pragma: no cover - compiled
    rows, n = x.shape
    for r in range(lo, hi):  # of [0, rows)
        m = _row_max(x, r, n)
        c = as_type_of(m, scale)  # scale > 0: softmax(scale x) without a pass to scale x
        for j in range(n):
            out[r, j] = fexp((x[r, j] - m) * c)
        s = 0.0
        for j in range(n):
            s += out[r, j]
        inv = as_type_of(m, 1.0 / s)
        for j in range(n):
            out[r, j] *= inv


@threads.kernel("softmax", fastmath={"reassoc", "contract"}, error_model="numpy")
def _log_softmax_rows(lo, hi, x, out):  # pragma: no cover - compiled
    rows, n = x.shape
    for r in range(lo, hi):  # of [0, rows)
        m = _row_max(x, r, n)  # not _row_shift: a +inf entry makes the whole row nan, as in PyTorch
        s = 0.0
        for j in range(n):
            s += fexp(x[r, j] - m)
        lse = as_type_of(m, np.log(s))
        for j in range(n):
            out[r, j] = (x[r, j] - m) - lse  # not x - (m + lse): m + lse would round to m's ulp


@threads.kernel("softmax", fastmath={"reassoc", "contract"}, error_model="numpy")
def _logsumexp_rows(lo, hi, x, out):  # pragma: no cover - compiled
    rows, n = x.shape
    for r in range(lo, hi):  # of [0, rows)
        m = _row_shift(x, r, n)
        s = 0.0
        for j in range(n):
            s += fexp(x[r, j] - m)
        out[r] = m + np.log(s)


@threads.kernel("softmax", fastmath={"reassoc", "contract"}, error_model="numpy")
def _softmax_backward_rows(lo, hi, g, y, out, scale=1.0):  # pragma: no cover - compiled
    rows, n = g.shape
    for r in range(lo, hi):  # of [0, rows)
        s = 0.0
        for j in range(n):
            s += g[r, j] * y[r, j]
        s_ = as_type_of(g[r, 0], s)
        c = as_type_of(g[r, 0], scale)  # the gradient of softmax(scale x) with respect to x
        for j in range(n):
            out[r, j] = y[r, j] * (g[r, j] - s_) * c


@threads.kernel("softmax", fastmath={"reassoc", "contract"}, error_model="numpy")
def _log_softmax_backward_rows(lo, hi, g, y, out):  # pragma: no cover - compiled
    rows, n = g.shape
    for r in range(lo, hi):  # of [0, rows)
        s = 0.0
        for j in range(n):
            s += g[r, j]
        s_ = as_type_of(g[r, 0], s)
        for j in range(n):
            out[r, j] = g[r, j] - fexp(y[r, j]) * s_


@threads.kernel("softmax", error_model="numpy")
def _logsumexp_backward_rows(lo, hi, g, x, lse, out):  # pragma: no cover - compiled
    rows, n = x.shape
    for r in range(lo, hi):  # of [0, rows)
        for j in range(n):
            out[r, j] = g[r] * fexp(x[r, j] - lse[r])


# ---- numpy references ----
def softmax_numpy(x: np.ndarray, axis: int) -> np.ndarray:
    if x.size == 0:
        return np.empty_like(x)
    m = np.max(x, axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.exp(x - m)
        return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax_numpy(x: np.ndarray, axis: int) -> np.ndarray:
    if x.size == 0:
        return np.empty_like(x)
    m = np.max(x, axis=axis, keepdims=True)  # not zeroed when infinite: a +inf entry makes the row nan
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        shifted = x - m
        return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def logsumexp_numpy(x: np.ndarray, axes: tuple, keepdim: bool) -> np.ndarray:
    if x.size == 0:
        with np.errstate(divide="ignore"):
            return np.log(np.sum(np.exp(x), axis=axes, keepdims=keepdim))
    m = np.max(x, axis=axes, keepdims=True)
    m = np.where(np.isfinite(m), m, 0).astype(x.dtype, copy=False)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        s = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
    return s if keepdim else np.squeeze(s, axes)


def softmax_backward_numpy(g: np.ndarray, y: np.ndarray, axis: int) -> np.ndarray:
    return y * (g - np.sum(g * y, axis=axis, keepdims=True))


def log_softmax_backward_numpy(g: np.ndarray, y: np.ndarray, axis: int) -> np.ndarray:
    return g - np.exp(y) * np.sum(g, axis=axis, keepdims=True)


# ---- dispatch ----
def _use_numba(*arrays) -> bool:
    a = arrays[0]
    return (USE_NUMBA and a.size > 0 and a.ndim > 0 and a.dtype in _NUMBA_DTYPES
            and all(b.dtype == a.dtype for b in arrays))


def _as_rows(a: np.ndarray, axis: int) -> np.ndarray:
    """``a`` with ``axis`` moved last, as a C-contiguous (rows, n) array (a copy only when needed)."""
    if axis != a.ndim - 1:
        a = np.moveaxis(a, axis, -1)
    return np.ascontiguousarray(a).reshape(-1, a.shape[-1])


def _from_rows(out: np.ndarray, shape: tuple, axis: int) -> np.ndarray:
    moved = shape[:axis] + shape[axis + 1:] + (shape[axis],)
    out = out.reshape(moved)
    return out if axis == len(shape) - 1 else np.moveaxis(out, -1, axis)


def _rowwise(kernel, reference, axis, *arrays, out=None, extra=()):
    if axis is not None and axis < 0:
        axis += arrays[0].ndim
    if axis is None:  # 0-d input: one row of one element
        res = np.asarray(reference(*[a.reshape(1) for a in arrays], 0)).reshape(())
    elif not _use_numba(*arrays) or (out is not None and (axis != out.ndim - 1 or not out.flags.c_contiguous)):
        res = np.asarray(reference(*arrays, axis))
    else:
        rows = [_as_rows(a, axis) for a in arrays]
        if out is not None:
            kernel(*rows, out.reshape(rows[0].shape), *extra, work=out.size, count=rows[0].shape[0])
            return out
        res = np.empty_like(rows[0])
        kernel(*rows, res, *extra, work=res.size, count=res.shape[0])
        return _from_rows(res, arrays[0].shape, axis)
    if out is None:
        return res
    out[...] = res
    return out


def softmax(x: np.ndarray, axis: int | None, out: np.ndarray | None = None, scale: float = 1.0) -> np.ndarray:
    """exp(scale (x - max)) / sum(exp(scale (x - max))) along ``axis`` (None for a 0-d array): softmax(scale x)
    for ``scale`` > 0; into ``out`` if given (not overlapping ``x``)."""
    if scale == 1.0:
        return _rowwise(_softmax_rows, softmax_numpy, axis, x, out=out)
    return _rowwise(_softmax_rows, lambda v, a: softmax_numpy(v * scale, a), axis, x, out=out, extra=(scale,))


def log_softmax(x: np.ndarray, axis: int | None) -> np.ndarray:
    """x - logsumexp(x) along ``axis`` (None for a 0-d array)."""
    return _rowwise(_log_softmax_rows, log_softmax_numpy, axis, x)


def softmax_backward(g: np.ndarray, y: np.ndarray, axis: int | None, out: np.ndarray | None = None,
                     scale: float = 1.0) -> np.ndarray:
    """scale y (g - sum(g y)) along ``axis``: the gradient of softmax(scale x) given its output ``y``; into ``out``
    if given (not overlapping ``g`` or ``y``)."""
    if scale == 1.0:
        return _rowwise(_softmax_backward_rows, softmax_backward_numpy, axis, g, y, out=out)
    return _rowwise(_softmax_backward_rows, lambda a, b, ax: softmax_backward_numpy(a, b, ax) * scale, axis, g, y,
                    out=out, extra=(scale,))


def log_softmax_backward(g: np.ndarray, y: np.ndarray, axis: int | None) -> np.ndarray:
    """g - exp(y) * sum(g) along ``axis``: the gradient of log_softmax given its output ``y``."""
    return _rowwise(_log_softmax_backward_rows, log_softmax_backward_numpy, axis, g, y)


def logsumexp(x: np.ndarray, axes: tuple, keepdim: bool) -> np.ndarray:
    """log(sum(exp(x))) over ``axes`` (a tuple; () for a 0-d array), stable; Numba for one axis."""
    if len(axes) != 1 or not _use_numba(x):
        return np.asarray(logsumexp_numpy(x, axes, keepdim))
    axis = axes[0]
    rows = _as_rows(x, axis)
    out = np.empty(rows.shape[0], dtype=x.dtype)
    _logsumexp_rows(rows, out, work=rows.size, count=rows.shape[0])
    shape = x.shape[:axis] + ((1,) if keepdim else ()) + x.shape[axis + 1:]
    return out.reshape(shape)


def logsumexp_backward(g: np.ndarray, x: np.ndarray, out: np.ndarray, axes: tuple, keepdim: bool) -> np.ndarray:
    """g * exp(x - logsumexp(x)) (``g`` and ``out`` have the reduced shape): the gradient of logsumexp."""
    if len(axes) == 1 and _use_numba(x, g, out):
        axis = axes[0]
        rows = _as_rows(x, axis)
        grad = np.empty_like(rows)
        _logsumexp_backward_rows(np.ascontiguousarray(g).reshape(-1), rows, np.ascontiguousarray(out).reshape(-1),
                                 grad, work=grad.size, count=grad.shape[0])
        return _from_rows(grad, x.shape, axis)
    return np.asarray(logsumexp_backward_numpy(g, x, out, axes, keepdim))


def logsumexp_backward_numpy(g: np.ndarray, x: np.ndarray, out: np.ndarray, axes: tuple, keepdim: bool) -> np.ndarray:
    if not keepdim:
        g, out = np.expand_dims(g, axes), np.expand_dims(out, axes)
    with np.errstate(invalid="ignore", over="ignore"):
        return g * np.exp(x - out)
