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
order, Numba ``col2im``. The public kernels run their GEMMs on one BLAS thread (``_blas.one_thread``: why there).

Measured (float32, wall, best of 25, one BLAS thread, machine load ~2), this version vs the single-GEMM im2col
version it replaced (which ran OpenBLAS on 2 threads) vs PyTorch (2 threads): Conv2d(1, 16, 3, p=1) on
(64, 1, 28, 28) forward 0.43 / 0.74 / 0.19 ms, weight grad 0.30 / 0.80 / 0.18; Conv2d(16, 32, 3, p=1) on
(64, 16, 14, 14) forward 2.06 / 1.67-2.5 / 0.81, input grad 1.7-2.1 / 2.2-11.9 / 0.75, weight grad 1.7 / 2.3-3.7
/ 0.67 (the ranges are the 2-thread BLAS runs' spread).
Batch blocks on two Python threads (``_run_blocks``, ``TWO_THREADS``) are written and tested but off by default:
they halve the conv GEMM pieces alone but lose in the CNN step while an OpenBLAS worker spins (see there). Not
kept: the forward's rows kept for the weight grad (see ``autograd.ops.conv.Conv``); per-image GEMMs for
the row forward (2.6 vs 2.0 ms); a Numba direct convolution for C_in = 1 (row-wise FMAs into the NCHW output:
4.2 ms vs 0.43, not vectorised). Earlier: Numba direct-convolution loops were 3-15x slower than im2col + BLAS and
a Numba im2col slower than numpy's strided copy; the serial Numba col2im beats numpy's kh * kw strided adds
(3.5 ms vs 4.5 ms). ``col2im_numpy``, ``row2im_numpy`` and the column kernels are the references the fast paths
are tested against.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit
from numpy.lib.stride_tricks import as_strided

from ._blas import one_thread


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


# ---- row layout (groups == 1): channels-last im2col, one tall GEMM over the whole batch ----
def _padded_nhwc(x, padding, extra_hw) -> np.ndarray:
    """x (N, C, H, W) zero-padded and transposed to (N, Hp, Wp, C) in one copy."""
    (pt, pb), (pl, pr) = padding
    n, c, h, w = x.shape
    xp = np.zeros((n, h + pt + pb + extra_hw[0], w + pl + pr + extra_hw[1], c), dtype=x.dtype)
    xp[:, pt:pt + h, pl:pl + w, :] = x.transpose(0, 2, 3, 1)
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


@njit(cache=True, nogil=True)
def _im2row_numba(xp, rows, s0, sh, sw, dh, dw):
    """rows[b, y, z, i, j, c] = xp[s0 + b, y s + i d, z s + j d, c] (xp padded channels-last; runs of C floats).
    Unlike numpy's copy from the strided window view, it releases the GIL, so two threads can copy at once."""
    nb, ho, wo, kh, kw, c = rows.shape
    for b in range(nb):
        for y in range(ho):
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
    the nogil Numba copy for float32/float64 when blocks may run on two threads, numpy's otherwise."""
    if TWO_THREADS and _numba_ok(xp, rows):
        _im2row_numba(xp, rows, s0, stride[0], stride[1], dilation[0], dilation[1])
    else:
        np.copyto(rows, win[s0:e])


def im2row(x, k_hw, stride, padding, dilation, out_hw) -> np.ndarray:
    """(N * Ho * Wo, kh * kw * C): one row per output position, the (i, j, c) window entries channel-fastest."""
    win = _row_windows(x, k_hw, stride, padding, dilation, out_hw)
    return np.ascontiguousarray(win).reshape(win.shape[0] * out_hw[0] * out_hw[1], -1)


BLOCK_BYTES = 1 << 18


def _batch_blocks(n: int, image_bytes: int):
    """Batch slices whose rows take about ``BLOCK_BYTES`` (at least one image each)."""
    step = max(1, min(n, BLOCK_BYTES // max(1, image_bytes)))
    return step, [(s, min(n, s + step)) for s in range(0, n, step)]


TWO_THREADS = True  # see ``_run_blocks``: wins when no OpenBLAS worker is left spinning (small GEMMs use one thread)
TWO_THREADS_MIN_BYTES = 1 << 21
_pool: list = []  # one worker thread, made on first use


def _run_blocks(work, blocks, total_bytes: int) -> None:
    """``work(i, s0, e, side)`` for every batch block ``i``. With ``TWO_THREADS``, more than one block and rows of at
    least ``TWO_THREADS_MIN_BYTES`` in all: on two threads, the caller (side 0) and a worker (side 1), each taking
    the next block until none is left (a worker that wakes late just takes fewer). Blocks write disjoint outputs;
    the Numba im2row/row2im (nogil), the GEMMs (each on one BLAS thread) and the transposing copies release the GIL
    (numpy's copy from the window view does not, hence ``_im2row_numba``), so the two overlap.

    Measured (float32, 2 cores, load ~1): Conv2d(16, 32, 3, p=1) on (64, 16, 14, 14) alone, forward 2.2 -> 1.3
    ms, input grad 1.8 -> 1.0, weight grad 1.8 -> 1.1. In the benchmark CNN step it wins only if no OpenBLAS
    worker thread is spinning: any BLAS call on 2 threads (Linear's small matmuls, outside ``one_thread``) leaves
    one busy-waiting for ~0.1 s, i.e. through the whole step, and our worker then shares its core. In-process,
    200 steps: Linear on 2 BLAS threads 10.3 ms serial, 11.2-11.7 ms with two threads; Linear's forward/backward
    wrapped in ``one_thread``: 11.2-11.7 ms serial, 8.5-10.1 ms with two threads. ``python -m benchmarks --only 3``
    (paired processes, medians): as is, 10.6-10.7 ms serial vs 12.2-16.2 with two threads; with Linear's matmuls
    in ``one_thread`` (a copy of the tree), 10.8-11.6 serial vs 9.5-9.8 with two threads (1.20-1.30 x torch, 5
    runs, one of 12.5 on a noisy machine). Also slower with the ``OPENBLAS_NUM_THREADS=1`` environment (10.8 ->
    12.4 ms in-process, 11.4 -> 13.2 benchmark). So off until Linear's small matmuls run on one BLAS thread."""
    if not TWO_THREADS or len(blocks) < 2 or total_bytes < TWO_THREADS_MIN_BYTES:
        for i, (s0, e) in enumerate(blocks):
            work(i, s0, e, 0)
        return
    if not _pool:
        _pool.append(ThreadPoolExecutor(1, thread_name_prefix="conv"))
    counter = itertools.count()  # next() is atomic under the GIL

    def loop(side):
        for i in iter(counter.__next__, None):
            if i >= len(blocks):
                return
            work(i, blocks[i][0], blocks[i][1], side)

    fut = _pool[0].submit(loop, 1)
    try:
        loop(0)
    finally:
        fut.result()


@njit(cache=True, nogil=True)
def _row2im_numba(rows, xp, sh, sw, dh, dw):
    """xp[n, y s + i d, z s + j d, c] += rows[n, y, z, i, j, c] (channels-last, the inner loop contiguous)."""
    n, ho, wo, kh, kw, c = rows.shape
    for b in range(n):
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
    _row2im_numba(rows, xp, stride[0], stride[1], dilation[0], dilation[1])
    return xp[:, pt:pt + h, pl:pl + w].transpose(0, 3, 1, 2)


def _w_rows(w: np.ndarray) -> np.ndarray:
    """(O, C, kh, kw) -> (O, kh * kw * C), matching ``im2row``'s column order."""
    return np.ascontiguousarray(w.transpose(0, 2, 3, 1)).reshape(w.shape[0], -1)


def conv2d_forward_rows(x, w, b, stride, padding, dilation, out_hw) -> np.ndarray:
    """groups == 1: y (N Ho Wo, O) = im2row(x) @ w_rows^T, a batch block at a time, then a transposing copy of the
    block to NCHW (the bias added at the end); with ``TWO_THREADS`` the blocks run on two threads (``_run_blocks``)."""
    xp, win = _padded_row_windows(x, w.shape[2:], stride, padding, dilation, out_hw)
    n, p, kk = x.shape[0], out_hw[0] * out_hw[1], int(np.prod(win.shape[3:]))
    o = w.shape[0]
    wt = _w_rows(w).T
    step, blocks = _batch_blocks(n, p * kk * x.itemsize)
    bufs = [np.empty((step,) + win.shape[1:], dtype=x.dtype) for _ in range(1 + TWO_THREADS)]
    dtype = np.result_type(x, w)
    yr = np.empty((n * p, o), dtype=dtype)
    y = np.empty((n, o) + tuple(out_hw), dtype=dtype)
    bias = None if b is None else b.reshape(1, -1, 1, 1)

    def work(_i, s0, e, side):
        rows = bufs[side][:e - s0]
        _copy_rows(xp, win, rows, s0, e, stride, dilation)
        yb = yr[s0 * p:e * p]
        np.matmul(rows.reshape(-1, kk), wt, out=yb)
        np.copyto(y[s0:e], yb.reshape(e - s0, out_hw[0], out_hw[1], o).transpose(0, 3, 1, 2))

    _run_blocks(work, blocks, n * p * kk * x.itemsize)
    if bias is not None:
        y += bias
    return y


def conv2d_backward_input_rows(g, w, x_shape, stride, padding, dilation) -> np.ndarray:
    """groups == 1: d rows[n] (Ho Wo, kh kw C) = g[n]^T @ w_rows (g read in place: 1.7 ms vs 2.1 ms after a
    transposing copy of g, Conv2d(16, 32, 3, p=1) on (64, 16, 14, 14)), then row2im (channels-last) and a
    transposing copy to NCHW, a batch block at a time; with ``TWO_THREADS`` the blocks run on two threads
    (``_run_blocks``)."""
    n, c, h, wd = x_shape
    out_hw = g.shape[2:]
    (pt, pb), (pl, pr) = padding
    eh, ew = _extra((h, wd), w.shape[2:], stride, padding, dilation, out_hw)
    xp = np.zeros((n, h + pt + pb + eh, wd + pl + pr + ew, c), dtype=np.result_type(g, w))
    gx = np.empty((n, c, h, wd), dtype=xp.dtype)
    p, (kh, kw) = out_hw[0] * out_hw[1], w.shape[2:]
    kk = kh * kw * c
    wr = _w_rows(w)
    gt = g.reshape(n, g.shape[1], p).transpose(0, 2, 1)  # (N, P, O) view: g read in place, no transposing copy
    step, blocks = _batch_blocks(n, p * kk * xp.itemsize)
    bufs = [np.empty((step * p, kk), dtype=xp.dtype) for _ in range(1 + TWO_THREADS)]
    fast = _numba_ok(xp)

    def work(_i, s0, e, side):
        drows = bufs[side][:(e - s0) * p]
        np.matmul(gt[s0:e], wr, out=drows.reshape(e - s0, p, kk))
        if fast:
            _row2im_numba(drows.reshape(e - s0, out_hw[0], out_hw[1], kh, kw, c), xp[s0:e], stride[0], stride[1],
                          dilation[0], dilation[1])
        else:
            xp[s0:e] = _row2im_padded_numpy(drows, xp[s0:e], (kh, kw), stride, dilation, out_hw)
        np.copyto(gx[s0:e], xp[s0:e, pt:pt + h, pl:pl + wd].transpose(0, 3, 1, 2))

    _run_blocks(work, blocks, n * p * kk * xp.itemsize)
    return gx


def conv2d_backward_weight_rows(x, g, w_shape, stride, padding, dilation) -> np.ndarray:
    """groups == 1: gw (O, kh kw C) = sum over images of g[n] (O, Ho Wo) @ rows[n] (Ho Wo, kh kw C), a batch
    block at a time (batched matmul reading g in place: 1.6 ms vs 2.0 ms for g_rows^T @ rows on Conv2d(16, 32, 3,
    p=1), (64, 16, 14, 14)); with ``TWO_THREADS`` the blocks run on two threads (``_run_blocks``), each block's
    sum kept and the sums added in block order (the same result whatever the split)."""
    xp, win = _padded_row_windows(x, w_shape[2:], stride, padding, dilation, g.shape[2:])
    n, p, kk = x.shape[0], g.shape[2] * g.shape[3], int(np.prod(win.shape[3:]))
    g3 = g.reshape(n, g.shape[1], p)
    step, blocks = _batch_blocks(n, p * kk * x.itemsize)
    bufs = [np.empty((step,) + win.shape[1:], dtype=x.dtype) for _ in range(1 + TWO_THREADS)]
    dtype = np.result_type(x, g)
    parts = [np.empty((step, w_shape[0], kk), dtype=dtype) for _ in range(1 + TWO_THREADS)]
    sums = np.empty((len(blocks), w_shape[0], kk), dtype=dtype)

    def work(i, s0, e, side):
        rows = bufs[side][:e - s0]
        _copy_rows(xp, win, rows, s0, e, stride, dilation)
        prod = parts[side][:e - s0]
        np.matmul(g3[s0:e], rows.reshape(e - s0, p, kk), out=prod)
        np.sum(prod, axis=0, out=sums[i])

    _run_blocks(work, blocks, n * p * kk * x.itemsize)
    gw = np.zeros((w_shape[0], kk), dtype=dtype)
    for i in range(len(blocks)):
        gw += sums[i]
    o, c, kh, kw = w_shape
    return np.ascontiguousarray(gw.reshape(o, kh, kw, c).transpose(0, 3, 1, 2))


# ---- column layout (any groups): channel-major im2col, one GEMM per group ----
def conv2d_forward_cols(x, w, b, stride, padding, dilation, out_hw, groups) -> np.ndarray:
    """y[n, o] = b[o] + sum_{c, i, j} w[o, c, i, j] x_pad[n, g(o) c, y s + i d, z s + j d]: im2col, then one GEMM per
    (image, group) batched by numpy's matmul, so the product lands in (N, O, Ho Wo) order with no transposing copy
    (Conv2d(1, 16, 3, p=1) on (64, 1, 28, 28): 0.42 ms vs 0.91 ms for one GEMM and a transpose)."""
    cols = im2col(x, w.shape[2:], stride, padding, dilation, out_hw, groups)
    n, p = x.shape[0], out_hw[0] * out_hw[1]
    wg = w.reshape(groups, w.shape[0] // groups, -1)
    y = np.matmul(wg, cols.reshape(groups, -1, n, p).transpose(2, 0, 1, 3))  # (N, G, O/G, P)
    y = y.reshape((n, w.shape[0]) + tuple(out_hw))
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
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
    matmul reading g in place) then a sum over images: Conv2d(1, 16, 3, p=1) on (64, 1, 28, 28) 0.29 ms vs 0.79
    ms for one GEMM after transposing g. Otherwise g is transposed to (O, N Ho Wo) for one GEMM per group."""
    cols = im2col(x, w_shape[2:], stride, padding, dilation, g.shape[2:], groups)
    n, o, p = g.shape[0], g.shape[1], g.shape[2] * g.shape[3]
    if n * o * cols.shape[1] * cols.itemsize <= BATCHED_GW_BYTES:
        g4 = g.reshape(n, groups, o // groups, p)
        gw = np.matmul(g4, cols.reshape(groups, -1, n, p).transpose(2, 0, 3, 1)).sum(axis=0)
    else:
        gw = np.matmul(_to_gemm(g, groups), cols.transpose(0, 2, 1))
    return gw.reshape(w_shape)


def conv2d_backward_input_numpy(g, w, x_shape, stride, padding, dilation, groups) -> np.ndarray:
    """The numpy reference of ``conv2d_backward_input`` (column layout, col2im by strided adds)."""
    return conv2d_backward_input_cols(g, w, x_shape, stride, padding, dilation, groups, col2im=col2im_numpy)


# ---- public: row layout for groups == 1 with enough channels, column layout otherwise ----
ROWS_MIN_CHANNELS = 4


def use_rows(c_in: int, groups: int) -> bool:
    """Row (channels-last) layout for groups == 1 unless C_in is so small that im2row copies single floats
    (Conv2d(1, 16, 3) on (64, 1, 28, 28): im2row 0.75 ms vs im2col 0.12 ms; Conv2d(16, 32, 3) on (64, 16, 14, 14):
    forward 2.0 vs 2.0-2.3 ms, input grad 1.7 vs 3.0 ms, weight grad 1.6 vs 2.9 ms, one BLAS thread)."""
    return groups == 1 and c_in >= ROWS_MIN_CHANNELS


def conv2d_forward(x, w, b, stride, padding, dilation, out_hw, groups) -> np.ndarray:
    """y = conv(x, w) + b in (N, O, Ho, Wo)"""
    with one_thread():
        if use_rows(x.shape[1], groups):
            return conv2d_forward_rows(x, w, b, stride, padding, dilation, out_hw)
        return conv2d_forward_cols(x, w, b, stride, padding, dilation, out_hw, groups)


def conv2d_backward_input(g, w, x_shape, stride, padding, dilation, groups) -> np.ndarray:
    """The adjoint of the convolution in x (= the transposed convolution of g with w), (N, C, H, W)."""
    with one_thread():
        if use_rows(x_shape[1], groups):
            return conv2d_backward_input_rows(g, w, x_shape, stride, padding, dilation)
        return conv2d_backward_input_cols(g, w, x_shape, stride, padding, dilation, groups)


def conv2d_backward_weight(x, g, w_shape, stride, padding, dilation, groups) -> np.ndarray:
    """The adjoint of the convolution in w, (O, C / groups, kh, kw)"""
    with one_thread():
        if use_rows(x.shape[1], groups):
            return conv2d_backward_weight_rows(x, g, w_shape, stride, padding, dilation)
        return conv2d_backward_weight_cols(x, g, w_shape, stride, padding, dilation, groups)
