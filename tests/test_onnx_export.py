"""autograd.onnx.export: each layer family and four whole models exported, checked by onnx.checker, run in
onnxruntime (CPU) at two batch sizes (and two sequence lengths) and compared with our own outputs to 1e-5."""

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
import nn
import nn.functional as F

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from autograd.onnx import UnsupportedOperatorError, export  # noqa: E402

TOL = dict(rtol=1e-5, atol=1e-5)


def _session(data: bytes):
    model = onnx.load_from_string(data)
    onnx.checker.check_model(model)
    return ort.InferenceSession(data, providers=["CPUExecutionProvider"]), model


def roundtrip(model, make, sizes, dynamic=None, *, names=None, out_names=None, tol=TOL, opset=17):
    """Export ``model`` on ``make(*sizes[0])`` and compare onnxruntime with the model at every size in ``sizes``."""
    model.eval()
    args = make(*sizes[0])
    args = args if isinstance(args, tuple) else (args,)
    names = names or [f"in{i}" for i in range(len(args))]
    buf = io.BytesIO()
    export(model, args, buf, input_names=names, output_names=out_names, dynamic_axes=dynamic, opset_version=opset)
    sess, proto = _session(buf.getvalue())
    for size in sizes:
        xs = make(*size)
        xs = xs if isinstance(xs, tuple) else (xs,)
        with autograd.no_grad():
            ref = model(*xs)
        refs = [r for r in (ref if isinstance(ref, (tuple, list)) else (ref,))]
        refs = [t for r in refs for t in (r if isinstance(r, (tuple, list)) else (r,))]
        got = sess.run(None, {n: x.numpy() for n, x in zip(names, xs)})
        assert len(got) == len(refs)
        for r, o in zip(refs, got):
            assert o.shape == tuple(r.shape), (size, o.shape, r.shape)
            np.testing.assert_allclose(o, r.numpy(), **tol)
    return proto


def batch_axes(n_in=1, n_out=1, axes=(0,)):
    dims = {0: "batch", 1: "seq"}
    d = {f"in{i}": {a: dims[a] for a in axes} for i in range(n_in)}
    return d


def randn(*shape):
    return autograd.randn(*shape)


# ---- the mechanism ----
def test_mlp_names_initializers_and_dynamic_batch():
    m = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 3))
    proto = roundtrip(m, lambda b: randn(b, 6), [(2,), (7,)], batch_axes())
    inits = {i.name for i in proto.graph.initializer}
    assert {"0.weight", "0.bias", "3.weight", "3.bias"} <= inits
    assert [n.op_type for n in proto.graph.node].count("Gemm") == 2
    assert "Dropout" not in {n.op_type for n in proto.graph.node}
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"


def test_path_and_file_object(tmp_path):
    m = nn.Sequential(nn.Linear(3, 2), nn.Tanh()).eval()
    x = randn(4, 3)
    path = tmp_path / "m.onnx"
    export(m, (x,), str(path))
    export(m, x, path.with_suffix(".2.onnx"))
    buf = io.BytesIO()
    export(m, x, buf)
    assert path.read_bytes() == buf.getvalue() == path.with_suffix(".2.onnx").read_bytes()
    sess, _ = _session(path.read_bytes())
    np.testing.assert_allclose(sess.run(None, {"input": x.numpy()})[0], m(x).numpy(), **TOL)


def test_unsupported_op_names_op_and_module():
    class Inner(nn.Module):
        def forward(self, x):
            return autograd.cumprod(x, 1)

    m = nn.Sequential(nn.Linear(3, 3), nn.Sequential(nn.ReLU(), Inner()))
    with pytest.raises(UnsupportedOperatorError, match=r"Cumprod.*'1\.1'"):
        export(m.eval(), randn(2, 3), io.BytesIO())


