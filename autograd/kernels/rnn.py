"""Whole-sequence recurrent kernels (LSTM, GRU, Elman RNN): forward and backward of one layer, one direction.

Pure array functions: numpy in, numpy out, no autodiff. All arrays are time-major (T, B, ...). ``reverse`` walks
time from T-1 down to 0 (the backward direction of a bidirectional layer); outputs stay at their time index.
Gate layouts are PyTorch's: LSTM rows [i, f, g, o], GRU rows [r, z, n].

LSTM: the whole recurrence is one Numba call each way. A step of the forward is one GEMM, gates = b + [x_t, h]
[W_ih, W_hh]^T (the input projection rides along: widening K from H to I + H costs less than a separate
projection of the whole sequence plus two bias passes), then one fused elementwise pass (the
four gate activations, the cell update and tanh of the cell, with ``ftanh``, a tanh that vectorizes). The GEMMs
are numpy's own OpenBLAS ``cblas_sgemm`` called from inside the loop (``_cblas``): Numba's ``np.dot`` reaches
scipy's OpenBLAS, slower at these sizes, and a Python loop pays interpreter dispatch every step. Forward saves the
stacked [x_t, h_{t-1}] of each step, so backward gets dW_ih and dW_hh with one GEMM. Where numpy's BLAS is not
recognised the same steps run as numpy calls (``_lstm_forward_numpy``).

GRU and Elman RNN: the same pattern, one Numba call each way with numpy's cblas GEMM and one fused elementwise
pass a step. GRU keeps the input projection out of the loop: xg (T, B, 3H) = x W_ih^T + b_ih + [b_hr, b_hz, 0]
is one GEMM for all steps (by the caller), and a step is the GEMM h W_hh^T (K = H, N = 3H) then the fused pass.
Its n gate needs h W_hn^T + b_hn apart from the x part (r multiplies it), so stacking [x_t, h] would need a
zero-padded (I + H, 4H) weight, whose step GEMM alone costs more than the whole layer with the projection
outside. The Elman RNN does stack, as LSTM: y = act(b + [x_t, h] [W_ih, W_hh]^T), which edges out a separate
projection, and backward gets dW_ih and dW_hh from one GEMM over the saved [x_t, h_{t-1}]. Both save the state
each step started from, so no concatenation is needed for dW_hh. Without a recognised BLAS the same steps run
with numpy's matmul (``_gru_forward_numpy``, ``_rnn_forward_numpy`` and the Python loops of the backwards).

Backwards return the gradient of each step's pre-activation gates, from which the caller gets the weight and
input gradients with one matmul each."""

from __future__ import annotations

import numpy as np
from numba import njit

from ._cblas import address, gemm
from ._fastexp import as_type_of, ftanh


def _order(T: int, reverse: bool) -> range:
    return range(T - 1, -1, -1) if reverse else range(T)


# ---------------------------------------------------------------- LSTM
@njit(cache=True, nogil=True)
def _lstm_backward_step(g_t, tc_t, cprev, dh, gadd, dc, dg_t):
    """One step of the reverse recurrence, elementwise: d = dh + gadd is the gradient of the step's (unprojected)
    hidden output; writes dg_t, the gradient of the pre-activation gates, and carries dc back one step."""
    B, G = g_t.shape
    H = G // 4
    for b in range(B):  # one 1-D view per gate: LLVM vectorizes the j loop (indexing g[H + j] does not)
        gi_, gf_, gg_, go_ = g_t[b, :H], g_t[b, H:2 * H], g_t[b, 2 * H:3 * H], g_t[b, 3 * H:]
        di_, df_, dg_, do_ = dg_t[b, :H], dg_t[b, H:2 * H], dg_t[b, 2 * H:3 * H], dg_t[b, 3 * H:]
        tc_b, cp, d_b, a_b, dc_b = tc_t[b], cprev[b], dh[b], gadd[b], dc[b]
        for j in range(H):
            gi = gi_[j]
            gf = gf_[j]
            gg = gg_[j]
            go = go_[j]
            tc = tc_b[j]
            d = d_b[j] + a_b[j]
            dcn = dc_b[j] + d * go * (1 - tc * tc)
            di_[j] = dcn * gg * gi * (1 - gi)
            df_[j] = dcn * cp[j] * gf * (1 - gf)
            dg_[j] = dcn * gi * (1 - gg * gg)
            do_[j] = d * tc * go * (1 - go)
            dc_b[j] = dcn * gf


