"""Transformer layers against PyTorch: float64 outputs and gradients of inputs and every parameter, post-norm and
pre-norm, relu/gelu/callable activations, masks and causal hints; structure, deep copies and error messages."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F
from tests.helpers import copy_weights as _copy_weights
from tests.helpers import randn_pair as _pair

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.filterwarnings("ignore:enable_nested_tensor is True", "ignore:Support for mismatched",
                                          "ignore:The PyTorch API of nested tensors")

ATOL = 1e-9


def _check(ours, theirs, out, out_t, rng, inputs):
    assert out.shape == tuple(out_t.shape)
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), atol=ATOL, rtol=1e-8)
    cot = rng.standard_normal(out.shape)
    out.backward(autograd.tensor(cot))
    out_t.backward(torch.tensor(cot))
    for a, b in inputs:
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=ATOL, rtol=1e-8)
    tp = dict(theirs.named_parameters())
    ours_named = dict(ours.named_parameters())
    assert list(ours_named) == list(tp)
    for name, p in ours_named.items():
        assert p.grad is not None, name
        np.testing.assert_allclose(p.grad.numpy(), tp[name].grad.numpy(), atol=ATOL, rtol=1e-8, err_msg=name)


def _mask_pair(kind, L, S, rng, N=None):
    if kind == "causal":
        m = np.triu(np.full((L, S), -np.inf), 1)
    elif kind == "bool":
        m = rng.random((L, S)) < 0.3
        m[:, 0] = False
    elif kind == "padding":
        m = rng.random((N, S)) < 0.3
        m[:, 0] = False
    else:
        return None, None
    return autograd.tensor(m), torch.tensor(m)


ENCODER_CASES = {
    "post_norm": dict(),
    "pre_norm": dict(norm_first=True),
    "gelu_batch_first": dict(activation="gelu", batch_first=True),
    "callable_activation": dict(activation="tanh"),
    "no_bias": dict(bias=False, norm_first=True),
    "causal_mask": dict(src_mask="causal"),
    "causal_hint": dict(src_mask="causal", is_causal=True),
    "bool_mask_and_padding": dict(src_mask="bool", padding=True),
    "padding_pre_norm": dict(padding=True, norm_first=True, batch_first=True),
    "unbatched": dict(unbatched=True, src_mask="causal"),
}


@pytest.mark.parametrize("name", list(ENCODER_CASES))
def test_encoder_layer_matches_torch(name, rng):
    opts = dict(ENCODER_CASES[name])
    d, nhead, ff, L, N = 8, 2, 12, 5, 3
    act = opts.pop("activation", "relu")
    kwargs = {k: opts.pop(k) for k in ("norm_first", "batch_first", "bias") if k in opts}
    ours_act, theirs_act = (F.tanh, torch.tanh) if act == "tanh" else (act, act)
    theirs = torch.nn.TransformerEncoderLayer(d, nhead, ff, dropout=0.0, activation=theirs_act, **kwargs).double()
    ours = nn.TransformerEncoderLayer(d, nhead, ff, dropout=0.0, activation=ours_act, dtype=autograd.float64,
                                      **kwargs)
    _copy_weights(ours, theirs)
    unbatched = opts.pop("unbatched", False)
    shape = (L, d) if unbatched else ((N, L, d) if kwargs.get("batch_first") else (L, N, d))
    x, xt = _pair(rng, shape)
    kw, kwt = {}, {}
    kw["src_mask"], kwt["src_mask"] = _mask_pair(opts.pop("src_mask", None), L, L, rng)
    if opts.pop("padding", False):
        kw["src_key_padding_mask"], kwt["src_key_padding_mask"] = _mask_pair("padding", L, L, rng, N)
    if opts.pop("is_causal", False):
        kw["is_causal"] = kwt["is_causal"] = True
    _check(ours, theirs, ours(x, **kw), theirs(xt, **kwt), rng, [(x, xt)])


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_stack_matches_torch(norm_first, rng):
    d, L, N = 8, 4, 2
    layer_t = torch.nn.TransformerEncoderLayer(d, 2, 16, dropout=0.0, norm_first=norm_first)
    theirs = torch.nn.TransformerEncoder(layer_t, 2, norm=torch.nn.LayerNorm(d), enable_nested_tensor=False).double()
    layer = nn.TransformerEncoderLayer(d, 2, 16, dropout=0.0, norm_first=norm_first, dtype=autograd.float64)
    ours = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(d, dtype=autograd.float64))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _copy_weights(ours, theirs)
    x, xt = _pair(rng, (L, N, d))
    m, mt = _mask_pair("causal", L, L, rng)
    pad, pad_t = _mask_pair("padding", L, L, rng, N)
    out = ours(x, mask=m, src_key_padding_mask=pad)
    out_t = theirs(xt, mask=mt, src_key_padding_mask=pad_t)
    _check(ours, theirs, out, out_t, rng, [(x, xt)])


def test_eval_matches_torch_fast_path(rng):
    """In eval mode without grad PyTorch takes its fused inference path; the results still agree."""
    d, L, N = 8, 5, 3
    theirs = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(d, 2, 16, batch_first=True), 2).double()
    ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(d, 2, 16, batch_first=True, dtype=autograd.float64), 2)
    _copy_weights(ours, theirs)
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((N, L, d))
    pad = np.zeros((N, L), bool)
    pad[0, 3:] = True
    with torch.no_grad():
        out_t = theirs(torch.tensor(x), src_key_padding_mask=torch.tensor(pad))
    with autograd.no_grad():
        out = ours(autograd.tensor(x), src_key_padding_mask=autograd.tensor(pad))
    keep = ~pad  # PyTorch's nested-tensor path zeroes padded positions; compare the real ones
    np.testing.assert_allclose(out.numpy()[keep], out_t.numpy()[keep], atol=1e-10)


def test_encoder_clones_are_independent():
    layer = nn.TransformerEncoderLayer(8, 2, 16)
    enc = nn.TransformerEncoder(layer, 3)
    ws = [lay.linear1.weight for lay in enc.layers]
    assert len({id(w) for w in ws}) == 3 and all(w is not layer.linear1.weight for w in ws)
    np.testing.assert_array_equal(ws[0].numpy(), layer.linear1.weight.numpy())
    ws[0].data.add_(1.0)
    assert not np.allclose(ws[0].numpy(), ws[1].numpy())
    assert all(w.requires_grad and w.is_leaf for w in ws)
    assert len(list(enc.parameters())) == 3 * len(list(layer.parameters()))


DECODER_CASES = {
    "post_norm_causal": dict(tgt_mask="causal"),
    "pre_norm_causal_hint": dict(tgt_mask="causal", tgt_is_causal=True, norm_first=True),
    "memory_masks": dict(memory_mask="bool", memory_padding=True, tgt_padding=True, batch_first=True),
    "gelu": dict(activation="gelu", tgt_mask="causal"),
}


@pytest.mark.parametrize("name", list(DECODER_CASES))
def test_decoder_layer_matches_torch(name, rng):
    opts = dict(DECODER_CASES[name])
    d, nhead, ff, L, S, N = 8, 2, 12, 4, 5, 3
    act = opts.pop("activation", "relu")
    kwargs = {k: opts.pop(k) for k in ("norm_first", "batch_first") if k in opts}
    theirs = torch.nn.TransformerDecoderLayer(d, nhead, ff, dropout=0.0, activation=act, **kwargs).double()
    ours = nn.TransformerDecoderLayer(d, nhead, ff, dropout=0.0, activation=act, dtype=autograd.float64, **kwargs)
    _copy_weights(ours, theirs)
    bf = kwargs.get("batch_first", False)
    tgt, tgt_t = _pair(rng, (N, L, d) if bf else (L, N, d))
    mem, mem_t = _pair(rng, (N, S, d) if bf else (S, N, d))
    kw, kwt = {}, {}
    kw["tgt_mask"], kwt["tgt_mask"] = _mask_pair(opts.pop("tgt_mask", None), L, L, rng)
    kw["memory_mask"], kwt["memory_mask"] = _mask_pair(opts.pop("memory_mask", None), L, S, rng)
    if opts.pop("memory_padding", False):
        kw["memory_key_padding_mask"], kwt["memory_key_padding_mask"] = _mask_pair("padding", L, S, rng, N)
    if opts.pop("tgt_padding", False):
        kw["tgt_key_padding_mask"], kwt["tgt_key_padding_mask"] = _mask_pair("padding", L, L, rng, N)
    if opts.pop("tgt_is_causal", False):
        kw["tgt_is_causal"] = kwt["tgt_is_causal"] = True
    _check(ours, theirs, ours(tgt, mem, **kw), theirs(tgt_t, mem_t, **kwt), rng, [(tgt, tgt_t), (mem, mem_t)])


def test_decoder_stack_matches_torch(rng):
    d, L, S, N = 8, 4, 3, 2
    theirs = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(d, 4, 16, dropout=0.0), 2,
                                         norm=torch.nn.LayerNorm(d)).double()
    ours = nn.TransformerDecoder(nn.TransformerDecoderLayer(d, 4, 16, dropout=0.0, dtype=autograd.float64), 2,
                                 norm=nn.LayerNorm(d, dtype=autograd.float64))
    _copy_weights(ours, theirs)
    tgt, tgt_t = _pair(rng, (L, N, d))
    mem, mem_t = _pair(rng, (S, N, d))
    m = nn.Transformer.generate_square_subsequent_mask(L, dtype=autograd.float64)
    mt = torch.nn.Transformer.generate_square_subsequent_mask(L, dtype=torch.float64)
    _check(ours, theirs, ours(tgt, mem, tgt_mask=m), theirs(tgt_t, mem_t, tgt_mask=mt), rng,
           [(tgt, tgt_t), (mem, mem_t)])


@pytest.mark.parametrize("kwargs", [dict(), dict(batch_first=True, norm_first=True, activation="gelu")])
def test_transformer_matches_torch(kwargs, rng):
    d, S, L, N = 8, 5, 4, 2
    theirs = torch.nn.Transformer(d, 2, 2, 2, 16, dropout=0.0, **kwargs).double()
    ours = nn.Transformer(d, 2, 2, 2, 16, dropout=0.0, dtype=autograd.float64, **kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    _copy_weights(ours, theirs)
    bf = kwargs.get("batch_first", False)
    src, src_t = _pair(rng, (N, S, d) if bf else (S, N, d))
    tgt, tgt_t = _pair(rng, (N, L, d) if bf else (L, N, d))
    m = ours.generate_square_subsequent_mask(L, dtype=autograd.float64)
    mt = theirs.generate_square_subsequent_mask(L, dtype=torch.float64)
    pad, pad_t = _mask_pair("padding", S, S, rng, N)
    out = ours(src, tgt, tgt_mask=m, src_key_padding_mask=pad, memory_key_padding_mask=pad)
    out_t = theirs(src_t, tgt_t, tgt_mask=mt, src_key_padding_mask=pad_t, memory_key_padding_mask=pad_t)
    _check(ours, theirs, out, out_t, rng, [(src, src_t), (tgt, tgt_t)])


def test_transformer_defaults_and_init():
    ours = nn.Transformer(d_model=16, nhead=4, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=32)
    theirs = torch.nn.Transformer(d_model=16, nhead=4, num_encoder_layers=1, num_decoder_layers=1,
                                  dim_feedforward=32)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    for n, p in ours.named_parameters():
        if p.dim() > 1:  # xavier_uniform_ re-initialisation of every matrix
            fan_out, fan_in = p.shape
            assert np.abs(p.numpy()).max() <= np.sqrt(6 / (fan_in + fan_out)) + 1e-7, n
    layer = ours.encoder.layers[0]
    assert layer.dropout.p == 0.1 and layer.norm1.eps == 1e-5 and layer.activation_relu_or_gelu == 1
    assert nn.TransformerEncoderLayer(16, 4, activation="gelu").activation_relu_or_gelu == 2
    assert nn.TransformerEncoderLayer(16, 4, activation=F.tanh).activation_relu_or_gelu == 0
    big = nn.TransformerEncoderLayer(16, 4)
    assert big.linear1.weight.shape == (2048, 16)  # dim_feedforward=2048 by default
    m = nn.Transformer.generate_square_subsequent_mask(4)
    np.testing.assert_array_equal(m.numpy(), torch.nn.Transformer.generate_square_subsequent_mask(4).numpy())
    assert m.dtype == np.float32


def test_dropout_is_active_in_training(rng):
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5)
    x = autograd.tensor(rng.standard_normal((4, 2, 8)).astype(np.float32))
    layer.eval()
    y = layer(x).numpy()
    np.testing.assert_array_equal(layer(x).numpy(), y)
    layer.train()
    assert not np.allclose(layer(x).numpy(), y)


def test_errors_match_torch(rng):
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not swish"):
        nn.TransformerEncoderLayer(8, 2, activation="swish")
    ours = nn.Transformer(8, 2, 1, 1, 16, dtype=autograd.float64)
    theirs = torch.nn.Transformer(8, 2, 1, 1, 16).double()
    for s_shape, t_shape in [((5, 2, 8), (4, 3, 8)), ((5, 2, 8), (4, 2, 6))]:
        s, st = _pair(rng, s_shape)
        t, tt = _pair(rng, t_shape)
        with pytest.raises(RuntimeError) as err_t:
            theirs(st, tt)
        with pytest.raises(RuntimeError, match=str(err_t.value)):
            ours(s, t)
