"""RNN, LSTM, GRU and their cells against their PyTorch twins: same weights (copied through state_dict as numpy),
same inputs in float64; outputs, final states, input/state gradients and every parameter gradient compared."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import nn
from tests.helpers import randn_pair as _pair

torch = pytest.importorskip("torch")

ATOL = 1e-10


def _twin(ours_cls, torch_cls, *args, **kwargs):
    """Build both modules in float64; our parameters are copied from torch's."""
    theirs = torch_cls(*args, **kwargs).double()
    ours = ours_cls(*args, **kwargs, dtype=autograd.float64)
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def _flatten(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flatten(o)]
    return [out]


def _check(ours, theirs, our_out, their_out, rng, inputs=()):
    """Compare outputs; backprop the same random cotangents through both; compare input and parameter grads."""
    ours_flat, theirs_flat = _flatten(our_out), _flatten(their_out)
    assert len(ours_flat) == len(theirs_flat)
    for a, b in zip(ours_flat, theirs_flat):
        assert a.shape == tuple(b.shape)
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), atol=ATOL, rtol=1e-9)
    cot = [rng.standard_normal(b.shape) for b in theirs_flat]
    autograd.backward(ours_flat, [autograd.tensor(c) for c in cot])
    torch.autograd.backward(theirs_flat, [torch.tensor(c) for c in cot])
    for a, b in inputs:
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=ATOL, rtol=1e-8)
    tp = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert p.grad is not None, name
        np.testing.assert_allclose(p.grad.numpy(), tp[name].grad.numpy(), atol=ATOL, rtol=1e-8, err_msg=name)


MODES = [
    ("RNN", dict(nonlinearity="tanh")),
    ("RNN", dict(nonlinearity="relu")),
    ("LSTM", {}),
    ("GRU", {}),
]
MODES_GRU_RNN = [m for m in MODES if m[0] != "LSTM"]
CONFIGS = [
    dict(),
    dict(num_layers=2),
    dict(bidirectional=True),
    dict(num_layers=2, bidirectional=True, batch_first=True),
    dict(batch_first=True, bias=False),
    dict(num_layers=2, dropout=0.0),
]


@pytest.mark.parametrize("mode,extra", MODES, ids=["rnn_tanh", "rnn_relu", "lstm", "gru"])
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()) or "default")
@pytest.mark.parametrize("given_state", [False, True], ids=["zero_state", "given_state"])
def test_recurrent_layer_matches_torch(mode, extra, config, given_state, rng):
    T, B, n_in, H = 4, 3, 5, 6
    ours, theirs = _twin(getattr(nn, mode), getattr(torch.nn, mode), n_in, H, **extra, **config)
    ours.train()
    theirs.train()
    x, xt = _pair(rng, (B, T, n_in) if config.get("batch_first") else (T, B, n_in))
    inputs = [(x, xt)]
    L = config.get("num_layers", 1) * (2 if config.get("bidirectional") else 1)
    if given_state:
        h, ht = _pair(rng, (L, B, H))
        inputs.append((h, ht))
        if mode == "LSTM":
            c, ct = _pair(rng, (L, B, H))
            inputs.append((c, ct))
            out, out_t = ours(x, (h, c)), theirs(xt, (ht, ct))
        else:
            out, out_t = ours(x, h), theirs(xt, ht)
    else:
        out, out_t = ours(x), theirs(xt)
    _check(ours, theirs, out, out_t, rng, inputs)


