"""ONNX translations of the layer ops: convolutions, pooling, normalization, embedding and the recurrent layers.

The recurrent layers map onto ONNX's LSTM / GRU / RNN ops, one per layer and direction as they run here; their
weights are reordered into ONNX's gate order (PyTorch: i f g o and r z n; ONNX: i o f c and z r h) as new
initializers named after the parameters they come from.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .graph import translates

P = "autograd.ops.pool."


# ---- convolutions ----
@translates("autograd.ops.conv.Conv")
def _conv(g, rec):
    x, w, b, geom = rec.args
    dt = rec.outs[0].dtype
    ins = [g.value(x, dt), g.value(w, dt)] + ([g.value(b, dt)] if b is not None else [])
    pads = [p[0] for p in geom.padding] + [p[1] for p in geom.padding]
    return [g.op("Conv", *ins, kernel_shape=list(geom.k_sp), strides=list(geom.stride), pads=pads,
                 dilations=list(geom.dilation), group=int(geom.groups))]


@translates("autograd.ops.conv.ConvBackwardInput")
def _conv_transpose(g, rec):
    x, w, b, geom = rec.args
    dt = rec.outs[0].dtype
    ins = [g.value(x, dt), g.value(w, dt)] + ([g.value(b, dt)] if b is not None else [])
    pads = [p[0] for p in geom.padding] + [p[1] for p in geom.padding]
    # ONNX's output size s (i - 1) + output_padding + d (k - 1) + 1 - pads must be the convolution's input size
    out_pad = [o - (s * (i - 1) + d * (k - 1) + 1 - p[0] - p[1])
               for o, i, s, d, k, p in zip(geom.in_sp, geom.out_sp, geom.stride, geom.dilation, geom.k_sp,
                                           geom.padding)]
    return [g.op("ConvTranspose", *ins, kernel_shape=list(geom.k_sp), strides=list(geom.stride), pads=pads,
                 dilations=list(geom.dilation), group=int(geom.groups), output_padding=out_pad)]


# ---- pooling ----
def _pool_geom(geom, x: Tensor):
    """(kernel, stride, padding, dilation, ceil_mode, spatial sizes) in ONNX's terms (1-D pools as 1-D)."""
    k, s, p, d = (list(v) for v in (geom.kernel, geom.stride, geom.padding, geom.dilation))
    out = list(geom.out_hw)
    if geom.nd == 1:
        k, s, p, d, out = k[1:], s[1:], p[1:], d[1:], out[1:]
    sp = list(x.shape[2:])
    floor = [(i + 2 * pp - dd * (kk - 1) - 1) // ss + 1 for i, kk, ss, pp, dd in zip(sp, k, s, p, d)]
    return k, s, p, d, int(out != floor), sp, out


@translates(P + "MaxPool")
def _max_pool(g, rec):
    x, geom = rec.args[:2]
    if rec.kwargs.get("return_indices") or (len(rec.args) > 2 and rec.args[2]):
        raise g.unsupported("max pooling with return_indices=True (ONNX's indices are numbered differently)")
    k, s, p, d, ceil, _, _ = _pool_geom(geom, x)
    return [g.op("MaxPool", g.value(x), kernel_shape=k, strides=s, pads=p + p, dilations=d, ceil_mode=ceil)]


@translates(P + "AvgPool")
def _avg_pool(g, rec):
    x, geom, div = rec.args
    dt = rec.outs[0].dtype
    k, s, p, _, ceil, sp, out = _pool_geom(geom, x)
    v = g.value(x, dt)
    high = list(p)
    if ceil:  # zeros past the end, so that every window of the output fits: they add nothing to a sum
        high = [max(pp, (o - 1) * ss + kk - i - pp) for pp, o, ss, kk, i in zip(p, out, s, k, sp)]
    area = float(np.prod(k))
    y = g.op("AveragePool", v, kernel_shape=k, strides=s, pads=p + high, count_include_pad=1)
    div = np.asarray(div).reshape(out)
    if np.all(div == area):
        return [y]
    return [g.op("Mul", y, g.const((area / div).astype(dt)))]  # sum / div, from the mean over the whole window


@translates(P + "AdaptiveAvgPool")
def _adaptive_avg_pool(g, rec):
    x, ph, pw = rec.args
    dt = rec.outs[0].dtype
    v = g.value(x, dt)
    if ph is not None:
        v = g.op("MatMul", g.const(np.asarray(ph, dt)), v)
    return [g.op("MatMul", v, g.const(np.ascontiguousarray(np.asarray(pw, dt).T)))]


# ---- normalization ----
@translates("autograd.ops.norm.Normalize")
def _normalize(g, rec):
    x, w, b, spec = rec.args
    dt = rec.outs[0].dtype
    v = g.value(x, dt)
    lead = x.ndim - len(spec.affine_shape)
    if tuple(spec.affine_dims) == tuple(range(lead)):  # layer norm over the trailing affine_shape dims
        n = len(spec.affine_shape)
        scale = g.value(w, dt) if w is not None else g.const(np.ones(spec.affine_shape, dt))
        ins = [v, scale] + ([g.value(b, dt)] if b is not None else [])
        return [g.op("LayerNormalization", *ins, axis=-n, epsilon=float(spec.eps)), None, None]
    if spec.view[0] != 1:
        raise g.unsupported("batch norm in training mode (call model.eval() before exporting)")
    groups = spec.view[1] // x.shape[0]
    if rec.alt.args[3].view[1] // rec.alt.args[0].shape[0] != groups:
        raise g.unsupported("group norm whose number of groups changes with the dynamic axes")
    # group norm: statistics over (N, G, rest), then the per-channel affine
    x3 = g.op("Reshape", v, g.ints([0, groups, -1]))
    mean = g.reduce("ReduceMean", x3, [2], True)
    dev = g.op("Sub", x3, mean)
    var = g.reduce("ReduceMean", g.op("Mul", dev, dev), [2], True)
    y = g.op("Div", dev, g.op("Sqrt", g.op("Add", var, g.const(np.asarray(spec.eps, dt)))))
    y = g.op("Reshape", y, g.op("Shape", v))
    if w is not None:
        y = g.op("Mul", y, g.op("Reshape", g.value(w, dt), g.ints(spec.affine_shape)))
    if b is not None:
        y = g.op("Add", y, g.op("Reshape", g.value(b, dt), g.ints(spec.affine_shape)))
    return [y, None, None]


# ---- embedding ----
@translates("autograd.ops.embedding.EmbeddingLookup")
def _embedding(g, rec):
    w, idx = rec.args[:2]
    return [g.op("Gather", g.value(w), g.value(idx, np.int64), axis=0)]


# ---- recurrent layers ----
def _blocks(a: np.ndarray, order: list) -> np.ndarray:
    """The row blocks of a (G * H, ...) array in ``order``."""
    parts = np.split(a, len(order), axis=0)
    return np.concatenate([parts[i] for i in order], axis=0)


def _weights(g, rec, w_ih, w_hh, b_ih, b_hh, order: list, dt) -> list:
    """W, R, B initializers in ONNX's layout (a leading direction axis of 1) and gate order."""
    names = [g.params.get(id(t), f"rnn_{len(g.inits)}") if isinstance(t, Tensor) else None
             for t in (w_ih, w_hh, b_ih)]
    W = _blocks(w_ih.numpy(), order)[None].astype(dt)
    R = _blocks(w_hh.numpy(), order)[None].astype(dt)
    rows = w_ih.shape[0]
    bi = b_ih.numpy() if b_ih is not None else np.zeros(rows, dt)
    bh = b_hh.numpy() if b_hh is not None else np.zeros(rows, dt)
    B = np.concatenate([_blocks(bi, order), _blocks(bh, order)])[None].astype(dt)
    return [g.const(W, name=f"{names[0]}.onnx"), g.const(R, name=f"{names[1]}.onnx"),
            g.const(B, name=f"{names[2] or names[0]}.onnx_bias")]


def _state(g, h, dt) -> str:
    """An initial state (B, H) as ONNX's (1, B, H); '' (zeros, ONNX's default) for a constant zero state."""
    if g.known(h) is None and not np.any(h.numpy()):
        return ""
    return g.unsqueeze(g.value(h, dt), [0])


def _recurrent(g, rec, op_type: str, x, states: list, weights: list, n_states: int, **attrs) -> list:
    kw = rec.kwargs
    batch_first, reverse = kw.get("batch_first", False), kw.get("reverse", False)
    dt = rec.outs[0].dtype
    v = g.value(x, dt)
    one_step = x.ndim == 2  # a cell: one step (B, I)
    if one_step:
        v = g.unsqueeze(v, [0])
    elif batch_first:
        v = g.op("Transpose", v, perm=[1, 0, 2])
    hidden = weights[1].shape[1]
    W, R, B = _weights(g, rec, *weights, attrs.pop("order"), dt)
    init = [_state(g, s, dt) for s in states]
    outs = g.node(op_type, [v, W, R, B, ""] + init, 1 + n_states, hidden_size=int(hidden),
                  direction="reverse" if reverse else "forward", **attrs)
    y = g.squeeze(outs[0], [1])  # (T, 1, B, H) -> (T, B, H)
    if one_step:
        y = g.squeeze(y, [0])
    elif batch_first:
        y = g.op("Transpose", y, perm=[1, 0, 2])
    return [y] + [g.squeeze(o, [0]) for o in outs[1:]]


@translates("autograd.ops.rnn.LSTMLayer")
def _lstm(g, rec):
    x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr = rec.args[:8]
    if w_hr is not None:
        raise g.unsupported("an LSTM with proj_size > 0 (ONNX's LSTM has no projection)")
    return _recurrent(g, rec, "LSTM", x, [h0, c0], [w_ih, w_hh, b_ih, b_hh], 2, order=[0, 3, 1, 2])


@translates("autograd.ops.rnn.GRULayer")
def _gru(g, rec):
    x, h0, w_ih, w_hh, b_ih, b_hh = rec.args[:6]
    return _recurrent(g, rec, "GRU", x, [h0], [w_ih, w_hh, b_ih, b_hh], 1, order=[1, 0, 2], linear_before_reset=1)


@translates("autograd.ops.rnn.RNNLayer")
def _rnn(g, rec):
    x, h0, w_ih, w_hh, b_ih, b_hh = rec.args[:6]
    act = "Relu" if rec.kwargs.get("relu") else "Tanh"
    return _recurrent(g, rec, "RNN", x, [h0], [w_ih, w_hh, b_ih, b_hh], 1, order=[0], activations=[act])