def test_value_read_from_the_input_is_refused():
    class Peek(nn.Module):
        def forward(self, x):
            return x * float(x.numpy().max())  # a constant baked from the input's values

    with pytest.raises(UnsupportedOperatorError, match="Mul.*depends on the input"):
        export(Peek(), randn(3, 4), io.BytesIO())


def test_size_baked_into_a_constant_is_refused_on_a_dynamic_axis():
    class Bake(nn.Module):
        def forward(self, x):
            return x + autograd.ones(x.shape[0], 1)

    export(Bake(), randn(3, 4), io.BytesIO())  # fine while the batch is fixed
    with pytest.raises(UnsupportedOperatorError, match="Add"):
        export(Bake(), randn(3, 4), io.BytesIO(), input_names=["x"], dynamic_axes={"x": [0]})


def test_bad_arguments():
    m = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="args"):
        export(m, np.zeros((1, 2)), io.BytesIO())
    with pytest.raises(ValueError, match="opset_version"):
        export(m, randn(1, 2), io.BytesIO(), opset_version=11)
    with pytest.raises(ValueError, match="dynamic_axes names 'y'"):
        export(m, randn(1, 2), io.BytesIO(), dynamic_axes={"y": [0]})


# ---- activations ----
ACTS = [nn.ReLU(), nn.ReLU(inplace=True), nn.LeakyReLU(0.1), nn.PReLU(4), nn.ReLU6(), nn.Hardtanh(-0.5, 0.7),
        nn.ELU(0.8), nn.SELU(), nn.CELU(1.3), nn.GELU(), nn.GELU("tanh"), nn.SiLU(), nn.Mish(), nn.Softplus(),
        nn.Softplus(2.0, 1.0), nn.LogSigmoid(), nn.Sigmoid(), nn.Tanh(), nn.Softsign(), nn.Tanhshrink(),
        nn.Softshrink(0.3), nn.Hardshrink(0.3), nn.Hardsigmoid(), nn.Hardswish(), nn.GLU(), nn.Threshold(0.1, -2.0),
        nn.Softmax(dim=1), nn.LogSoftmax(dim=-1), nn.Softmin(dim=1), nn.RReLU()]


@pytest.mark.parametrize("act", ACTS, ids=lambda a: type(a).__name__)
def test_activation(act):
    m = nn.Sequential(nn.Linear(4, 4), act)
    roundtrip(m, lambda b: randn(b, 4) * 3, [(3,), (5,)], batch_axes())


# ---- elementwise math, comparisons, reductions, matmul ----
class Math(nn.Module):
    def forward(self, x, y):
        a = autograd.exp(x * 0.3) + autograd.log(autograd.abs(y) + 1) - autograd.sqrt(x * x + 1) / (y * y + 2)
        b = autograd.rsqrt(x * x + 0.5) * autograd.sin(x) + autograd.cos(y) - autograd.tanh(x) ** 2
        c = autograd.clamp(x, -0.5, 0.5) + autograd.maximum(x, y) - autograd.minimum(x, 1.0)
        d = autograd.where(x > y, x, y * 2) + (x >= 0).float() - (y < 0.1).float() * (x != y).float()
        e = autograd.floor(x * 3) + autograd.ceil(y) + autograd.round(x) + autograd.trunc(y * 2) + autograd.sign(x)
        f = autograd.remainder(x * 5, 1.5) + autograd.expm1(x * 0.1) + autograd.log1p(autograd.abs(x))
        g = (2.0 - x) * (1 / (autograd.abs(y) + 1)) + autograd.sigmoid(-x) + autograd.pow(autograd.abs(x), 1.5)
        h = autograd.where((x > 0) & (y > 0) | ~(x > -1), 1.0, 0.0) + autograd.log2(autograd.abs(y) + 1)
        i = autograd.erf(x) + F.erf(y) + autograd.acos(autograd.tanh(x) * 0.9)
        return a + b + c + d + e + f + g + h + i + autograd.reciprocal(x * x + 1) + autograd.log10(x * x + 1) - (-y)