@pytest.mark.parametrize("mode,extra", MODES, ids=["rnn_tanh", "rnn_relu", "lstm", "gru"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_unbatched_input(mode, extra, batch_first, rng):
    T, n_in, H = 5, 3, 4
    ours, theirs = _twin(getattr(nn, mode), getattr(torch.nn, mode), n_in, H, num_layers=2, bidirectional=True,
                         batch_first=batch_first, **extra)
    x, xt = _pair(rng, (T, n_in))
    h, ht = _pair(rng, (4, H))
    if mode == "LSTM":
        c, ct = _pair(rng, (4, H))
        out, out_t = ours(x, (h, c)), theirs(xt, (ht, ct))
        inputs = [(x, xt), (h, ht), (c, ct)]
    else:
        out, out_t = ours(x, h), theirs(xt, ht)
        inputs = [(x, xt), (h, ht)]
    _check(ours, theirs, out, out_t, rng, inputs)


@pytest.mark.parametrize("config", [dict(), dict(num_layers=2, bidirectional=True, batch_first=True)])
def test_lstm_projection(config, rng):
    T, B, n_in, H, P = 4, 2, 3, 6, 4
    ours, theirs = _twin(nn.LSTM, torch.nn.LSTM, n_in, H, proj_size=P, **config)
    x, xt = _pair(rng, (B, T, n_in) if config.get("batch_first") else (T, B, n_in))
    L = config.get("num_layers", 1) * (2 if config.get("bidirectional") else 1)
    h, ht = _pair(rng, (L, B, P))
    c, ct = _pair(rng, (L, B, H))
    out, out_t = ours(x, (h, c)), theirs(xt, (ht, ct))
    assert out[0].shape == tuple(out_t[0].shape)
    _check(ours, theirs, out, out_t, rng, [(x, xt), (h, ht), (c, ct)])


@pytest.mark.parametrize("mode,config", [
    ("LSTM", dict(batch_first=True)),
    ("LSTM", dict(bidirectional=True, num_layers=2, proj_size=3)),
    ("GRU", dict(bidirectional=True, batch_first=True)),
    ("RNN", dict(num_layers=2, nonlinearity="relu")),
])
def test_large_batch_split_across_threads(mode, config, rng):
    """A batch of >= 16 rows runs as two halves on two threads: results and all gradients still equal torch's."""
    T, B, n_in, H = 3, 17, 4, 5
    ours, theirs = _twin(getattr(nn, mode), getattr(torch.nn, mode), n_in, H, **config)
    x, xt = _pair(rng, (B, T, n_in) if config.get("batch_first") else (T, B, n_in))
    L = config.get("num_layers", 1) * (2 if config.get("bidirectional") else 1)
    h, ht = _pair(rng, (L, B, config.get("proj_size", H)))
    if mode == "LSTM":
        c, ct = _pair(rng, (L, B, H))
        _check(ours, theirs, ours(x, (h, c)), theirs(xt, (ht, ct)), rng, [(x, xt), (h, ht), (c, ct)])
    else:
        _check(ours, theirs, ours(x, h), theirs(xt, ht), rng, [(x, xt), (h, ht)])


def test_float32_matches_torch(rng):
    ours = nn.LSTM(5, 7, batch_first=True)
    theirs = torch.nn.LSTM(5, 7, batch_first=True)
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    x = rng.standard_normal((3, 6, 5)).astype(np.float32)
    xa, xt = autograd.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, (h, c) = ours(xa)
    out_t, (ht, ct) = theirs(xt)
    assert out.dtype == np.float32 and h.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), atol=1e-5)
    g = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(autograd.tensor(g))
    out_t.backward(torch.tensor(g))
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), atol=1e-5)
    np.testing.assert_allclose(ours.weight_hh_l0.grad.numpy(), theirs.weight_hh_l0.grad.numpy(), atol=1e-4)


@pytest.mark.parametrize("config", [dict(), dict(num_layers=2, bidirectional=True, batch_first=True),
                                    dict(proj_size=3, bidirectional=True), dict(bias=False)])
def test_lstm_numpy_path_matches_torch(config, rng, monkeypatch):
    """Without a recognised cblas (numpy built on another BLAS) the LSTM recurrence runs as numpy calls: same
    results. The batch of 17 also takes the two-thread split."""
    from autograd.kernels import rnn as K

    monkeypatch.setattr(K, "address", lambda dtype: 0)
    T, B, n_in, H = 4, 17, 3, 5
    ours, theirs = _twin(nn.LSTM, torch.nn.LSTM, n_in, H, **config)
    x, xt = _pair(rng, (B, T, n_in) if config.get("batch_first") else (T, B, n_in))
    L = config.get("num_layers", 1) * (2 if config.get("bidirectional") else 1)
    h, ht = _pair(rng, (L, B, config.get("proj_size", H)))
    c, ct = _pair(rng, (L, B, H))
    _check(ours, theirs, ours(x, (h, c)), theirs(xt, (ht, ct)), rng, [(x, xt), (h, ht), (c, ct)])


