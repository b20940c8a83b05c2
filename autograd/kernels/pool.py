"""Pooling kernels over (N, C, H, W) arrays: max pooling (with argmax indices) and average pooling, forward and
backward. Windows: kernel (kh, kw), stride (sh, sw), symmetric padding (ph, pw), dilation (dh, dw), and an
explicit output size (Ho, Wo) (ceil_mode is decided by the caller). Padded positions never win a max and
count in an average only through the divisor array the caller passes.

Indices follow PyTorch: the flat position ``r * W + q`` of the maximum inside its (unpadded) H x W plane.
The Numba loops are the default for float32/float64 where they win; the numpy versions (strided window views) are
the reference. Max-pool forward and backward and average-pool forward are Numba loops (numpy reduces over strided
window views in several passes and, for the max backward, needs the unbuffered ``np.add.at``); the 2 x 2 / stride 2
max pool has its own loop (four taps unrolled, branch-free selects, no padding checks); average-pool backward stays
on numpy, whose kh * kw strided adds beat a scatter loop (measurements: benchmarks/RESULTS.md, "Design
measurements"). The Numba loops are ``autograd.threads.kernel`` loops of the "pool" family: serial below its
threshold, the range of (image, channel) planes cut over the library's threads above it, each plane written by one
iteration in the serial order (the same bits on any thread count).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.lib.stride_tricks import as_strided

from .. import threads


def _numba_ok(*arrays) -> bool:
    dt = arrays[0].dtype
    return dt in (np.float32, np.float64) and all(a.dtype == dt for a in arrays)


# ---- max pooling ----
@njit(cache=True)
def _first(start, step):
    """The first of start, start + step, ... that is >= 0."""
    return start if start >= 0 else start + ((step - 1 - start) // step) * step


@threads.kernel("pool")
def _max_forward_numba(lo, hi, x, out, idx, kh, kw, sh, sw, ph, pw, dh, dw):
    n, c, h, w = x.shape
    ho, wo = out.shape[2], out.shape[3]
    for t in range(lo, hi):  # of [0, n * c)
        b = t // c
        ch = t % c
        for oy in range(ho):
            r0 = oy * sh - ph
            rs, re = _first(r0, dh), min(r0 + (kh - 1) * dh + 1, h)
            for ox in range(wo):
                q0 = ox * sw - pw
                qs, qe = _first(q0, dw), min(q0 + (kw - 1) * dw + 1, w)
                best = -np.inf
                bi = rs * w + qs
                for r in range(rs, re, dh):
                    for q in range(qs, qe, dw):
                        v = x[b, ch, r, q]
                        take = (v > best) | (v != v)  # NaN wins, as in PyTorch; branch-free select
                        best = v if take else best
                        bi = r * w + q if take else bi
                out[b, ch, oy, ox] = best
                idx[b, ch, oy, ox] = bi
    return out, idx


@threads.kernel("pool")
def _max_forward_2x2_numba(lo, hi, x, out, idx):
    """2 x 2 windows tiling x (stride 2, no padding, dilation 1): two row slices, the four taps unrolled."""
    n, c, h, w = x.shape
    ho, wo = out.shape[2], out.shape[3]
    for t in range(lo, hi):  # of [0, n * c)
        b = t // c
        ch = t % c
        for oy in range(ho):
            r0 = 2 * oy
            x0 = x[b, ch, r0]
            x1 = x[b, ch, r0 + 1]
            o = out[b, ch, oy]
            ii = idx[b, ch, oy]
            for ox in range(wo):
                # the same scan as _max_forward_numba: v > best or v is NaN takes, in row-major order
                m = x0[2 * ox]
                k = 0
                v = x0[2 * ox + 1]
                t = (v > m) | (v != v)
                m = v if t else m
                k = 1 if t else k
                v = x1[2 * ox]
                t = (v > m) | (v != v)
                m = v if t else m
                k = w if t else k
                v = x1[2 * ox + 1]
                t = (v > m) | (v != v)
                m = v if t else m
                k = w + 1 if t else k
                o[ox] = m
                ii[ox] = r0 * w + 2 * ox + k
    return out, idx


@threads.kernel("pool")
def _max_backward_numba(lo, hi, g, idx, gx):
    """gx[n, c, idx[n, c, y, z]] += g[n, c, y, z] into an uninitialised gx (N, C, H W): each plane is zeroed just
    before its scatter, while it sits in cache, rather than the whole array in a pass of its own."""
    n, c, ho, wo = g.shape
    hw = gx.shape[2]
    for t in range(lo, hi):  # of [0, n * c)
        b = t // c
        ch = t % c
        for k in range(hw):
            gx[b, ch, k] = 0
        for oy in range(ho):
            for ox in range(wo):
                gx[b, ch, idx[b, ch, oy, ox]] += g[b, ch, oy, ox]
    return gx


def _windows(xp, k, stride, dilation, out_hw):
    n, c = xp.shape[:2]
    s = xp.strides
    return as_strided(xp, (n, c, out_hw[0], out_hw[1], k[0], k[1]),
                      (s[0], s[1], s[2] * stride[0], s[3] * stride[1], s[2] * dilation[0], s[3] * dilation[1]),
                      writeable=False)


def _padded(x, padding, k, stride, dilation, out_hw, fill):
    """x padded by ``padding`` on each side and on the bottom/right as far as the last window reaches."""
    n, c, h, w = x.shape
    need = [(o - 1) * s + d * (kk - 1) + 1 for o, s, d, kk in zip(out_hw, stride, dilation, k)]
    hp = max(h + 2 * padding[0], need[0])
    wp = max(w + 2 * padding[1], need[1])
    xp = np.full((n, c, hp, wp), fill, dtype=x.dtype)
    xp[:, :, padding[0]:padding[0] + h, padding[1]:padding[1] + w] = x
    return xp


def max_pool2d_forward_numpy(x, k, stride, padding, dilation, out_hw):
    h, w = x.shape[2:]
    xp = _padded(x, padding, k, stride, dilation, out_hw, -np.inf)
    win = _windows(xp, k, stride, dilation, out_hw).reshape(x.shape[:2] + tuple(out_hw) + (-1,))
    nanmask = np.isnan(win)
    # PyTorch's loop (``val > max || isnan(val)``): the last NaN of a window wins, else the first maximum
    last_nan = win.shape[-1] - 1 - np.argmax(nanmask[..., ::-1], -1)
    arg = np.where(nanmask.any(-1), last_nan, np.argmax(win, -1))
    out = np.take_along_axis(win, arg[..., None], -1)[..., 0]
    i, j = np.divmod(arg, k[1])
    r = np.arange(out_hw[0]).reshape(-1, 1) * stride[0] - padding[0] + i * dilation[0]
    q = np.arange(out_hw[1]) * stride[1] - padding[1] + j * dilation[1]
    return np.ascontiguousarray(out), (r * w + q).astype(np.int64)


def max_pool2d_forward(x, k, stride, padding, dilation, out_hw):
    """(max over each window, flat index of the max in its H x W plane: int32, or int64 for planes of 2^31 or
    more elements and on the numpy path)"""
    if not _numba_ok(x):
        return max_pool2d_forward_numpy(x, k, stride, padding, dilation, out_hw)
    n, c, h, w = x.shape
    out = np.empty((n, c) + tuple(out_hw), dtype=x.dtype)
    # int32 indices when a plane allows: the 2 x 2 loop then writes half the bytes it writes with int64
    idx = np.empty((n, c) + tuple(out_hw), dtype=np.int32 if h * w < 2**31 else np.int64)
    if (tuple(k) == tuple(stride) == (2, 2) and tuple(padding) == (0, 0) and tuple(dilation) == (1, 1)
            and 2 * out_hw[0] <= h and 2 * out_hw[1] <= w):
        return _max_forward_2x2_numba(np.ascontiguousarray(x), out, idx, work=x.size, count=n * c)
    return _max_forward_numba(np.ascontiguousarray(x), out, idx, k[0], k[1], stride[0], stride[1], padding[0],
                              padding[1], dilation[0], dilation[1], work=out.size * k[0] * k[1],
                              count=n * c)


def max_pool2d_backward_numpy(g, idx, x_shape):
    n, c = x_shape[:2]
    gx = np.zeros((n, c, x_shape[2] * x_shape[3]), dtype=g.dtype)
    nb, cb = np.meshgrid(np.arange(n), np.arange(c), indexing="ij")
    np.add.at(gx, (nb[..., None], cb[..., None], idx.reshape(n, c, -1)), g.reshape(n, c, -1))
    return gx.reshape(x_shape)


def max_pool2d_backward(g, idx, x_shape):
    """gx[n, c, idx[n, c, y, z]] += g[n, c, y, z]"""
    if not _numba_ok(g):
        return max_pool2d_backward_numpy(g, idx, x_shape)
    gx = np.empty((x_shape[0], x_shape[1], x_shape[2] * x_shape[3]), dtype=g.dtype)
    return _max_backward_numba(np.ascontiguousarray(g), np.ascontiguousarray(idx), gx, work=gx.size,
                               count=gx.shape[0] * gx.shape[1]).reshape(x_shape)


def gather_planes(h, idx):
    """out[n, c, y, z] = h[n, c, idx[n, c, y, z]] (the adjoint of ``max_pool2d_backward``)."""
    n, c = h.shape[:2]
    flat = h.reshape(n, c, -1)
    return np.take_along_axis(flat, idx.reshape(n, c, -1), -1).reshape(idx.shape)


# ---- average pooling ----
def avg_divisor(in_hw, k, stride, padding, out_hw, count_include_pad, divisor_override, dtype):
    """The (Ho, Wo) divisor of each window, as PyTorch computes it."""
    if divisor_override:
        return np.full(tuple(out_hw), divisor_override, dtype=dtype)
    sizes = []
    for size, kk, s, p, o in zip(in_hw, k, stride, padding, out_hw):
        start = np.arange(o) * s - p
        end = np.minimum(start + kk, size + p)
        full = end - start
        clipped = np.minimum(end, size) - np.maximum(start, 0)
        sizes.append(full if count_include_pad else clipped)
    return np.outer(sizes[0], sizes[1]).astype(dtype)


@threads.kernel("pool")
def _avg_forward_numba(lo, hi, x, out, div, kh, kw, sh, sw, ph, pw):
    n, c, h, w = x.shape
    ho, wo = out.shape[2], out.shape[3]
    for t in range(lo, hi):  # of [0, n * c)
        b = t // c
        ch = t % c
        for oy in range(ho):
            r0 = oy * sh - ph
            for ox in range(wo):
                q0 = ox * sw - pw
                acc = 0.0
                for r in range(max(r0, 0), min(r0 + kh, h)):
                    for q in range(max(q0, 0), min(q0 + kw, w)):
                        acc += x[b, ch, r, q]
                out[b, ch, oy, ox] = acc / div[oy, ox]
    return out


@threads.kernel("pool")
def _avg_backward_numba(lo, hi, g, gx, div, kh, kw, sh, sw, ph, pw):
    n, c, h, w = gx.shape
    ho, wo = g.shape[2], g.shape[3]
    for t in range(lo, hi):  # of [0, n * c)
        b = t // c
        ch = t % c
        for oy in range(ho):
            r0 = oy * sh - ph
            for ox in range(wo):
                q0 = ox * sw - pw
                v = g[b, ch, oy, ox] / div[oy, ox]
                for r in range(max(r0, 0), min(r0 + kh, h)):
                    for q in range(max(q0, 0), min(q0 + kw, w)):
                        gx[b, ch, r, q] += v
    return gx


def avg_pool2d_forward_numpy(x, k, stride, padding, out_hw, div):
    xp = _padded(x, padding, k, stride, (1, 1), out_hw, 0)
    win = _windows(xp, k, stride, (1, 1), out_hw)
    return (win.sum(axis=(-2, -1)) / div).astype(x.dtype, copy=False)


def avg_pool2d_forward(x, k, stride, padding, out_hw, div):
    """out[n, c, y, z] = sum of the window at (y, z) / div[y, z]"""
    if not _numba_ok(x, div):
        return avg_pool2d_forward_numpy(x, k, stride, padding, out_hw, div)
    out = np.empty(x.shape[:2] + tuple(out_hw), dtype=x.dtype)
    return _avg_forward_numba(np.ascontiguousarray(x), out, div, k[0], k[1], stride[0], stride[1], padding[0],
                              padding[1], work=out.size * k[0] * k[1], count=out.shape[0] * out.shape[1])


def avg_pool2d_backward_numpy(g, x_shape, k, stride, padding, div):
    out_hw = g.shape[2:]
    n, c, h, w = x_shape
    hp = max(h + 2 * padding[0], (out_hw[0] - 1) * stride[0] + k[0])
    wp = max(w + 2 * padding[1], (out_hw[1] - 1) * stride[1] + k[1])
    xp = np.zeros((n, c, hp, wp), dtype=g.dtype)
    gd = g / div
    for i in range(k[0]):
        for j in range(k[1]):
            rows = slice(i, i + stride[0] * (out_hw[0] - 1) + 1, stride[0])
            cols = slice(j, j + stride[1] * (out_hw[1] - 1) + 1, stride[1])
            xp[:, :, rows, cols] += gd
    return np.ascontiguousarray(xp[:, :, padding[0]:padding[0] + h, padding[1]:padding[1] + w])


def avg_pool2d_backward(g, x_shape, k, stride, padding, div):
    """The adjoint of ``avg_pool2d_forward``: each window's g / div spread over its input positions.

    numpy's kh * kw strided adds beat the Numba scatter loop here, so this is the default;
    ``avg_pool2d_backward_numba`` is kept and tested against it.
    """
    return avg_pool2d_backward_numpy(g, x_shape, k, stride, padding, div)


def avg_pool2d_backward_numba(g, x_shape, k, stride, padding, div):
    """The Numba scatter loop for ``avg_pool2d_backward`` (float32/float64 only)."""
    gx = np.zeros(x_shape, dtype=g.dtype)
    return _avg_backward_numba(np.ascontiguousarray(g), gx, div, k[0], k[1], stride[0], stride[1], padding[0],
                               padding[1], work=g.size * k[0] * k[1], count=g.shape[0] * g.shape[1])


# ---- adaptive average pooling ----
def adaptive_matrix(size: int, out: int, dtype) -> np.ndarray:
    """(out, size) averaging matrix: row i averages [floor(i size / out), ceil((i + 1) size / out))."""
    m = np.zeros((out, size), dtype=dtype)
    for i in range(out):
        lo = (i * size) // out
        hi = -(-((i + 1) * size) // out)
        m[i, lo:hi] = 1.0 / (hi - lo)
    return m