def test_elementwise_math():
    roundtrip(Math(), lambda b: (randn(b, 5), randn(b, 5)), [(3,), (6,)], batch_axes(2))


class Reductions(nn.Module):
    def forward(self, x):
        outs = [x.sum(), x.sum(1), x.sum((1, 2), keepdim=True), x.mean(-1), x.mean(), autograd.var(x, 1),
                x.std(2, keepdim=True), x.amax(1), x.amin((0, 2)), autograd.prod(x, 2), autograd.logsumexp(x, 1),
                autograd.norm(x, dim=2), autograd.cumsum(x, 1), F.softmax(x, -1), F.log_softmax(x, 1)]
        return tuple(outs)


@pytest.mark.parametrize("opset", [17, 18, 20])
def test_reductions(opset):
    roundtrip(Reductions(), lambda b: randn(b, 3, 4), [(2,), (4,)], {"in0": {0: "batch"}}, opset=opset)


class Shapes(nn.Module):
    def forward(self, x, w):
        a = x.reshape(x.shape[0], -1).view(x.shape[0], 4, 6).flatten(1)
        b = x.permute(0, 2, 1).transpose(1, 2).unsqueeze(1).squeeze(1)
        c = autograd.cat([x, x * 2], 1) + 0
        d = autograd.stack([x, x + 1], dim=2).sum(2)
        p, q = x.chunk(2, dim=2)
        r, s, t, u = x.split(1, dim=1)[0], x[:, 1:], x[..., ::2], x[:, -1]
        v = x[:, None, 0, 1:3] + autograd.gather(x, 2, autograd.tensor([[[0, 2], [1, 1], [3, 0], [2, 2]]]))
        e = autograd.index_select(x, 2, autograd.tensor([3, 0])) + x.expand(x.shape[0], 4, 6)[:, :, :2]
        f = x.repeat(1, 2, 1).flip(1) + autograd.unbind(x, 1)[2].unsqueeze(1)
        m = autograd.matmul(x, w) + (x @ w) + autograd.bmm(x, w.unsqueeze(0).expand(x.shape[0], 6, 3)) + \
            autograd.einsum("bij,jk->bik", x, w)
        return a, b, c, d, p * q, r, s, t, u, v, e, f, m


def test_shape_ops_and_matmul():
    w = randn(6, 3)
    roundtrip(Shapes(), lambda b: (randn(b, 4, 6), w), [(2,), (3,)], {"in0": {0: "batch"}})


# ---- layers ----
@pytest.mark.parametrize("layer,shape", [
    (nn.Conv1d(3, 4, 3, padding=1), (3, 10)),
    (nn.Conv1d(4, 4, 3, stride=2, dilation=2, groups=2), (4, 11)),
    (nn.Conv2d(3, 6, 3, stride=2, padding=1), (3, 9, 8)),
    (nn.Conv2d(4, 4, (3, 2), padding="same", groups=4, bias=False), (4, 6, 7)),
    (nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1), (3, 5, 4)),
    (nn.ConvTranspose2d(4, 2, 2, stride=2, groups=2), (4, 3, 3)),
    (nn.MaxPool1d(3, 2), (3, 11)),
    (nn.MaxPool2d(2), (3, 8, 6)),
    (nn.MaxPool2d(3, 2, padding=1, ceil_mode=True), (2, 9, 8)),
    (nn.AvgPool1d(3, 2, padding=1), (3, 10)),
    (nn.AvgPool2d(2), (3, 8, 6)),
    (nn.AvgPool2d(3, 2, padding=1, count_include_pad=False), (2, 7, 9)),
    (nn.AvgPool2d(3, 2, padding=1, ceil_mode=True), (2, 8, 8)),
    (nn.AdaptiveAvgPool1d(4), (3, 10)),
    (nn.AdaptiveAvgPool2d((3, 2)), (3, 7, 5)),
    (nn.AdaptiveAvgPool2d(1), (3, 4, 4)),
    (nn.BatchNorm1d(3), (3,)),
    (nn.BatchNorm1d(3), (3, 5)),
    (nn.BatchNorm2d(3), (3, 4, 5)),
    (nn.LayerNorm(5), (3, 5)),
    (nn.LayerNorm((3, 5), elementwise_affine=False), (3, 5)),
    (nn.GroupNorm(2, 4), (4, 3, 3)),
    (nn.GroupNorm(3, 3, affine=False), (3, 5)),
    (nn.Flatten(), (3, 4, 2)),
], ids=lambda v: type(v).__name__ if isinstance(v, nn.Module) else None)
def test_layer(layer, shape):
    if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
        layer.running_mean.numpy()[:] = np.linspace(-1, 1, layer.num_features)
        layer.running_var.numpy()[:] = np.linspace(0.5, 2, layer.num_features)
    roundtrip(layer, lambda b: randn(b, *shape), [(2,), (5,)], batch_axes())