def test_lstm_float32_benchmark_shape_matches_torch(rng):
    """The benchmark's shape in float32 (two 16-row halves, 35 steps, the vectorized tanh of the fused kernel):
    outputs and gradients within float32 rounding of torch's."""
    theirs = torch.nn.LSTM(32, 128, batch_first=True)
    ours = nn.LSTM(32, 128, batch_first=True)
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    x = rng.standard_normal((32, 35, 32)).astype(np.float32)
    out, (h, c) = ours(autograd.tensor(x))
    out_t, (ht, ct) = theirs(torch.tensor(x))
    for a, b in ((out, out_t), (h, ht), (c, ct)):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), atol=2e-6, rtol=1e-5)
    g = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(autograd.tensor(g))
    out_t.backward(torch.tensor(g))
    tp = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        ref = tp[name].grad.numpy()
        np.testing.assert_allclose(p.grad.numpy(), ref, atol=1e-5 * np.abs(ref).max(), rtol=1e-4, err_msg=name)


@pytest.mark.parametrize("mode,extra", MODES_GRU_RNN, ids=["rnn_tanh", "rnn_relu", "gru"])
@pytest.mark.parametrize("config", [dict(), dict(num_layers=2, bidirectional=True, batch_first=True),
                                    dict(bias=False)], ids=["default", "2layer-bidi-batch_first", "no_bias"])
@pytest.mark.parametrize("given_state", [False, True], ids=["zero_state", "given_state"])
def test_gru_rnn_numpy_path_matches_torch(mode, extra, config, given_state, rng, monkeypatch):
    """Without a recognised cblas the GRU / RNN recurrences run with numpy's matmul: same results. The batch of 17
    also takes the two-thread split."""
    from autograd.kernels import rnn as K

    monkeypatch.setattr(K, "address", lambda dtype: 0)
    T, B, n_in, H = 4, 17, 3, 5
    ours, theirs = _twin(getattr(nn, mode), getattr(torch.nn, mode), n_in, H, **extra, **config)
    x, xt = _pair(rng, (B, T, n_in) if config.get("batch_first") else (T, B, n_in))
    if not given_state:
        _check(ours, theirs, ours(x), theirs(xt), rng, [(x, xt)])
        return
    L = config.get("num_layers", 1) * (2 if config.get("bidirectional") else 1)
    h, ht = _pair(rng, (L, B, H))
    _check(ours, theirs, ours(x, h), theirs(xt, ht), rng, [(x, xt), (h, ht)])


@pytest.mark.parametrize("mode,extra", MODES_GRU_RNN, ids=["rnn_tanh", "rnn_relu", "gru"])
def test_gru_rnn_float32_benchmark_shape_matches_torch(mode, extra, rng):
    """The benchmark's shape in float32 (two 16-row halves, 35 steps, the fused kernels with the vectorized tanh):
    outputs and gradients within float32 rounding of torch's."""
    theirs = getattr(torch.nn, mode)(32, 128, batch_first=True, **extra)
    ours = getattr(nn, mode)(32, 128, batch_first=True, **extra)
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    x = rng.standard_normal((32, 35, 32)).astype(np.float32)
    xa, xt = autograd.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, h = ours(xa)
    out_t, ht = theirs(xt)
    assert out.dtype == np.float32 and h.dtype == np.float32
    for a, b in ((out, out_t), (h, ht)):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), atol=2e-6, rtol=1e-5)
    g = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(autograd.tensor(g))
    out_t.backward(torch.tensor(g))
    grads = [("input", xa.grad.numpy(), xt.grad.numpy())]
    tp = dict(theirs.named_parameters())
    grads += [(name, p.grad.numpy(), tp[name].grad.numpy()) for name, p in ours.named_parameters()]
    for name, got, ref in grads:
        np.testing.assert_allclose(got, ref, atol=1e-5 * np.abs(ref).max(), rtol=1e-4, err_msg=name)


