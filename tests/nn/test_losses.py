"""Every loss of ``nn`` against PyTorch: values and input gradients (float64) across the options, float64
gradcheck on small cases, the module forms, and the error messages."""

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


def log_softmax(a, axis):
    return np.log(softmax(a, axis))


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

# ---- the case table: (id, fn(F, lib, *tensors), arrays, grad_idx or None) ----
X34, Y34, W34 = randn(3, 4), randn(3, 4), uniform(0.1, 2, 3, 4)
P34, T01 = uniform(0.05, 0.95, 3, 4), uniform(0, 1, 3, 4)
LOGITS, IDX = randn(5, 4), np.array([1, 0, 3, 3, 2])
CW = uniform(0.2, 2, 4)
IDX_IGN = np.array([1, -100, 3, 2, -100])
IDX_IGN2 = np.array([1, 2, 3, 2, 0])
PROBS = softmax(randn(5, 4), 1)
ND_X, ND_T, ND_P = randn(2, 3, 4, 2), RNG.integers(0, 3, (2, 4, 2)), softmax(randn(2, 3, 4, 2), 1)
ND_T_IGN = np.where(RNG.random((2, 4, 2)) < 0.3, -100, ND_T)


def _cases():
    c = []
    for r in REDUCTIONS:
        c += [
            (f"mse-{r}", lambda F, L, x, y, r=r: F.mse_loss(x, y, reduction=r), [X34, Y34], None),
            (f"mse-weight-{r}", lambda F, L, x, y, w, r=r: F.mse_loss(x, y, reduction=r, weight=w), [X34, Y34, W34], [0, 1]),
            (f"l1-{r}", lambda F, L, x, y, r=r: F.l1_loss(x, y, reduction=r), [X34, Y34], None),
            (f"l1-weight-{r}", lambda F, L, x, y, w, r=r: F.l1_loss(x, y, reduction=r, weight=w), [X34, Y34, W34], [0, 1]),
            (f"huber-weight-{r}", lambda F, L, x, y, w, r=r: F.huber_loss(x, y, reduction=r, delta=0.6, weight=w),
             [X34, Y34, W34], [0, 1]),
            (f"bce-{r}", lambda F, L, x, y, r=r: F.binary_cross_entropy(x, y, reduction=r), [P34, T01], [0]),
            (f"bce-weight-{r}", lambda F, L, x, y, w, r=r: F.binary_cross_entropy(x, y, w, reduction=r),
             [P34, T01, CW], [0]),
            (f"bcelogits-{r}", lambda F, L, x, y, r=r: F.binary_cross_entropy_with_logits(x, y, reduction=r),
             [X34 * 3, T01], None),
            (f"bcelogits-weights-{r}", lambda F, L, x, y, w, pw, r=r: F.binary_cross_entropy_with_logits(
                x, y, w, reduction=r, pos_weight=pw), [X34 * 3, T01, W34, CW], [0, 1]),
            (f"ce-{r}", lambda F, L, x, t, r=r: F.cross_entropy(x, t, reduction=r), [LOGITS, IDX], None),
            (f"ce-weight-ignore-{r}", lambda F, L, x, t, w, r=r: F.cross_entropy(x, t, w, reduction=r),
             [LOGITS, IDX_IGN, CW], [0]),
            (f"ce-ignore2-smooth-{r}", lambda F, L, x, t, r=r: F.cross_entropy(
                x, t, ignore_index=2, reduction=r, label_smoothing=0.2), [LOGITS, IDX_IGN2], None),
            (f"ce-weight-ignore-smooth-{r}", lambda F, L, x, t, w, r=r: F.cross_entropy(
                x, t, w, reduction=r, label_smoothing=0.3), [LOGITS, IDX_IGN, CW], [0]),
            (f"ce-probs-{r}", lambda F, L, x, t, r=r: F.cross_entropy(x, t, reduction=r), [LOGITS, PROBS], None),
            (f"ce-probs-weight-smooth-{r}", lambda F, L, x, t, w, r=r: F.cross_entropy(
                x, t, w, reduction=r, label_smoothing=0.15), [LOGITS, PROBS, CW], [0, 1]),
            (f"ce-nd-{r}", lambda F, L, x, t, w, r=r: F.cross_entropy(x, t, w, reduction=r, label_smoothing=0.1),
             [ND_X, ND_T_IGN, CW[:3]], [0]),
            (f"ce-nd-probs-{r}", lambda F, L, x, t, r=r: F.cross_entropy(x, t, reduction=r, label_smoothing=0.1),
             [ND_X, ND_P], None),
            (f"ce-unbatched-{r}", lambda F, L, x, t, w, r=r: F.cross_entropy(x, t, w, reduction=r, label_smoothing=0.1),
             [LOGITS[0], np.array(2), CW], [0]),
            (f"ce-unbatched-probs-{r}", lambda F, L, x, t, r=r: F.cross_entropy(x, t, reduction=r),
             [LOGITS[0], PROBS[0]], None),
            (f"nll-{r}", lambda F, L, x, t, w, r=r: F.nll_loss(x, t, w, reduction=r), [log_softmax(LOGITS, 1), IDX_IGN, CW],
             [0]),
            (f"nll-ignore-{r}", lambda F, L, x, t, r=r: F.nll_loss(x, t, ignore_index=3, reduction=r), [LOGITS, IDX], None),
            (f"nll-nd-{r}", lambda F, L, x, t, r=r: F.nll_loss(x, t, reduction=r), [ND_X, ND_T_IGN], None),
            (f"nll-unbatched-{r}", lambda F, L, x, t, r=r: F.nll_loss(x, t, reduction=r), [LOGITS[1], np.array(3)], None),
            (f"kl-{r}", lambda F, L, x, t, r=r: F.kl_div(x, t, reduction=r), [log_softmax(LOGITS, 1), PROBS], None),
            (f"kl-logtarget-{r}", lambda F, L, x, t, r=r: F.kl_div(x, t, reduction=r, log_target=True),
             [log_softmax(LOGITS, 1), np.log(PROBS)], None),
            (f"hinge-{r}", lambda F, L, x, t, r=r: F.hinge_embedding_loss(x, t, reduction=r), [X34, signs(3, 4)], [0]),
            (f"hinge-margin-{r}", lambda F, L, x, t, r=r: F.hinge_embedding_loss(x, t, margin=0.5, reduction=r),
             [X34, signs(3, 4)], [0]),
            (f"multimargin-{r}", lambda F, L, x, t, r=r: F.multi_margin_loss(x, t, reduction=r), [LOGITS, IDX], None),
            (f"multimargin-p2-{r}", lambda F, L, x, t, w, r=r: F.multi_margin_loss(x, t, p=2, margin=0.7, weight=w,
                                                                                   reduction=r), [LOGITS, IDX, CW], [0]),
            (f"multimargin-unbatched-{r}", lambda F, L, x, t, r=r: F.multi_margin_loss(x, t, margin=1.5, reduction=r),
             [LOGITS[0], np.array(1)], None),
            (f"multilabelmargin-{r}", lambda F, L, x, t, r=r: F.multilabel_margin_loss(x, t, reduction=r),
             [randn(4, 5), np.array([[3, 0, -1, 1, 2], [0, 1, 2, 3, 4], [-1, 2, 2, 0, 0], [4, 4, 1, -1, 3]])], None),
            (f"multilabelmargin-unbatched-{r}", lambda F, L, x, t, r=r: F.multilabel_margin_loss(x, t, reduction=r),
             [randn(4), np.array([2, 1, -1, 0])], None),
            (f"multilabelsoft-{r}", lambda F, L, x, t, w, r=r: F.multilabel_soft_margin_loss(x, t, w, reduction=r),
             [X34 * 3, (T01 > 0.5).astype(float), CW], [0]),
            (f"softmargin-{r}", lambda F, L, x, t, r=r: F.soft_margin_loss(x, t, reduction=r), [X34 * 3, signs(3, 4)],
             [0]),
            (f"cosine-{r}", lambda F, L, a, b, t, r=r: F.cosine_embedding_loss(a, b, t, reduction=r),
             [randn(6, 4), randn(6, 4), signs(6)], [0, 1]),
            (f"cosine-margin-{r}", lambda F, L, a, b, t, r=r: F.cosine_embedding_loss(a, b, t, margin=-0.2, reduction=r),
             [randn(6, 4), randn(6, 4), signs(6)], [0, 1]),
            (f"ranking-{r}", lambda F, L, a, b, t, r=r: F.margin_ranking_loss(a, b, t, margin=0.3, reduction=r),
             [randn(6), randn(6), signs(6)], None),
            (f"triplet-{r}", lambda F, L, a, p, n, r=r: F.triplet_margin_loss(a, p, n, reduction=r),
             [randn(5, 3), randn(5, 3), randn(5, 3)], None),
            (f"triplet-p1-swap-{r}", lambda F, L, a, p, n, r=r: F.triplet_margin_loss(a, p, n, margin=2.0, p=1, swap=True,
                                                                                       reduction=r),
             [randn(5, 3), randn(5, 3), randn(5, 3)], None),
            (f"triplet-p3-eps-{r}", lambda F, L, a, p, n, r=r: F.triplet_margin_loss(a, p, n, p=3, eps=1e-3, reduction=r),
             [randn(5, 3), randn(5, 3), randn(5, 3)], None),
            (f"tripletdist-{r}", lambda F, L, a, p, n, r=r: F.triplet_margin_with_distance_loss(a, p, n, swap=True,
                                                                                                 reduction=r),
             [randn(5, 3), randn(5, 3), randn(5, 3)], None),
            (f"tripletdist-custom-{r}", lambda F, L, a, p, n, r=r: F.triplet_margin_with_distance_loss(
                a, p, n, distance_function=lambda u, v: ((u - v) ** 2).sum(-1), margin=1.5, reduction=r),
             [randn(5, 3), randn(5, 3), randn(5, 3)], None),
            (f"poisson-{r}", lambda F, L, x, t, r=r: F.poisson_nll_loss(x, t, reduction=r),
             [X34, RNG.poisson(2.0, (3, 4)).astype(float)], None),
            (f"poisson-full-{r}", lambda F, L, x, t, r=r: F.poisson_nll_loss(x, t, full=True, reduction=r),
             [X34, RNG.poisson(2.0, (3, 4)).astype(float) + uniform(0, 0.5, 3, 4)], None),
            (f"poisson-nolog-{r}", lambda F, L, x, t, r=r: F.poisson_nll_loss(x, t, log_input=False, full=True, eps=1e-3,
                                                                             reduction=r),
             [uniform(0.1, 3, 3, 4), RNG.poisson(2.0, (3, 4)) + uniform(0.05, 0.5, 3, 4)], None),
            (f"gaussian-{r}", lambda F, L, x, t, v, r=r: F.gaussian_nll_loss(x, t, v, reduction=r),
             [X34, Y34, uniform(0.1, 2, 3, 4)], None),
            (f"gaussian-full-short-{r}", lambda F, L, x, t, v, r=r: F.gaussian_nll_loss(x, t, v, full=True, reduction=r),
             [X34, Y34, uniform(0.1, 2, 3)], None),
            (f"gaussian-lastdim1-clamped-{r}", lambda F, L, x, t, v, r=r: F.gaussian_nll_loss(x, t, v, eps=0.5,
                                                                                            reduction=r),
             [X34, Y34, uniform(0.1, 2, 3, 1)], None),
            (f"gaussian-middim1-{r}", lambda F, L, x, t, v, r=r: F.gaussian_nll_loss(x, t, v, reduction=r),
             [randn(2, 3, 4), randn(2, 3, 4), uniform(0.1, 2, 2, 1, 4)], None),
            (f"kl-zero-targets-{r}", lambda F, L, x, t, r=r: F.kl_div(x, t, reduction=r),
             [log_softmax(LOGITS, 1), PROBS * (RNG.random((5, 4)) < 0.6)], [0]),
            (f"gaussian-float-{r}", lambda F, L, x, t, r=r: F.gaussian_nll_loss(x, t, 0.7, reduction=r), [X34, Y34],
             None),
        ]
        for beta in (1.0, 0.5, 0.0):
            c.append((f"smoothl1-{beta}-{r}", lambda F, L, x, y, r=r, b=beta: F.smooth_l1_loss(x, y, reduction=r, beta=b),
                      [X34, Y34], None))
        for delta in (1.0, 0.3):
            c.append((f"huber-{delta}-{r}", lambda F, L, x, y, r=r, d=delta: F.huber_loss(x, y, reduction=r, delta=d),
                      [X34, Y34], None))
    c.append(("triplet-unbatched", lambda F, L, a, p, n: F.triplet_margin_loss(a, p, n, swap=True, reduction="sum"),
              [randn(3), randn(3), randn(3)], None))
    c.append(("cosine-unbatched", lambda F, L, a, b, t: F.cosine_embedding_loss(a, b, t, reduction="sum"),
              [randn(4), randn(4), np.array(-1.0)], [0, 1]))
    c.append(("ranking-2d", lambda F, L, a, b, t: F.margin_ranking_loss(a, b, t, reduction="sum"),
              [randn(2, 3), randn(2, 3), signs(2, 3)], None))
    c.append(("kl-batchmean", lambda F, L, x, t: F.kl_div(x, t, reduction="batchmean"),
              [log_softmax(LOGITS, 1), PROBS], None))
    c.append(("kl-batchmean-logtarget", lambda F, L, x, t: F.kl_div(x, t, reduction="batchmean", log_target=True),
              [log_softmax(LOGITS, 1), np.log(PROBS)], None))
    return c


