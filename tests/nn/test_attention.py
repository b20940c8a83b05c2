"""F.scaled_dot_product_attention and nn.MultiheadAttention against PyTorch: float64 outputs, attention weights,
gradients of every input and parameter, across masks and options; PyTorch's names, init and error messages."""

from __future__ import annotations

import re

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F
from tests.helpers import randn_pair as _pair

torch = pytest.importorskip("torch")

ATOL = 1e-10


def _bool_pair(mask):
    return autograd.tensor(mask), torch.tensor(mask)


def _compare_backward(ours, theirs, rng, inputs):
    """Outputs equal; the same random cotangents backpropagated give equal gradients for ``inputs`` pairs."""
    ours = [o for o in ours if o is not None]
    theirs = [t for t in theirs if t is not None]
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.shape == tuple(b.shape)
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), atol=ATOL, rtol=1e-9)
    cot = [rng.standard_normal(b.shape) for b in theirs]
    autograd.backward(ours, [autograd.tensor(c) for c in cot])
    torch.autograd.backward(theirs, [torch.tensor(c) for c in cot])
    for a, b in inputs:
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=ATOL, rtol=1e-8)


# ---------------------------------------------------------------- scaled_dot_product_attention
@pytest.mark.parametrize("case", ["plain", "bool_mask", "float_mask", "causal", "causal_rect", "scale", "3d",
                                  "bool_mask_broadcast"])
def test_sdpa_matches_torch(case, rng):
    B, H, L, S, E, Ev = 2, 3, 4, 5, 6, 7
    if case == "causal":
        S = L
    shape_q, shape_k, shape_v = (B, H, L, E), (B, H, S, E), (B, H, S, Ev)
    if case == "3d":
        shape_q, shape_k, shape_v = (B, L, E), (B, S, E), (B, S, Ev)
    q, qt = _pair(rng, shape_q)
    k, kt = _pair(rng, shape_k)
    v, vt = _pair(rng, shape_v)
    inputs = [(q, qt), (k, kt), (v, vt)]
    kw, kwt = {}, {}
    if case in ("bool_mask", "bool_mask_broadcast"):
        mask = rng.random((B, 1, L, S) if case == "bool_mask" else (L, S)) > 0.3
        mask[..., 0] = True  # every query attends to something
        kw["attn_mask"], kwt["attn_mask"] = _bool_pair(mask)
    elif case == "float_mask":
        m, mt = _pair(rng, (B, 1, L, S))
        kw["attn_mask"], kwt["attn_mask"] = m, mt
        inputs.append((m, mt))
    elif case in ("causal", "causal_rect"):
        kw["is_causal"] = kwt["is_causal"] = True
    elif case == "scale":
        kw["scale"] = kwt["scale"] = 0.37
    out = F.scaled_dot_product_attention(q, k, v, **kw)
    out_t = torch.nn.functional.scaled_dot_product_attention(qt, kt, vt, **kwt)
    _compare_backward([out], [out_t], rng, inputs)


def _fused_run(q, k, v, g):
    """Output and (dq, dk, dv) of the one-op attention for arrays q, k, v and cotangent g (float32)."""
    ts = [autograd.tensor(a, requires_grad=True) for a in (q, k, v)]
    out = F.scaled_dot_product_attention(*ts)
    out.backward(autograd.tensor(g))
    return [out.numpy().copy()] + [t.grad.numpy().copy() for t in ts]


def test_sdpa_blocks_give_the_same_bits(rng, monkeypatch):
    """The one-op attention runs a block of the first batch axis at a time; the block size changes nothing: each
    (batch, head) matrix is computed by the same products and softmax rows whatever block it falls in."""
    from autograd.ops import attention as A

    q, k, v = (rng.standard_normal(s).astype(np.float32) for s in ((5, 3, 16, 8), (5, 3, 20, 8), (5, 3, 20, 4)))
    g = rng.standard_normal((5, 3, 16, 4)).astype(np.float32)
    one = _fused_run(q, k, v, g)
    monkeypatch.setattr(A, "BLOCK_SCORES", 2 * 3 * 16 * 20)  # blocks of 2 batch entries: 2, 2 and 1
    assert len(A._blocks((5, 3), 16 * 20)) == 3
    for a, b in zip(one, _fused_run(q, k, v, g)):
        np.testing.assert_array_equal(a, b)
    ref = [autograd.tensor(a, requires_grad=True) for a in (q, k, v)]  # the composition, as with a mask
    out = F.scaled_dot_product_attention(*ref, attn_mask=autograd.zeros(16, 20))
    out.backward(autograd.tensor(g))
    for a, b in zip(one, [out] + [t.grad for t in ref]):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-5, atol=1e-6)


