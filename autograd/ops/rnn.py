"""Recurrent layers as single ops: one LSTM / GRU / Elman-RNN layer, one direction, over a whole sequence.

A layer is one graph node (as PyTorch's ``_VF.lstm`` is one kernel): the loop over time runs in the kernels of
``autograd.kernels.rnn``, one Numba call per layer and batch chunk each way (for GRU after one matmul for the input
projection of every step; LSTM and the Elman RNN fold it into their step GEMM), and backward is the reverse loop
plus one matmul per weight (one for W_ih and W_hh together where the forward saved each step's [x_t, h_{t-1}]).
The kernels write the output straight into its final (batch-first or time-major) layout. A 2-D ``x`` (B, I) is
a single step (used by the cells). The rows of a batch are independent recurrences: with more than one thread
allowed (``autograd.threads``), a batch of 16 rows or more runs as chunks of at least 8 rows on that many threads
(numpy and the Numba kernels release the GIL), so the cores work with no synchronisation per step; the BLAS keeps
the policy's thread count (a chunk's per-step GEMMs are below OpenBLAS's own threading threshold or split by it).
A row's result does not depend on the chunking: each row's recurrence is its own. One op per layer rather than
per-step Tensor ops keeps the graph small and the time loop out of Python.

Backward is an op of its own for each layer (``LSTMLayerBackward``, ``GRULayerBackward``, ``RNNLayerBackward``):
its forward runs the reverse-time kernels, so the same fused code serves plain training and ``create_graph=True``.
The backward op's own derivative differentiates a Tensor-op replay of the layer (``_lstm_steps`` and friends)
twice, so higher derivatives are exact. These ops are internal: ``nn.LSTM``/``nn.GRU``/``nn.RNN`` and the cells
are the public face.
"""

from __future__ import annotations

import numpy as np

from .. import threads
from ..function import Op
from ..kernels import rnn as K
from .replay import replay_vjp, vjp_of

__all__: list[str] = []


# ---------------------------------------------------------------- helpers
def _time_major(x: np.ndarray, batch_first: bool) -> np.ndarray:
    """(T, B, F) view of the layer input; a 2-D x is one step."""
    if x.ndim == 2:
        return x[None]
    return x.transpose(1, 0, 2) if batch_first else x


def _from_time_major(y: np.ndarray, ndim: int, batch_first: bool) -> np.ndarray:
    if ndim == 2:
        return y[0]
    return np.ascontiguousarray(y.transpose(1, 0, 2)) if batch_first else y


def _project(x_tm: np.ndarray, w_ih: np.ndarray, *biases) -> np.ndarray:
    """x W_ih^T + sum(biases) for every step at once: (T, B, G), C-contiguous."""
    T, B, n_in = x_tm.shape
    xg = (np.ascontiguousarray(x_tm).reshape(T * B, n_in) @ w_ih.T).reshape(T, B, w_ih.shape[0])
    for b in biases:
        if b is not None:
            xg += b
    return xg


def _output(x: np.ndarray, batch_first: bool, T: int, B: int, H: int, dtype):
    """(out, out_tm): the layer output in its final layout ((B, T, H) batch-first, (T, B, H), or (B, H) for one
    step) and its time-major view, which the kernels write step by step."""
    if x.ndim == 2:
        out = np.empty((B, H), dtype)
        return out, out[None]
    if batch_first:
        out = np.empty((B, T, H), dtype)
        return out, out.transpose(1, 0, 2)
    out = np.empty((T, B, H), dtype)
    return out, out


def _chunk_input_grads(need_x: bool, need_w: bool, dxg, x_tm, w_ih):
    """From the gradient of one batch chunk's input projection (T, b, G): dx (time-major), dW_ih, db."""
    T, B, G = dxg.shape
    d2 = dxg.reshape(T * B, G)
    dx = (d2 @ w_ih).reshape(T, B, w_ih.shape[1]) if need_x else None
    dw_ih = d2.T @ np.ascontiguousarray(x_tm).reshape(T * B, w_ih.shape[1]) if need_w else None
    return dx, dw_ih, d2.sum(axis=0)