def test_embedding_with_max_norm_is_refused_and_left_as_it_was():
    m = nn.Embedding(10, 4, max_norm=0.5)
    before = m.weight.numpy().copy()
    with pytest.raises(UnsupportedOperatorError, match=r"changes \['weight'\].*max_norm"):
        export(m, autograd.tensor([[1, 2], [3, 3]]), io.BytesIO())
    np.testing.assert_array_equal(m.weight.numpy(), before)


def test_embedding():
    m = nn.Sequential(nn.Embedding(10, 4, padding_idx=0), nn.Linear(4, 2))
    roundtrip(m, lambda b, t: autograd.tensor(np.random.randint(0, 10, (b, t))), [(2, 3), (4, 7)],
              batch_axes(axes=(0, 1)))


# ---- recurrent layers ----
@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("batch_first,bidirectional,layers", [(False, False, 1), (True, True, 2), (False, True, 1)])
def test_recurrent(cls, batch_first, bidirectional, layers):
    kw = {"nonlinearity": "relu"} if cls == "RNN" and layers == 2 else {}
    m = getattr(nn, cls)(5, 4, num_layers=layers, batch_first=batch_first, bidirectional=bidirectional, **kw)
    shape = (lambda b, t: (b, t, 5)) if batch_first else (lambda b, t: (t, b, 5))
    axes = {0: "batch", 1: "seq"} if batch_first else {0: "seq", 1: "batch"}
    roundtrip(m, lambda b, t: randn(*shape(b, t)), [(2, 3), (3, 6)], {"in0": axes})


