"""Indexing: random index expressions vs PyTorch (forward and gradient), slice assignment with and without
autograd, accumulation of repeated indices, double backward, gather/scatter/sort/topk/nonzero, the Numba
scatter-add kernel, and error messages."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as A
from autograd.kernels import scatter as K

torch = pytest.importorskip("torch")


# ---- random index expressions ----
@st.composite
def index_case(draw, unique: bool = False):
    """(shape, index items as plain Python/numpy objects). Lists share one length so they broadcast."""
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(2, 4)) for _ in range(ndim))
    use_mask = draw(st.booleans()) and not unique
    length = draw(st.integers(1, 2))
    items, dim, used_ellipsis, used_mask = [], 0, False, False
    while dim < ndim and draw(st.booleans() if items else st.just(True)):
        n = shape[dim]
        kind = draw(st.sampled_from(["int", "slice", "none", "ellipsis", "array", "array", "array"]))
        if kind == "int":
            items.append(draw(st.integers(-n, n - 1)))
            dim += 1
        elif kind == "slice":
            start = draw(st.none() | st.integers(-n - 1, n + 1))
            stop = draw(st.none() | st.integers(-n - 1, n + 1))
            step = draw(st.none() | st.integers(1, 3))
            items.append(slice(start, stop, step))
            dim += 1
        elif kind == "none":
            items.append(None)
        elif kind == "ellipsis" and not used_ellipsis:
            used_ellipsis = True
            items.append(Ellipsis)
            dim = ndim - sum(1 for i in items if i is not None and i is not Ellipsis)  # rest handled by ...
            break
        elif kind == "array":
            if use_mask:
                if used_mask:
                    continue
                used_mask = True
                mask = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
                items.append(mask)
            else:
                low = 0 if unique else -n  # unique: no two entries name the same position (-1 and n-1)
                items.append(np.array(draw(st.lists(st.integers(low, n - 1), min_size=length, max_size=length,
                                                    unique=unique)), dtype=np.int64))
            dim += 1
    return shape, items


def _ours(items):
    return tuple(A.tensor(i) if isinstance(i, np.ndarray) else i for i in items)


def _theirs(items):
    return tuple(torch.tensor(i) if isinstance(i, np.ndarray) else i for i in items)


@settings(max_examples=80)
@given(index_case())
def test_random_index_forward_and_grad_match_torch(case):
    shape, items = case
    data = np.random.default_rng(0).standard_normal(shape)
    x = A.tensor(data, requires_grad=True)
    tx = torch.tensor(data, requires_grad=True)
    try:
        expected = tx[_theirs(items)]
    except (IndexError, RuntimeError):  # an invalid index must fail for us too
        with pytest.raises((IndexError, RuntimeError)):
            x[_ours(items)]
        return
    out = x[_ours(items)]
    assert out.shape == tuple(expected.shape)
    np.testing.assert_array_equal(out.numpy(), expected.detach().numpy())
    seed = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(A.tensor(seed))
    expected.backward(torch.tensor(seed))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


@settings(max_examples=80)
@given(index_case(unique=True))
def test_random_setitem_matches_torch(case):
    shape, items = case
    rng = np.random.default_rng(2)
    data = rng.standard_normal(shape)
    tx = torch.tensor(data)
    try:
        res_shape = tuple(tx[_theirs(items)].shape)
    except (IndexError, RuntimeError):
        return
    value = rng.standard_normal(res_shape)
    # without autograd: a plain write that bumps the version
    x = A.tensor(data.copy())
    v0 = x._version[0]
    x[_ours(items)] = A.tensor(value)
    tx[_theirs(items)] = torch.tensor(value)
    np.testing.assert_array_equal(x.numpy(), tx.numpy())
    assert x._version[0] == v0 + 1
    # with autograd: gradients reach both the old value and the assigned value
    leaf, vleaf = A.tensor(data, requires_grad=True), A.tensor(value, requires_grad=True)
    tleaf, tvleaf = torch.tensor(data, requires_grad=True), torch.tensor(value, requires_grad=True)
    y, ty = leaf * 2, tleaf * 2
    y[_ours(items)] = vleaf * 3
    ty[_theirs(items)] = tvleaf * 3
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy())
    seed = rng.standard_normal(shape)
    (y * y).backward(A.tensor(seed))
    (ty * ty).backward(torch.tensor(seed))
    np.testing.assert_allclose(leaf.grad.numpy(), tleaf.grad.numpy())
    np.testing.assert_allclose(vleaf.grad.numpy(), tvleaf.grad.numpy())


# ---- specific semantics ----
def test_int_indices_are_applied_before_advanced_ones_as_in_torch():
    x = A.tensor(np.arange(24.0).reshape(2, 3, 4))
    tx = torch.arange(24.0).reshape(2, 3, 4)
    for ours, theirs in [(x[0, :, [1, 2]], tx[0, :, [1, 2]]), (x[1, None, [0, 1]], tx[1, None, [0, 1]])]:
        assert ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_repeated_advanced_indices_accumulate_like_torch():
    data = np.random.default_rng(0).standard_normal((5, 3))
    idx = np.array([[0, 4, 4], [4, 0, 2]])
    x, tx = A.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    (x[A.tensor(idx)] * 2).backward(A.ones(2, 3, 3, dtype=A.float64))
    (tx[torch.tensor(idx)] * 2).backward(torch.ones(2, 3, 3, dtype=torch.float64))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    assert x.grad.numpy()[4, 0] == 6.0  # three uses of row 4, each with gradient 2
    # two index arrays, repeated pairs, along inner dims
    x.grad, tx.grad = None, None
    i, j = np.array([1, 1, 1, 3]), np.array([2, 2, 0, 2])
    y = x[A.tensor(i), A.tensor(j)]
    ty = tx[torch.tensor(i), torch.tensor(j)]
    y.backward(A.tensor(np.arange(4.0)))
    ty.backward(torch.arange(4.0, dtype=torch.float64))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_index_backward_is_differentiable():
    data = np.random.default_rng(0).standard_normal((4, 3))
    idx = A.tensor(np.array([0, 3, 3, 1]))
    x = A.tensor(data, requires_grad=True)
    assert A.gradcheck(lambda t: t[idx] ** 2, [x])
    assert A.gradgradcheck(lambda t: t[idx] ** 2, [x])
    assert A.gradgradcheck(lambda t: t[1:, None, ::2] ** 3, [x])
    assert A.gradgradcheck(lambda t: t[t.detach() > 0] ** 3, [x])
    # the gradient of the gradient, explicitly, vs torch
    tx = torch.tensor(data, requires_grad=True)
    ones = np.ones((4, 3))
    (g,) = A.grad(x[idx] ** 3, [x], grad_outputs=[A.tensor(ones)], create_graph=True)
    (tg,) = torch.autograd.grad(tx[torch.tensor(idx.numpy())] ** 3, [tx], grad_outputs=[torch.tensor(ones)],
                                create_graph=True)
    np.testing.assert_allclose(g.numpy(), tg.detach().numpy())
    (g * g).backward(A.tensor(np.ones((4, 3))))
    (tg * tg).backward(torch.tensor(np.ones((4, 3))))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_tensor_indices_and_bounds():
    x = A.tensor(np.arange(12.0).reshape(3, 4))
    i, j = A.tensor(1), A.tensor(3)
    assert x[i:j].shape == (2, 4)
    assert x[i, j].item() == 7.0
    assert x[i].shape == (4,)
    assert x[i]._base is x  # a 0-d integer tensor index acts as an int: a view, as in torch
    assert x[A.tensor([True, False, True])].shape == (2, 4)
    assert x[[0, 0]].shape == (2, 4)
    assert x[True].shape == (1, 3, 4)
    assert x[False].shape == (0, 3, 4)
    assert x[A.tensor(np.array([1, 2], dtype=np.int32))].shape == (2, 4)


def test_basic_index_is_a_view_advanced_is_a_copy():
    x = A.tensor(np.arange(12.0).reshape(3, 4))
    v = x[1, 1:]
    assert v._base is x and v._version is x._version
    z = x[1, 2]  # a 0-d view, not a copy
    x[1, 2] = 100.0
    assert z.item() == 100.0
    a = x[[0, 1]]
    assert a._base is None and a._version is not x._version
    x[0, 0] = -5.0
    assert a.numpy()[0, 0] == 0.0


def test_setitem_scalar_broadcast_and_casting():
    x = A.zeros(3, 4)
    x[1] = 2.5
    x[:, 0] = A.tensor([1.0, 2.0, 3.0])
    x[x > 2.0] = -1.0
    tx = torch.zeros(3, 4)
    tx[1] = 2.5
    tx[:, 0] = torch.tensor([1.0, 2.0, 3.0])
    tx[tx > 2.0] = -1.0
    np.testing.assert_array_equal(x.numpy(), tx.numpy())
    n = A.zeros(3, dtype=A.int64)
    n[0] = 2.7  # cast to the tensor's dtype, as in torch
    assert n.dtype == A.int64 and n.tolist() == [2, 0, 0]
    y = A.zeros(2, 3)
    y[0] = A.ones(1, 1, 3)  # leading size-1 dims of the value are dropped
    assert y.numpy()[0].tolist() == [1.0, 1.0, 1.0]


def test_setitem_value_grad_with_leading_ones_and_broadcast():
    v = A.tensor(np.array([[[1.0, 2.0, 3.0]]]), requires_grad=True)
    tv = torch.tensor([[[1.0, 2.0, 3.0]]], dtype=torch.float64, requires_grad=True)
    w = A.tensor(np.ones((3, 3)), requires_grad=True)
    tw = torch.ones(3, 3, dtype=torch.float64, requires_grad=True)
    y, ty = w * 1, tw * 1
    y[1:] = v
    ty[1:] = tv
    (y * y).backward(A.ones(3, 3, dtype=A.float64))
    (ty * ty).sum().backward()
    np.testing.assert_allclose(v.grad.numpy(), tv.grad.numpy())
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy())


def test_setitem_errors():
    leaf = A.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        leaf[0] = 2.0
    x = A.zeros(3, 4)
    with pytest.raises(RuntimeError, match=r"shape mismatch: value tensor of shape \[5\] cannot be broadcast to "
                                           r"indexing result of shape \[3\]"):
        x[:, 0] = A.ones(5)
    with pytest.raises(RuntimeError, match="read-only"):
        A.ones(3).expand(2, 3)[0] = 1.0
    with A.no_grad():
        leaf[0] = 5.0  # allowed without autograd
    assert leaf.numpy()[0] == 5.0


def test_index_errors_name_the_problem():
    x = A.zeros(3, 4)
    with pytest.raises(IndexError, match=r"index 5 is out of bounds for dimension 0 with size 3"):
        x[5]
    with pytest.raises(IndexError, match=r"index 4 is out of bounds for dimension 1 with size 4"):
        x[:, A.tensor([0, 4])]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="must be long, int, byte or bool"):
        x[A.tensor([0.5])]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1]
    with pytest.raises(IndexError, match="only integers, slices"):
        x["a"]
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., ...]


# ---- gather / scatter / index_select ----
def test_gather_scatter_match_torch_and_errors():
    rng = np.random.default_rng(0)
    data = rng.standard_normal((3, 4))
    idx = np.array([[0, 3, 3], [1, 1, 0]])
    x = A.tensor(data)
    tx = torch.tensor(data)
    np.testing.assert_array_equal(x.gather(1, A.tensor(idx)).numpy(), tx.gather(1, torch.tensor(idx)).numpy())
    src = rng.standard_normal((2, 3))
    np.testing.assert_array_equal(x.scatter_add(1, A.tensor(idx), A.tensor(src)).numpy(),
                                  tx.scatter_add(1, torch.tensor(idx), torch.tensor(src)).numpy())
    u = np.array([[0, 3, 2], [1, 2, 0]])
    np.testing.assert_array_equal(x.scatter(1, A.tensor(u), A.tensor(src)).numpy(),
                                  tx.scatter(1, torch.tensor(u), torch.tensor(src)).numpy())
    np.testing.assert_array_equal(x.scatter(1, A.tensor(u), value=2.0).numpy(),
                                  tx.scatter(1, torch.tensor(u), value=2.0).numpy())
    np.testing.assert_allclose(x.scatter(1, A.tensor(u), A.tensor(src), reduce="multiply").numpy(),
                               tx.scatter(1, torch.tensor(u), torch.tensor(src), reduce="multiply").numpy())
    with pytest.raises(IndexError, match="index -1 is out of bounds"):
        x.gather(0, A.tensor(np.array([[-1]])))
    with pytest.raises(RuntimeError, match="Expected dtype int64 for index"):
        x.gather(1, A.tensor(idx.astype(np.int32)))
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        x.gather(1, A.tensor(np.array([0, 1])))
    with pytest.raises(RuntimeError, match=r"Size does not match at dimension 0 expected index \[5, 1\]"):
        x.gather(1, A.zeros(5, 1, dtype=A.int64))
    with pytest.raises(IndexError, match="index 4 is out of bounds for dimension 1 with size 4"):
        x.gather(1, A.tensor(np.array([[4]])))
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.gather(2, A.tensor(idx))


def test_index_select_repeated_accumulates_and_errors():
    data = np.random.default_rng(0).standard_normal((4, 5))
    idx = np.array([3, 0, 3, 3])
    for dim in (0, 1):
        x, tx = A.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
        out, tout = x.index_select(dim, A.tensor(idx)), tx.index_select(dim, torch.tensor(idx))
        np.testing.assert_array_equal(out.numpy(), tout.detach().numpy())
        seed = np.random.default_rng(1).standard_normal(out.shape)
        out.backward(A.tensor(seed))
        tout.backward(torch.tensor(seed))
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    s, ts = A.tensor(2.0), torch.tensor(2.0)
    assert s.index_select(0, A.tensor([0])).shape == tuple(ts.index_select(0, torch.tensor([0])).shape)
    with pytest.raises(IndexError, match="Index to scalar can have only 1 value"):
        s.index_select(0, A.tensor([0, 0]))
    with pytest.raises(IndexError, match="Index is supposed to be a vector"):
        A.tensor(data).index_select(0, A.zeros(2, 2, dtype=A.int64))


# ---- masks ----
def test_masked_fill_and_select():
    data = np.random.default_rng(0).standard_normal((3, 4))
    x, tx = A.tensor(data), torch.tensor(data)
    m = data > 0
    np.testing.assert_array_equal(x.masked_fill(A.tensor(m), 7.0).numpy(),
                                  tx.masked_fill(torch.tensor(m), 7.0).numpy())
    np.testing.assert_array_equal(x.masked_select(A.tensor(m)).numpy(), tx.masked_select(torch.tensor(m)).numpy())
    n = A.tensor(np.arange(4))
    assert n.masked_fill(n > 1, 1.7).dtype == A.int64  # keeps the tensor's dtype, as in torch
    y = A.tensor(data.copy())
    y.masked_fill_(A.tensor(m), 0.0)
    np.testing.assert_array_equal(y.numpy(), np.where(m, 0.0, data))
    with pytest.raises(RuntimeError, match="only supports boolean masks, but got mask with dtype float"):
        x.masked_fill(A.tensor(data), 1.0)
    with pytest.raises(RuntimeError, match="0-dimensional value tensor"):
        x.masked_fill(A.tensor(m), A.ones(2))
    with pytest.raises(RuntimeError, match=r"size of the mask \[5\]"):
        x.masked_fill(A.ones(5, dtype=A.bool), 1.0)


# ---- sorting ----
def test_sort_topk_argsort_match_torch():
    rng = np.random.default_rng(0)
    data = rng.integers(0, 4, size=(3, 7)).astype(np.float64)  # many ties: stable order matters
    x, tx = A.tensor(data), torch.tensor(data)
    for kw in [dict(dim=-1), dict(dim=0, descending=True), dict(dim=1, descending=True)]:
        ours, theirs = x.sort(stable=True, **kw), tx.sort(stable=True, **kw)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
        assert ours.indices.dtype == A.int64
        np.testing.assert_array_equal(x.argsort(stable=True, **kw).numpy(),
                                      tx.argsort(stable=True, **kw).numpy())
    distinct = rng.permutation(21).reshape(3, 7).astype(np.float64)
    x, tx = A.tensor(distinct), torch.tensor(distinct)
    for k, dim, largest in [(3, -1, True), (2, 0, False), (0, 1, True), (7, 1, False)]:
        ours, theirs = x.topk(k, dim, largest), tx.topk(k, dim, largest)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    values, indices = A.topk(x, 2)  # unpacks like torch's namedtuple
    assert values.shape == indices.shape == (3, 2)
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        x.topk(8)


def test_sort_puts_nan_where_torch_does():
    data = np.array([1.0, np.nan, -np.inf, 3.0, np.nan, -1.0])
    x, tx = A.tensor(data), torch.tensor(data)
    for desc in (False, True):
        ours, theirs = x.sort(descending=desc, stable=True), tx.sort(descending=desc, stable=True)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())


def test_sort_gradient_flows_through_values():
    data = np.random.default_rng(0).permutation(12).reshape(3, 4).astype(np.float64)
    x, tx = A.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    seed = np.arange(12.0).reshape(3, 4)
    x.sort(dim=0, descending=True).values.backward(A.tensor(seed))
    tx.sort(dim=0, descending=True).values.backward(torch.tensor(seed))
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
    assert not x.sort().indices.requires_grad


def test_nonzero_matches_torch():
    data = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])
    x, tx = A.tensor(data), torch.tensor(data)
    np.testing.assert_array_equal(x.nonzero().numpy(), tx.nonzero().numpy())
    assert x.nonzero().dtype == A.int64
    for a, b in zip(x.nonzero(as_tuple=True), tx.nonzero(as_tuple=True)):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    s, ts = A.tensor(3.0), torch.tensor(3.0)
    assert s.nonzero().shape == tuple(ts.nonzero().shape)
    assert [t.shape for t in s.nonzero(as_tuple=True)] == [tuple(t.shape) for t in ts.nonzero(as_tuple=True)]
    assert A.where(x > 0)[0].tolist() == [0, 1]


# ---- the Numba kernel ----
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scatter_kernel_matches_np_add_at(dtype):
    rng = np.random.default_rng(0)
    for rows, width, n in [(7, 5, 30), (3, 1, 10), (50, 16, 200), (4, 0, 3)]:
        idx = rng.integers(-rows, rows, size=n)
        src = rng.standard_normal((n, width)).astype(dtype)
        out = np.zeros((rows, width), dtype)
        ref = out.copy()
        np.add.at(ref, idx, src)
        res = K.index_add_rows(out, idx, src)
        assert res is out
        np.testing.assert_allclose(out, ref, rtol=1e-6)
    # n-d index and trailing dims (embedding backward: weight (V, D), index (B, T))
    idx = rng.integers(0, 6, size=(4, 5))
    src = rng.standard_normal((4, 5, 2, 3)).astype(dtype)
    out, ref = np.zeros((6, 2, 3), dtype), np.zeros((6, 2, 3), dtype)
    np.add.at(ref, idx, src)
    np.testing.assert_allclose(K.scatter_add(out, (idx,), src), ref, rtol=1e-6)
    # fallbacks: non-contiguous output, integer data, a second index array
    base = np.zeros((6, 4), dtype)
    view = base[:, ::2]
    ref = view.copy()
    np.add.at(ref, idx[0], src[0, :, 0, :2])
    K.index_add_rows(view, idx[0], src[0, :, 0, :2])
    np.testing.assert_allclose(view, ref, rtol=1e-6)
    ints, iref = np.zeros(3, np.int64), np.zeros(3, np.int64)
    np.add.at(iref, [0, 0, 2], [1, 2, 3])
    np.testing.assert_array_equal(K.index_add_rows(ints, np.array([0, 0, 2]), np.array([1, 2, 3])), iref)
    with pytest.raises(IndexError, match="index 6 is out of bounds for dimension 0 with size 6"):
        K.index_add_rows(np.zeros((6, 2), dtype), np.array([6]), np.ones((1, 2), dtype))


def test_embedding_style_backward_uses_rows_and_matches_torch():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((20, 8)).astype(np.float32)
    idx = rng.integers(0, 20, size=(6, 9))
    x, tx = A.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    seed = rng.standard_normal((6, 9, 8)).astype(np.float32)
    x[A.tensor(idx)].backward(A.tensor(seed))
    tx[torch.tensor(idx)].backward(torch.tensor(seed))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_double_backward_through_setitem_gather_scatter():
    rng = np.random.default_rng(0)
    x = A.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    v = A.tensor(rng.standard_normal(4), requires_grad=True)
    idx = A.tensor(np.array([[0, 2, 2], [1, 3, 0], [3, 3, 3]]))

    def put(a, b):
        c = a * a
        c[[2, 0]] = b ** 3
        return c

    assert A.gradgradcheck(put, [x, v])
    assert A.gradgradcheck(lambda a: a.gather(1, idx) ** 3, [x])
    assert A.gradgradcheck(lambda a, b: a.scatter_add(1, idx[:, :1], b[None, :3].t() ** 2) ** 2, [x, v])
    assert A.gradgradcheck(lambda a: a.sort(dim=1).values ** 3, [x])
    assert A.gradgradcheck(lambda a: a.masked_fill(a.detach() > 0, 0.5) ** 3, [x])