def test_sdpa_parallel_softmax_rows_give_the_serial_bits(rng, monkeypatch):
    """With the Numba loops parallel (every threshold 0, two threads) the one-op attention and the packed
    self-attention give the bits of their serial run: the softmax rows are split over threads, the products
    (the BLAS on one thread in both runs) are the same calls."""
    from autograd import threads

    x = rng.standard_normal((3, 10, 12)).astype(np.float32)
    q, k, v = (rng.standard_normal(s).astype(np.float32) for s in ((3, 2, 10, 6), (3, 2, 14, 6), (3, 2, 14, 5)))
    g = rng.standard_normal((3, 2, 10, 5)).astype(np.float32)
    autograd.manual_seed(0)
    mha = nn.MultiheadAttention(12, 3, batch_first=True)

    def run():
        xt = autograd.tensor(x, requires_grad=True)
        mha.zero_grad()
        out = mha(xt, xt, xt, need_weights=False)[0]
        (out * out).sum().backward()
        return _fused_run(q, k, v, g) + [out.numpy().copy(), xt.grad.numpy().copy(),
                                         mha.in_proj_weight.grad.numpy().copy()]

    with threads.num_threads(1):
        serial = run()
        for family in threads.THRESHOLDS:
            monkeypatch.setitem(threads.THRESHOLDS, family, 0)
        monkeypatch.setattr(threads, "_NUM", 2)
        monkeypatch.setattr(threads, "PARALLEL_LOOPS", True)
        before = threads._state["parallel_calls"]
        parallel = run()
        assert threads._state["parallel_calls"] > before
    for a, b in zip(serial, parallel):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("scale", [0.3, -0.5])  # > 0: the softmax scales the scores itself; else q is scaled
def test_sdpa_scale_of_either_sign_matches_torch(scale, rng):
    q, qt = _pair(rng, (2, 3, 4, 5))
    k, kt = _pair(rng, (2, 3, 6, 5))
    v, vt = _pair(rng, (2, 3, 6, 2))
    out = F.scaled_dot_product_attention(q, k, v, scale=scale)
    out_t = torch.nn.functional.scaled_dot_product_attention(qt, kt, vt, scale=scale)
    _compare_backward([out], [out_t], rng, [(q, qt), (k, kt), (v, vt)])


def test_sdpa_output_and_grads_keep_the_heads_layout(rng):
    """Heads that are a permuted view of one projection (N, L, H * E) give an output and gradients laid out as
    (N, L, H, E) in memory, so merging the heads back is a view."""
    qkv = autograd.tensor(rng.standard_normal((2, 5, 3 * 12)).astype(np.float32), requires_grad=True)
    q, k, v = (t.reshape(2, 5, 3, 4).permute(0, 2, 1, 3) for t in qkv.chunk(3, -1))
    out = F.scaled_dot_product_attention(q, k, v)
    merged = out.permute(0, 2, 1, 3).numpy()
    assert merged.flags.c_contiguous
    out.sum().backward()
    qkv_t = torch.tensor(qkv.numpy(), requires_grad=True)
    qt, kt, vt = (t.reshape(2, 5, 3, 4).permute(0, 2, 1, 3) for t in qkv_t.chunk(3, -1))
    out_t = torch.nn.functional.scaled_dot_product_attention(qt, kt, vt)
    out_t.sum().backward()
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(qkv.grad.numpy(), qkv_t.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", ["bool", "float"])
def test_sdpa_fully_masked_row_gives_zeros_like_torch(kind, rng):
    q, qt = _pair(rng, (2, 3, 4))
    k, kt = _pair(rng, (2, 5, 4))
    v, vt = _pair(rng, (2, 5, 4))
    mask = rng.random((2, 3, 5)) > 0.3
    mask[:, :, 0] = True
    mask[1, 2] = False  # this query may attend to nothing
    if kind == "float":
        mask = np.where(mask, 0.0, -np.inf)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=autograd.tensor(mask))
    out_t = torch.nn.functional.scaled_dot_product_attention(qt, kt, vt, attn_mask=torch.tensor(mask))
    assert not out.numpy()[1, 2].any()
    _compare_backward([out], [out_t], rng, [(q, qt), (k, kt), (v, vt)])