@pytest.mark.parametrize("mode,extra", MODES_GRU_RNN, ids=["rnn_tanh", "rnn_relu", "gru"])
@pytest.mark.parametrize("B,H", [(1, 1), (2, 1), (1, 3)])
def test_gru_rnn_size_one_dims_match_torch(mode, extra, B, H, rng):
    """One hidden unit or one batch row: arrays with a dimension of 1 whose row strides BLAS must not misread."""
    ours, theirs = _twin(getattr(nn, mode), getattr(torch.nn, mode), 2, H, bidirectional=True, **extra)
    x, xt = _pair(rng, (3, B, 2))
    h, ht = _pair(rng, (2, B, H))
    _check(ours, theirs, ours(x, h), theirs(xt, ht), rng, [(x, xt), (h, ht)])


@pytest.mark.parametrize("mode,extra", MODES, ids=["rnn_tanh", "rnn_relu", "lstm", "gru"])
def test_empty_batch_like_torch(mode, extra):
    """A batch of 0 rows gives torch's empty shapes, forward and backward."""
    ours, theirs = _twin(getattr(nn, mode), getattr(torch.nn, mode), 4, 5, **extra)
    x = autograd.tensor(np.ones((3, 0, 4)), requires_grad=True)
    out, h = ours(x)
    out_t, ht = theirs(torch.ones(3, 0, 4, dtype=torch.float64))
    if mode == "LSTM":
        (h, c), (ht, ct) = h, ht
        assert c.shape == tuple(ct.shape)
    assert out.shape == tuple(out_t.shape) and h.shape == tuple(ht.shape)
    (out.sum() + h.sum()).backward()
    assert x.grad.shape == (3, 0, 4)
    np.testing.assert_array_equal(ours.weight_hh_l0.grad.numpy(), 0)


def test_only_final_state_used(rng):
    """Gradients flow from h_n alone (the output's cotangent is zero), as in a classifier on the last state."""
    ours, theirs = _twin(nn.GRU, torch.nn.GRU, 3, 4, num_layers=2, bidirectional=True)
    x, xt = _pair(rng, (5, 2, 3))
    _, h = ours(x)
    _, ht = theirs(xt)
    _check(ours, theirs, h, ht, rng, [(x, xt)])


# ---------------------------------------------------------------- dropout between layers
def test_dropout_between_layers():
    rng = np.random.default_rng(1)
    m = nn.LSTM(3, 8, num_layers=3, dropout=0.5)
    x = autograd.tensor(rng.standard_normal((4, 2, 3)).astype(np.float32))
    m.eval()
    y_eval = m(x)[0].numpy()
    np.testing.assert_array_equal(m(x)[0].numpy(), y_eval)  # eval: deterministic, no dropout
    m.train()
    y1, y2 = m(x)[0].numpy(), m(x)[0].numpy()
    assert not np.allclose(y1, y_eval) and not np.allclose(y1, y2)  # train: a fresh mask each call
    # the last layer gets no dropout: with one layer, train and eval agree
    single = nn.GRU(3, 8, num_layers=1)
    single.dropout = 0.5
    np.testing.assert_array_equal(single.train()(x)[0].numpy(), single.eval()(x)[0].numpy())


def test_dropout_eval_matches_torch(rng):
    with pytest.warns(UserWarning):
        _twin(nn.GRU, torch.nn.GRU, 3, 4, num_layers=1, dropout=0.3)
    ours, theirs = _twin(nn.GRU, torch.nn.GRU, 3, 4, num_layers=2, dropout=0.3)
    ours.eval()
    theirs.eval()
    x, xt = _pair(rng, (5, 2, 3))
    _check(ours, theirs, ours(x), theirs(xt), rng, [(x, xt)])


# ---------------------------------------------------------------- cells
CELLS = [
    ("RNNCell", dict(nonlinearity="tanh")),
    ("RNNCell", dict(nonlinearity="relu")),
    ("LSTMCell", {}),
    ("GRUCell", {}),
]


