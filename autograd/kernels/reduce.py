"""Sums over every axis but one, of a contiguous float array: ``channel_sums(x, axis)``.

This is a convolution's bias gradient (the output gradient summed over batch and space) and any other "sum
over all but the channels" of a large float32/float64 array. numpy reduces those axes through its general
iterator in the input's dtype; the Numba loop here takes one channel per iteration, sums each of its contiguous
runs and then the runs, in float64, so it is both faster and more accurate in float32 (the result is rounded to
the input's dtype once). It is an ``autograd.threads.kernel`` of the "reduce" family: the channels are cut over
the library's threads above its threshold, each channel summed by one iteration in a fixed order (the same
bits on any thread count). ``fits`` says when it applies: inner runs of at least ``MIN_RUN`` elements, where the
loop reads memory in order; with shorter runs (a 2-D ``g.sum(0)``) numpy's row-by-row adds are the better loop.
"""

from __future__ import annotations

import math

import numpy as np

from .. import threads

__all__ = ["fits", "channel_sums"]

MIN_RUN = 16
MIN_SIZE = 1 << 16  # below this numpy's reduction is as fast (the kernel call has a fixed cost)


def fits(x: np.ndarray, axes: tuple, keepdim: bool) -> bool:
    """True when ``x.sum(axes)`` is a sum over every axis but one that ``channel_sums`` does well."""
    if x.size < MIN_SIZE or x.dtype not in (np.float32, np.float64) or not x.flags.c_contiguous:
        return False
    if len(axes) != x.ndim - 1 or len(set(axes)) != len(axes):
        return False
    kept = next(i for i in range(x.ndim) if i not in axes)
    return math.prod(x.shape[kept + 1:]) >= MIN_RUN


@threads.kernel("reduce", fastmath={"reassoc", "contract"})
def _channel_sums(lo, hi, x, out):  # pragma: no cover - compiled
    a_n, _, b_n = x.shape
    for c in range(lo, hi):  # of [0, C)
        acc = 0.0
        for a in range(a_n):
            run = 0.0  # each run summed on its own first: float64 input keeps near numpy's pairwise accuracy
            for b in range(b_n):
                run += x[a, c, b]
            acc += run
        out[c] = acc


def channel_sums(x: np.ndarray, axes: tuple, keepdim: bool) -> np.ndarray:
    """``x.sum(axes, keepdims=keepdim)`` for an ``x`` that ``fits``: float64 sums rounded to ``x``'s dtype."""
    kept = next(i for i in range(x.ndim) if i not in axes)
    c = x.shape[kept]
    x3 = x.reshape(math.prod(x.shape[:kept]), c, -1)
    sums = np.empty(c, dtype=np.float64)
    _channel_sums(x3, sums, work=x.size, count=c)
    out = sums.astype(x.dtype)
    return out.reshape(tuple(n if i == kept else 1 for i, n in enumerate(x.shape))) if keepdim else out
