"""Convolution kernels over 2-D spatial arrays (1-D convolutions pass H = 1): forward, input grad, weight grad.

Layouts follow PyTorch: ``x`` (N, C, H, W), ``w`` (O, C // groups, kh, kw), ``y`` (N, O, Ho, Wo).
Geometry: ``stride`` (sh, sw), ``padding`` ((top, bottom), (left, right)) (asymmetric for 'same' with an even
kernel), ``dilation`` (dh, dw), ``out_hw`` (Ho, Wo) given explicitly, so the three kernels agree on shapes
even when the input has extra rows no window reaches (transposed convolution's ``output_padding``).

Forward and weight grad: im2col (one strided copy) + one GEMM per group (BLAS). Input grad: GEMM + col2im.
Measured on the benchmark CNN (float32): Numba direct-convolution loops (serial or ``prange``) were 3-15x
slower than im2col + BLAS at both Conv2d(1, 16, 3, p=1) on (64, 1, 28, 28) and Conv2d(16, 32, 3, p=1) on
(64, 16, 14, 14), and a Numba im2col was slower than numpy's strided copy (1.3 ms vs 0.9 ms), so both were
dropped; a serial Numba col2im beats numpy's kh * kw strided adds on the second layer (3.5 ms vs 4.5 ms for the
whole input gradient, CPU time, one thread; equal on the first), so ``col2im`` uses it for float32/float64 and
``col2im_numpy`` stays as the reference.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.lib.stride_tricks import as_strided


def _pad(x: np.ndarray, padding, extra_hw=(0, 0)) -> np.ndarray:
    (pt, pb), (pl, pr) = padding
    pb, pr = pb + extra_hw[0], pr + extra_hw[1]
    if pt == pb == pl == pr == 0:
        return x
    n, c, h, w = x.shape
    xp = np.zeros((n, c, h + pt + pb, w + pl + pr), dtype=x.dtype)
    xp[:, :, pt:pt + h, pl:pl + w] = x
    return xp


def _extra(x_hw, k_hw, stride, padding, dilation, out_hw):
    """Rows/cols to add beyond the bottom/right padding so that every window lies inside the padded input."""
    out = []
    for size, k, s, (lo, hi), d, o in zip(x_hw, k_hw, stride, padding, dilation, out_hw):
        need = (o - 1) * s + d * (k - 1) + 1
        out.append(max(0, need - (size + lo + hi)))
    return tuple(out)


def windows(xp: np.ndarray, k_hw, stride, dilation, out_hw) -> np.ndarray:
    """A read-only (N, C, kh, kw, Ho, Wo) view of the sliding windows of a padded input."""
    n, c = xp.shape[:2]
    s = xp.strides
    return as_strided(
        xp,
        (n, c, k_hw[0], k_hw[1], out_hw[0], out_hw[1]),
        (s[0], s[1], s[2] * dilation[0], s[3] * dilation[1], s[2] * stride[0], s[3] * stride[1]),
        writeable=False,
    )


def im2col(x, k_hw, stride, padding, dilation, out_hw, groups) -> np.ndarray:
    """(groups, C/groups * kh * kw, N * Ho * Wo): one column per output position."""
    xp = _pad(x, padding, _extra(x.shape[2:], k_hw, stride, padding, dilation, out_hw))
    win = windows(xp, k_hw, stride, dilation, out_hw)  # N C kh kw Ho Wo
    n, c = x.shape[:2]
    cols = np.ascontiguousarray(win.transpose(1, 2, 3, 0, 4, 5))
    return cols.reshape(groups, (c // groups) * k_hw[0] * k_hw[1], n * out_hw[0] * out_hw[1])


def col2im_numpy(cols, x_shape, k_hw, stride, padding, dilation, out_hw) -> np.ndarray:
    """The adjoint of ``im2col`` by kh * kw strided adds (numpy reference)."""
    n, c, h, w = x_shape
    kh, kw = k_hw
    ho, wo = out_hw
    (pt, pb), (pl, pr) = padding
    eh, ew = _extra((h, w), k_hw, stride, padding, dilation, out_hw)
    xp = np.zeros((n, c, h + pt + pb + eh, w + pl + pr + ew), dtype=cols.dtype)
    cols = cols.reshape(c, kh, kw, n, ho, wo)
    sh, sw = stride
    dh, dw = dilation
    for i in range(kh):
        for j in range(kw):
            r, q = i * dh, j * dw
            xp[:, :, r:r + sh * (ho - 1) + 1:sh, q:q + sw * (wo - 1) + 1:sw] += cols[:, i, j].transpose(1, 0, 2, 3)
    return xp[:, :, pt:pt + h, pl:pl + w]


def _to_gemm(y: np.ndarray, groups: int) -> np.ndarray:
    """(N, O, Ho, Wo) -> (groups, O/groups, N * Ho * Wo)"""
    n, o = y.shape[:2]
    return np.ascontiguousarray(y.transpose(1, 0, 2, 3)).reshape(groups, o // groups, -1)


def _from_gemm(yg: np.ndarray, n: int, out_hw) -> np.ndarray:
    """(groups, O/groups, N * Ho * Wo) -> (N, O, Ho, Wo), contiguous"""
    o = yg.shape[0] * yg.shape[1]
    return np.ascontiguousarray(yg.reshape(o, n, out_hw[0], out_hw[1]).transpose(1, 0, 2, 3))


# ---- numba ----
@njit(cache=True)
def _col2im_numba(cols, xp, sh, sw, dh, dw):
    """xp[n, c, y s + i d, z s + j d] += cols[c, i, j, n, y, z] (one pass, no temporaries)."""
    c, kh, kw, n, ho, wo = cols.shape
    for b in range(n):
        for ch in range(c):
            for i in range(kh):
                for j in range(kw):
                    for y in range(ho):
                        row = y * sh + i * dh
                        for z in range(wo):
                            xp[b, ch, row, z * sw + j * dw] += cols[ch, i, j, b, y, z]
    return xp


def _numba_ok(*arrays) -> bool:
    dt = arrays[0].dtype
    return dt in (np.float32, np.float64) and all(a.dtype == dt for a in arrays)


def col2im(cols, x_shape, k_hw, stride, padding, dilation, out_hw) -> np.ndarray:
    """The adjoint of ``im2col``: sum each column back onto the input positions it was read from."""
    if not _numba_ok(cols):
        return col2im_numpy(cols, x_shape, k_hw, stride, padding, dilation, out_hw)
    n, c, h, w = x_shape
    (pt, pb), (pl, pr) = padding
    eh, ew = _extra((h, w), k_hw, stride, padding, dilation, out_hw)
    xp = np.zeros((n, c, h + pt + pb + eh, w + pl + pr + ew), dtype=cols.dtype)
    cols = np.ascontiguousarray(cols).reshape(c, k_hw[0], k_hw[1], n, out_hw[0], out_hw[1])
    _col2im_numba(cols, xp, stride[0], stride[1], dilation[0], dilation[1])
    return xp[:, :, pt:pt + h, pl:pl + w]


def conv2d_forward(x, w, b, stride, padding, dilation, out_hw, groups) -> np.ndarray:
    """y[n, o] = b[o] + sum_{c, i, j} w[o, c, i, j] x_pad[n, g(o) c, y s + i d, z s + j d]"""
    cols = im2col(x, w.shape[2:], stride, padding, dilation, out_hw, groups)
    wg = w.reshape(groups, w.shape[0] // groups, -1)
    y = _from_gemm(np.matmul(wg, cols), x.shape[0], out_hw)
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y


def conv2d_backward_input(g, w, x_shape, stride, padding, dilation, groups, col2im=col2im) -> np.ndarray:
    """The adjoint of the convolution in x (a transposed convolution of g with w): GEMM then col2im."""
    wg = w.reshape(groups, w.shape[0] // groups, -1)
    dcols = np.matmul(wg.transpose(0, 2, 1), _to_gemm(g, groups))
    return col2im(dcols, x_shape, w.shape[2:], stride, padding, dilation, g.shape[2:])


def conv2d_backward_weight(x, g, w_shape, stride, padding, dilation, groups) -> np.ndarray:
    """gw[o, c, i, j] = sum_{n, y, z} g[n, o, y, z] x_pad[n, g(o) c, y s + i d, z s + j d]: im2col then GEMM."""
    cols = im2col(x, w_shape[2:], stride, padding, dilation, g.shape[2:], groups)
    gw = np.matmul(_to_gemm(g, groups), cols.transpose(0, 2, 1))
    return gw.reshape(w_shape)


def conv2d_backward_input_numpy(g, w, x_shape, stride, padding, dilation, groups) -> np.ndarray:
    """The numpy reference of ``conv2d_backward_input`` (col2im by strided adds)."""
    return conv2d_backward_input(g, w, x_shape, stride, padding, dilation, groups, col2im=col2im_numpy)