def _stacked_input_grads(dpre, xh, w_ih, need_x: bool, need_w_ih: bool, need_w_hh: bool):
    """From one chunk's pre-activation gradient (T, b, G) and its saved [x_t, h_{t-1}] (T, b, I + P) (LSTM, RNN):
    dx (time-major), dW_ih and dW_hh (one GEMM for both, d^T [x, h]), db."""
    T, B, G = dpre.shape
    n_in, width = w_ih.shape[1], xh.shape[2]
    d2 = dpre.reshape(T * B, G)
    dx = (d2 @ w_ih).reshape(T, B, n_in) if need_x else None
    dw_ih = dw_hh = None
    if need_w_ih or need_w_hh:
        dw = d2.T @ xh.reshape(T * B, width)[:, 0 if need_w_ih else n_in:width if need_w_hh else n_in]
        dw_ih = np.ascontiguousarray(dw[:, :n_in]) if need_w_ih else None
        dw_hh = np.ascontiguousarray(dw[:, dw.shape[1] - (width - n_in):]) if need_w_hh else None
    return dx, dw_ih, dw_hh, d2.sum(axis=0)


def _gather(results: list, kinds: tuple) -> list:
    """Join the per-chunk results: an int kind concatenates along that axis (batch), "sum" adds (weights)."""
    if len(results) == 1:
        return list(results[0])
    out = []
    for i, kind in enumerate(kinds):
        parts = [r[i] for r in results]
        if parts[0] is None:
            out.append(None)
        elif kind == "sum":
            out.append(sum(parts[1:], parts[0]))
        else:
            out.append(np.concatenate(parts, axis=kind))
    return out


_CHUNK_MIN_ROWS = 8


def _batch_chunks(B: int) -> list:
    """Batch row ranges processed concurrently: from the "rnn" threshold (batch rows) on, chunks of at least
    ``_CHUNK_MIN_ROWS`` rows, one per thread the policy allows."""
    return threads.chunks(B, B, "rnn", _CHUNK_MIN_ROWS)


def _layer_grads(grads, need) -> tuple:
    """The backward op's outputs (one per input that needs a gradient) spread back over the layer's inputs."""
    grads = iter(grads)
    return tuple(next(grads) if n else None for n in need)


def _wanted(arrays, need) -> list[int]:
    return [i for i, (a, n) in enumerate(zip(arrays, need)) if n and a is not None]


def _double_backward(ctx, steps, n_out: int, hs, **attrs) -> tuple:
    """Backward of a layer's backward op, whose inputs are the output grads, the layer inputs and the saved
    per-chunk arrays (constants of the forward: no gradient). The backward op is the vector-Jacobian product of
    the Tensor-op replay ``steps``; its own derivative is that product's, replayed (``ReplayVjp``)."""
    saved = ctx.saved_tensors
    gouts, prims = saved[:n_out], saved[n_out:]
    need = ctx.needs_input_grad
    z = prims + gouts
    z_need = need[n_out:n_out + len(prims)] + need[:n_out]
    wrt = [i for i, (t, n) in enumerate(zip(z, z_need)) if n and t is not None]
    result = [None] * len(need)
    if wrt:
        layer_vjp = vjp_of(lambda *p: steps(*p, **attrs), ctx.wanted, len(prims))
        for i, g in zip(wrt, replay_vjp(layer_vjp, z, hs, wrt)):
            result[n_out + i if i < len(prims) else i - len(prims)] = g
    return tuple(result)


def _sequence_replay(x, batch_first, reverse, step):
    """Run ``step(x_t)`` over time in Tensor ops; returns the outputs stacked in the input's layout."""
    from .shape import stack

    single = x.ndim == 2
    if single:
        xs = [x]
    else:
        xs = [x[:, t] if batch_first else x[t] for t in range(x.shape[1 if batch_first else 0])]
    order = range(len(xs) - 1, -1, -1) if reverse else range(len(xs))
    outs = [None] * len(xs)
    for t in order:
        outs[t] = step(xs[t])
    if single:
        return outs[0]
    return stack(outs, 1 if batch_first else 0)


def _lstm_steps(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, batch_first=False, reverse=False):
    state = [h0, c0]

    def step(xt):
        g = xt @ w_ih.T + state[0] @ w_hh.T
        if b_ih is not None:
            g = g + b_ih + b_hh
        i, f, gg, o = g.chunk(4, -1)
        c = f.sigmoid() * state[1] + i.sigmoid() * gg.tanh()
        h = o.sigmoid() * c.tanh()
        if w_hr is not None:
            h = h @ w_hr.T
        state[:] = [h, c]
        return h

    out = _sequence_replay(x, batch_first, reverse, step)
    return out, state[0], state[1]


def _gru_steps(x, h0, w_ih, w_hh, b_ih, b_hh, batch_first=False, reverse=False):
    state = [h0]

    def step(xt):
        gx = xt @ w_ih.T
        gh = state[0] @ w_hh.T
        if b_ih is not None:
            gx = gx + b_ih
            gh = gh + b_hh
        xr, xz, xn = gx.chunk(3, -1)
        hr, hz, hn = gh.chunk(3, -1)
        r = (xr + hr).sigmoid()
        z = (xz + hz).sigmoid()
        n = (xn + r * hn).tanh()
        h = (1 - z) * n + z * state[0]
        state[0] = h
        return h

    out = _sequence_replay(x, batch_first, reverse, step)
    return out, state[0]


