"""``RNN``/``LSTM``/``GRU`` over a ``PackedSequence``: each sequence stops at its own length.

The batch is in the packed order (longest first), so at any time step the running sequences are a prefix of
the batch. A layer runs in segments between consecutive distinct lengths, one kernel call per segment on the
running prefix: forward in time, the sequences that end at a segment's end leave with their final state;
backward in time (the reverse direction), a sequence joins at its last step with its initial state. Outputs at
padded positions are zeros and are dropped when the result is packed again. Everything is Tensor ops, so
gradients flow as through the unpacked layers.
"""

from __future__ import annotations

import numpy as np

import autograd
from autograd.ops.rnn import gru_layer, lstm_layer, rnn_layer
from autograd.tensor import Tensor

from ..utils.rnn import PackedSequence


def _padded(packed: PackedSequence) -> tuple[Tensor, np.ndarray, np.ndarray]:
    """(T, B, *) time-major padded data in the packed (sorted) order, the gather index back, and the lengths."""
    data, bs = packed.data, packed.batch_sizes.numpy().astype(np.int64)
    T, B = bs.size, int(bs[0])
    n = data.shape[0]
    index = np.full((T, B), n, dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(bs)])
    for t, b in enumerate(bs):
        index[t, :b] = np.arange(offsets[t], offsets[t] + b)
    zero = autograd.zeros((1,) + tuple(data.shape[1:]), dtype=data.dtype)
    padded = autograd.cat([data, zero])[autograd.tensor(index.reshape(-1))].reshape((T, B) + tuple(data.shape[1:]))
    valid = np.concatenate([t * B + np.arange(b) for t, b in enumerate(bs)])
    lengths = (bs[None, :] > np.arange(B)[:, None]).sum(1)
    return padded, valid, lengths


def _pad_rows(x: Tensor, rows: int) -> Tensor:
    """x (T, b, H) with zero rows appended up to (T, rows, H)."""
    if x.shape[1] == rows:
        return x
    return autograd.cat([x, autograd.zeros((x.shape[0], rows - x.shape[1], x.shape[2]), dtype=x.dtype)], 1)


def _segments(lengths: np.ndarray) -> list[tuple[int, int, int]]:
    """(t0, t1, rows): in time steps [t0, t1) the first ``rows`` sequences are running; in time order."""
    out, prev = [], 0
    for L in np.unique(lengths):  # ascending
        out.append((prev, int(L), int((lengths >= L).sum())))
        prev = int(L)
    return out


def _layer(step, x: Tensor, h0: Tensor, c0, lengths: np.ndarray, reverse: bool):
    """One layer and direction over the padded (T, B, F) x: (output (T, B, H), h_n (B, H), c_n or None)."""
    B = x.shape[1]
    segs = _segments(lengths)
    outs = []
    if not reverse:
        h, c = h0, c0
        done_h, done_c = [], []
        for k, (t0, t1, rows) in enumerate(segs):
            out, h1, c1 = step(x[t0:t1, :rows], h[:rows], None if c is None else c[:rows], False)
            outs.append(_pad_rows(out, B))
            keep = segs[k + 1][2] if k + 1 < len(segs) else 0
            done_h.append(h1[keep:rows])
            if c1 is not None:
                done_c.append(c1[keep:rows])
            h, c = h1[:keep], (None if c1 is None else c1[:keep])
        h_n = autograd.cat(done_h[::-1], 0)
        c_n = autograd.cat(done_c[::-1], 0) if done_c else None
        return autograd.cat(outs, 0), h_n, c_n
    h = c = None
    running = 0
    for t0, t1, rows in segs[::-1]:
        hs = h0[running:rows] if h is None else autograd.cat([h, h0[running:rows]], 0)
        cs = None if c0 is None else (c0[running:rows] if c is None else autograd.cat([c, c0[running:rows]], 0))
        out, h, c = step(x[t0:t1, :rows], hs, cs, True)
        outs.append(_pad_rows(out, B))
        running = rows
    return autograd.cat(outs[::-1], 0), h, c