def test_sdpa_gqa_matches_torch(rng):
    q, qt = _pair(rng, (2, 4, 3, 5))
    k, kt = _pair(rng, (2, 2, 6, 5))
    v, vt = _pair(rng, (2, 2, 6, 5))
    out = F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
    out_t = torch.nn.functional.scaled_dot_product_attention(qt, kt, vt, enable_gqa=True)
    _compare_backward([out], [out_t], rng, [(q, qt), (k, kt), (v, vt)])


def test_sdpa_dropout_drops_weights(rng):
    """With V = I the output is the attention matrix itself: each entry is 0 or weight / (1 - p)."""
    q = autograd.tensor(rng.standard_normal((2, 8, 4)))
    k = autograd.tensor(rng.standard_normal((2, 6, 4)))
    v = autograd.tensor(np.broadcast_to(np.eye(6), (2, 6, 6)).copy())
    weights = F.scaled_dot_product_attention(q, k, v).numpy()
    p = 0.5
    dropped = F.scaled_dot_product_attention(q, k, v, dropout_p=p).numpy()
    kept = dropped != 0
    assert 0 < kept.mean() < 1
    np.testing.assert_allclose(dropped[kept], weights[kept] / (1 - p), rtol=1e-12)


def test_sdpa_errors(rng):
    q = autograd.tensor(rng.standard_normal((2, 3, 4)))
    k = autograd.tensor(rng.standard_normal((2, 5, 3)))
    with pytest.raises(RuntimeError, match="same embedding size"):
        F.scaled_dot_product_attention(q, k, k)
    k = autograd.tensor(rng.standard_normal((2, 5, 4)))
    with pytest.raises(RuntimeError, match="should not be set when is_causal"):
        F.scaled_dot_product_attention(q, k, k, attn_mask=autograd.zeros(3, 5), is_causal=True)


# ---------------------------------------------------------------- MultiheadAttention
def _mha_twin(E, heads, **kwargs):
    theirs = torch.nn.MultiheadAttention(E, heads, **kwargs).double()
    ours = nn.MultiheadAttention(E, heads, **kwargs, dtype=autograd.float64)
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    return ours, theirs


CASES = {
    "self": dict(),
    "self_batch_first": dict(batch_first=True),
    "cross": dict(cross=True),
    "cross_shared_kv": dict(cross=True, shared_kv=True),
    "kdim_vdim": dict(cross=True, kdim=3, vdim=5),
    "no_bias": dict(bias=False),
    "bias_kv_zero_attn": dict(add_bias_kv=True, add_zero_attn=True, key_padding_mask="bool", attn_mask="bool2d"),
    "key_padding_bool": dict(key_padding_mask="bool"),
    "key_padding_float": dict(key_padding_mask="float"),
    "attn_mask_bool": dict(attn_mask="bool2d"),
    "attn_mask_float": dict(attn_mask="float2d"),
    "attn_mask_3d": dict(attn_mask="float3d", key_padding_mask="float"),
    "both_masks_no_weights": dict(attn_mask="bool2d", key_padding_mask="bool", need_weights=False),
    "no_weights": dict(need_weights=False),  # this and the next three: the packed one-op self-attention
    "no_weights_batch_first": dict(batch_first=True, need_weights=False),
    "no_weights_unbatched": dict(unbatched=True, need_weights=False),
    "no_weights_no_bias": dict(bias=False, need_weights=False),
    "per_head_weights": dict(average_attn_weights=False, key_padding_mask="bool"),
    "causal": dict(attn_mask="causal", is_causal=True, need_weights=False),
    "causal_with_weights": dict(attn_mask="causal", is_causal=True),
    "causal_with_padding": dict(attn_mask="causal", is_causal=True, need_weights=False, key_padding_mask="bool"),
    "unbatched": dict(unbatched=True, key_padding_mask="bool", attn_mask="float2d"),
    "unbatched_3d_mask": dict(unbatched=True, attn_mask="float3d"),
}