def _rnn_steps(x, h0, w_ih, w_hh, b_ih, b_hh, relu=False, batch_first=False, reverse=False):
    state = [h0]

    def step(xt):
        pre = xt @ w_ih.T + state[0] @ w_hh.T
        if b_ih is not None:
            pre = pre + b_ih + b_hh
        h = pre.relu() if relu else pre.tanh()
        state[0] = h
        return h

    out = _sequence_replay(x, batch_first, reverse, step)
    return out, state[0]


# ---------------------------------------------------------------- LSTM
class LSTMLayer(Op):
    """One LSTM layer: gates = x W_ih^T + b_ih + h W_hh^T + b_hh = [i, f, g, o]; c' = s(f) c + s(i) tanh(g);
    h' = s(o) tanh(c') (then h' W_hr^T with a projection); d/d(gates) by the reverse-time recurrence."""

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, batch_first=False, reverse=False):
        x_tm = _time_major(x, batch_first)
        T, B, _ = x_tm.shape
        s = K.lstm_gate_scale(w_ih.shape[0], w_ih.dtype)[:, None]  # folded into the weights, exact (powers of two)
        w_t = np.ascontiguousarray(np.concatenate([w_ih * s, w_hh * s], axis=1).T)
        bias = sum((b for b in (b_ih, b_hh) if b is not None), np.zeros(w_ih.shape[0], w_ih.dtype)) * s[:, 0]
        out, out_tm = _output(x, batch_first, T, B, w_hh.shape[1], w_ih.dtype)
        chunks = _batch_chunks(B)

        def run(chunk):
            b0, b1 = chunk
            return K.lstm_forward(x_tm[:, b0:b1], bias, h0[b0:b1], c0[b0:b1], w_t, w_hr, reverse, out_tm[:, b0:b1])

        res = threads.parallel_map(run, chunks)
        hn, cn = _gather([r[1:3] for r in res], (0, 0))
        ctx.batch_first, ctx.reverse, ctx.chunks = batch_first, reverse, chunks
        per_chunk = [a for r in res for a in r[3:]]  # gates, cs, tanh(cs), hraw, [x_t, h_{t-1}]
        ctx.save_for_backward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, *per_chunk)
        return out, hn, cn

    @staticmethod
    def backward(ctx, gout, ghn, gcn):
        grads = LSTMLayerBackward.apply(gout, ghn, gcn, *ctx.saved_tensors, batch_first=ctx.batch_first,
                                        reverse=ctx.reverse, chunks=ctx.chunks, need=ctx.needs_input_grad)
        return _layer_grads(grads, ctx.needs_input_grad)


class LSTMLayerBackward(Op):
    """The LSTM layer's input gradients from its output gradients (the reverse-time recurrence, in the kernels);
    its own derivative differentiates the Tensor-op replay ``_lstm_steps`` twice."""

    @staticmethod
    def forward(ctx, gout, ghn, gcn, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, *per_chunk, batch_first, reverse,
                chunks, need):
        g_tm = _time_major(gout, batch_first)
        prims = (x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr)

        def run(k):
            (b0, b1), (gates, cs, tcs, hraw, xh) = chunks[k], per_chunk[5 * k: 5 * k + 5]
            dgates, dh0, dc0, dh_all = K.lstm_backward(g_tm[:, b0:b1], ghn[b0:b1], gcn[b0:b1], gates, cs, tcs,
                                                       c0[b0:b1], w_hh, w_hr, reverse)
            dx, dw_ih, dw_hh, db = _stacked_input_grads(dgates, xh, w_ih, need[0], need[3], need[4])
            dw_hr = None
            if w_hr is not None and need[7]:
                T, B, P = dh_all.shape
                dw_hr = dh_all.reshape(T * B, P).T @ hraw.reshape(T * B, hraw.shape[2])
            return dx, dh0, dc0, dw_ih, dw_hh, db, dw_hr

        dx, dh0, dc0, dw_ih, dw_hh, db, dw_hr = _gather(threads.parallel_map(run, range(len(chunks))),
                                                        (1, 0, 0, "sum", "sum", "sum", "sum"))
        dx = None if dx is None else _from_time_major(dx, x.ndim, batch_first)
        ctx.wanted, ctx.batch_first, ctx.reverse = _wanted(prims, need), batch_first, reverse
        ctx.save_for_backward(gout, ghn, gcn, *prims)
        grads = (dx, dh0, dc0, dw_ih, dw_hh, db, db, dw_hr)
        return tuple(grads[i] for i in ctx.wanted)

    @staticmethod
    def backward(ctx, *hs):
        return _double_backward(ctx, _lstm_steps, 3, hs, batch_first=ctx.batch_first, reverse=ctx.reverse)