@pytest.mark.parametrize("name,extra", CELLS, ids=["rnn_tanh", "rnn_relu", "lstm", "gru"])
@pytest.mark.parametrize("case", ["no_state", "state", "unbatched", "no_bias"])
def test_cell_matches_torch(name, extra, case, rng):
    n_in, H, B = 4, 5, 3
    kwargs = dict(extra, bias=case != "no_bias")
    ours, theirs = _twin(getattr(nn, name), getattr(torch.nn, name), n_in, H, **kwargs)
    batch = () if case == "unbatched" else (B,)
    x, xt = _pair(rng, batch + (n_in,))
    inputs = [(x, xt)]
    if case == "no_state":
        out, out_t = ours(x), theirs(xt)
    else:
        h, ht = _pair(rng, batch + (H,))
        inputs.append((h, ht))
        if name == "LSTMCell":
            c, ct = _pair(rng, batch + (H,))
            inputs.append((c, ct))
            out, out_t = ours(x, (h, c)), theirs(xt, (ht, ct))
        else:
            out, out_t = ours(x, h), theirs(xt, ht)
    _check(ours, theirs, out, out_t, rng, inputs)


def test_cell_unrolled_equals_layer(rng):
    """An LSTMCell stepped by hand reproduces an LSTM layer with the same weights."""
    layer = nn.LSTM(3, 4, dtype=autograd.float64)
    cell = nn.LSTMCell(3, 4, dtype=autograd.float64)
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = autograd.tensor(rng.standard_normal((5, 2, 3)))
    out, (h_n, c_n) = layer(x)
    h = c = None
    for t in range(5):
        h, c = cell(x[t], None if h is None else (h, c))
        np.testing.assert_allclose(h.numpy(), out[t].numpy(), atol=1e-12)
    np.testing.assert_allclose(c.numpy(), c_n[0].numpy(), atol=1e-12)


# ---------------------------------------------------------------- higher derivatives
@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN"])
def test_double_backward_matches_torch(mode, rng):
    """create_graph=True: the gradient is itself differentiable (replayed in Tensor ops), equal to torch's."""
    ours, theirs = _twin(getattr(nn, mode), getattr(torch.nn, mode), 2, 3, bidirectional=True, batch_first=True)
    x, xt = _pair(rng, (2, 3, 2))
    v = rng.standard_normal((2, 3, 6))
    out, out_t = ours(x)[0], theirs(xt)[0]
    (gx,) = autograd.grad(out, x, autograd.tensor(v), create_graph=True)
    (gxt,) = torch.autograd.grad(out_t, xt, torch.tensor(v), create_graph=True)
    np.testing.assert_allclose(gx.numpy(), gxt.detach().numpy(), atol=1e-10)
    w = rng.standard_normal(gx.shape)
    autograd.backward(gx, autograd.tensor(w))
    gxt.backward(torch.tensor(w))
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), atol=1e-9)
    tp = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tp[name].grad.numpy(), atol=1e-9, err_msg=name)


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN"])
def test_third_derivative_matches_torch(mode, rng):
    """Through the backward op's own backward with create_graph=True; without it, no graph is returned."""
    ours, theirs = _twin(getattr(nn, mode), getattr(torch.nn, mode), 2, 3, batch_first=True)
    a = rng.standard_normal((2, 3, 2))
    results = []
    for lib, model in ((autograd, ours), (torch, theirs)):
        x = lib.tensor(a, requires_grad=True)
        grad = autograd.grad if lib is autograd else torch.autograd.grad
        (g1,) = grad((model(x)[0] ** 2).sum(), x, create_graph=True)
        (g2,) = grad((g1 * g1).sum(), x, create_graph=True)
        (g3,) = grad((g2 * g1).sum(), x)
        assert not g3.requires_grad
        results.append((g2.detach().numpy(), g3.numpy()))
    for o, t in zip(*results):
        np.testing.assert_allclose(o, t, atol=1e-9, rtol=1e-9)