@njit(cache=True, nogil=True)
def _lstm_gates(a, c, cn):
    """a = tanh of the scaled gates -> activations in place (sigmoid = 0.5 tanh + 0.5 for i, f, o);
    cn = f c + i g. One call instead of five numpy ufunc calls per step (the numpy path)."""
    B, G = a.shape
    H = G // 4
    for b in range(B):  # 1-D views per gate, so the j loop vectorizes
        ai, af, ag, ao = a[b, :H], a[b, H:2 * H], a[b, 2 * H:3 * H], a[b, 3 * H:]
        c_b, cn_b = c[b], cn[b]
        for j in range(H):
            gi = 0.5 * ai[j] + 0.5
            gf = 0.5 * af[j] + 0.5
            ai[j] = gi
            af[j] = gf
            ao[j] = 0.5 * ao[j] + 0.5
            cn_b[j] = gf * c_b[j] + gi * ag[j]


@njit(cache=True, nogil=True, error_model="numpy")
def _lstm_cell(a, c, cn, tc, h):  # pragma: no cover - compiled
    """The whole elementwise step, one pass: a (B, 4H) scaled pre-activations -> activated gates in place,
    cn = f c + i g, tc = tanh(cn), h = o tc (ftanh vectorizes; sigmoid(x) = 0.5 tanh(x / 2) + 0.5)."""
    B, G = a.shape
    H = G // 4
    half = as_type_of(a, 0.5)
    for b in range(B):
        ai, af, ag, ao = a[b, :H], a[b, H:2 * H], a[b, 2 * H:3 * H], a[b, 3 * H:]
        c_b, cn_b, tc_b, h_b = c[b], cn[b], tc[b], h[b]
        for j in range(H):
            gi = half * ftanh(ai[j]) + half
            gf = half * ftanh(af[j]) + half
            gg = ftanh(ag[j])
            go = half * ftanh(ao[j]) + half
            cj = gf * c_b[j] + gi * gg
            tj = ftanh(cj)
            ai[j], af[j], ag[j], ao[j] = gi, gf, gg, go
            cn_b[j], tc_b[j], h_b[j] = cj, tj, go * tj


@njit(cache=True, nogil=True)
def _lstm_stack_input(x_t, hprev, xh_t):  # pragma: no cover - compiled
    """xh_t = [x_t, hprev] along features: the one GEMM operand of the step."""
    B, I = x_t.shape
    for b in range(B):
        xh_t[b, :I] = x_t[b]
        xh_t[b, I:] = hprev[b]


@njit(cache=True, nogil=True, error_model="numpy")
def _lstm_forward_blas(fn, x, bias, h0, c0, w_t, w_hr_t, skip_first, reverse, xh, out, gates, cs, tcs, hraw):
    """The forward recurrence in one call: per step one cblas GEMM, a = bias + [x_t, h] W^T, and one fused
    elementwise pass. ``hraw`` is (0, B, H) without a projection; with one, out_t = hraw_t W_hr^T (a second GEMM).
    ``skip_first``: h0 is zero, so the first step multiplies x_t alone (the default initial state)."""
    T, B, I = x.shape
    proj = hraw.shape[0] > 0
    h = np.empty((B, out.shape[2]), out.dtype)  # contiguous: ``out`` may be a strided view (batch-first layout)
    for s in range(T):
        t = T - 1 - s if reverse else s
        tp = t + 1 if reverse else t - 1
        _lstm_stack_input(x[t], h0 if s == 0 else h, xh[t])
        a = gates[t]
        for b in range(B):
            a[b] = bias
        k = I if s == 0 and skip_first else xh.shape[2]
        gemm(fn, xh[t, :, :k], w_t[:k], a, False, False, 1.0)
        cprev = c0 if s == 0 else cs[tp]
        if proj:
            _lstm_cell(a, cprev, cs[t], tcs[t], hraw[t])
            gemm(fn, hraw[t], w_hr_t, h, False, False, 0.0)
        else:
            _lstm_cell(a, cprev, cs[t], tcs[t], h)
        for b in range(B):
            out[t, b] = h[b]


