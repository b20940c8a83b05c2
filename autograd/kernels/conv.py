"""Convolution kernels over 2-D spatial arrays (1-D convolutions pass H = 1): forward, input grad, weight grad.

Layouts follow PyTorch: ``x`` (N, C, H, W), ``w`` (O, C // groups, kh, kw), ``y`` (N, O, Ho, Wo).
Geometry: ``stride`` (sh, sw), ``padding`` ((top, bottom), (left, right)) (asymmetric for 'same' with an even
kernel), ``dilation`` (dh, dw), ``out_hw`` (Ho, Wo) given explicitly, so the three kernels agree on shapes
even when the input has extra rows no window reaches (transposed convolution's ``output_padding``).

Two layouts, the same math. Row layout (groups == 1, C_in >= ``ROWS_MIN_CHANNELS``): windows of a padded NHWC
copy of x, channels-last, so each output position is one row (kh kw C) copied in runs of C floats: y = rows @
w_rows^T (one tall GEMM per batch block, then one transposing copy with the bias), gw = sum_n g[n] @ rows[n] and
d rows[n] = g[n]^T @ w_rows (per-image GEMMs batched by numpy's matmul, g read in place) then a Numba
channels-last ``row2im``. The row kernels run a batch block at a time (rows of about ``BLOCK_BYTES`` in a reused
buffer): cache-resident, no multi-MB temporaries. Column layout (any groups, and C_in < 4 where im2row would copy
single floats): ``im2col`` (C/g kh kw, N Ho Wo) per group, per-(image, group) GEMMs batched so y lands in NCHW
order, Numba ``col2im``.

Threads (``autograd.threads``): the batch is cut into contiguous ranges of images, one per thread the policy
allows (``_over_images``), and each range runs the one-thread path above on the library's team of threads (a BLAS call
on one thread per block, and the serial Numba copies); the outputs of the ranges are disjoint, and the weight
gradient's range sums are added in range order. The copies done once for the whole batch (the padded
channels-last input) are ``threads.kernel`` loops, parallel above the "conv" threshold. Results change with the
thread count only as the products' blocks do (the policy's one exception: ``autograd.threads``).

Every product is a GEMM on the BLAS: direct-convolution loops in Numba do not vectorise as well as im2col +
BLAS, even for C_in = 1. The row forward runs one tall GEMM per batch block rather than one per image, and the
weight grad re-reads x instead of keeping the forward's rows (see ``autograd.ops.conv.Conv``). ``col2im`` is a
serial Numba loop: it touches each input element once, where numpy would need kh * kw strided adds.
``col2im_numpy``, ``row2im_numpy`` and the column kernels are the references the fast paths are tested against;
the measurements behind these choices are in benchmarks/RESULTS.md ("Design measurements").
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .. import threads
from . import gemm


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
    n, c = x.shape[:2]
    if _numba_ok(xp):
        cols = np.empty((c, k_hw[0], k_hw[1], n, out_hw[0], out_hw[1]), dtype=xp.dtype)
        _im2col_numba(np.ascontiguousarray(xp), cols, stride[0], stride[1], dilation[0], dilation[1],
                      work=cols.size, count=c * k_hw[0] * k_hw[1] * n)
    else:
        win = windows(xp, k_hw, stride, dilation, out_hw)  # N C kh kw Ho Wo
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
@threads.kernel("conv")
def _im2col_numba(lo, hi, xp, cols, sh, sw, dh, dw):  # pragma: no cover - compiled
    """cols[c, i, j, n, y, z] = xp[n, c, y s + i d, z s + j d] (parallel over (c, i, j) rows and images)."""
    c, kh, kw, n, ho, wo = cols.shape
    for t in range(lo, hi):  # of [0, c * kh * kw * n)
        b = t % n
        r = t // n
        j = r % kw
        i = (r // kw) % kh
        ch = r // (kw * kh)
        q0 = j * dw
        for y in range(ho):
            row = y * sh + i * dh
            if sw == 1:  # a contiguous run: its own loop, so it compiles to vector copies
                for z in range(wo):
                    cols[ch, i, j, b, y, z] = xp[b, ch, row, q0 + z]
            else:
                for z in range(wo):
                    cols[ch, i, j, b, y, z] = xp[b, ch, row, q0 + z * sw]
    return cols


@threads.kernel("conv")
def _col2im_numba(lo, hi, cols, xp, sh, sw, dh, dw):  # pragma: no cover - compiled
    """xp[n, c, y s + i d, z s + j d] += cols[c, i, j, n, y, z] (one pass, no temporaries; parallel over images,
    each image's sums in the serial order)."""
    c, kh, kw, n, ho, wo = cols.shape
    for b in range(lo, hi):  # of [0, n)
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
    _col2im_numba(cols, xp, stride[0], stride[1], dilation[0], dilation[1], work=cols.size, count=n)
    return xp[:, :, pt:pt + h, pl:pl + w]


# ---- row layout (groups == 1): channels-last im2col, one tall GEMM over the whole batch ----
def _padded_nhwc(x, padding, extra_hw) -> np.ndarray:
    """x (N, C, H, W) zero-padded and transposed to (N, Hp, Wp, C) in one copy."""
    (pt, pb), (pl, pr) = padding
    n, c, h, w = x.shape
    shape = (n, h + pt + pb + extra_hw[0], w + pl + pr + extra_hw[1], c)
    if _numba_ok(x):
        xp = np.empty(shape, dtype=x.dtype)
        _pad_nhwc_numba(np.ascontiguousarray(x), xp, pt, pl, work=xp.size, count=n * shape[1])
        return xp
    xp = np.zeros(shape, dtype=x.dtype)
    xp[:, pt:pt + h, pl:pl + w, :] = x.transpose(0, 2, 3, 1)
    return xp


@threads.kernel("conv")
def _pad_nhwc_numba(lo, hi, x, xp, pt, pl):  # pragma: no cover - compiled
    """xp[n, pt + r, pl + q, c] = x[n, c, r, q], zero elsewhere (parallel over (image, padded row)); each padded
    row is written whole, so xp needs no zeroing first."""
    n, c, h, w = x.shape
    hp, wp = xp.shape[1], xp.shape[2]
    for t in range(lo, hi):  # of [0, n * hp)
        b = t // hp
        rp = t % hp
        r = rp - pt
        if r < 0 or r >= h:
            for q in range(wp):
                for ch in range(c):
                    xp[b, rp, q, ch] = 0
            continue
        for q in range(pl):
            for ch in range(c):
                xp[b, rp, q, ch] = 0
        for q in range(pl + w, wp):
            for ch in range(c):
                xp[b, rp, q, ch] = 0
        for q in range(w):
            for ch in range(c):
                xp[b, rp, pl + q, ch] = x[b, ch, r, q]
    return xp


def _padded_row_windows(x, k_hw, stride, padding, dilation, out_hw) -> tuple[np.ndarray, np.ndarray]:
    """x's padded channels-last copy (N, Hp, Wp, C) and a read-only (N, Ho, Wo, kh, kw, C) view of its windows."""
    xp = _padded_nhwc(x, padding, _extra(x.shape[2:], k_hw, stride, padding, dilation, out_hw))
    n, c = x.shape[:2]
    s = xp.strides
    return xp, as_strided(xp, (n, out_hw[0], out_hw[1], k_hw[0], k_hw[1], c),
                          (s[0], s[1] * stride[0], s[2] * stride[1], s[1] * dilation[0], s[2] * dilation[1], s[3]),
                          writeable=False)


def _row_windows(x, k_hw, stride, padding, dilation, out_hw) -> np.ndarray:
    """A read-only (N, Ho, Wo, kh, kw, C) view of the windows of x's padded channels-last copy."""
    return _padded_row_windows(x, k_hw, stride, padding, dilation, out_hw)[1]


@threads.kernel("conv")
def _im2row_numba(lo, hi, xp, rows, s0, sh, sw, dh, dw):  # pragma: no cover - compiled
    """rows[b, y, z, i, j, c] = xp[s0 + b, y s + i d, z s + j d, c] (xp padded channels-last; runs of C floats;
    parallel over (image, output row))."""
    nb, ho, wo, kh, kw, c = rows.shape
    for t in range(lo, hi):  # of [0, nb * ho)
        b = t // ho
        y = t % ho
        for z in range(wo):
            for i in range(kh):
                r = y * sh + i * dh
                for j in range(kw):
                    q = z * sw + j * dw
                    for ch in range(c):
                        rows[b, y, z, i, j, ch] = xp[s0 + b, r, q, ch]
    return rows


def _copy_rows(xp, win, rows, s0, e, stride, dilation) -> None:
    """rows = win[s0:e] (``win`` the window view of the padded channels-last ``xp``, see ``_padded_row_windows``):
    the Numba copy for float32/float64, numpy's otherwise."""
    if _numba_ok(xp, rows):
        _im2row_numba(xp, rows, s0, stride[0], stride[1], dilation[0], dilation[1], work=rows.size,
                      count=rows.shape[0] * rows.shape[1])
    else:
        np.copyto(rows, win[s0:e])


@threads.kernel("conv")
def _nhwc_to_nchw(lo, hi, src, dst, bias, has_bias):  # pragma: no cover - compiled
    """dst[b, o, y, z] = src[b, y, z, o] (+ bias[o] with ``has_bias``), in tiles of 32 columns so a tile of src
    stays in L1 while its channels are written out (parallel over (image, row))."""
    n, ho, wo, o = src.shape
    for t in range(lo, hi):  # of [0, n * ho)
        b = t // ho
        y = t % ho
        for z0 in range(0, wo, 32):
            z1 = min(z0 + 32, wo)
            for ch in range(o):
                if has_bias:
                    bv = bias[ch]
                    for z in range(z0, z1):
                        dst[b, ch, y, z] = src[b, y, z, ch] + bv
                else:
                    for z in range(z0, z1):
                        dst[b, ch, y, z] = src[b, y, z, ch]
    return dst


def _to_nchw(src, dst, bias=None) -> None:
    """dst (N, O, Ho, Wo) = src (N, Ho, Wo, O) transposed (+ bias (O,)): the Numba copy for float32/float64, numpy's
    otherwise."""
    if _numba_ok(src, dst) and dst.flags.c_contiguous and (bias is None or bias.dtype == dst.dtype):
        _nhwc_to_nchw(src, dst, dst[:0, :, 0, 0].reshape(-1) if bias is None else np.ascontiguousarray(bias),
                      bias is not None, work=src.size, count=src.shape[0] * src.shape[1])
    else:
        np.copyto(dst, src.transpose(0, 3, 1, 2))
        if bias is not None:
            dst += bias.reshape(1, -1, 1, 1)


def im2row(x, k_hw, stride, padding, dilation, out_hw) -> np.ndarray:
    """(N * Ho * Wo, kh * kw * C): one row per output position, the (i, j, c) window entries channel-fastest."""
    win = _row_windows(x, k_hw, stride, padding, dilation, out_hw)
    return np.ascontiguousarray(win).reshape(win.shape[0] * out_hw[0] * out_hw[1], -1)


BLOCK_BYTES = 1 << 20


def _batch_blocks(lo: int, hi: int, image_bytes: int):
    """Slices of images ``[lo, hi)`` whose rows take about ``BLOCK_BYTES`` (at least one image each): a GEMM of
    several images' rows runs nearer the BLAS's peak than one per image, and the block still sits in L2."""
    step = max(1, min(hi - lo, BLOCK_BYTES // max(1, image_bytes)))
    return step, [(s, min(hi, s + step)) for s in range(lo, hi, step)]


def _over_images(n: int, work: int, body) -> list:
    """``body(lo, hi)`` over contiguous ranges of the batch, one per thread the policy allows when ``work``
    (multiply-adds) reaches the "gemm" threshold; each range runs its batch blocks with its own buffers."""
    return threads.parallel_map(lambda span: body(*span), threads.chunks(n, work, "gemm"))


@threads.kernel("conv")
def _row2im_numba(lo, hi, rows, xp, sh, sw, dh, dw):  # pragma: no cover - compiled
    """xp[n, y s + i d, z s + j d, c] += rows[n, y, z, i, j, c] (channels-last, the inner loop contiguous;
    parallel over images, each image's sums in the serial order)."""
    n, ho, wo, kh, kw, c = rows.shape
    for b in range(lo, hi):  # of [0, n)
        for y in range(ho):
            for i in range(kh):
                r = y * sh + i * dh
                for z in range(wo):
                    for j in range(kw):
                        q = z * sw + j * dw
                        for ch in range(c):
                            xp[b, r, q, ch] += rows[b, y, z, i, j, ch]
    return xp


def _row2im_padded_numpy(rows, xp, k_hw, stride, dilation, out_hw) -> np.ndarray:
    """xp (N, Hp, Wp, C) += the rows summed onto their windows, by kh * kw strided adds."""
    n, c = xp.shape[0], xp.shape[3]
    rows = rows.reshape(n, out_hw[0], out_hw[1], k_hw[0], k_hw[1], c)
    (sh, sw), (dh, dw), (ho, wo) = stride, dilation, out_hw
    for i in range(k_hw[0]):
        for j in range(k_hw[1]):
            r, q = i * dh, j * dw
            xp[:, r:r + sh * (ho - 1) + 1:sh, q:q + sw * (wo - 1) + 1:sw] += rows[:, :, :, i, j]
    return xp


def row2im_numpy(rows, x_shape, k_hw, stride, padding, dilation, out_hw) -> np.ndarray:
    """The adjoint of ``im2row`` by kh * kw strided adds (numpy reference); returns (N, C, H, W)."""
    n, c, h, w = x_shape
    (pt, pb), (pl, pr) = padding
    eh, ew = _extra((h, w), k_hw, stride, padding, dilation, out_hw)
    xp = np.zeros((n, h + pt + pb + eh, w + pl + pr + ew, c), dtype=rows.dtype)
    _row2im_padded_numpy(rows, xp, k_hw, stride, dilation, out_hw)
    return xp[:, pt:pt + h, pl:pl + w].transpose(0, 3, 1, 2)


def row2im(rows, x_shape, k_hw, stride, padding, dilation, out_hw) -> np.ndarray:
    """The adjoint of ``im2row``: each row summed back onto the input positions it was read from."""
    if not _numba_ok(rows):
        return row2im_numpy(rows, x_shape, k_hw, stride, padding, dilation, out_hw)
    n, c, h, w = x_shape
    (pt, pb), (pl, pr) = padding
    eh, ew = _extra((h, w), k_hw, stride, padding, dilation, out_hw)
    xp = np.zeros((n, h + pt + pb + eh, w + pl + pr + ew, c), dtype=rows.dtype)
    rows = np.ascontiguousarray(rows).reshape(n, out_hw[0], out_hw[1], k_hw[0], k_hw[1], c)
    _row2im_numba(rows, xp, stride[0], stride[1], dilation[0], dilation[1], work=rows.size, count=n)
    return xp[:, pt:pt + h, pl:pl + w].transpose(0, 3, 1, 2)


def _w_rows(w: np.ndarray) -> np.ndarray:
    """(O, C, kh, kw) -> (O, kh * kw * C), matching ``im2row``'s column order."""
    return np.ascontiguousarray(w.transpose(0, 2, 3, 1)).reshape(w.shape[0], -1)


def conv2d_forward_rows(x, w, b, stride, padding, dilation, out_hw) -> np.ndarray:
    """groups == 1: y (N Ho Wo, O) = im2row(x) @ w_rows^T, a batch block at a time, then a transposing copy of the
    block to NCHW that adds the bias (while the block is in cache)."""
    xp, win = _padded_row_windows(x, w.shape[2:], stride, padding, dilation, out_hw)
    n, p, kk = x.shape[0], out_hw[0] * out_hw[1], int(np.prod(win.shape[3:]))
    o = w.shape[0]
    wt = _w_rows(w).T
    dtype = np.result_type(x, w)
    y = np.empty((n, o) + tuple(out_hw), dtype=dtype)
    bias = None if b is None else b.astype(dtype, copy=False)

    def run(lo, hi):
        step, blocks = _batch_blocks(lo, hi, p * kk * x.itemsize)
        buf = np.empty((step,) + win.shape[1:], dtype=x.dtype)
        yr = np.empty((step * p, o), dtype=dtype)  # one block's product, reused: it stays in cache for the copy
        for s0, e in blocks:
            rows = buf[:e - s0]
            _copy_rows(xp, win, rows, s0, e, stride, dilation)
            yb = yr[:(e - s0) * p]
            np.matmul(rows.reshape(-1, kk), wt, out=yb)
            _to_nchw(yb.reshape(e - s0, out_hw[0], out_hw[1], o), y[s0:e], bias)

    _over_images(n, n * p * kk * o, run)
    return y


def conv2d_backward_input_rows(g, w, x_shape, stride, padding, dilation) -> np.ndarray:
    """groups == 1: d rows[n] (Ho Wo, kh kw C) = g[n]^T @ w_rows (g read in place: a transposing copy of g costs
    more than the strided GEMM saves), then row2im into a zeroed padded channels-last buffer and a transposing copy
    to NCHW, a batch block at a time (the block's rows and padded buffer reused, so they stay in cache)."""
    n, c, h, wd = x_shape
    out_hw = g.shape[2:]
    (pt, pb), (pl, pr) = padding
    eh, ew = _extra((h, wd), w.shape[2:], stride, padding, dilation, out_hw)
    dtype = np.result_type(g, w)
    p, (kh, kw) = out_hw[0] * out_hw[1], w.shape[2:]
    kk = kh * kw * c
    wr = _w_rows(w)
    gt = g.reshape(n, g.shape[1], p).transpose(0, 2, 1)  # (N, P, O) view: g read in place, no transposing copy
    gx = np.empty((n, c, h, wd), dtype=dtype)

    def run(lo, hi):
        step, blocks = _batch_blocks(lo, hi, p * kk * np.dtype(dtype).itemsize)
        buf = np.empty((step * p, kk), dtype=dtype)
        xbuf = np.empty((step, h + pt + pb + eh, wd + pl + pr + ew, c), dtype=dtype)
        fast = _numba_ok(xbuf)
        for s0, e in blocks:
            drows = buf[:(e - s0) * p]
            np.matmul(gt[s0:e], wr, out=drows.reshape(e - s0, p, kk))
            xp = xbuf[:e - s0]
            xp.fill(0)
            if fast:
                _row2im_numba(drows.reshape(e - s0, out_hw[0], out_hw[1], kh, kw, c), xp, stride[0], stride[1],
                              dilation[0], dilation[1], work=drows.size, count=e - s0)
            else:
                _row2im_padded_numpy(drows, xp, (kh, kw), stride, dilation, out_hw)
            _to_nchw(xp[:, pt:pt + h, pl:pl + wd], gx[s0:e])

    _over_images(n, n * p * kk * g.shape[1], run)
    return gx


def conv2d_backward_weight_rows(x, g, w_shape, stride, padding, dilation) -> np.ndarray:
    """groups == 1: gw (O, kh kw C) = sum over images of g[n] (O, Ho Wo) @ rows[n] (Ho Wo, kh kw C), a batch
    block at a time (batched matmul reading g in place, with no transposing copy of g into g_rows); each range of
    images sums its blocks in order, and the ranges' sums are added in range order."""
    xp, win = _padded_row_windows(x, w_shape[2:], stride, padding, dilation, g.shape[2:])
    n, p, kk = x.shape[0], g.shape[2] * g.shape[3], int(np.prod(win.shape[3:]))
    g3 = g.reshape(n, g.shape[1], p)
    dtype = np.result_type(x, g)

    def run(lo, hi):
        step, blocks = _batch_blocks(lo, hi, p * kk * x.itemsize)
        buf = np.empty((step,) + win.shape[1:], dtype=x.dtype)
        part = np.empty((step, w_shape[0], kk), dtype=dtype)
        block_sum = np.empty((w_shape[0], kk), dtype=dtype)
        total = np.zeros((w_shape[0], kk), dtype=dtype)
        for s0, e in blocks:
            rows = buf[:e - s0]
            _copy_rows(xp, win, rows, s0, e, stride, dilation)
            prod = part[:e - s0]
            np.matmul(g3[s0:e], rows.reshape(e - s0, p, kk), out=prod)
            np.sum(prod, axis=0, out=block_sum)
            total += block_sum
        return total

    gw = np.zeros((w_shape[0], kk), dtype=dtype)
    for total in _over_images(n, n * p * kk * w_shape[0], run):
        gw += total
    o, c, kh, kw = w_shape
    return np.ascontiguousarray(gw.reshape(o, kh, kw, c).transpose(0, 3, 1, 2))


# ---- column layout (any groups): channel-major im2col, one GEMM per group ----
def conv2d_forward_cols(x, w, b, stride, padding, dilation, out_hw, groups) -> np.ndarray:
    """y[n, o] = b[o] + sum_{c, i, j} w[o, c, i, j] x_pad[n, g(o) c, y s + i d, z s + j d]: im2col, then one GEMM per
    (image, group) batched by numpy's matmul, so the product lands in (N, O, Ho Wo) order with no transposing copy
    (one GEMM would need a transpose of its output). A batch block at a time (columns of about ``BLOCK_BYTES``):
    the columns and the block of y stay in cache for the GEMM and the bias."""
    n, p, o = x.shape[0], out_hw[0] * out_hw[1], w.shape[0]
    wg = w.reshape(groups, o // groups, -1)
    bias = None if b is None else b.reshape(1, -1, 1, 1)
    y = np.empty((n, o) + tuple(out_hw), dtype=np.result_type(x, w))

    def run(lo, hi):
        _, blocks = _batch_blocks(lo, hi, p * wg.shape[2] * groups * x.itemsize)
        for s0, e in blocks:
            cols = im2col(x[s0:e], w.shape[2:], stride, padding, dilation, out_hw, groups)
            np.matmul(wg, cols.reshape(groups, -1, e - s0, p).transpose(2, 0, 1, 3),
                      out=y[s0:e].reshape(e - s0, groups, o // groups, p))
            if bias is not None:
                y[s0:e] += bias

    _over_images(n, n * p * wg.shape[2] * o, run)
    return y


def conv2d_backward_input_cols(g, w, x_shape, stride, padding, dilation, groups, col2im=col2im) -> np.ndarray:
    """The adjoint of the convolution in x (a transposed convolution of g with w): GEMM then col2im."""
    wg = w.reshape(groups, w.shape[0] // groups, -1)
    dcols = np.matmul(wg.transpose(0, 2, 1), _to_gemm(g, groups))
    return col2im(dcols, x_shape, w.shape[2:], stride, padding, dilation, g.shape[2:])


BATCHED_GW_BYTES = 1 << 22


def conv2d_backward_weight_cols(x, g, w_shape, stride, padding, dilation, groups) -> np.ndarray:
    """gw[o, c, i, j] = sum_{n, y, z} g[n, o, y, z] x_pad[n, g(o) c, y s + i d, z s + j d]: im2col then GEMM.

    While the per-image products (N, O, C/g kh kw) stay under ``BATCHED_GW_BYTES``, one GEMM per image (batched
    matmul reading g in place, which saves transposing g) then a sum over images, a batch block at a time (columns
    of about ``BLOCK_BYTES``, cache-resident); each range of images sums its blocks in order and the ranges' sums
    are added in range order. Otherwise g is transposed to (O, N Ho Wo) for one (split) GEMM per group."""
    n, o, p = g.shape[0], g.shape[1], g.shape[2] * g.shape[3]
    kk = w_shape[1] * w_shape[2] * w_shape[3]
    dtype = np.result_type(x, g)
    if n * o * kk * x.itemsize <= BATCHED_GW_BYTES:
        g4 = g.reshape(n, groups, o // groups, p)

        def run(lo, hi):
            _, blocks = _batch_blocks(lo, hi, p * kk * groups * x.itemsize)
            total = np.zeros((groups, o // groups, kk), dtype=dtype)
            for s0, e in blocks:
                cols = im2col(x[s0:e], w_shape[2:], stride, padding, dilation, g.shape[2:], groups)
                total += np.matmul(g4[s0:e], cols.reshape(groups, -1, e - s0, p).transpose(2, 0, 3, 1)).sum(axis=0)
            return total

        gw = np.zeros((groups, o // groups, kk), dtype=dtype)
        for total in _over_images(n, n * p * kk * o, run):
            gw += total
    else:
        cols = im2col(x, w_shape[2:], stride, padding, dilation, g.shape[2:], groups)
        gg = _to_gemm(g, groups)
        gw = np.stack([gemm.mm(gg[i], cols[i].T) for i in range(groups)])
    return gw.reshape(w_shape)


def conv2d_backward_input_numpy(g, w, x_shape, stride, padding, dilation, groups) -> np.ndarray:
    """The numpy reference of ``conv2d_backward_input`` (column layout, col2im by strided adds)."""
    return conv2d_backward_input_cols(g, w, x_shape, stride, padding, dilation, groups, col2im=col2im_numpy)


# ---- public: row layout for groups == 1 with enough channels, column layout otherwise ----
ROWS_MIN_CHANNELS = 4


def use_rows(c_in: int, groups: int) -> bool:
    """Row (channels-last) layout for groups == 1 unless C_in is so small that im2row copies single floats
    (there im2col's contiguous runs over the image win); from C_in >= 4 on the row layout's copies move runs of C
    floats and its gradients read g in place, which makes both gradients cheaper."""
    return groups == 1 and c_in >= ROWS_MIN_CHANNELS


def conv2d_forward(x, w, b, stride, padding, dilation, out_hw, groups) -> np.ndarray:
    """y = conv(x, w) + b in (N, O, Ho, Wo)"""
    if use_rows(x.shape[1], groups):
        return conv2d_forward_rows(x, w, b, stride, padding, dilation, out_hw)
    return conv2d_forward_cols(x, w, b, stride, padding, dilation, out_hw, groups)


def conv2d_backward_input(g, w, x_shape, stride, padding, dilation, groups) -> np.ndarray:
    """The adjoint of the convolution in x (= the transposed convolution of g with w), (N, C, H, W)."""
    if use_rows(x_shape[1], groups):
        return conv2d_backward_input_rows(g, w, x_shape, stride, padding, dilation)
    return conv2d_backward_input_cols(g, w, x_shape, stride, padding, dilation, groups)


def conv2d_backward_weight(x, g, w_shape, stride, padding, dilation, groups) -> np.ndarray:
    """The adjoint of the convolution in w, (O, C / groups, kh, kw)"""
    if use_rows(x.shape[1], groups):
        return conv2d_backward_weight_rows(x, g, w_shape, stride, padding, dilation)
    return conv2d_backward_weight_cols(x, g, w_shape, stride, padding, dilation, groups)