def lstm_layer(x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, w_hr=None, batch_first: bool = False,
               reverse: bool = False):
    """One LSTM layer over x (T, B, I) (or (B, T, I) with batch_first, or one step (B, I)): (out, h_n, c_n)."""
    return LSTMLayer.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, batch_first=batch_first, reverse=reverse)


# ---------------------------------------------------------------- GRU
class GRULayer(Op):
    """One GRU layer: r = s(x W_ir + b_ir + h W_hr + b_hr), z likewise, n = tanh(x W_in + b_in + r (h W_hn + b_hn)),
    h' = (1 - z) n + z h; d/d(gates) by the reverse-time recurrence."""

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, batch_first=False, reverse=False):
        x_tm = _time_major(x, batch_first)
        T, B, _ = x_tm.shape
        H = w_hh.shape[1]
        w_t = w_hh.T.copy()  # a fresh array: with H = 1 ascontiguousarray keeps a (1, 3) view of row stride 1
        b_rz = None if b_hh is None else np.concatenate([b_hh[:2 * H], np.zeros(H, b_hh.dtype)])  # into xg
        b_hn = np.zeros(H, w_hh.dtype) if b_hh is None else b_hh[2 * H:]
        out, out_tm = _output(x, batch_first, T, B, H, w_hh.dtype)
        chunks = _batch_chunks(B)

        def run(chunk):
            b0, b1 = chunk
            xg = _project(x_tm[:, b0:b1], w_ih, b_ih, b_rz)
            return K.gru_forward(xg, h0[b0:b1], w_t, b_hn, reverse, out_tm[:, b0:b1])

        res = threads.parallel_map(run, chunks)
        hn = _gather([r[1:2] for r in res], (0,))[0]
        ctx.batch_first, ctx.reverse, ctx.chunks = batch_first, reverse, chunks
        ctx.save_for_backward(x, h0, w_ih, w_hh, b_ih, b_hh, *[a for r in res for a in r[2:]])  # gates, hns, hs
        return out, hn

    @staticmethod
    def backward(ctx, gout, ghn):
        grads = GRULayerBackward.apply(gout, ghn, *ctx.saved_tensors, batch_first=ctx.batch_first,
                                       reverse=ctx.reverse, chunks=ctx.chunks, need=ctx.needs_input_grad)
        return _layer_grads(grads, ctx.needs_input_grad)


class GRULayerBackward(Op):
    """The GRU layer's input gradients from its output gradients (the reverse-time recurrence, in the kernels);
    its own derivative differentiates the Tensor-op replay ``_gru_steps`` twice."""

    @staticmethod
    def forward(ctx, gout, ghn, x, h0, w_ih, w_hh, b_ih, b_hh, *per_chunk, batch_first, reverse, chunks, need):
        x_tm, g_tm = _time_major(x, batch_first), _time_major(gout, batch_first)
        prims = (x, h0, w_ih, w_hh, b_ih, b_hh)

        def run(k):
            (b0, b1), (gates, hns, hs) = chunks[k], per_chunk[3 * k: 3 * k + 3]
            dxg, dhg, dh0 = K.gru_backward(g_tm[:, b0:b1], ghn[b0:b1], gates, hns, hs, w_hh, reverse)
            dx, dw_ih, db_ih = _chunk_input_grads(need[0], need[2], dxg, x_tm[:, b0:b1], w_ih)
            T, B, G = dhg.shape
            d2, H = dhg.reshape(T * B, G), G // 3
            dw_hh = d2.T @ hs.reshape(T * B, H) if need[3] else None
            return dx, dh0, dw_ih, dw_hh, db_ih, d2.sum(axis=0)

        dx, dh0, dw_ih, dw_hh, db_ih, db_hh = _gather(threads.parallel_map(run, range(len(chunks))),
                                                      (1, 0, "sum", "sum", "sum", "sum"))
        dx = None if dx is None else _from_time_major(dx, x.ndim, batch_first)
        ctx.wanted, ctx.batch_first, ctx.reverse = _wanted(prims, need), batch_first, reverse
        ctx.save_for_backward(gout, ghn, *prims)
        grads = (dx, dh0, dw_ih, dw_hh, db_ih, db_hh)
        return tuple(grads[i] for i in ctx.wanted)

    @staticmethod
    def backward(ctx, *hs):
        return _double_backward(ctx, _gru_steps, 2, hs, batch_first=ctx.batch_first, reverse=ctx.reverse)