def test_recurrent_given_states():
    m = nn.LSTM(3, 4, num_layers=2, batch_first=True)

    class Wrap(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = m

        def forward(self, x, h, c):
            return self.rnn(x, (h, c))

    roundtrip(Wrap(), lambda b, t: (randn(b, t, 3), randn(2, b, 4), randn(2, b, 4)), [(2, 3), (3, 5)],
              {"in0": {0: "batch", 1: "seq"}, "in1": {1: "batch"}, "in2": {1: "batch"}})


@pytest.mark.parametrize("cell", [nn.RNNCell(3, 4), nn.LSTMCell(3, 4), nn.GRUCell(3, 4)], ids=lambda c: type(c).__name__)
def test_cells(cell):
    roundtrip(cell, lambda b: randn(b, 3), [(2,), (5,)], batch_axes())


# ---- attention and transformers ----
@pytest.mark.parametrize("batch_first", [False, True])
def test_multihead_attention(batch_first):
    m = nn.MultiheadAttention(8, 2, batch_first=batch_first)

    class Self(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = m

        def forward(self, x, y):
            return self.attn(x, y, y)

    q_axes = {0: "batch", 1: "seq"} if batch_first else {0: "seq", 1: "batch"}
    kv_axes = {0: "batch", 1: "kv_seq"} if batch_first else {0: "kv_seq", 1: "batch"}
    shape = (lambda b, t: (b, t, 8)) if batch_first else (lambda b, t: (t, b, 8))
    roundtrip(Self(), lambda b, t: (randn(*shape(b, t)), randn(*shape(b, t + 1))), [(2, 3), (3, 5)],
              {"in0": q_axes, "in1": kv_axes})


def test_one_op_attention():
    """F.scaled_dot_product_attention without a mask, and cross-attention without weights: the one-op attention
    (autograd/ops/attention.py), batch and sequence axes dynamic."""
    m = nn.MultiheadAttention(8, 2, batch_first=True)

    class Cross(nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = m

        def forward(self, x, y):
            q = x.reshape(x.shape[0], x.shape[1], 2, 4).transpose(1, 2)
            k = y.reshape(y.shape[0], y.shape[1], 2, 4).transpose(1, 2)
            return self.attn(x, y, y, need_weights=False)[0] + nn.functional.scaled_dot_product_attention(
                q, k, k, scale=0.3).transpose(1, 2).reshape(x.shape)

    roundtrip(Cross(), lambda b, t: (randn(b, t, 8), randn(b, t + 1, 8)), [(2, 3), (3, 5)],
              {"in0": {0: "batch", 1: "seq"}, "in1": {0: "batch", 1: "kv_seq"}})


def test_transformer_layers():
    enc = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)
    dec = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, activation="gelu", norm_first=True)
    roundtrip(enc, lambda b, t: randn(b, t, 8), [(2, 3), (3, 5)], {"in0": {0: "batch", 1: "seq"}})
    roundtrip(dec, lambda b, t: (randn(t, b, 8), randn(t + 2, b, 8)), [(2, 3), (3, 5)],
              {"in0": {0: "seq", 1: "batch"}, "in1": {0: "mem", 1: "batch"}})


# ---- four whole models ----
def test_model_mlp():
    m = nn.Sequential(nn.Flatten(), nn.Linear(12, 32), nn.GELU(), nn.LayerNorm(32), nn.Dropout(0.1),
                      nn.Linear(32, 16), nn.SiLU(), nn.Linear(16, 4), nn.LogSoftmax(-1))
    roundtrip(m, lambda b: randn(b, 3, 4), [(2,), (9,)], batch_axes())


def test_model_cnn_with_batchnorm():
    m = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(inplace=True), nn.MaxPool2d(2),
        nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        nn.Flatten(), nn.Linear(8, 5))
    x = randn(4, 3, 8, 8)
    m.train()
    m(x)  # running statistics that are not the initial ones
    roundtrip(m, lambda b: randn(b, 3, 8, 8), [(2,), (5,)], batch_axes())


class LSTMClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 6)
        self.lstm = nn.LSTM(6, 8, num_layers=2, batch_first=True, bidirectional=True)
        self.head = nn.Linear(16, 3)

    def forward(self, tokens):
        out, (h, c) = self.lstm(self.emb(tokens))
        return self.head(out.mean(1)), h


def test_model_lstm_classifier():
    roundtrip(LSTMClassifier(), lambda b, t: autograd.tensor(np.random.randint(0, 20, (b, t))), [(2, 4), (3, 7)],
              batch_axes(axes=(0, 1)))


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(5, 16)
        layer = nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2)
        self.head = nn.Linear(16, 2)

    def forward(self, x):
        return self.head(self.encoder(self.proj(x))[:, 0])


def test_model_transformer_encoder():
    roundtrip(Encoder(), lambda b, t: randn(b, t, 5), [(2, 5), (3, 8)], batch_axes(axes=(0, 1)))


