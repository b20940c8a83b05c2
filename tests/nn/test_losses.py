"""The losses beyond their op-table rows (``tests/op_specs/losses.py`` checks every loss and option: values,
gradients, gradcheck and second order against PyTorch): warnings, extreme inputs, all-ignored batches, random
shapes, the module forms, and the error messages."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
import nn
import nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

RNG = np.random.default_rng(1234)


def randn(*shape):
    return RNG.standard_normal(shape)


def uniform(lo, hi, *shape):
    return RNG.uniform(lo, hi, shape)


def softmax(a, axis):
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def signs(*shape):
    return RNG.choice([-1.0, 1.0], size=shape)


def _tensor(lib, a, grad):
    if not isinstance(a, np.ndarray):
        return a
    t = torch.tensor(a) if lib is torch else autograd.tensor(a)
    if grad:
        t.requires_grad_(True)
    return t


def _float_idx(arrays):
    return [i for i, a in enumerate(arrays) if isinstance(a, np.ndarray) and a.dtype.kind == "f"]


def compare(fn, arrays, grad_idx=None, rtol=1e-7, atol=1e-10):
    """``fn(F, lib, *tensors)`` with our library and with torch: same value, same gradients of every input in
    ``grad_idx`` (default: every float array) for a random upstream gradient."""
    grad_idx = _float_idx(arrays) if grad_idx is None else grad_idx
    ours = [_tensor(autograd, a, i in grad_idx) for i, a in enumerate(arrays)]
    theirs = [_tensor(torch, a, i in grad_idx) for i, a in enumerate(arrays)]
    out = fn(F, autograd, *ours)
    ref = fn(TF, torch, *theirs)
    assert tuple(out.shape) == tuple(ref.shape), f"shape {tuple(out.shape)} vs torch {tuple(ref.shape)}"
    assert out.dtype == ref.detach().numpy().dtype
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=rtol, atol=atol)
    if not grad_idx:
        return out
    g = np.random.default_rng(7).standard_normal(tuple(ref.shape)).astype(ref.detach().numpy().dtype)
    out.backward(autograd.tensor(g))
    ref.backward(torch.tensor(g))
    for i in grad_idx:
        assert ours[i].grad is not None, f"no gradient for input {i}"
        np.testing.assert_allclose(ours[i].grad.numpy(), theirs[i].grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i}")
    return out


def gradcheck(fn, arrays, grad_idx=None):
    grad_idx = _float_idx(arrays) if grad_idx is None else grad_idx
    xs = [_tensor(autograd, a, i in grad_idx) for i, a in enumerate(arrays)]
    assert autograd.gradcheck(lambda *t: fn(F, autograd, *t), xs, eps=1e-6, atol=1e-5, rtol=1e-3)


REDUCTIONS = ["none", "mean", "sum"]

X34, Y34 = randn(3, 4), randn(3, 4)
P34, T01 = uniform(0.05, 0.95, 3, 4), uniform(0, 1, 3, 4)
LOGITS, IDX = randn(5, 4), np.array([1, 0, 3, 3, 2])
CW = uniform(0.2, 2, 4)
IDX_IGN = np.array([1, -100, 3, 2, -100])
PROBS = softmax(randn(5, 4), 1)


def test_mse_broadcast_target_warns_like_torch():
    with pytest.warns(UserWarning, match="target size"):
        compare(lambda F, L, x, y: F.mse_loss(x, y), [X34, Y34[0]])


def test_float32_cross_entropy_and_bce_with_logits():
    x, t = LOGITS.astype(np.float32), IDX
    out = compare(lambda F, L, x, t: F.cross_entropy(x, t, label_smoothing=0.1), [x, t], rtol=1e-5, atol=1e-6)
    assert out.dtype == np.float32
    compare(lambda F, L, x, y: F.binary_cross_entropy_with_logits(x, y), [X34.astype(np.float32),
                                                                        T01.astype(np.float32)], rtol=1e-5, atol=1e-6)


def test_cross_entropy_is_stable_for_huge_logits():
    x = np.array([[1000.0, -1000.0, 0.0], [-5e4, 5e4, 1.0]])
    out = compare(lambda F, L, x, t: F.cross_entropy(x, t), [x, np.array([1, 1])])
    assert np.isfinite(out.item())


def test_bce_with_logits_is_stable_at_1000():
    x = np.array([1000.0, -1000.0, 1000.0, -1000.0, 0.0])
    y = np.array([0.0, 1.0, 1.0, 0.0, 0.5])
    for kw in ({}, {"pos_weight": np.full(5, 3.0)}):
        def fn(F, L, x, y, kw=kw):
            pw = kw.get("pos_weight")
            return F.binary_cross_entropy_with_logits(x, y, pos_weight=None if pw is None else (
                torch.tensor(pw) if L is torch else autograd.tensor(pw)), reduction="none")
        out = compare(fn, [x, y])
        assert np.isfinite(out.numpy()).all()
        xt = autograd.tensor(x, requires_grad=True)
        F.binary_cross_entropy_with_logits(xt, autograd.tensor(y)).backward()
        assert np.isfinite(xt.grad.numpy()).all()


def test_bce_with_logits_pos_weight_gradient_is_exact():
    """PyTorch refuses a gradient for pos_weight; ours gives one, checked numerically."""
    gradcheck(lambda F, L, x, y, pw: F.binary_cross_entropy_with_logits(x, y, pos_weight=pw, reduction="sum"),
              [X34, T01, CW], [0, 1, 2])


def test_all_ignored_mean_is_nan_with_zero_gradient_like_torch():
    for fn in (F.cross_entropy, F.nll_loss):
        out = compare(lambda F, L, x, t, fn=fn: getattr(F, fn.__name__)(x, t), [LOGITS[:2], np.array([-100, -100])])
        assert np.isnan(out.item())


@settings(max_examples=25)
@given(n=st.integers(1, 3), ncls=st.integers(1, 5), spatial=st.lists(st.integers(1, 3), max_size=2),
       smoothing=st.sampled_from([0.0, 0.25]), reduction=st.sampled_from(REDUCTIONS), batched=st.booleans(),
       probs=st.booleans(), weighted=st.booleans(), seed=st.integers(0, 2**16))
def test_cross_entropy_any_shape_matches_torch(n, ncls, spatial, smoothing, reduction, batched, probs, weighted, seed):
    rng = np.random.default_rng(seed)
    shape = (n, ncls, *spatial) if batched else (ncls,)
    x = rng.standard_normal(shape)
    if probs:
        t = softmax(rng.standard_normal(shape), 0 if not batched else 1)
    else:
        t = rng.integers(0, ncls, shape[:1] + shape[2:] if batched else ())
        t = np.where(rng.random(t.shape) < 0.2, -100, t)
    w = rng.uniform(0.5, 2, ncls)
    arrays = [x, t, w] if weighted else [x, t]
    out = compare(lambda F, L, x, t, *w: F.cross_entropy(x, t, *w, reduction=reduction, label_smoothing=smoothing),
                  arrays, [0, 1] if probs else [0])
    expected = () if reduction != "none" else (shape[:1] + shape[2:] if batched else ())
    assert tuple(out.shape) == expected


@settings(max_examples=20)
@given(n=st.integers(1, 4), ncls=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_multilabel_margin_random_targets_match_torch(n, ncls, seed):
    """Targets anywhere in [-1, C): duplicates count twice, everything after the first -1 is ignored."""
    rng = np.random.default_rng(seed)
    compare(lambda F, L, x, t: F.multilabel_margin_loss(x, t, reduction="none"),
            [rng.standard_normal((n, ncls)), rng.integers(-1, ncls, (n, ncls))])


# ---- module forms: same options, same values and gradients as torch.nn ----
MODULES = [
    ("MSELoss", {"reduction": "sum"}, [X34, Y34]),
    ("L1Loss", {}, [X34, Y34]),
    ("SmoothL1Loss", {"beta": 0.4, "reduction": "none"}, [X34, Y34]),
    ("HuberLoss", {"delta": 0.7}, [X34, Y34]),
    ("BCELoss", {"weight": CW}, [P34, T01]),
    ("BCEWithLogitsLoss", {"weight": CW, "pos_weight": CW[::-1].copy()}, [X34, T01]),
    ("CrossEntropyLoss", {"weight": CW, "ignore_index": 1, "label_smoothing": 0.1}, [LOGITS, IDX]),
    ("NLLLoss", {"weight": CW, "reduction": "sum"}, [LOGITS, IDX_IGN]),
    ("KLDivLoss", {"reduction": "batchmean", "log_target": True}, [LOGITS, np.log(PROBS)]),
    ("HingeEmbeddingLoss", {"margin": 0.3}, [X34, signs(3, 4)]),
    ("MultiMarginLoss", {"p": 2, "margin": 0.5, "weight": CW}, [LOGITS, IDX]),
    ("MultiLabelMarginLoss", {}, [randn(2, 3), np.array([[2, -1, 0], [0, 1, 2]])]),
    ("MultiLabelSoftMarginLoss", {"weight": CW}, [X34, (T01 > 0.5).astype(float)]),
    ("SoftMarginLoss", {"reduction": "sum"}, [X34, signs(3, 4)]),
    ("CosineEmbeddingLoss", {"margin": 0.2}, [randn(4, 3), randn(4, 3), signs(4)]),
    ("MarginRankingLoss", {"margin": 0.1}, [randn(5), randn(5), signs(5)]),
    ("TripletMarginLoss", {"margin": 0.5, "p": 1.0, "swap": True}, [randn(4, 3), randn(4, 3), randn(4, 3)]),
    ("TripletMarginWithDistanceLoss", {"margin": 2.0}, [randn(4, 3), randn(4, 3), randn(4, 3)]),
    ("PoissonNLLLoss", {"log_input": False, "full": True}, [uniform(0.1, 3, 3, 4), RNG.poisson(3.0, (3, 4)) * 1.0]),
    ("GaussianNLLLoss", {"full": True, "eps": 1e-3}, [X34, Y34, uniform(0.1, 2, 3, 4)]),
]


@pytest.mark.parametrize("name,kwargs,arrays", MODULES, ids=[m[0] for m in MODULES])
def test_module_matches_torch_module(name, kwargs, arrays):
    def fn(F, L, *xs):
        kw = {k: (_tensor(L, v, False) if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()}
        cls = getattr(torch.nn if L is torch else nn, name)
        return cls(**kw)(*xs)

    compare(fn, arrays, [0])
    ours = getattr(nn, name)(**{k: (autograd.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()})
    assert isinstance(ours, nn.Module)
    assert ours.reduction == kwargs.get("reduction", "mean")
    assert name in repr(ours)


def test_weight_is_a_buffer_like_torch():
    ours = nn.CrossEntropyLoss(weight=autograd.tensor(CW))
    theirs = torch.nn.CrossEntropyLoss(weight=torch.tensor(CW))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    ours = nn.BCEWithLogitsLoss(pos_weight=autograd.tensor(CW))
    theirs = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(CW))
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    assert list(ours.parameters()) == []


def test_module_defaults_match_torch():
    assert nn.CrossEntropyLoss().ignore_index == -100
    assert nn.CrossEntropyLoss().label_smoothing == 0.0
    assert nn.TripletMarginLoss().margin == 1.0 and nn.TripletMarginLoss().p == 2.0
    assert nn.PoissonNLLLoss().eps == 1e-8 and nn.PoissonNLLLoss().log_input
    assert nn.GaussianNLLLoss().eps == 1e-6
    assert nn.CTCLoss().blank == 0 and nn.CTCLoss().zero_infinity is False
    assert nn.SmoothL1Loss().beta == 1.0 and nn.HuberLoss().delta == 1.0
    assert nn.MultiMarginLoss().p == 1 and nn.MultiMarginLoss().margin == 1.0


# ---- errors name what was wrong ----
def _ag(a, grad=False):
    return _tensor(autograd, np.asarray(a), grad)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: F.cross_entropy(_ag(randn(3, 4)), _ag([0, 1, 2, 3])), ValueError,
     r"Expected input batch_size \(3\) to match target batch_size \(4\)"),
    (lambda: F.cross_entropy(_ag(randn(3, 4)), _ag([0, 7, 1])), IndexError, r"Target 7 is out of bounds.*4 classes"),
    (lambda: F.cross_entropy(_ag(randn(3, 4)), _ag([0, -1, 1])), IndexError, r"Target -1 is out of bounds"),
    (lambda: F.nll_loss(_ag(randn(3, 4)), _ag([0, 4, 1])), IndexError, r"Target 4 is out of bounds.*4 classes"),
    (lambda: F.nll_loss(_ag(randn(3, 4)), _ag([0, 1])), ValueError, r"batch_size \(3\).*batch_size \(2\)"),
    (lambda: F.cross_entropy(_ag(randn(2, 4, 5)), _ag(np.zeros((2, 4), int))), ValueError, r"\[2, 5\].*\[2, 4\]"),
    (lambda: F.cross_entropy(_ag(randn(3, 4)), _ag([0, 1, 2]), weight=_ag(np.ones(3))), RuntimeError,
     r"all 4 classes.*\[3\]"),
    (lambda: F.cross_entropy(_ag(randn(3, 4)), _ag([0, 1, 2]), label_smoothing=1.5), ValueError, "label_smoothing"),
    (lambda: F.cross_entropy(_ag(randn(3, 4)), _ag(softmax(randn(3, 5), 1))), ValueError, r"\[3, 5\].*\[3, 4\]"),
    (lambda: F.cross_entropy(_ag(randn(3, 4)), _ag([0, 1, 2]), reduction="avg"), ValueError,
     "avg is not a valid value for reduction"),
    (lambda: F.binary_cross_entropy(_ag([0.5, 1.5]), _ag([0.0, 1.0])), RuntimeError, "between 0 and 1"),
    (lambda: F.binary_cross_entropy(_ag([0.5, 0.2]), _ag([0.0, 1.0, 1.0])), ValueError, r"\(3,\).*\(2,\)"),
    (lambda: F.binary_cross_entropy_with_logits(_ag([0.5, 0.2]), _ag([1.0])), ValueError,
     r"Target size \(\(1,\)\) must be the same as input size \(\(2,\)\)"),
    (lambda: F.mse_loss(_ag(randn(2, 3)), _ag(randn(2, 3)), weight=_ag(randn(3))), ValueError,
     r"Weights and input must have the same size"),
    (lambda: F.smooth_l1_loss(_ag(randn(2)), _ag(randn(2)), beta=-1.0), RuntimeError, "negative values for beta"),
    (lambda: F.huber_loss(_ag(randn(2)), _ag(randn(2)), delta=0.0), RuntimeError, "non-positive values for delta"),
    (lambda: F.kl_div(_ag(randn(2)), _ag(randn(2)), reduction="batch"), ValueError, "batch is not a valid"),
    (lambda: F.multi_margin_loss(_ag(randn(3, 4)), _ag([0, 1, 2]), p=3), ValueError, "only p == 1 and p == 2"),
    (lambda: F.multi_margin_loss(_ag(randn(3, 4)), _ag([0, 1])), RuntimeError, r"inconsistent target size: \[2\]"),
    (lambda: F.multi_margin_loss(_ag(randn(3, 4)), _ag([0, 1, 9])), IndexError, "target 9 is out of range.*4 classes"),
    (lambda: F.multilabel_margin_loss(_ag(randn(3, 4)), _ag(np.zeros((3, 3), int))), RuntimeError,
     r"inconsistent target size: \[3, 3\] for input of size: \[3, 4\]"),
    (lambda: F.triplet_margin_loss(_ag(randn(3, 4)), _ag(randn(4)), _ag(randn(3, 4))), RuntimeError,
     "anchor 2D, positive 1D, and negative 2D"),
    (lambda: F.triplet_margin_loss(_ag(randn(3, 4)), _ag(randn(3, 4)), _ag(randn(3, 4)), margin=0), ValueError,
     "margin must be greater than 0"),
    (lambda: F.margin_ranking_loss(_ag(randn(3)), _ag(randn(3)), _ag(randn(1, 3))), RuntimeError,
     r"input1: \[3\], input2: \[3\], target: \[1, 3\]"),
    (lambda: F.cosine_embedding_loss(_ag(randn(3, 4)), _ag(randn(3, 5)), _ag(signs(3))), RuntimeError,
     r"\[3, 4\].*\[3, 5\]"),
    (lambda: F.gaussian_nll_loss(_ag(randn(3, 4)), _ag(randn(3, 4)), _ag(np.ones((2, 4)))), ValueError,
     r"var is of incorrect size.*\(2, 4\).*\(3, 4\)"),
    (lambda: F.gaussian_nll_loss(_ag(randn(3, 4)), _ag(randn(3, 4)), -1.0), ValueError, "negative"),
    (lambda: F.gaussian_nll_loss(_ag(randn(3)), _ag(randn(3)), _ag(randn(3) - 5)), ValueError, "negative"),
])
def test_errors_name_the_problem(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