def _stepper(m, k: int):
    """The kernel call of layer-and-direction ``k`` of module ``m``: (x, h, c, reverse) -> (out, h, c)."""
    ws = [getattr(m, n) for n in m._all_weights[k]]
    w_ih, w_hh = ws[0], ws[1]
    b_ih, b_hh = (ws[2], ws[3]) if m.bias else (None, None)
    if m.mode == "LSTM":
        w_hr = ws[-1] if m.proj_size > 0 else None
        return lambda x, h, c, rev: lstm_layer(x, h, c, w_ih, w_hh, b_ih, b_hh, w_hr, batch_first=False,
                                               reverse=rev)
    if m.mode == "GRU":
        return lambda x, h, c, rev: (*gru_layer(x, h, w_ih, w_hh, b_ih, b_hh, batch_first=False, reverse=rev), None)
    nonlin = "relu" if m.mode == "RNN_RELU" else "tanh"
    return lambda x, h, c, rev: (*rnn_layer(x, h, w_ih, w_hh, b_ih, b_hh, nonlinearity=nonlin, batch_first=False,
                                            reverse=rev), None)


def packed_forward(m, packed: PackedSequence, hx):
    """``m(packed, hx)`` for a recurrent module ``m``: (PackedSequence output, h_n) or (output, (h_n, c_n))."""
    x, valid, lengths = _padded(packed)
    m.check_input(x)
    B = x.shape[1]
    D = 2 if m.bidirectional else 1
    n = m.num_layers * D
    real_hidden = m.proj_size if m.proj_size > 0 else m.hidden_size
    sorted_idx = packed.sorted_indices
    lstm = m.mode == "LSTM"
    h0 = c0 = None
    if hx is not None:
        h0, c0 = (hx if lstm else (hx, None))
        m.check_hidden_size(h0, (n, B, real_hidden), "Expected hidden[0] size {}, got {}" if lstm else
                            "Expected hidden size {}, got {}")
        if lstm:
            m.check_hidden_size(c0, (n, B, m.hidden_size), "Expected hidden[1] size {}, got {}")
        if sorted_idx is not None:  # the caller's states are in the original batch order
            h0 = h0.index_select(1, sorted_idx)
            c0 = None if c0 is None else c0.index_select(1, sorted_idx)
    zeros = autograd.zeros
    layer_input = x
    hs, cs = [], []
    for layer in range(m.num_layers):
        outs = []
        for d in range(D):
            k = layer * D + d
            h = h0[k] if h0 is not None else zeros(B, real_hidden, dtype=x.dtype)
            c = (c0[k] if c0 is not None else zeros(B, m.hidden_size, dtype=x.dtype)) if lstm else None
            out, h_n, c_n = _layer(_stepper(m, k), layer_input, h, c, lengths, reverse=d == 1)
            outs.append(out)
            hs.append(h_n)
            cs.append(c_n)
        layer_input = outs[0] if D == 1 else autograd.cat(outs, -1)
        if m.dropout > 0 and m.training and layer < m.num_layers - 1:
            from ..functional import dropout

            layer_input = dropout(layer_input, m.dropout, training=True)
    T = x.shape[0]
    data = layer_input.reshape((T * B, layer_input.shape[-1]))[autograd.tensor(valid)]
    output = PackedSequence(data, packed.batch_sizes, sorted_idx, packed.unsorted_indices)
    h_n = autograd.stack(hs, 0)
    c_n = autograd.stack(cs, 0) if lstm else None
    if packed.unsorted_indices is not None:
        h_n = h_n.index_select(1, packed.unsorted_indices)
        c_n = None if c_n is None else c_n.index_select(1, packed.unsorted_indices)
    return output, ((h_n, c_n) if lstm else h_n)