# ---- more ops: arg/max along a dim, p-norms, pad, roll, triangles, integer slicing ----
class More(nn.Module):
    def forward(self, x, tokens):
        v, i = x.max(1)
        w, j = autograd.min(x, 2, keepdim=True)
        a = x.argmax(-1).float() + x.argmin(1, keepdim=True).float().sum() + x.argmax().float()
        n = autograd.norm(x, p=1, dim=2) + autograd.norm(x, p=3, dim=1).sum() + autograd.norm(x, p=float("inf"))
        p = F.pad(x, (1, 2, 0, 1), value=0.5).sum((1, 2)) + F.pad(x, (-1, 1)).mean(-1).sum(-1)
        r = autograd.roll(x, 2, 2) + autograd.roll(x, (1, -1), (1, 2)) + autograd.triu(x, 1) + autograd.tril(x, -1)
        t = tokens[:, 1:] * 2 + tokens[:, :1]  # integer view ops on an integer input
        return v + i.float(), w * j.float(), a, n, p, r, t


def test_more_ops():
    roundtrip(More(), lambda b: (randn(b, 3, 4), autograd.tensor(np.random.randint(0, 9, (b, 5)))), [(2,), (4,)],
              {"in0": {0: "batch"}, "in1": {0: "batch"}})


def test_without_constant_folding():
    m = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.Flatten(), nn.Linear(12, 2)).eval()
    x = randn(2, 2, 4, 4)
    buf = io.BytesIO()
    export(m, x, buf, do_constant_folding=False)
    sess, proto = _session(buf.getvalue())
    assert {"1.running_mean", "1.running_var", "1.weight", "1.bias"} <= {i.name for i in proto.graph.initializer}
    np.testing.assert_allclose(sess.run(None, {"input": x.numpy()})[0], m(x).numpy(), **TOL)


def test_unsupported_layer_option_is_named():
    m = nn.LSTM(3, 4, proj_size=2)
    with pytest.raises(UnsupportedOperatorError, match="LSTMLayer.*proj_size"):
        export(m.eval(), randn(2, 1, 3), io.BytesIO())


def test_recorder_is_off_after_export_and_after_a_failure():
    from autograd import function

    export(nn.Linear(2, 2), randn(1, 2), io.BytesIO())
    assert function._recorder is None
    with pytest.raises(UnsupportedOperatorError):
        export(TestCumprod(), randn(2, 3), io.BytesIO())
    assert function._recorder is None


class TestCumprod(nn.Module):
    __test__ = False

    def forward(self, x):
        return autograd.cumprod(x, 1)


class Misc(nn.Module):
    def __init__(self):
        super().__init__()
        self.bil = nn.Bilinear(4, 4, 3)
        self.unflat = nn.Unflatten(1, (2, 2))
        self.drops = nn.Sequential(nn.Identity(), nn.Dropout1d(0.3), nn.AlphaDropout(0.2))
        self.sm2d = nn.Softmax2d()
        self.cos = nn.CosineSimilarity(dim=1)
        self.dist = nn.PairwiseDistance()

    def forward(self, x, y):
        a = self.bil(x, y)
        b = self.sm2d(self.unflat(self.drops(x.unsqueeze(-1)).squeeze(-1)).unsqueeze(-1))
        return a, b, self.cos(x, y), self.dist(x, y), F.normalize(x, dim=1), F.one_hot(
            autograd.tensor([1, 0, 3]), 4).float()


def test_misc_layers_and_functions():
    roundtrip(Misc(), lambda b: (randn(b, 4), randn(b, 4)), [(2,), (5,)], batch_axes(2))


@pytest.mark.parametrize("opset", [17, 18])
def test_group_norm_at_later_opsets(opset):
    roundtrip(nn.GroupNorm(2, 4), lambda b: randn(b, 4, 3), [(2,), (3,)], batch_axes(), opset=opset)


def test_trace_state_is_reset_in_a_forked_child():
    import os

    from autograd import function

    if not hasattr(os, "fork"):
        pytest.skip("no fork on this platform")

    class ForkInside(nn.Module):
        def forward(self, x):
            pid = os.fork()
            if pid == 0:  # the child: no recorder left behind; it can export a model itself
                ok = function._recorder is None
                try:
                    export(nn.Linear(2, 2), randn(1, 2), io.BytesIO())
                except Exception:
                    ok = False
                os._exit(0 if ok else 1)
            _, status = os.waitpid(pid, 0)
            self.status = status
            return x * 2

    m = ForkInside()
    export(m, randn(2, 2), io.BytesIO())
    assert m.status == 0