@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask")
@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("train", [False, True], ids=["eval", "train"])
def test_mha_matches_torch(name, train, rng):
    opts = dict(CASES[name])
    E, heads, L, S, N = 6, 2, 4, 5, 3
    module_kwargs = {k: opts.pop(k) for k in ("batch_first", "kdim", "vdim", "bias", "add_bias_kv", "add_zero_attn")
                     if k in opts}
    ours, theirs = _mha_twin(E, heads, **module_kwargs)
    ours.train(train)
    theirs.train(train)
    cross, unbatched = opts.pop("cross", False), opts.pop("unbatched", False)
    shared_kv = opts.pop("shared_kv", False)
    if not cross:
        S = L
    batch_first = module_kwargs.get("batch_first", False)

    def seq(length, dim):
        if unbatched:
            return (length, dim)
        return (N, length, dim) if batch_first else (length, N, dim)

    q, qt = _pair(rng, seq(L, E))
    inputs = [(q, qt)]
    if cross:
        k, kt = _pair(rng, seq(S, module_kwargs.get("kdim", E)))
        inputs.append((k, kt))
        if shared_kv:
            v, vt = k, kt
        else:
            v, vt = _pair(rng, seq(S, module_kwargs.get("vdim", E)))
            inputs.append((v, vt))
    else:
        k, kt, v, vt = q, qt, q, qt
    kw, kwt = {}, {}
    kpm = opts.pop("key_padding_mask", None)
    if kpm == "bool":
        mask = rng.random((S,) if unbatched else (N, S)) < 0.3
        mask[..., 0] = False
        kw["key_padding_mask"], kwt["key_padding_mask"] = _bool_pair(mask)
    elif kpm == "float":
        m = rng.standard_normal((S,) if unbatched else (N, S))
        kw["key_padding_mask"], kwt["key_padding_mask"] = autograd.tensor(m), torch.tensor(m)
    am = opts.pop("attn_mask", None)
    if am == "bool2d":
        mask = rng.random((L, S)) < 0.3
        mask[:, 0] = False
        kw["attn_mask"], kwt["attn_mask"] = _bool_pair(mask)
    elif am == "float2d":
        m, mt = _pair(rng, (L, S))
        kw["attn_mask"], kwt["attn_mask"] = m, mt
        inputs.append((m, mt))
    elif am == "float3d":
        m, mt = _pair(rng, ((1 if unbatched else N) * heads, L, S))
        kw["attn_mask"], kwt["attn_mask"] = m, mt
        inputs.append((m, mt))
    elif am == "causal":
        m = np.triu(np.full((L, S), -np.inf), 1)
        kw["attn_mask"], kwt["attn_mask"] = autograd.tensor(m), torch.tensor(m)
    kw.update(opts)
    kwt.update(opts)
    out, w = ours(q, k, v, **kw)
    out_t, w_t = theirs(qt, kt, vt, **kwt)
    if opts.get("need_weights", True):
        assert w is not None and w.shape == tuple(w_t.shape)
    else:
        assert w is None and w_t is None
    _compare_backward([out, w], [out_t, w_t], rng, inputs)
    tp = dict(theirs.named_parameters())
    for pname, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tp[pname].grad.numpy(), atol=ATOL, rtol=1e-8, err_msg=pname)


def test_mha_float32_and_dropout(rng):
    ours = nn.MultiheadAttention(8, 4, dropout=0.5)
    x = autograd.tensor(rng.standard_normal((5, 2, 8)).astype(np.float32), requires_grad=True)
    ours.eval()
    out_eval, w_eval = ours(x, x, x)
    assert out_eval.dtype == np.float32 and w_eval.dtype == np.float32
    np.testing.assert_array_equal(ours(x, x, x)[0].numpy(), out_eval.numpy())
    ours.train()
    out_train, w_train = ours(x, x, x)
    assert not np.allclose(w_train.numpy(), w_eval.numpy())
    out_train.backward(autograd.ones_like(out_train))
    assert x.grad is not None and np.isfinite(x.grad.numpy()).all()


@pytest.mark.parametrize("kwargs", [dict(), dict(kdim=3, vdim=5), dict(bias=False), dict(add_bias_kv=True),
                                    dict(batch_first=True, dropout=0.1)])