def gru_layer(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, batch_first: bool = False, reverse: bool = False):
    """One GRU layer over x (T, B, I) (or (B, T, I) with batch_first, or one step (B, I)): (out, h_n)."""
    return GRULayer.apply(x, h0, w_ih, w_hh, b_ih, b_hh, batch_first=batch_first, reverse=reverse)


# ---------------------------------------------------------------- Elman RNN
class RNNLayer(Op):
    """One Elman RNN layer: h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act = tanh or relu;
    d/d(pre) = g act'(pre), carried back through W_hh."""

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, relu=False, batch_first=False, reverse=False):
        x_tm = _time_major(x, batch_first)
        T, B, _ = x_tm.shape
        H = w_hh.shape[1]
        w_t = np.ascontiguousarray(np.concatenate([w_ih, w_hh], axis=1).T)
        bias = sum((b for b in (b_ih, b_hh) if b is not None), np.zeros(H, w_hh.dtype))
        out, out_tm = _output(x, batch_first, T, B, H, w_hh.dtype)
        chunks = _batch_chunks(B)

        def run(chunk):
            b0, b1 = chunk
            return K.rnn_forward(x_tm[:, b0:b1], bias, h0[b0:b1], w_t, relu, reverse, out_tm[:, b0:b1])

        res = threads.parallel_map(run, chunks)
        hn = _gather([r[1:2] for r in res], (0,))[0]
        ctx.batch_first, ctx.reverse, ctx.relu, ctx.chunks = batch_first, reverse, relu, chunks
        ctx.save_for_backward(x, h0, w_ih, w_hh, b_ih, b_hh, *[a for r in res for a in r[2:]])  # ys, [x_t, h_t-1]
        return out, hn

    @staticmethod
    def backward(ctx, gout, ghn):
        grads = RNNLayerBackward.apply(gout, ghn, *ctx.saved_tensors, relu=ctx.relu, batch_first=ctx.batch_first,
                                       reverse=ctx.reverse, chunks=ctx.chunks, need=ctx.needs_input_grad)
        return _layer_grads(grads, ctx.needs_input_grad)


class RNNLayerBackward(Op):
    """The Elman RNN layer's input gradients from its output gradients (the reverse-time recurrence, in the
    kernels); its own derivative differentiates the Tensor-op replay ``_rnn_steps`` twice."""

    @staticmethod
    def forward(ctx, gout, ghn, x, h0, w_ih, w_hh, b_ih, b_hh, *per_chunk, relu, batch_first, reverse, chunks,
                need):
        g_tm = _time_major(gout, batch_first)
        prims = (x, h0, w_ih, w_hh, b_ih, b_hh)

        def run(k):
            (b0, b1), (ys, xh) = chunks[k], per_chunk[2 * k: 2 * k + 2]
            dpre, dh0 = K.rnn_backward(g_tm[:, b0:b1], ghn[b0:b1], ys, w_hh, relu, reverse)
            dx, dw_ih, dw_hh, db = _stacked_input_grads(dpre, xh, w_ih, need[0], need[2], need[3])
            return dx, dh0, dw_ih, dw_hh, db

        dx, dh0, dw_ih, dw_hh, db = _gather(threads.parallel_map(run, range(len(chunks))), (1, 0, "sum", "sum", "sum"))
        dx = None if dx is None else _from_time_major(dx, x.ndim, batch_first)
        ctx.wanted, ctx.relu, ctx.batch_first, ctx.reverse = _wanted(prims, need), relu, batch_first, reverse
        ctx.save_for_backward(gout, ghn, *prims)
        grads = (dx, dh0, dw_ih, dw_hh, db, db)
        return tuple(grads[i] for i in ctx.wanted)

    @staticmethod
    def backward(ctx, *hs):
        return _double_backward(ctx, _rnn_steps, 2, hs, relu=ctx.relu, batch_first=ctx.batch_first,
                                reverse=ctx.reverse)

def rnn_layer(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity: str = "tanh", batch_first: bool = False,
              reverse: bool = False):
    """One Elman RNN layer over x (T, B, I) (or (B, T, I) with batch_first, or one step (B, I)): (out, h_n)."""
    return RNNLayer.apply(x, h0, w_ih, w_hh, b_ih, b_hh, relu=nonlinearity == "relu", batch_first=batch_first,
                          reverse=reverse)
