"""Ops real PyTorch programs use: unique, unique_consecutive, bincount, median, repeat_interleave, index_add(_),
scatter_/scatter_add_ in place, equal, and the (values, indices) named tuples; each against PyTorch, the
differentiable ones with float64 gradcheck and PyTorch's gradients."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd as A

torch = pytest.importorskip("torch")


def _eq(ours, theirs):
    assert ours.shape == tuple(theirs.shape), (ours.shape, theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.detach().numpy())


def _grads(fn_ours, fn_torch, *arrays):
    xs = [A.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, tout = fn_ours(*xs), fn_torch(*ts)
    w = np.random.default_rng(1).standard_normal(tuple(tout.shape))
    (out * A.tensor(w)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-12)


# ---- unique ----
ints = hnp.arrays(np.int64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5), elements=st.integers(-3, 3))


@given(ints, st.booleans(), st.booleans())
def test_unique_flat_matches_torch(a, inv, cnt):
    ours = A.unique(A.tensor(a), return_inverse=inv, return_counts=cnt)
    theirs = torch.unique(torch.tensor(a), return_inverse=inv, return_counts=cnt)
    for o, t in zip(ours if isinstance(ours, tuple) else [ours], theirs if isinstance(theirs, tuple) else [theirs]):
        _eq(o, t)


@given(ints, st.integers(0, 2))
def test_unique_dim_matches_torch(a, dim):
    dim = dim % a.ndim
    ours = A.tensor(a).unique(dim=dim, return_inverse=True, return_counts=True)
    theirs = torch.tensor(a).unique(dim=dim, return_inverse=True, return_counts=True)
    for o, t in zip(ours, theirs):
        _eq(o, t)


def test_unique_nan_scalar_and_unsorted():
    a = np.array([1.0, np.nan, 2.0, np.nan, 1.0])
    _eq(A.unique(A.tensor(a)), torch.unique(torch.tensor(a)))  # each NaN is its own value
    _eq(A.unique(A.tensor(5)), torch.unique(torch.tensor(5)))
    assert sorted(A.unique(A.tensor([3, 1, 3]), sorted=False).tolist()) == [1, 3]


@given(ints, st.booleans())
def test_unique_consecutive_matches_torch(a, use_dim):
    kw = dict(return_inverse=True, return_counts=True, dim=0 if use_dim else None)
    for o, t in zip(A.unique_consecutive(A.tensor(a), **kw), torch.unique_consecutive(torch.tensor(a), **kw)):
        _eq(o, t)


# ---- bincount ----
def test_bincount_matches_torch():
    a = np.array([3, 1, 2, 1, 3, 3])
    _eq(A.bincount(A.tensor(a)), torch.bincount(torch.tensor(a)))
    _eq(A.tensor(a).bincount(minlength=8), torch.tensor(a).bincount(minlength=8))
    _eq(A.bincount(A.tensor(np.zeros(0, np.int64))), torch.bincount(torch.tensor(np.zeros(0, np.int64))))
    for w in (np.linspace(0, 1, 6, dtype=np.float32), np.linspace(0, 1, 6), np.arange(6, dtype=np.int32)):
        ours, theirs = A.bincount(A.tensor(a), A.tensor(w), 5), torch.bincount(torch.tensor(a), torch.tensor(w), 5)
        assert ours.dtype == theirs.numpy().dtype
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_bincount_errors():
    with pytest.raises(RuntimeError, match="bincount only supports 1-d non-negative integral inputs"):
        A.bincount(A.tensor([1, -1]))
    with pytest.raises(RuntimeError, match="bincount only supports 1-d non-negative integral inputs"):
        A.bincount(A.tensor([1.0]))
    with pytest.raises(RuntimeError, match="same length as input"):
        A.bincount(A.tensor([1, 2]), A.tensor([1.0]))


# ---- median ----
def test_median_matches_torch_global_and_dim():
    rng = np.random.default_rng(0)
    for shape in [(7,), (4, 6), (3, 4, 5)]:
        a = rng.permutation(int(np.prod(shape))).reshape(shape).astype(np.float64)  # distinct: indices agree
        _eq(A.median(A.tensor(a)), torch.median(torch.tensor(a)))
        for dim in range(-len(shape), len(shape)):
            for keepdim in (False, True):
                ours = A.tensor(a).median(dim, keepdim=keepdim)
                theirs = torch.tensor(a).median(dim, keepdim=keepdim)
                _eq(ours.values, theirs.values)
                _eq(ours.indices, theirs.indices)
                v, i = ours  # tuple unpacking keeps working
                assert v is ours[0] and i is ours[1]
    a = np.array([[1.0, 5, 3, 3], [2, 2, np.nan, 0]])
    _eq(A.median(A.tensor(a)), torch.median(torch.tensor(a)))
    _eq(A.median(A.tensor(a), 1).values, torch.median(torch.tensor(a), 1).values)
    _eq(A.median(A.tensor(a), 1).indices[1:], torch.median(torch.tensor(a), 1).indices[1:])
    _eq(A.median(A.tensor([4, 1, 3, 2])), torch.median(torch.tensor([4, 1, 3, 2])))  # integers: lower median


def test_median_gradients():
    a = np.array([[1.0, 3, 3, 2], [0.5, -1, 4, 7], [3.0, 3, 3, 1]])
    _grads(lambda x: x.median(), lambda t: t.median(), a)  # ties share the gradient
    b = np.random.default_rng(2).standard_normal((3, 5))
    _grads(lambda x: x.median(1).values, lambda t: t.median(1).values, b)
    _grads(lambda x: x.median(0, keepdim=True)[0], lambda t: t.median(0, keepdim=True)[0], b)
    assert A.gradcheck(lambda x: A.median(x, 1).values, (A.tensor(b, requires_grad=True),))
    assert A.gradcheck(lambda x: A.median(x) * 2, (A.tensor(b, requires_grad=True),))


def test_named_tuples_have_values_and_indices():
    x, t = A.tensor([[1.0, 4, 2], [3, 0, 5]]), torch.tensor([[1.0, 4, 2], [3, 0, 5]])
    for name, args in [("max", (1,)), ("min", (1,)), ("sort", (1,)), ("topk", (2,)), ("median", (1,))]:
        ours, theirs = getattr(x, name)(*args), getattr(t, name)(*args)
        _eq(ours.values, theirs.values)
        _eq(ours.indices, theirs.indices)
        values, indices = ours
        _eq(values, theirs[0])


# ---- repeat_interleave ----
def test_repeat_interleave_matches_torch():
    a = np.arange(6.0).reshape(2, 3)
    x, t = A.tensor(a), torch.tensor(a)
    _eq(x.repeat_interleave(2), t.repeat_interleave(2))
    _eq(x.repeat_interleave(2, dim=0), t.repeat_interleave(2, dim=0))
    _eq(x.repeat_interleave(A.tensor([1, 0, 3]), dim=1), t.repeat_interleave(torch.tensor([1, 0, 3]), dim=1))
    _eq(A.repeat_interleave(x, A.tensor([2]), dim=-1), torch.repeat_interleave(t, torch.tensor([2]), dim=-1))
    _eq(A.repeat_interleave(A.tensor([2, 0, 1])), torch.repeat_interleave(torch.tensor([2, 0, 1])))
    _eq(A.tensor(7).repeat_interleave(3), torch.tensor(7).repeat_interleave(3))
    with pytest.raises(RuntimeError, match="repeats must have the same size as input along dim"):
        x.repeat_interleave(A.tensor([1, 2]), dim=1)
    with pytest.raises(RuntimeError, match="repeats can not be negative"):
        x.repeat_interleave(-1)


def test_repeat_interleave_gradients():
    a = np.random.default_rng(3).standard_normal((3, 4))
    r = np.array([2, 0, 1, 3])
    _grads(lambda x: x.repeat_interleave(A.tensor(r), dim=1), lambda t: t.repeat_interleave(torch.tensor(r), dim=1), a)
    _grads(lambda x: x.repeat_interleave(3), lambda t: t.repeat_interleave(3), a)
    assert A.gradcheck(lambda x: x.repeat_interleave(A.tensor([1, 2, 0]), dim=0), (A.tensor(a, requires_grad=True),))
    assert A.gradgradcheck(lambda x: (x.repeat_interleave(2, dim=1) ** 2), (A.tensor(a, requires_grad=True),))


# ---- index_add, scatter_ and scatter_add_ in place ----
def test_index_add_matches_torch_with_gradients():
    rng = np.random.default_rng(4)
    a, s = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    idx = np.array([0, 2, 2, 3, 0])
    _grads(lambda x, y: x.index_add(0, A.tensor(idx), y, alpha=2.0),
           lambda x, y: x.index_add(0, torch.tensor(idx), y, alpha=2.0), a, s)
    s1 = rng.standard_normal((4, 2))
    _grads(lambda x, y: A.index_add(x, 1, A.tensor([2, 2]), y), lambda x, y: torch.index_add(x, 1, torch.tensor([2, 2]), y),
           a, s1)
    assert A.gradcheck(lambda x, y: x.index_add(0, A.tensor(idx), y),
                       (A.tensor(a, requires_grad=True), A.tensor(s, requires_grad=True)))


def test_in_place_index_add_scatter_and_scatter_add():
    rng = np.random.default_rng(5)
    a, s = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    idx = np.array([[0, 1, 2, 0], [2, 0, 0, 1], [1, 1, 0, 2]])
    cases = [
        (lambda x, y: x.index_add_(0, A.tensor([2, 0, 2]), y), lambda x, y: x.index_add_(0, torch.tensor([2, 0, 2]), y)),
        (lambda x, y: x.scatter_(0, A.tensor(idx[:1]), y[:1]), lambda x, y: x.scatter_(0, torch.tensor(idx[:1]), y[:1])),
        (lambda x, y: x.scatter_add_(0, A.tensor(idx), y), lambda x, y: x.scatter_add_(0, torch.tensor(idx), y)),
        (lambda x, y: x.scatter_(1, A.tensor(idx[:, :2]), 1.5) * y, lambda x, y: x.scatter_(1, torch.tensor(idx[:, :2]), 1.5) * y),
    ]
    for ours, theirs in cases:
        _grads(lambda x, y, f=ours: f(x * 1.0, y), lambda x, y, f=theirs: f(x * 1.0, y), a, s)
        x, t = A.tensor(a), torch.tensor(a)  # no grad: writes into the tensor itself
        r = ours(x, A.tensor(s))
        theirs(t, torch.tensor(s))
        _eq(x, t)
    x = A.tensor(a)
    assert x.scatter_(0, A.tensor(idx[:1]), A.tensor(s)) is x
    with pytest.raises(RuntimeError, match="same scalar type"):
        A.zeros(3).index_add_(0, A.tensor([0]), A.ones(1, dtype=A.float64))
    with pytest.raises(IndexError, match="out of bounds"):
        A.zeros(3).index_add_(0, A.tensor([3]), A.ones(1))
    del r


def test_equal():
    assert A.equal(A.tensor([1, 2]), A.tensor([1.0, 2.0])) == torch.equal(torch.tensor([1, 2]), torch.tensor([1.0, 2.0]))
    assert not A.equal(A.tensor([1, 2]), A.tensor([[1, 2]]))
    assert not A.equal(A.tensor([float("nan")]), A.tensor([float("nan")]))
    assert A.tensor([[1, 2]]).equal(A.tensor([[1, 2]]))
