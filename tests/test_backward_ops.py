"""The fused backward ops (``ReluBackward``, ``SigmoidBackward``, ``TanhBackward``, ``SoftmaxBackward``,
``LogSoftmaxBackward``, ``LogSumExpBackward``, ``NormalizeBackward``, ``CrossEntropyBackward``) and the Tensor-op
backwards of mul, matmul and binary_cross_entropy_with_logits: second derivatives by gradgradcheck (small shapes, float64), and second and third derivatives against
PyTorch at sizes above the Numba kernels' thresholds, so the fast paths are what is differentiated."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import nn.functional as F

torch = pytest.importorskip("torch")


def _targets(shape):
    """Class-index targets for logits of ``shape`` (classes along dim 1)."""
    return np.random.default_rng(2).integers(0, shape[1], size=(shape[0],) + tuple(shape[2:]))


def _weight(lib, x):
    return ((lib.arange(x.shape[1]) + 1) / 3).to(x.dtype)


def _fn(name):
    """Each case as ``f(lib, *xs) -> tensor``, written once for both libraries."""
    def fl(lib):
        return F if lib is autograd else torch.nn.functional

    return {
        "relu": lambda lib, x: lib.relu(x),
        "sigmoid": lambda lib, x: lib.sigmoid(x),
        "tanh": lambda lib, x: lib.tanh(x),
        "mul": lambda lib, a, b: a * b,
        "matmul": lambda lib, a, b: lib.matmul(a, b),
        "softmax": lambda lib, x: lib.softmax(x, -1),
        "softmax_dim0": lambda lib, x: lib.softmax(x, 0),
        "log_softmax": lambda lib, x: lib.log_softmax(x, 1),
        "logsumexp": lambda lib, x: lib.logsumexp(x, 1),
        "logsumexp_keepdim": lambda lib, x: lib.logsumexp(x, (0, 2), keepdim=True),
        "layer_norm": lambda lib, x, w, b: fl(lib).layer_norm(x, (x.shape[-1],), w, b, 1e-5),
        "layer_norm_plain": lambda lib, x: fl(lib).layer_norm(x, (x.shape[-2], x.shape[-1])),
        "group_norm": lambda lib, x, w, b: fl(lib).group_norm(x, 2, w, b),
        "batch_norm": lambda lib, x, w, b: fl(lib).batch_norm(x, None, None, w, b, training=True),
        "ce": lambda lib, x: fl(lib).cross_entropy(x, lib.tensor(_targets(x.shape)), weight=_weight(lib, x),
                                                   ignore_index=1, label_smoothing=0.2),
        "ce_plain": lambda lib, x: fl(lib).cross_entropy(x, lib.tensor(_targets(x.shape))),
        "ce_none": lambda lib, x: fl(lib).cross_entropy(x, lib.tensor(_targets(x.shape)), reduction="none"),
        "ce_probs": lambda lib, x, t: fl(lib).cross_entropy(x, t.softmax(1), weight=_weight(lib, x),
                                                            label_smoothing=0.1),
        "bce_logits": lambda lib, x, y: fl(lib).binary_cross_entropy_with_logits(x, y, reduction="none"),
        "bce_logits_pw": lambda lib, x, y, pw: fl(lib).binary_cross_entropy_with_logits(x, y, pos_weight=pw),
    }[name]


# name, input shapes; inputs are drawn from [-2, 2] (relu: magnitudes >= 0.3, away from its kink)
SMALL = [
    ("relu", [(3, 4)]), ("sigmoid", [(3, 4)]), ("tanh", [(3, 4)]), ("mul", [(3, 4), (4,)]),
    ("matmul", [(3, 4), (4, 5)]), ("matmul", [(2, 3, 4), (4, 5)]), ("matmul", [(4,), (2, 4, 3)]),
    ("matmul", [(2, 3, 4), (4,)]), ("matmul", [(4,), (4,)]), ("matmul", [(2, 1, 3, 4), (3, 4, 2)]),
    ("softmax", [(3, 4)]), ("softmax_dim0", [(3, 4)]), ("log_softmax", [(2, 3, 4)]),
    ("logsumexp", [(3, 4)]), ("logsumexp_keepdim", [(2, 3, 4)]),
    ("layer_norm", [(2, 3, 4), (4,), (4,)]), ("layer_norm_plain", [(2, 3, 4)]),
    ("group_norm", [(2, 4, 3), (4,), (4,)]), ("batch_norm", [(4, 3, 2), (3,), (3,)]),
    ("bce_logits", [(3, 4), (3, 4)]), ("bce_logits_pw", [(3, 4), (3, 4), (4,)]),
    ("ce", [(6, 5)]), ("ce", [(2, 5, 3)]), ("ce_plain", [(4, 5)]), ("ce_none", [(4, 5)]),
    ("ce_probs", [(4, 5), (4, 5)]), ("ce_probs", [(2, 5, 3), (2, 5, 3)]),
]
# above the kernels' thresholds (elementwise backward kernels from 4096 elements)
LARGE = [
    ("relu", [(80, 64)]), ("sigmoid", [(80, 64)]), ("tanh", [(80, 64)]), ("mul", [(80, 64), (64,)]),
    ("matmul", [(4, 40, 64), (64, 32)]), ("softmax", [(80, 64)]), ("log_softmax", [(8, 10, 64)]),
    ("logsumexp", [(80, 64)]), ("layer_norm", [(8, 20, 64), (64,), (64,)]),
    ("group_norm", [(8, 16, 40), (16,), (16,)]), ("batch_norm", [(32, 8, 20), (8,), (8,)]),
    ("ce_plain", [(128, 40)]), ("ce", [(64, 100)]),
]


def _inputs(name, shapes, seed=0):
    rng = np.random.default_rng(seed)
    xs = [rng.uniform(-2, 2, size=s) for s in shapes]
    if name == "relu":
        xs = [np.sign(x) * (np.abs(x) + 0.3) for x in xs]
    if name.startswith("bce_logits"):
        xs[1] = rng.uniform(0, 1, size=shapes[1])
    if name == "bce_logits_pw":
        xs[2] = rng.uniform(0.5, 2, size=shapes[2])
    return xs


@pytest.mark.parametrize("name,shapes", SMALL, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SMALL)])
def test_gradgradcheck(name, shapes):
    xs = [autograd.tensor(a, requires_grad=True) for a in _inputs(name, shapes)]
    f = _fn(name)
    assert autograd.gradgradcheck(lambda *t: f(autograd, *t), xs)


def _derivatives(lib, f, arrays, v, w, order):
    """The first derivatives of <f(xs), v> in xs, the second (of <first, w>) in xs and v, and with ``order`` 3
    the third (of the sum of the second's squares) in xs."""
    tensor = autograd.tensor if lib is autograd else torch.tensor
    grad = autograd.grad if lib is autograd else torch.autograd.grad
    xs = [tensor(a, requires_grad=True) for a in arrays]
    vt = tensor(v, requires_grad=True)
    first = grad(f(lib, *xs), xs, grad_outputs=vt, create_graph=True)
    inner = sum((g * tensor(wi)).sum() for g, wi in zip(first, w))
    second = grad(inner, xs + [vt], create_graph=order > 2, allow_unused=True)
    out = [g.detach().numpy() for g in first] + [None if g is None else g.detach().numpy() for g in second]
    if order > 2:
        third = grad(sum((g * g).sum() for g in second if g is not None), xs, allow_unused=True)
        out += [None if g is None else g.numpy() for g in third]
    return out


# PyTorch does not differentiate binary_cross_entropy_with_logits in pos_weight
VS_TORCH = [c for c in SMALL + LARGE if c[0] != "bce_logits_pw"]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name,shapes", VS_TORCH, ids=[f"{n}-{i}" for i, (n, _) in enumerate(VS_TORCH)])
def test_higher_derivatives_match_torch(name, shapes, dtype):
    arrays = [a.astype(dtype) for a in _inputs(name, shapes)]
    f = _fn(name)
    out_shape = f(torch, *[torch.tensor(a) for a in arrays]).shape
    rng = np.random.default_rng(1)
    v = rng.standard_normal(out_shape).astype(dtype)
    w = [rng.standard_normal(a.shape).astype(dtype) for a in arrays]
    # relu, mul and matmul have no third derivative worth the name; PyTorch's layer_norm and batch_norm double
    # backwards take the saved statistics as constants, so their third derivatives are not exact (ours are
    # checked against central differences in test_third_derivatives below)
    order = 2 if name in ("relu", "matmul", "mul", "layer_norm", "layer_norm_plain", "batch_norm") else 3
    ours = _derivatives(autograd, f, arrays, v, w, order)
    theirs = _derivatives(torch, f, arrays, v, w, order)
    tol = dict(rtol=1e-9, atol=1e-9) if dtype == np.float64 else dict(rtol=2e-3, atol=2e-3)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if a is None or b is None:  # unused in one library: the other's must be zero (or unused too)
            other = a if b is None else b
            assert other is None or np.all(other == 0), f"derivative {i}"
            continue
        np.testing.assert_allclose(a, b, err_msg=f"derivative {i}", **tol)


THIRD = [("layer_norm", [(2, 3, 4), (4,), (4,)]), ("layer_norm_plain", [(2, 3, 4)]),
         ("batch_norm", [(4, 3, 2), (3,), (3,)]), ("sigmoid", [(3, 4)]), ("log_softmax", [(3, 4)]),
         ("logsumexp", [(3, 4)]), ("bce_logits_pw", [(3, 4), (3, 4), (4,)]), ("ce", [(6, 5)]),
         ("ce_none", [(4, 5)]), ("ce_probs", [(4, 5), (4, 5)]), ("matmul", [(4,), (2, 4, 3)]),
         ("matmul", [(2, 3, 4), (4,)]), ("matmul", [(2, 3, 4), (4, 5)]), ("matmul", [(3, 4), (2, 4, 5)])]


@pytest.mark.parametrize("name,shapes", THIRD, ids=[f"{n}-{i}" for i, (n, _) in enumerate(THIRD)])
def test_third_derivatives(name, shapes):
    """gradcheck of the second derivative, x -> d/dx <d<f(x), v>/dx, w>: the backward ops' own backwards are
    differentiated once more."""
    f = _fn(name)
    xs = [autograd.tensor(a, requires_grad=True) for a in _inputs(name, shapes)]
    rng = np.random.default_rng(1)
    v = autograd.tensor(rng.standard_normal(f(autograd, *xs).shape))
    w = [autograd.tensor(rng.standard_normal(s)) for s in shapes]

    def second(*xs):
        first = autograd.grad(f(autograd, *xs), xs, grad_outputs=v, create_graph=True)
        inner = sum((g * wi).sum() for g, wi in zip(first, w))
        return tuple(g for g in autograd.grad(inner, xs, create_graph=True, allow_unused=True) if g is not None)

    assert autograd.gradcheck(second, xs)