CASES = _cases()


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_loss_matches_torch(case):
    _, fn, arrays, grad_idx = case
    compare(fn, arrays, grad_idx)


FLOAT32 = [c for c in CASES if c[0].endswith("-mean")]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("case", FLOAT32, ids=[c[0] for c in FLOAT32])
def test_loss_matches_torch_float32(case):
    """Same rows in float32: the result keeps float32 (as torch's) and agrees to float32 precision."""
    _, fn, arrays, grad_idx = case
    arrays = [a.astype(np.float32) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in arrays]
    compare(fn, arrays, grad_idx, rtol=2e-5, atol=2e-6)


GRADCHECK = [c for c in CASES if not c[0].endswith(("-none", "-mean"))]  # 'sum' rows: one per loss and option


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("case", GRADCHECK, ids=[c[0] for c in GRADCHECK])
def test_loss_gradcheck(case):
    name, fn, arrays, grad_idx = case
    if "clamped" in name:  # var below eps: PyTorch's gradient passes the clamp as identity, not its derivative
        grad_idx = [0, 1]
    gradcheck(fn, arrays, grad_idx)


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


# ---- double backward through the fused ops (create_graph) ----
@pytest.mark.parametrize("name,fn,arrays", [
    ("ce-index", lambda F, L, x, t, w: F.cross_entropy(x, t, w, label_smoothing=0.2), [LOGITS, IDX_IGN, CW]),
    ("ce-probs", lambda F, L, x, t, w: F.cross_entropy(x, t, w, label_smoothing=0.2, reduction="sum"),
     [LOGITS, PROBS, CW]),
    ("ce-nd-none", lambda F, L, x, t, w: F.cross_entropy(x, t, w, reduction="none").sum(), [ND_X, ND_T_IGN, CW[:3]]),
    ("nll", lambda F, L, x, t, w: F.nll_loss(x * x, t, w), [LOGITS, IDX_IGN, CW]),
    ("bce", lambda F, L, x, y, w: F.binary_cross_entropy(x, y, w), [P34, T01, CW]),
    ("bcelogits", lambda F, L, x, y, pw: F.binary_cross_entropy_with_logits(x, y, pos_weight=pw), [X34, T01, CW]),
])
def test_double_backward_matches_torch(name, fn, arrays):
    idx = {"ce-probs": [0, 1], "bce": [0, 1], "bcelogits": [0, 1]}.get(name, [0])
    ours = [_tensor(autograd, a, i in idx) for i, a in enumerate(arrays)]
    theirs = [_tensor(torch, a, i in idx) for i, a in enumerate(arrays)]
    (g,) = autograd.grad(fn(F, autograd, *ours), [ours[0]], create_graph=True)
    (tg,) = torch.autograd.grad(fn(TF, torch, *theirs), [theirs[0]], create_graph=True)
    np.testing.assert_allclose(g.numpy(), tg.detach().numpy(), rtol=1e-7, atol=1e-10)
    v = np.random.default_rng(3).standard_normal(g.shape)
    ((g * autograd.tensor(v)).sum()).backward()
    ((tg * torch.tensor(v)).sum()).backward()
    for i in idx:
        np.testing.assert_allclose(ours[i].grad.numpy(), theirs[i].grad.numpy(), rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("name,fn,arrays,idx", [
    ("ce-index-none", lambda x, t, w: F.cross_entropy(x, t, w, label_smoothing=0.2, reduction="none"),
     [LOGITS[:3], IDX_IGN[:3], CW], [0]),
    ("ce-probs", lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1), [LOGITS[:3], PROBS[:3]], [0, 1]),
    ("nll-none", lambda x, t: F.nll_loss(x, t, reduction="none"), [LOGITS[:3], IDX[:3]], [0]),
    ("bce", lambda x, y: F.binary_cross_entropy(x, y, reduction="none"), [P34[:2], T01[:2]], [0, 1]),
    ("bcelogits", lambda x, y, pw: F.binary_cross_entropy_with_logits(x, y, pos_weight=pw, reduction="none"),
     [X34[:2], T01[:2], CW], [0, 1, 2]),
])
def test_fused_loss_gradgradcheck(name, fn, arrays, idx):
    xs = [_tensor(autograd, a, i in idx) for i, a in enumerate(arrays)]
    assert autograd.gradgradcheck(fn, xs, eps=1e-6, atol=1e-5, rtol=1e-3)


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