def test_mha_parameters_init_and_repr(kwargs):
    ours, theirs = nn.MultiheadAttention(8, 2, **kwargs), torch.nn.MultiheadAttention(8, 2, **kwargs)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    assert isinstance(ours.out_proj, nn.Linear)
    if "kdim" in kwargs:
        assert ours.in_proj_weight is None and ours.q_proj_weight.shape == (8, 8) and ours.k_proj_weight.shape == (8, 3)
    else:
        bound = np.sqrt(6 / (8 + 24))  # xavier_uniform_ of a (24, 8) matrix
        w = ours.in_proj_weight.numpy()
        assert np.abs(w).max() <= bound and w.std() > bound / 3
    if kwargs.get("bias", True):
        assert not ours.in_proj_bias.numpy().any() and not ours.out_proj.bias.numpy().any()
    assert ours.head_dim == 4 and ours.batch_first == kwargs.get("batch_first", False)


def test_mha_errors_match_torch(rng):
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(7, 2)
    with pytest.raises(ValueError, match="must be greater than 0"):
        nn.MultiheadAttention(0, 2)
    ours, theirs = _mha_twin(6, 2)
    cases = [
        ((4, 3, 5), None, {}),  # wrong embedding size
        ((4, 3, 6), np.zeros((3, 5), bool), {"attn_mask": True}),  # wrong 2-D mask shape
        ((4, 3, 6), np.zeros((5, 4, 4)), {"attn_mask": True}),  # wrong 3-D mask shape
        ((4, 3, 6), np.zeros((3, 4, 4, 1)), {"attn_mask": True}),  # 4-D mask
        ((4, 3, 6), np.zeros((3, 4), np.int64), {"key_padding_mask": True}),  # integer mask
        ((4, 3, 6), None, {"is_causal": True}),  # is_causal without a mask
    ]
    for shape, mask, which in cases:
        x, xt = _pair(rng, shape)
        kw, kwt = {}, {}
        for name in which:
            if mask is not None:
                kw[name], kwt[name] = autograd.tensor(mask), torch.tensor(mask)
            else:
                kw[name] = kwt[name] = which[name]
        with pytest.raises(Exception) as theirs_err:
            theirs(xt, xt, xt, **kwt)
        with pytest.raises(type(theirs_err.value)) as ours_err:
            ours(x, x, x, **kw)
        assert str(ours_err.value) == re.sub(r"torch\.Size\(\[(.*?)\]\)", r"(\1)", str(theirs_err.value))


def test_functional_mha_matches_torch(rng):
    """nn.functional.multi_head_attention_forward, called directly with separate projection weights."""
    E, heads = 4, 2
    q, qt = _pair(rng, (3, 2, E))
    k, kt = _pair(rng, (5, 2, 3))
    v, vt = _pair(rng, (5, 2, 6))
    params = {n: _pair(rng, s) for n, s in [("qw", (E, E)), ("kw", (E, 3)), ("vw", (E, 6)), ("b", (3 * E,)),
                                             ("ow", (E, E)), ("ob", (E,))]}
    args = dict(use_separate_proj_weight=True, training=False, need_weights=True, average_attn_weights=False)
    out = F.multi_head_attention_forward(q, k, v, E, heads, None, params["b"][0], None, None, False, 0.0,
                                         params["ow"][0], params["ob"][0], q_proj_weight=params["qw"][0],
                                         k_proj_weight=params["kw"][0], v_proj_weight=params["vw"][0], **args)
    out_t = torch.nn.functional.multi_head_attention_forward(
        qt, kt, vt, E, heads, None, params["b"][1], None, None, False, 0.0, params["ow"][1], params["ob"][1],
        q_proj_weight=params["qw"][1], k_proj_weight=params["kw"][1], v_proj_weight=params["vw"][1], **args)
    _compare_backward(list(out), list(out_t), rng, [(q, qt), (k, kt), (v, vt)] + list(params.values()))


def test_mha_fully_padded_sequence_matches_torch(rng):
    """A batch element whose keys are all padding: PyTorch's need_weights=False path gives zeros (no NaN)."""
    ours, theirs = _mha_twin(6, 2, batch_first=True)
    x, xt = _pair(rng, (3, 4, 6))
    pad = np.zeros((3, 4), bool)
    pad[1] = True
    pad[2, 2:] = True
    out, _ = ours(x, x, x, key_padding_mask=autograd.tensor(pad), need_weights=False)
    out_t, _ = theirs(xt, xt, xt, key_padding_mask=torch.tensor(pad), need_weights=False)
    assert np.isfinite(out.numpy()).all()
    _compare_backward([out], [out_t], rng, [(x, xt)])
    tp = dict(theirs.named_parameters())
    for pname, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tp[pname].grad.numpy(), atol=ATOL, rtol=1e-8, err_msg=pname)
