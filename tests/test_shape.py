"""Shape ops beyond the op table: shape properties (hypothesis), split/chunk sizes vs torch, dtype promotion in
cat, views vs copies, double backward, and the error messages."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as A

torch = pytest.importorskip("torch")

shapes = st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple)


def _factorizations(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0] if n else [0, 1, 2]


@given(shapes, st.data())
def test_reshape_to_random_factorization_matches_numpy(shape, data):
    n = math.prod(shape)
    a = np.arange(n, dtype=np.float64).reshape(shape)
    first = data.draw(st.sampled_from(_factorizations(n)))
    rest = n // first if first else data.draw(st.integers(0, 3))
    target = (first, rest)
    out = A.tensor(a).reshape(*target)
    np.testing.assert_array_equal(out.numpy(), a.reshape(target))
    if n:  # -1 is inferred
        assert A.tensor(a).reshape(-1, first).shape == (n // first, first)
        assert A.tensor(a).view(first, -1).shape == (first, n // first)
    assert A.tensor(a).flatten().shape == (n,)


@given(shapes, st.data())
def test_expand_of_broadcastable_shape_and_its_gradient(shape, data):
    target = tuple(s if s != 1 else data.draw(st.integers(0, 3)) for s in shape)
    lead = tuple(data.draw(st.lists(st.integers(1, 3), max_size=2)))
    a = np.random.default_rng(0).standard_normal(shape)
    x = A.tensor(a, requires_grad=True)
    out = x.expand(*(lead + target))
    np.testing.assert_array_equal(out.numpy(), np.broadcast_to(a, lead + target))
    seed = np.random.default_rng(1).standard_normal(lead + target)
    out.backward(A.tensor(seed))
    expected = seed.sum(axis=tuple(range(len(lead)))) if lead else seed
    expected = expected.sum(axis=tuple(i for i, s in enumerate(shape) if s == 1), keepdims=True) if shape else expected
    np.testing.assert_allclose(x.grad.numpy(), expected.reshape(shape))


@given(st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple), st.data())
def test_permute_squeeze_unsqueeze_match_numpy(shape, data):
    a = np.random.default_rng(0).standard_normal(shape)
    x = A.tensor(a)
    perm = data.draw(st.permutations(range(len(shape))))
    np.testing.assert_array_equal(x.permute(*perm).numpy(), a.transpose(perm))
    d = data.draw(st.integers(-len(shape) - 1, len(shape)))
    np.testing.assert_array_equal(x.unsqueeze(d).numpy(), np.expand_dims(a, d))
    np.testing.assert_array_equal(x.squeeze().numpy(), a.squeeze())
    d0, d1 = data.draw(st.integers(-len(shape), len(shape) - 1)), data.draw(st.integers(-len(shape), len(shape) - 1))
    np.testing.assert_array_equal(x.transpose(d0, d1).numpy(), np.swapaxes(a, d0, d1))


@given(st.integers(0, 9), st.integers(1, 5))
def test_split_and_chunk_sizes_match_torch(n, k):
    a = np.arange(float(n * 2)).reshape(n, 2)
    x, tx = A.tensor(a), torch.tensor(a)
    ours, theirs = x.split(k), tx.split(k)
    assert [o.shape for o in ours] == [tuple(t.shape) for t in theirs]
    ours, theirs = x.chunk(k), tx.chunk(k)
    assert [o.shape for o in ours] == [tuple(t.shape) for t in theirs]
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o.numpy(), t.numpy())


def test_cat_promotes_dtypes_and_skips_legacy_empty():
    a = A.tensor(np.array([1, 2], dtype=np.int64))
    b = A.tensor(np.array([0.5], dtype=np.float32))
    out = A.cat([a, b])
    assert out.dtype == torch.cat([torch.tensor([1, 2]), torch.tensor([0.5])]).numpy().dtype
    x = A.ones(2, 3, requires_grad=True)
    y = A.cat([A.zeros(0), x, A.zeros(0)], 0)
    assert y.shape == (2, 3)
    y.backward(A.ones(2, 3))
    assert x.grad.shape == (2, 3)
    assert A.concatenate([x, x], dim=1).shape == (2, 6)


def test_double_backward_through_shape_ops():
    rng = np.random.default_rng(0)
    x = A.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    y = A.tensor(rng.standard_normal((2, 2)), requires_grad=True)
    fns = [
        lambda a, b: A.cat([a, b], 1) ** 2,
        lambda a, b: A.stack([a[:, :2], b], 0).permute(2, 0, 1).reshape(-1) ** 2,
        lambda a, b: A.pad(a, (1, 2, 1, 0), mode="reflect") ** 2 * b[0, 0],
        lambda a, b: (A.pad(a, (2, 1), mode="circular") ** 2, A.pad(a, (0, 1, 1, 0), mode="replicate") ** 2),
        lambda a, b: (a.repeat(2, 2) ** 2, b.flip(0) ** 3, b.roll(1, 1) ** 3),
        lambda a, b: (a.diagonal(1) ** 3, a.tril() ** 2, b.triu(1) ** 2, b.expand(3, 2, 2) ** 2),
        lambda a, b: tuple(t ** 2 for t in a.split([1, 2], 1)) + tuple(t ** 3 for t in b.unbind(1)),
    ]
    for fn in fns:
        assert A.gradgradcheck(fn, [x, y])


def test_shape_views_share_memory_and_version():
    x = A.tensor(np.arange(24.0).reshape(2, 3, 4))
    views = [x.reshape(6, 4), x.view(24), x.flatten(1), x.unflatten(2, (2, 2)), x.unsqueeze(0), x[None].squeeze(0),
             x.transpose(0, 2), x.permute(1, 0, 2), x.mT, x.expand(2, 2, 3, 4), x.narrow(1, 1, 2), x[0].t(),
             x.diagonal(0, 1, 2), x.movedim(0, -1), *x.split(2, -1), *x.chunk(3, 1), *x.unbind(0)]
    for v in views:
        assert v._base is x and v._version is x._version
    vv = x.view(6, 4)[1:]  # a view of a view has the root as base
    assert vv._base is x
    copies = [x.flip(0), x.roll(1), x.tril(), x.triu(), x.repeat(1, 1, 2), A.cat([x, x]), A.stack([x, x]),
              x.transpose(0, 1).reshape(-1), A.pad(x, (1, 1)), x.clone()]
    for c in copies:
        assert c._base is None and not np.shares_memory(c.numpy(), x.numpy())
    x.transpose(0, 1)[0, 0, 0] = -1.0  # writes through the view (no autograd)
    assert x.numpy()[0, 0, 0] == -1.0


def test_pad_modes_match_torch_beyond_the_table():
    a = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5)
    x, tx = A.tensor(a), torch.tensor(a)
    F = torch.nn.functional
    for pad, mode in [((2, 2, 3, 3), "reflect"), ((4, 4, 3, 3), "replicate"), ((5, 0, 0, 4), "circular"),
                      ((1, 1, 1, 1, 1, 1), "constant"), ((0, 0, -1, -2), "constant")]:
        ours = A.pad(x, pad, mode=mode)
        theirs = F.pad(tx, pad, mode=mode)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    np.testing.assert_array_equal(A.pad(x, (1, 1), value=-3.0).numpy(), F.pad(tx, (1, 1), value=-3.0).numpy())


def test_meshgrid_hstack_vstack_match_torch():
    a, b = np.arange(3.0), np.arange(4.0) * 10
    for indexing in ("ij", "xy"):
        for o, t in zip(A.meshgrid(A.tensor(a), A.tensor(b), indexing=indexing),
                        torch.meshgrid(torch.tensor(a), torch.tensor(b), indexing=indexing)):
            np.testing.assert_array_equal(o.numpy(), t.numpy())
    np.testing.assert_array_equal(A.hstack([A.tensor(a), A.tensor(b)]).numpy(),
                                  torch.hstack([torch.tensor(a), torch.tensor(b)]).numpy())
    np.testing.assert_array_equal(A.vstack([A.tensor(a), A.tensor(a)]).numpy(),
                                  torch.vstack([torch.tensor(a), torch.tensor(a)]).numpy())


# ---- error messages ----
def test_reshape_and_view_errors():
    x = A.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"shape '\[2, 5\]' is invalid for input of size 6"):
        x.reshape(2, 5)
    with pytest.raises(RuntimeError, match=r"shape '\[-1, 4\]' is invalid for input of size 6"):
        x.view(-1, 4)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        x.reshape(-1, -1)
    with pytest.raises(RuntimeError, match=r"view size is not compatible with input tensor's size and stride.*"
                                           r"Use \.reshape\(\.\.\.\) instead"):
        x.t().view(6)
    assert x.t().reshape(6).shape == (6,)  # reshape copies instead
    with pytest.raises(RuntimeError, match="unspecified dimension size -1 can be any value"):
        A.zeros(0, 3).reshape(-1, 0)
    with pytest.raises(RuntimeError, match=r"unflatten: Provided sizes \[4, -1\] don't multiply up"):
        x.unflatten(1, (4, -1))
    with pytest.raises(RuntimeError, match="flatten\\(\\) has invalid args"):
        A.zeros(2, 3, 4).flatten(2, 1)


def test_dim_errors_name_the_range():
    x = A.zeros(2, 3)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        x.transpose(0, 2)
    with pytest.raises(IndexError, match=r"range of \[-3, 2\], but got 3"):
        x.unsqueeze(3)
    with pytest.raises(IndexError, match=r"range of \[-2, 1\], but got -3"):
        x.squeeze(-3)
    with pytest.raises(IndexError, match=r"range of \[-3, 2\], but got 5"):
        A.stack([x, x], 5)
    with pytest.raises(IndexError, match="Dimension out of range"):
        A.cat([x, x], 2)
    with pytest.raises(RuntimeError, match=r"input.dim\(\) = 2 is not equal to len\(dims\) = 3"):
        x.permute(0, 1, 2)
    with pytest.raises(RuntimeError, match="duplicate dims"):
        x.permute(0, 0)
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 dimensions, but self is 3D"):
        A.zeros(1, 2, 3).t()


def test_cat_stack_expand_split_errors():
    with pytest.raises(RuntimeError, match=r"Sizes of tensors must match except in dimension 1. Expected size 2 "
                                           r"but got size 3 for tensor number 1 in the list \(shapes \[2, 3\] "
                                           r"and \[3, 3\]\)"):
        A.cat([A.zeros(2, 3), A.zeros(3, 3)], 1)
    with pytest.raises(RuntimeError, match="Tensors must have same number of dimensions: got 2 and 1"):
        A.cat([A.zeros(2, 3), A.zeros(3)])
    with pytest.raises(RuntimeError, match="zero-dimensional tensor \\(at position 1\\) cannot be concatenated"):
        A.cat([A.zeros(2), A.tensor(1.0)])
    with pytest.raises(RuntimeError, match="expected a non-empty list of Tensors"):
        A.cat([])
    with pytest.raises(TypeError, match="must be a sequence of Tensors"):
        A.cat(A.zeros(2))
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got \[2\] at entry 0 "
                                           r"and \[3\] at entry 1"):
        A.stack([A.zeros(2), A.zeros(3)])
    with pytest.raises(RuntimeError, match=r"The expanded size of the tensor \(4\) must match the existing size "
                                           r"\(3\) at non-singleton dimension 1"):
        A.zeros(2, 3).expand(2, 4)
    with pytest.raises(RuntimeError, match=r"number of sizes provided \(1\) must be greater or equal"):
        A.zeros(2, 3).expand(3)
    with pytest.raises(RuntimeError, match=r"split_with_sizes expects split_sizes to sum exactly to 5"):
        A.zeros(5).split([2, 2])
    with pytest.raises(RuntimeError, match="chunk expects `chunks` to be greater than 0"):
        A.zeros(5).chunk(0)
    with pytest.raises(RuntimeError, match=r"start \(3\) \+ length \(3\) exceeds dimension size \(5\)"):
        A.zeros(5).narrow(0, 3, 3)
    with pytest.raises(RuntimeError, match="Number of dimensions of repeat dims"):
        A.zeros(2, 3).repeat(2)
    with pytest.raises(RuntimeError, match="shifts and dimensions must align"):
        A.zeros(2, 3).roll((1, 2), 0)
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        A.zeros(3).tril()
    with pytest.raises(RuntimeError, match="diagonal dimensions cannot be identical"):
        A.zeros(3, 3).diagonal(0, 1, 1)


def test_pad_errors():
    x = A.zeros(2, 3)
    with pytest.raises(RuntimeError, match="Padding length must be divisible by 2"):
        A.pad(x, (1, 2, 3))
    with pytest.raises(RuntimeError, match="Padding length should be less than or equal to two times"):
        A.pad(x, (1, 1, 1, 1, 1, 1))
    with pytest.raises(RuntimeError, match="Padding size should be less than the corresponding input dimension"):
        A.pad(x, (3, 0), mode="reflect")
    with pytest.raises(RuntimeError, match="wrapping around more than once"):
        A.pad(x, (4, 0), mode="circular")
    with pytest.raises(NotImplementedError, match="Unrecognised padding mode 'mirror'"):
        A.pad(x, (1, 1), mode="mirror")
    with pytest.raises(RuntimeError, match="resulted in a negative output size"):
        A.pad(x, (-2, -2))