def _lstm_forward_numpy(x, bias, h0, c0, w_t, w_hr_t, skip_first, reverse, xh, out, gates, cs, tcs, hraw):
    """``_lstm_forward_blas`` in numpy calls, for numpy builds whose BLAS ``_cblas`` does not recognise."""
    T, B, I = x.shape
    H = gates.shape[2] // 4
    proj = hraw is not None
    for s, t in enumerate(_order(T, reverse)):
        tp = t + 1 if reverse else t - 1
        xh[t, :, :I] = x[t]
        xh[t, :, I:] = h0 if s == 0 else out[tp]
        k = I if s == 0 and skip_first else xh.shape[2]
        a = gates[t]
        np.matmul(xh[t, :, :k], w_t[:k], out=a)
        a += bias
        np.tanh(a, out=a)
        _lstm_gates(a, c0 if s == 0 else cs[tp], cs[t])
        np.tanh(cs[t], out=tcs[t])
        if proj:
            np.multiply(a[:, 3 * H:], tcs[t], out=hraw[t])
            np.matmul(hraw[t], w_hr_t, out=out[t])
        else:
            np.multiply(a[:, 3 * H:], tcs[t], out=out[t])


@njit(cache=True, nogil=True)
def _lstm_backward_blas(fn, gout, dh, dc, gates, cs, tcs, c0, w_hh, w_hr, reverse, dgates, dh_all, dhr, zero):
    """The reverse recurrence in one call: per step the elementwise step and one cblas GEMM (dh = dgates_t W_hh);
    with a projection (``dh_all`` not empty) first dh += gout_t and dhr = dh W_hr."""
    T = gates.shape[0]
    proj = dh_all.shape[0] > 0
    for s in range(T):
        t = s if reverse else T - 1 - s
        tp = t + 1 if reverse else t - 1
        cprev = cs[tp] if 0 <= tp < T else c0
        if proj:
            dh += gout[t]
            dh_all[t] = dh
            gemm(fn, dh, w_hr, dhr, False, False, 0.0)
            _lstm_backward_step(gates[t], tcs[t], cprev, dhr, zero, dc, dgates[t])
        else:
            _lstm_backward_step(gates[t], tcs[t], cprev, dh, gout[t], dc, dgates[t])
        gemm(fn, dgates[t], w_hh, dh, False, False, 0.0)