def test_ops_of_other_threads_are_not_recorded():
    import threading

    stop = threading.Event()

    def busy():
        a = autograd.randn(3, 3, requires_grad=True)
        while not stop.is_set():
            (a * 2 + 1).sum()

    t = threading.Thread(target=busy)
    t.start()
    try:
        m = nn.Sequential(nn.Linear(3, 4), nn.Tanh())
        proto = roundtrip(m, lambda b: randn(b, 3), [(2,), (3,)], batch_axes())
    finally:
        stop.set()
        t.join()
    assert [n.op_type for n in proto.graph.node] == ["Gemm", "Tanh", "Identity"]


@settings(max_examples=8, deadline=None)
@given(dims=st.lists(st.integers(1, 3), min_size=1, max_size=3), data=st.data())
def test_reshapes_and_permutations_follow_a_dynamic_batch(dims, data):
    perm = data.draw(st.permutations(range(len(dims) + 1)))
    start = data.draw(st.integers(1, len(dims)))

    class Shuffle(nn.Module):
        def forward(self, x):
            y = x.permute(*perm)
            z = x.flatten(start)
            return y * 2, z.unflatten(-1, x.shape[start:]) + 1, x.reshape(x.shape[0], -1).sum(-1)

    roundtrip(Shuffle(), lambda b: randn(b, *dims), [(2,), (3,)], batch_axes())


class Assign(nn.Module):
    def forward(self, x):
        m = (x > 0).float()  # a result of no-graph ops, then changed in place
        m[:, 0] = 0.5
        m[:, 2:4] = x[:, :2] * 3
        m[..., -1] = x[:, 1]
        y = x * 1
        y[:, 1:3] = autograd.tanh(y[:, 2:4])
        return x * m + y


def test_slice_assignment_in_place():
    roundtrip(Assign(), lambda b: randn(b, 5), [(3,), (6,)], batch_axes())


class ViewAdd(nn.Module):
    def forward(self, x):
        y = x * 1
        y[:, 1:3] += 1  # in place through a view (CopySlices)
        y[:, 0].mul_(x[:, 3])
        y[..., -1:].relu_()
        return y


def test_in_place_change_of_a_view():
    roundtrip(ViewAdd(), lambda b: randn(b, 4), [(2,), (5,)], batch_axes())


def test_in_place_change_of_a_view_that_is_no_slice_is_refused_by_name():
    class Transposed(nn.Module):
        def forward(self, x):
            y = x * 1
            y.t()[0] += 1  # a view of a view
            return y

    with pytest.raises(UnsupportedOperatorError, match="CopySlices.*Transposed"):
        export(Transposed(), randn(2, 4), io.BytesIO())


def test_detached_values_and_training_mode_dropout():
    class Detach(nn.Module):
        def forward(self, x):
            y = autograd.tanh(x)
            return x * y.detach() + x * y.data

    roundtrip(Detach(), lambda b: randn(b, 3), [(2,), (4,)], batch_axes())
    m = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5)).train()
    with pytest.raises(UnsupportedOperatorError, match="model.eval"):
        export(m, randn(4, 3), io.BytesIO())


def test_negative_dynamic_axis_and_buffers_left_as_they_were():
    m = nn.Sequential(nn.Conv1d(2, 3, 1), nn.BatchNorm1d(3))
    before = {k: v.numpy().copy() for k, v in m.state_dict().items()}
    with pytest.raises(UnsupportedOperatorError, match="training mode"):
        export(m.train(), randn(4, 2, 5), io.BytesIO())
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])
    proto = roundtrip(m, lambda b, t: randn(b, 2, t), [(2, 5), (3, 8)], {"in0": {0: "batch", -1: "time"}})
    assert [d.dim_param for d in proto.graph.input[0].type.tensor_type.shape.dim] == ["batch", "", "time"]
    assert [d.dim_param for d in proto.graph.output[0].type.tensor_type.shape.dim] == ["batch", "", "time"]