@pytest.mark.parametrize("kind", ["lstm_proj", "lstm", "gru", "rnn_relu", "rnn_tanh_one_step"])
def test_layer_ops_gradgradcheck(kind, rng):
    """Second derivatives of each layer op w.r.t. every input (states, weights, biases, output gradients), against
    finite differences: the backward op's own backward (a double replay) is exact."""
    from autograd.ops.rnn import gru_layer, lstm_layer, rnn_layer

    T, B, n_in, H = 3, 2, 2, 3

    def t(*shape):
        return autograd.tensor(rng.standard_normal(shape) * 0.5, requires_grad=True)

    x = t(B, n_in) if kind == "rnn_tanh_one_step" else t(B, T, n_in)
    if kind.startswith("lstm"):
        P = 2 if kind == "lstm_proj" else H
        w_hr = t(P, H) if kind == "lstm_proj" else None
        args = (x, t(B, P), t(B, H), t(4 * H, n_in), t(4 * H, P), t(4 * H), t(4 * H)) + ((w_hr,) if w_hr is not None else ())

        def fn(*a):
            return lstm_layer(*a[:7], w_hr=a[7] if len(a) > 7 else None, batch_first=True, reverse=True)
    elif kind == "gru":
        args = (x, t(B, H), t(3 * H, n_in), t(3 * H, H), t(3 * H), t(3 * H))

        def fn(*a):
            return gru_layer(*a, batch_first=True)
    else:
        args = (x, t(B, H), t(H, n_in), t(H, H), t(H), t(H))
        nonlinearity = "relu" if kind == "rnn_relu" else "tanh"

        def fn(*a):
            return rnn_layer(*a, nonlinearity=nonlinearity, batch_first=True)

    assert autograd.gradgradcheck(fn, args, atol=1e-6)


# ---------------------------------------------------------------- structure
@pytest.mark.parametrize("mode,kwargs", [
    ("RNN", dict(num_layers=3, bidirectional=True, nonlinearity="relu")),
    ("LSTM", dict(num_layers=2, bidirectional=True, proj_size=2)),
    ("LSTM", dict(bias=False)),
    ("GRU", dict(num_layers=2, bias=False, bidirectional=True)),
])
def test_parameter_names_shapes_and_init(mode, kwargs):
    ours = getattr(nn, mode)(4, 5, **kwargs)
    theirs = getattr(torch.nn, mode)(4, 5, **kwargs)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    bound = 1 / np.sqrt(5)
    for p in ours.parameters():
        assert p.dtype == np.float32 and p.requires_grad
        assert np.all(np.abs(p.numpy()) <= bound) and p.numpy().std() > bound / 4
    assert [[tuple(w.shape) for w in ws] for ws in ours.all_weights] == \
        [[tuple(w.shape) for w in ws] for ws in theirs.all_weights]
    ours.flatten_parameters()


@pytest.mark.parametrize("name,kwargs", [("RNNCell", dict(nonlinearity="relu", bias=False)), ("LSTMCell", {}),
                                         ("GRUCell", {})])
def test_cell_parameters_and_repr(name, kwargs):
    ours, theirs = getattr(nn, name)(4, 5, **kwargs), getattr(torch.nn, name)(4, 5, **kwargs)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert repr(ours) == repr(theirs)