def lstm_gate_scale(G: int, dtype) -> np.ndarray:
    """(G,) = 0.5 for the sigmoid gates i, f, o and 1 for g: sigmoid(x) = 0.5 tanh(0.5 x) + 0.5."""
    scale = np.full(G, 0.5, dtype)
    scale[G // 2:3 * G // 4] = 1
    return scale


def lstm_forward(x, bias, h0, c0, w_t, w_hr=None, reverse=False, out=None):
    """One LSTM layer over a sequence. x (T,B,I) time-major (any strides); w_t (I+P, 4H) = [W_ih, W_hh]^T and
    bias (4H,) = b_ih + b_hh, both already multiplied by ``lstm_gate_scale`` (exact: powers of two); h0 (B,P);
    c0 (B,H); w_hr (P,H) or None (P = H); out (T,B,P) to write the outputs into (any strides, unit inner one).
    Returns out, h_n, c_n, gates (T,B,4H) activated, cs (T,B,H) cell states, tcs = tanh(cs), hraw (T,B,H) the
    unprojected hidden states (None without projection) and xh (T,B,I+P), each step's [x_t, h_{t-1}]."""
    T, B, I = x.shape
    G = w_t.shape[1]
    H = G // 4
    dt = w_t.dtype
    proj = w_hr is not None
    P = w_hr.shape[0] if proj else H
    if out is None:
        out = np.empty((T, B, P), dt)
    gates = np.empty((T, B, G), dt)
    cs = np.empty((T, B, H), dt)
    tcs = np.empty((T, B, H), dt)
    xh = np.empty((T, B, I + P), dt)
    hraw = np.empty((T, B, H), dt) if proj else None
    h0, c0 = np.ascontiguousarray(h0, dt), np.ascontiguousarray(c0, dt)
    w_hr_t = np.ascontiguousarray(w_hr.T, dt) if proj else None
    args = (x.astype(dt, copy=False), bias.astype(dt, copy=False), h0, c0, w_t, w_hr_t, not h0.any(), reverse, xh,
            out, gates, cs, tcs)
    fn = address(dt)
    if fn and T and out.strides[2] == dt.itemsize:
        _lstm_forward_blas(fn, *args[:5], np.empty((0, 0), dt) if w_hr_t is None else w_hr_t, *args[6:],
                           np.empty((0, B, H), dt) if hraw is None else hraw)
    else:
        _lstm_forward_numpy(*args, hraw)
    last = 0 if reverse else T - 1
    hn = out[last].copy() if T else h0.copy()
    cn = cs[last].copy() if T else c0.copy()
    return out, hn, cn, gates, cs, tcs, hraw, xh


def lstm_backward(gout, ghn, gcn, gates, cs, tcs, c0, w_hh, w_hr=None, reverse=False):
    """Backward of ``lstm_forward``: returns dgates (T,B,4H) with respect to the pre-activation gates,
    dh0, dc0, and dh_all (T,B,P) the total gradient of each projected output (None without projection).
    The loop over time is one Numba call (``_lstm_backward_blas``: per step the elementwise step and one cblas
    GEMM); without a recognised BLAS, a Python loop of the same steps with numpy's matmul."""
    T, B, G = gates.shape
    H = G // 4
    dt = gates.dtype
    proj = w_hr is not None
    dgates = np.empty((T, B, G), dt)
    dh_all = np.empty((T, B, w_hr.shape[0]), dt) if proj else None
    gout = np.ascontiguousarray(gout, dt)
    w_hh = np.ascontiguousarray(w_hh, dt)
    c0 = np.ascontiguousarray(c0, dt)
    dh = np.array(ghn, dt, order="C")
    dc = np.array(gcn, dt, order="C")
    if proj:
        w_hr = np.ascontiguousarray(w_hr, dt)
        dhr = np.empty((B, H), dt)
        zero = np.zeros((B, H), dt)
    fn = address(dt)
    if fn:
        empty = np.empty((0, 0), dt)
        _lstm_backward_blas(fn, gout, dh, dc, gates, cs, tcs, c0, w_hh, w_hr if proj else empty, reverse, dgates,
                            dh_all if proj else np.empty((0, B, 0), dt), dhr if proj else empty,
                            zero if proj else empty)
        return dgates, dh, dc, dh_all
    for s in range(T):
        t = s if reverse else T - 1 - s
        tp = t + 1 if reverse else t - 1
        cprev = cs[tp] if 0 <= tp < T else c0
        if proj:
            dh += gout[t]
            dh_all[t] = dh
            np.matmul(dh, w_hr, out=dhr)
            _lstm_backward_step(gates[t], tcs[t], cprev, dhr, zero, dc, dgates[t])
        else:
            _lstm_backward_step(gates[t], tcs[t], cprev, dh, gout[t], dc, dgates[t])
        np.matmul(dgates[t], w_hh, out=dh)
    return dgates, dh, dc, dh_all


# ---------------------------------------------------------------- GRU
@njit(cache=True, nogil=True, error_model="numpy")
def _gru_cell(xg_t, hh, b_hn, hp, g_t, hn_t, h):  # pragma: no cover - compiled
    """The whole elementwise step, one pass: from xg_t (B, 3H) and hh = hp W_hh^T (B, 3H), r = s(xg_r + hh_r),
    z = s(xg_z + hh_z), hn_t = hh_n + b_hn, n = tanh(xg_n + r hn_t), h = n + z (hp - n); g_t = [r, z, n]."""
    B, G = xg_t.shape
    H = G // 3
    half = xg_t.dtype.type(0.5)
    for b in range(B):  # 1-D views per gate, so the j loop vectorizes
        xr, xz, xn = xg_t[b, :H], xg_t[b, H:2 * H], xg_t[b, 2 * H:]
        hr, hz, hnn = hh[b, :H], hh[b, H:2 * H], hh[b, 2 * H:]
        gr, gz, gn = g_t[b, :H], g_t[b, H:2 * H], g_t[b, 2 * H:]
        hp_b, m_b, h_b = hp[b], hn_t[b], h[b]
        for j in range(H):
            r = half * ftanh(half * (xr[j] + hr[j])) + half
            z = half * ftanh(half * (xz[j] + hz[j])) + half
            m = hnn[j] + b_hn[j]
            n = ftanh(xn[j] + r * m)
            gr[j], gz[j], gn[j] = r, z, n
            m_b[j] = m
            h_b[j] = n + z * (hp_b[j] - n)


@njit(cache=True, nogil=True, error_model="numpy")
def _gru_forward_blas(fn, xg, h0, w_t, b_hn, skip_first, reverse, hs, out, gates, hns, hh, hn):
    """The forward recurrence in one call: per step one cblas GEMM, hh = h W_hh^T, and one fused elementwise pass.
    hs[t] is the state step t starts from (its GEMM operand; backward's too); the last step writes hn.
    ``skip_first``: h0 is zero, so the first step's hh is zero (the default initial state)."""
    T, B, _ = xg.shape
    for s in range(T):
        t = T - 1 - s if reverse else s
        if s == 0:
            for b in range(B):
                hs[t, b] = h0[b]
        if s == 0 and skip_first:
            hh[:] = 0
        else:
            gemm(fn, hs[t], w_t, hh, False, False, 0.0)
        h = hn if s == T - 1 else hs[t - 1 if reverse else t + 1]
        _gru_cell(xg[t], hh, b_hn, hs[t], gates[t], hns[t], h)
        for b in range(B):
            out[t, b] = h[b]


def _gru_forward_numpy(xg, h0, w_t, b_hn, reverse, hs, out, gates, hns, hh, hn):
    """``_gru_forward_blas`` with numpy's matmul, for numpy builds whose BLAS ``_cblas`` does not recognise."""
    T = xg.shape[0]
    for s, t in enumerate(_order(T, reverse)):
        if s == 0:
            hs[t] = h0
        np.matmul(hs[t], w_t, out=hh)
        h = hn if s == T - 1 else hs[t - 1 if reverse else t + 1]
        _gru_cell(xg[t], hh, b_hn, hs[t], gates[t], hns[t], h)
        out[t] = h


@njit(cache=True, nogil=True, error_model="numpy")
def _gru_backward_step(gout_t, g_t, hn_t, hp, dh, dxg_t, dhg_t):  # pragma: no cover - compiled
    """One step of the reverse recurrence, elementwise: d = dh + gout_t, the gradient of the step's output; writes
    dxg_t / dhg_t, the gradients of xg_t and of hh_t + b_hh, and leaves dh = d z (dhg_t W_hh is added after)."""
    B, G = g_t.shape
    H = G // 3
    one = g_t.dtype.type(1.0)
    for b in range(B):
        gr, gz, gn = g_t[b, :H], g_t[b, H:2 * H], g_t[b, 2 * H:]
        xr, xz, xn = dxg_t[b, :H], dxg_t[b, H:2 * H], dxg_t[b, 2 * H:]
        hr, hz, hnn = dhg_t[b, :H], dhg_t[b, H:2 * H], dhg_t[b, 2 * H:]
        go, m_b, hp_b, dh_b = gout_t[b], hn_t[b], hp[b], dh[b]
        for j in range(H):
            r = gr[j]
            z = gz[j]
            n = gn[j]
            d = dh_b[j] + go[j]
            dnp = d * (one - z) * (one - n * n)
            drp = dnp * m_b[j] * r * (one - r)
            dzp = d * (hp_b[j] - n) * z * (one - z)
            xr[j], xz[j], xn[j] = drp, dzp, dnp
            hr[j], hz[j], hnn[j] = drp, dzp, dnp * r
            dh_b[j] = d * z


@njit(cache=True, nogil=True)
def _gru_backward_blas(fn, gout, gates, hns, hs, w_hh, reverse, dh, dxg, dhg):  # pragma: no cover - compiled
    """The reverse recurrence in one call: per step the elementwise step and one cblas GEMM, dh += dhg_t W_hh."""
    T = gates.shape[0]
    for s in range(T):
        t = s if reverse else T - 1 - s
        _gru_backward_step(gout[t], gates[t], hns[t], hs[t], dh, dxg[t], dhg[t])
        gemm(fn, dhg[t], w_hh, dh, False, False, 1.0)


def gru_forward(xg, h0, w_t, b_hn, reverse=False, out=None):
    """One GRU layer. xg (T,B,3H) = x W_ih^T + b_ih + [b_hr, b_hz, 0], C-contiguous; h0 (B,H); w_t (H,3H) = W_hh^T,
    C-contiguous; b_hn (H,); out (T,B,H) to write the outputs into (any strides, unit inner one).
    Returns out, h_n, gates (T,B,3H) = activated [r, z, n], hns (T,B,H) = h W_hn^T + b_hn and hs (T,B,H), the
    state each step started from."""
    T, B, G = xg.shape
    H = G // 3
    dt = w_t.dtype
    if out is None:
        out = np.empty((T, B, H), dt)
    gates = np.empty((T, B, G), dt)
    hns = np.empty((T, B, H), dt)
    hs = np.empty((T, B, H), dt)
    hh = np.empty((B, G), dt)
    h0 = np.ascontiguousarray(h0, dt)
    hn = h0.copy()
    args = (np.ascontiguousarray(xg, dt), h0, w_t, np.ascontiguousarray(b_hn, dt))
    fn = address(dt)
    if fn and T and B and out.strides[2] == dt.itemsize:
        _gru_forward_blas(fn, *args, not h0.any(), reverse, hs, out, gates, hns, hh, hn)
    else:
        _gru_forward_numpy(*args, reverse, hs, out, gates, hns, hh, hn)
    return out, hn, gates, hns, hs


def gru_backward(gout, ghn, gates, hns, hs, w_hh, reverse=False):
    """Backward of ``gru_forward``: dxg (grad of xg), dhg (grad of h W_hh^T + b_hh, per step), dh0."""
    T, B, G = gates.shape
    dt = gates.dtype
    dxg = np.empty((T, B, G), dt)
    dhg = np.empty((T, B, G), dt)
    gout = np.ascontiguousarray(gout, dt)
    w_hh = np.ascontiguousarray(w_hh, dt)
    dh = np.array(ghn, dt, order="C")
    fn = address(dt)
    if fn and B:
        _gru_backward_blas(fn, gout, gates, hns, hs, w_hh, reverse, dh, dxg, dhg)
        return dxg, dhg, dh
    for t in _order(T, not reverse):
        _gru_backward_step(gout[t], gates[t], hns[t], hs[t], dh, dxg[t], dhg[t])
        dh += dhg[t] @ w_hh
    return dxg, dhg, dh


# ---------------------------------------------------------------- Elman RNN
@njit(cache=True, nogil=True, error_model="numpy")
def _rnn_activation(y, relu):  # pragma: no cover - compiled
    """y = tanh(y) or relu(y) in place, (B, H)."""
    B, H = y.shape
    zero = y.dtype.type(0.0)
    for b in range(B):
        y_b = y[b]
        for j in range(H):
            v = y_b[j]
            y_b[j] = (v if v > zero else zero) if relu else ftanh(v)


@njit(cache=True, nogil=True, error_model="numpy")
def _rnn_forward_blas(fn, x, bias, h0, w_t, skip_first, relu, reverse, xh, ys, out):  # pragma: no cover - compiled
    """The forward recurrence in one call: per step one cblas GEMM, y = bias + [x_t, h] [W_ih, W_hh]^T, then the
    activation in place. ``skip_first``: h0 is zero, so the first step multiplies x_t alone."""
    T, B, I = x.shape
    for s in range(T):
        t = T - 1 - s if reverse else s
        _lstm_stack_input(x[t], h0 if s == 0 else ys[t + 1 if reverse else t - 1], xh[t])
        y = ys[t]
        for b in range(B):
            y[b] = bias
        k = I if s == 0 and skip_first else xh.shape[2]
        gemm(fn, xh[t, :, :k], w_t[:k], y, False, False, 1.0)
        _rnn_activation(y, relu)
        for b in range(B):
            out[t, b] = y[b]


def _rnn_forward_numpy(x, bias, h0, w_t, relu, reverse, xh, ys, out):
    """``_rnn_forward_blas`` with numpy's matmul, for numpy builds whose BLAS ``_cblas`` does not recognise."""
    I = x.shape[2]
    for s, t in enumerate(_order(x.shape[0], reverse)):
        xh[t, :, :I] = x[t]
        xh[t, :, I:] = h0 if s == 0 else ys[t + 1 if reverse else t - 1]
        np.matmul(xh[t], w_t, out=ys[t])
        ys[t] += bias
        _rnn_activation(ys[t], relu)
        out[t] = ys[t]


@njit(cache=True, nogil=True, error_model="numpy")
def _rnn_backward_step(gout_t, y_t, dh, relu, dpre_t):  # pragma: no cover - compiled
    """dpre_t = (dh + gout_t) act'(pre), written through y_t = act(pre): 1 - y^2 for tanh, y > 0 for relu."""
    B, H = y_t.shape
    zero, one = y_t.dtype.type(0.0), y_t.dtype.type(1.0)
    for b in range(B):
        y_b, g_b, dh_b, dp_b = y_t[b], gout_t[b], dh[b], dpre_t[b]
        for j in range(H):
            y = y_b[j]
            d = dh_b[j] + g_b[j]
            dp_b[j] = (d if y > zero else zero) if relu else d * (one - y * y)


@njit(cache=True, nogil=True)
def _rnn_backward_blas(fn, gout, ys, w_hh, relu, reverse, dh, dpre):  # pragma: no cover - compiled
    """The reverse recurrence in one call: per step the elementwise step and one cblas GEMM, dh = dpre_t W_hh."""
    T = ys.shape[0]
    for s in range(T):
        t = s if reverse else T - 1 - s
        _rnn_backward_step(gout[t], ys[t], dh, relu, dpre[t])
        gemm(fn, dpre[t], w_hh, dh, False, False, 0.0)


def rnn_forward(x, bias, h0, w_t, relu=False, reverse=False, out=None):
    """One Elman RNN layer: h_t = act(b + [x_t, h_{t-1}] [W_ih, W_hh]^T), act = tanh or relu. x (T,B,I)
    time-major (any strides); bias (H,) = b_ih + b_hh; h0 (B,H); w_t (I+H, H) = [W_ih, W_hh]^T, C-contiguous;
    out (T,B,H) to write the outputs into (any strides, unit inner one). Returns out, h_n, ys (T,B,H) the outputs
    C-contiguous and xh (T,B,I+H), each step's [x_t, h_{t-1}]."""
    T, B, I = x.shape
    H = w_t.shape[1]
    dt = w_t.dtype
    if out is None:
        out = np.empty((T, B, H), dt)
    ys = np.empty((T, B, H), dt)
    xh = np.empty((T, B, I + H), dt)
    h0 = np.ascontiguousarray(h0, dt)
    args = (x.astype(dt, copy=False), np.ascontiguousarray(bias, dt), h0, w_t)
    fn = address(dt)
    if fn and T and B and out.strides[2] == dt.itemsize:
        _rnn_forward_blas(fn, *args, not h0.any(), relu, reverse, xh, ys, out)
    else:
        _rnn_forward_numpy(*args, relu, reverse, xh, ys, out)
    hn = ys[0 if reverse else T - 1].copy() if T else h0.copy()
    return out, hn, ys, xh


def rnn_backward(gout, ghn, ys, w_hh, relu=False, reverse=False):
    """Backward of ``rnn_forward``: dpre (T,B,H), the gradient of each step's pre-activation, and dh0."""
    dt = ys.dtype
    dpre = np.empty(ys.shape, dt)
    gout = np.ascontiguousarray(gout, dt)
    w_hh = np.ascontiguousarray(w_hh, dt)
    dh = np.array(ghn, dt, order="C")
    fn = address(dt)
    if fn and ys.shape[1]:
        _rnn_backward_blas(fn, gout, ys, w_hh, relu, reverse, dh, dpre)
        return dpre, dh
    for t in _order(ys.shape[0], not reverse):
        _rnn_backward_step(gout[t], ys[t], dh, relu, dpre[t])
        np.matmul(dpre[t], w_hh, out=dh)
    return dpre, dh