class Logic(nn.Module):
    def forward(self, x, tokens):
        a = autograd.logical_and(x, x - 0.5).float() + autograd.logical_or(x > 1, tokens[:, :1] > 4).float()
        b = autograd.logical_xor(x, tokens[:, :1]).float() + autograd.logical_not(x - x.round()).float()
        return a + b + (tokens[:, :1] > 3.5).float() + (tokens[:, :1] == 2).float()


def test_logic_on_floats_and_integers():
    roundtrip(Logic(), lambda b: (randn(b, 3).round() * 0.5, autograd.tensor(np.random.randint(0, 9, (b, 2)))),
              [(4,), (6,)], {"in0": {0: "batch"}, "in1": {0: "batch"}})


class Scatters(nn.Module):
    def forward(self, x):
        index = autograd.tensor([[0, 2, 1], [3, 0, 0]])
        a = autograd.zeros(2, 4).scatter(1, index, x[:2, :3])
        b = autograd.scatter_add(x[:2], 1, index, x[:2, 1:4] * 2)
        c = autograd.scatter(x[:2], 1, index[:, :2], 7.0)
        return a + b + c + x.sum(0)


def test_scatter():
    roundtrip(Scatters(), lambda b: randn(b, 4), [(3,), (5,)], batch_axes())


def test_gelu_is_one_node_from_opset_20():
    proto = roundtrip(nn.Sequential(nn.Linear(3, 3), nn.GELU()), lambda b: randn(b, 3), [(2,), (3,)], batch_axes(),
                      opset=20)
    assert "Gelu" in {n.op_type for n in proto.graph.node}


def test_full_transformer_with_a_causal_mask_input():
    m = nn.Transformer(8, 2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16, batch_first=True)

    def make(b, t):
        mask = np.triu(np.full((t, t), -np.inf, np.float32), 1)
        return randn(b, t + 1, 8), randn(b, t, 8), autograd.tensor(mask)

    class WithMask(nn.Module):
        def __init__(self):
            super().__init__()
            self.t = m

        def forward(self, src, tgt, mask):
            return self.t(src, tgt, tgt_mask=mask, tgt_is_causal=False)  # the mask's values are not looked at

    roundtrip(WithMask(), make, [(2, 3), (3, 5)],
              {"in0": {0: "batch", 1: "src_len"}, "in1": {0: "batch", 1: "tgt_len"},
               "in2": {0: "tgt_len", 1: "tgt_len"}})


def test_causal_mask_detected_from_its_values_is_refused():
    layer = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16), num_layers=1)

    class Detect(nn.Module):
        def __init__(self):
            super().__init__()
            self.d = layer

        def forward(self, tgt, mem, mask):
            return self.d(tgt, mem, tgt_mask=mask)  # tgt_is_causal=None: decided by comparing the mask's values

    mask = autograd.tensor(np.triu(np.full((3, 3), -np.inf, np.float32), 1))
    with pytest.raises(UnsupportedOperatorError, match="different ops"):
        export(Detect().eval(), (randn(3, 2, 8), randn(4, 2, 8), mask), io.BytesIO())


def test_export_from_inside_an_export_is_refused():
    class Nested(nn.Module):
        def forward(self, x):
            export(nn.Linear(2, 2), randn(1, 2), io.BytesIO())
            return x

    with pytest.raises(RuntimeError, match="while a model is being exported"):
        export(Nested(), randn(1, 2), io.BytesIO())
    export(nn.Linear(2, 2), randn(1, 2), io.BytesIO())  # and the next export works