# ---------------------------------------------------------------- errors
def _raises_like_torch(ours_call, theirs_call):
    with pytest.raises(Exception) as theirs:
        theirs_call()
    with pytest.raises(type(theirs.value)) as ours:
        ours_call()
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_errors_match_torch(mode, rng):
    ours, theirs = _twin(getattr(nn, mode), getattr(torch.nn, mode), 4, 5, num_layers=2)
    bad, bad_t = _pair(rng, (3, 2, 6))  # wrong feature size
    _raises_like_torch(lambda: ours(bad), lambda: theirs(bad_t))
    x4, x4_t = _pair(rng, (1, 3, 2, 4))
    _raises_like_torch(lambda: ours(x4), lambda: theirs(x4_t))
    x, xt = _pair(rng, (3, 2, 4))
    h, ht = _pair(rng, (2, 3, 5))  # wrong batch in the state
    if mode == "LSTM":
        c, ct = _pair(rng, (2, 2, 5))
        _raises_like_torch(lambda: ours(x, (h, c)), lambda: theirs(xt, (ht, ct)))
        c, ct = _pair(rng, (2, 2, 7))
        h, ht = _pair(rng, (2, 2, 5))
        _raises_like_torch(lambda: ours(x, (h, c)), lambda: theirs(xt, (ht, ct)))
    else:
        _raises_like_torch(lambda: ours(x, h), lambda: theirs(xt, ht))
        h2, h2t = _pair(rng, (2, 5))
        _raises_like_torch(lambda: ours(x, h2), lambda: theirs(xt, h2t))
    xf = autograd.tensor(rng.standard_normal((3, 2, 4)).astype(np.float32))
    with pytest.raises(ValueError, match="does not match weight dtype"):
        ours(xf)


def test_constructor_errors():
    for kwargs in [dict(dropout=1.5), dict(num_layers=0), dict(proj_size=5)]:
        with pytest.raises(ValueError) as theirs:
            torch.nn.LSTM(4, 5, **kwargs)
        with pytest.raises(ValueError, match=str(theirs.value)[:20]):
            nn.LSTM(4, 5, **kwargs)
    with pytest.raises(ValueError, match="only supported for LSTM"):
        nn.GRU(4, 5, proj_size=2)
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'"):
        nn.RNN(4, 5, nonlinearity="sigmoid")


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_errors_match_torch(name, rng):
    ours, theirs = _twin(getattr(nn, name), getattr(torch.nn, name), 4, 5)
    bad, bad_t = _pair(rng, (3, 6))
    _raises_like_torch(lambda: ours(bad), lambda: theirs(bad_t))
    x, xt = _pair(rng, (3, 4))
    h, ht = _pair(rng, (2, 5))
    if name == "LSTMCell":
        _raises_like_torch(lambda: ours(x, (h, h)), lambda: theirs(xt, (ht, ht)))
    else:
        _raises_like_torch(lambda: ours(x, h), lambda: theirs(xt, ht))
    h, ht = _pair(rng, (3, 6))
    if name == "LSTMCell":
        _raises_like_torch(lambda: ours(x, (h, h)), lambda: theirs(xt, (ht, ht)))
    else:
        _raises_like_torch(lambda: ours(x, h), lambda: theirs(xt, ht))
    x3, x3t = _pair(rng, (1, 3, 4))
    _raises_like_torch(lambda: ours(x3), lambda: theirs(x3t))


# ---------------------------------------------------------------- generated configurations
try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover
    given = None

if given is not None:

    @settings(max_examples=25, deadline=None)
    @given(mode=st.sampled_from(["RNN", "LSTM", "GRU"]), num_layers=st.integers(1, 3), bidirectional=st.booleans(),
           batch_first=st.booleans(), bias=st.booleans(), T=st.integers(1, 4), B=st.integers(0, 3),
           n_in=st.integers(1, 4), H=st.integers(1, 5), proj=st.booleans(), seed=st.integers(0, 2**16))
    def test_generated_configs_match_torch(mode, num_layers, bidirectional, batch_first, bias, T, B, n_in, H, proj,
                                           seed):
        """Shapes and values of output and final states equal torch's for any configuration; B=0 is unbatched."""
        kwargs = dict(num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first, bias=bias)
        if mode == "LSTM" and proj and H > 1:
            kwargs["proj_size"] = H - 1
        ours, theirs = _twin(getattr(nn, mode), getattr(torch.nn, mode), n_in, H, **kwargs)
        rng = np.random.default_rng(seed)
        shape = (T, n_in) if B == 0 else ((B, T, n_in) if batch_first else (T, B, n_in))
        x, xt = _pair(rng, shape)
        out, out_t = ours(x), theirs(xt)
        for a, b in zip(_flatten(out), _flatten(out_t)):
            assert a.shape == tuple(b.shape)
            np.testing.assert_allclose(a.numpy(), b.detach().numpy(), atol=ATOL, rtol=1e-9)
