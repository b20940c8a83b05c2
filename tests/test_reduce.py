"""Reductions beyond the op table: dtypes, PyTorch's tie rules, return types, error messages, zero-safe
gradients (prod, cumprod, norm), second derivatives, and dims/keepdim properties (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd

torch = pytest.importorskip("torch")


def _pair(a, requires_grad=True):
    return autograd.tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad)


# ---- dtypes ----
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
def test_sum_prod_cumsum_of_integers_give_int64(dtype):
    a = np.array([[1, 0, 1], [1, 1, 1]], dtype=dtype)
    x, t = _pair(a, False)
    for ours, theirs in [(x.sum(), t.sum()), (x.sum(1), t.sum(1)), (x.prod(0), t.prod(0)), (x.cumsum(1), t.cumsum(1)),
                         (autograd.cumprod(x, 0), torch.cumprod(t, 0))]:
        assert ours.dtype == np.int64
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_sum_and_mean_dtype_argument():
    x = autograd.tensor([[1, 2], [3, 4]])
    s = x.sum(dtype=autograd.float64)
    assert s.dtype == np.float64 and s.item() == 10
    m = x.mean(dtype=autograd.float32)
    assert m.dtype == np.float32 and m.item() == 2.5
    f = autograd.tensor([1.0, 2.0], requires_grad=True)
    s = f.sum(dtype=autograd.float64)
    s.backward()
    assert s.dtype == np.float64 and f.grad.dtype == np.float32


def test_mean_and_var_reject_integers_like_torch():
    x = autograd.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype.*int64"):
        x.mean()
    with pytest.raises(RuntimeError, match="std and var only support floating point"):
        x.var()
    with pytest.raises(RuntimeError, match="std and var"):
        autograd.std(x)


def test_var_unbiased_correction_and_positional_unbiased():
    a = np.random.default_rng(0).standard_normal((4, 5))
    x, t = _pair(a, False)
    np.testing.assert_allclose(x.var().numpy(), t.var().numpy())
    np.testing.assert_allclose(x.var(False).numpy(), t.var(False).numpy())
    np.testing.assert_allclose(x.var(1, unbiased=False).numpy(), t.var(1, unbiased=False).numpy())
    np.testing.assert_allclose(x.std(0, correction=3).numpy(), t.std(0, correction=3).numpy())
    np.testing.assert_allclose(autograd.var_mean(x, 1)[0].numpy(), torch.var_mean(t, 1)[0].numpy())
    np.testing.assert_allclose(autograd.std_mean(x, 1)[1].numpy(), torch.std_mean(t, 1)[1].numpy())
    with pytest.raises(RuntimeError, match="both unbiased and correction"):
        x.var(0, unbiased=True, correction=1)
    # one element: n - correction = 0 gives nan, as in torch
    assert np.isnan(autograd.tensor([1.0]).var().item())
    with pytest.warns(UserWarning, match="degrees of freedom"):
        assert np.isnan(torch.tensor([1.0]).var().item())


# ---- dims ----
def test_dim_errors_name_the_problem():
    x = autograd.zeros(2, 3)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        x.sum(2)
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times in the list of dims"):
        x.sum((0, -2))
    with pytest.raises(IndexError, match="out of range"):
        x.softmax(-3)
    with pytest.raises(TypeError, match="dim"):
        autograd.softmax(x)


def test_zero_dim_tensors_accept_dim_0_and_minus_1():
    x, t = _pair(np.array(2.5))
    for f in [lambda v: v.sum(0), lambda v: v.sum(-1, keepdim=True), lambda v: v.mean(0), lambda v: v.amax(0),
              lambda v: v.logsumexp(0), lambda v: v.softmax(0), lambda v: v.log_softmax(-1), lambda v: v.cumsum(0),
              lambda v: v.max(0).values, lambda v: v.prod(0)]:
        ours, theirs = f(x), f(t)
        assert ours.shape == tuple(theirs.shape)
        np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-6)
    assert x.argmax(0).item() == 0 and x.max(0).indices.item() == 0


def test_empty_reductions_like_torch():
    a = np.zeros((2, 0), np.float32)
    x, t = _pair(a, False)
    for f in [lambda v: v.sum(1), lambda v: v.mean(1), lambda v: v.prod(1), lambda v: v.logsumexp(1),
              lambda v: v.norm(dim=1), lambda v: v.sum(), lambda v: v.amax(0)]:
        np.testing.assert_array_equal(f(x).numpy(), f(t).numpy())
    with pytest.raises(RuntimeError, match="Expected reduction dim to be specified"):
        x.max()
    with pytest.raises(IndexError, match="reduction dim 1 to have non-zero size"):
        x.max(1)
    with pytest.raises(IndexError, match="amax\\(\\): Expected reduction dim 1 to have non-zero size"):
        x.amax(1)
    with pytest.raises(RuntimeError, match="argmax"):
        x.argmax()


# ---- max / min ----
def test_max_without_dim_splits_gradient_among_ties_like_torch():
    a = np.array([[1.0, 3.0, 3.0], [0.0, 3.0, -1.0]])
    for name in ("max", "min", "amax", "amin"):
        x, t = _pair(a if name in ("max", "amax") else -a)
        getattr(x, name)().backward()
        getattr(t, name)().backward()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())
        np.testing.assert_allclose(x.grad.numpy()[x.grad.numpy() > 0], 1 / 3)


def test_max_with_dim_returns_values_and_indices_like_torch():
    a = np.array([[1.0, 5.0, 5.0], [7.0, 2.0, 7.0]], np.float32)
    x, t = _pair(a)
    ours, theirs = x.max(1), t.max(1)
    assert type(ours).__name__ == "max" and ours._fields == ("values", "indices")
    values, indices = ours  # unpacks like torch.return_types.max
    assert indices.dtype == np.int64 and not indices.requires_grad
    np.testing.assert_array_equal(indices.numpy(), theirs.indices.numpy())
    np.testing.assert_array_equal(values.numpy(), theirs.values.detach().numpy())
    (values * autograd.tensor([1.0, 2.0])).sum().backward()
    (theirs.values * torch.tensor([1.0, 2.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())  # all to the first maximum
    m = autograd.min(autograd.tensor(a), 0, keepdim=True)
    tm = torch.min(torch.tensor(a), 0, keepdim=True)
    assert m.values.shape == (1, 3)
    np.testing.assert_array_equal(m.indices.numpy(), tm.indices.numpy())


def test_max_min_of_two_tensors_is_elementwise():
    a, b = np.array([1.0, 4.0, 2.0]), np.array([3.0, 0.0, 2.0])
    x, t = _pair(a)
    y, u = _pair(b)
    autograd.max(x, y).sum().backward()
    torch.max(t, u).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())
    np.testing.assert_array_equal(y.grad.numpy(), u.grad.numpy())
    np.testing.assert_array_equal(x.min(y).numpy(), torch.min(t, u).detach().numpy())


@pytest.mark.parametrize("dim,keepdim", [(None, False), (None, True), (0, False), (1, True), (-1, False)])
def test_argmax_argmin_like_torch(dim, keepdim):
    a = np.random.default_rng(3).integers(0, 4, (3, 5)).astype(np.float32)  # ties: first index wins
    x, t = _pair(a, False)
    for name in ("argmax", "argmin"):
        ours, theirs = getattr(x, name)(dim, keepdim), getattr(t, name)(dim, keepdim)
        assert ours.dtype == np.int64 and ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert not autograd.argmax(autograd.tensor(a, requires_grad=True)).requires_grad


@pytest.mark.parametrize("dim", [None, 0, 1, (0, 1), -1])
def test_all_any_like_torch(dim):
    a = np.array([[0, 1, 2], [3, 4, 5]])
    x, t = _pair(a, False)
    for name in ("all", "any"):
        kw = {} if dim is None else {"dim": dim}
        ours, theirs = getattr(autograd, name)(x, **kw), getattr(torch, name)(t, **kw)
        assert ours.dtype == np.bool_
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        np.testing.assert_array_equal(getattr(x, name)(**kw, keepdim=dim is not None).numpy(),
                                      getattr(t, name)(**kw, keepdim=dim is not None).numpy() if dim is not None
                                      else getattr(t, name)().numpy())


# ---- zero-safe gradients ----
@pytest.mark.parametrize("row", [[2.0, 0.0, 3.0, 4.0], [0.0, 0.0, 3.0, 4.0], [0.0, 5.0, 3.0, 0.0], [1.0, 2.0, 3.0, 4.0]])
def test_prod_and_cumprod_gradients_with_zeros_like_torch(row):
    for f in [lambda v: v.prod(), lambda v: v.prod(0), lambda v: (v.cumprod(0) * v.new_tensor([1.0, -2.0, 3.0, 0.5])).sum()]:
        x, t = _pair(np.array(row))
        f(x).backward()
        f(t).backward()
        assert np.isfinite(x.grad.numpy()).all()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())


def test_prod_cumprod_second_derivatives_with_one_zero():
    x = autograd.tensor([2.0, 0.0, 3.0, -1.5], dtype=autograd.float64, requires_grad=True)
    assert autograd.gradgradcheck(lambda v: v.prod(), (x,))
    assert autograd.gradgradcheck(lambda v: v.cumprod(0), (x,))
    m = autograd.tensor(np.array([[2.0, 0.0, 3.0], [1.0, 2.0, 0.5]]), requires_grad=True)
    assert autograd.gradgradcheck(lambda v: v.prod(1), (m,))
    assert autograd.gradgradcheck(lambda v: v.cumprod(1), (m,))


@pytest.mark.parametrize("p", ["fro", 2, 1, 3])
def test_norm_gradient_at_zero_is_zero_like_torch(p):
    x, t = _pair(np.zeros((2, 3)))
    autograd.norm(x, p).backward()
    t.norm(p).backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())
    assert not np.isnan(x.grad.numpy()).any()


def test_norm_rejects_unknown_p():
    with pytest.raises(ValueError, match="unsupported norm type 'nuc'"):
        autograd.zeros(2, 2).norm("nuc")
    assert autograd.tensor([[3.0, 0.0], [0.0, 4.0]]).norm(0).item() == 2


# ---- logsumexp / softmax ----
def test_logsumexp_softmax_are_stable_for_huge_and_masked_inputs():
    a = np.array([[1e4, 1e4 - 1, -1e4], [-np.inf, 0.0, 1.0], [-np.inf, -np.inf, -np.inf]], np.float32)
    x, t = _pair(a)
    np.testing.assert_allclose(x.logsumexp(1).numpy(), t.logsumexp(1).detach().numpy(), rtol=1e-6)
    y, u = x.softmax(1), t.softmax(1)
    np.testing.assert_allclose(y.numpy()[:2], u.detach().numpy()[:2], rtol=1e-6)
    assert np.isnan(y.numpy()[2]).all() == np.isnan(u.detach().numpy()[2]).all()
    ls = autograd.log_softmax(x, 1)
    np.testing.assert_allclose(ls.numpy()[:2], torch.log_softmax(t, 1).detach().numpy()[:2], rtol=1e-6)


@pytest.mark.parametrize("shape,dim", [((4, 8), 1), ((64, 512), -1), ((64, 512), 0), ((3, 300, 40), 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_family_both_kernel_paths_like_torch(shape, dim, dtype):
    """Small inputs take the Numba kernels, large ones numpy; both must agree with torch, grads included."""
    rng = np.random.default_rng(0)
    a = (rng.standard_normal(shape) * 4).astype(dtype)
    seed = rng.standard_normal(shape).astype(dtype)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    for name in ("softmax", "log_softmax"):
        x, t = _pair(a)
        y, u = getattr(autograd, name)(x, dim), getattr(torch, name)(t, dim)
        np.testing.assert_allclose(y.numpy(), u.detach().numpy(), **tol)
        y.backward(autograd.tensor(seed))
        u.backward(torch.tensor(seed))
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), **tol)
    x, t = _pair(a)
    x.logsumexp(dim).sum().backward()
    t.logsumexp(dim).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), **tol)


def test_softmax_of_integers_gives_default_float():
    y = autograd.softmax(autograd.tensor([1, 2, 3]), 0)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), torch.softmax(torch.tensor([1.0, 2.0, 3.0]), 0).numpy(), rtol=1e-6)
    assert autograd.softmax(autograd.tensor([1.0, 2.0]), 0, dtype=autograd.float64).dtype == np.float64


def test_module_level_functions_exist():
    for name in ["sum", "mean", "var", "std", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "all", "any",
                 "logsumexp", "softmax", "log_softmax", "cumsum", "cumprod", "norm"]:
        assert callable(getattr(autograd, name)), name


# ---- dims / keepdim properties ----
@st.composite
def _shape_and_dims(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    n = len(shape)
    dims = draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=n, unique_by=lambda d: d % n))
    return shape, tuple(dims), draw(st.booleans())


@given(_shape_and_dims())
def test_reductions_over_any_dims_match_torch(case):
    shape, dims, keepdim = case
    a = np.random.default_rng(len(shape)).standard_normal(shape)
    n = int(np.prod([shape[d] for d in dims]))
    for name in ("sum", "mean", "amax", "logsumexp") + (("var",) if n > 1 else ()):
        x, t = _pair(a)
        ours, theirs = getattr(x, name)(dims, keepdim=keepdim), getattr(t, name)(dims, keepdim=keepdim)
        assert ours.shape == tuple(theirs.shape)
        np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
        seed = np.random.default_rng(1).standard_normal(ours.shape)
        ours.backward(autograd.tensor(seed))
        theirs.backward(torch.tensor(seed))
        assert x.grad.shape == shape
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_max_with_nan_propagates_and_sends_the_gradient_to_the_nan_like_torch():
    a = np.array([[1.0, np.nan, 3.0], [2.0, 5.0, 5.0]])
    x, t = _pair(a)
    out, tout = x.max(), t.max()
    assert np.isnan(out.item()) and np.isnan(tout.item())
    out.backward()
    tout.backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())
    v, tv = x.max(1), t.max(1)
    np.testing.assert_array_equal(v.indices.numpy(), tv.indices.numpy())
    assert np.isnan(v.values.detach().numpy()[0]) and np.isnan(tv.values.detach().numpy()[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("keepdim", [False, True])
def test_sum_over_all_but_the_channels_is_the_float64_sum_rounded(dtype, keepdim):
    """The channel loop (kernels/reduce.py) accumulates in float64: a float32 result is within one unit in the
    last place of the exact sum, where numpy's float32 reduction drifts by several."""
    from autograd.kernels import reduce as KR

    x = (np.random.default_rng(0).standard_normal((64, 8, 32, 32)) * 3 + 1).astype(dtype)
    assert KR.fits(x, (0, 2, 3), keepdim)
    got = autograd.tensor(x).sum(dim=(0, 2, 3), keepdim=keepdim).numpy()
    exact = x.astype(np.float64).sum(axis=(0, 2, 3), keepdims=keepdim)
    assert got.dtype == dtype and got.shape == exact.shape
    if dtype == np.float32:
        np.testing.assert_array_max_ulp(got, exact.astype(dtype), maxulp=1)
    else:  # float64 sums of runs, then of the runs: numpy's pairwise accuracy, not the exact sum
        np.testing.assert_allclose(got, exact, rtol=1e-13)


def test_sum_over_all_but_the_channels_takes_numpy_where_the_loop_does_not_fit():
    from autograd.kernels import reduce as KR

    x = np.ones((1 << 17, 4), np.float32)
    assert not KR.fits(x, (0,), False)  # runs of one element: numpy's row adds
    assert not KR.fits(np.ones((8, 8, 8), np.float32), (0, 2), False)  # below MIN_SIZE
    assert not KR.fits(np.ones((256, 16, 32), np.float32)[:, :, ::2], (0, 2), False)  # not contiguous
    assert not KR.fits(np.ones((256, 16, 32), np.int64), (0, 2), False)
    assert not KR.fits(np.ones((256, 16, 32), np.float32), (0,), False)  # more than one kept axis
    np.testing.assert_array_equal(autograd.tensor(x).sum(0).numpy(), np.full(4, 1 << 17, np.float32))
