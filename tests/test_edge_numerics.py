"""Numerics at the edges (issue 18, item 6): large finite float32 inputs and infinities give PyTorch's values
and PyTorch's NaN placement, forward and backward."""

import warnings

import numpy as np
import pytest

import autograd
import nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

INF = float("inf")


def _grad(fn, values, weights, lib):
    x = lib.tensor(values, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the forward value itself may overflow, as in PyTorch
        y = fn(x)
        (y * lib.tensor(weights)).sum().backward()
    out = y.detach().numpy() if lib is torch else y.numpy()
    return out, x.grad.numpy()


def test_silu_gradient_at_large_finite_input():
    x = autograd.tensor([1e20], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        (F.silu(x) * 1e20).sum().backward()
    assert x.grad.dtype == autograd.float32
    assert np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(x.grad.numpy(), [1e20], rtol=1e-6)


@pytest.mark.parametrize("values", [[1e20, -1e20, 3e38, -3e38, 0.0, 2.5, -7.0], [INF, -INF, 1.0, -1.0, 0.0, 80.0, -80.0]])
def test_silu_matches_torch_at_the_edges(values):
    w = [1e20, 1e20, 1.0, 1.0, 1.0, 3.0, -2.0]
    ours, gours = _grad(F.silu, values, w, autograd)
    ref, gref = _grad(TF.silu, values, w, torch)
    np.testing.assert_allclose(ours, ref, rtol=1e-6, equal_nan=True)
    np.testing.assert_allclose(gours, gref, rtol=1e-5, equal_nan=True)


def test_silu_gradcheck_float64():
    x = autograd.tensor(np.linspace(-6, 6, 13), dtype=autograd.float64, requires_grad=True)
    assert autograd.gradcheck(F.silu, (x,))
    assert autograd.gradgradcheck(F.silu, (x,))


@pytest.mark.parametrize("use_numba", [True, False])
@pytest.mark.parametrize("row", [[INF, 0, 1, 2], [INF, -INF], [INF, INF], [-INF, -INF], [-INF, 0, 1], [np.nan, 1.0],
                                 [0.5, 1.0, 2.0]])
def test_log_softmax_infinities_like_torch(row, use_numba, monkeypatch):
    from autograd.kernels import softmax as KS

    monkeypatch.setattr(KS, "USE_NUMBA", use_numba)
    x = np.array([row, row[::-1]], dtype=np.float32)
    ours = autograd.log_softmax(autograd.tensor(x), 1).numpy()
    ref = torch.log_softmax(torch.tensor(x), 1).numpy()
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
    np.testing.assert_allclose(ours, ref, rtol=1e-6, equal_nan=True)


def test_log_softmax_plus_inf_row_is_all_nan_like_softmax():
    x = autograd.tensor([INF, 0.0, 1.0, 2.0])
    assert np.isnan(autograd.log_softmax(x, 0).numpy()).all()
    assert np.isnan(autograd.softmax(x, 0).numpy()).all()


_POOL = np.array([0, 1, -1, 2.5, 1e20, -1e20, 3e38, -3e38, INF, -INF, 1e-30], dtype=np.float32)


def _rows(seed: int, n: int = 60) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.choice(_POOL, size=(2, 3)) for _ in range(n)]


@pytest.mark.parametrize("p", [1, 2, INF, 3])
def test_norm_at_huge_and_tiny_inputs_like_torch(p):
    w = np.arange(1, 3, dtype=np.float32)
    for v in _rows(1):
        ours, gours = _grad(lambda x: x.norm(p, 1), v, w, autograd)
        ref, gref = _grad(lambda x: torch.linalg.vector_norm(x, p, dim=1), v, w, torch)
        np.testing.assert_allclose(ours, ref, rtol=1e-5, equal_nan=True, err_msg=str(v))
        np.testing.assert_allclose(gours, gref, rtol=1e-4, atol=1e-35, equal_nan=True, err_msg=str(v))


def test_norm2_gradient_is_zero_where_the_norm_underflows_to_zero():
    ours, gours = _grad(lambda x: x.norm(2, 1), [[1e-30, 0.0, 0.0]], [1.0], autograd)
    assert ours[0] == 0.0 and (gours == 0).all()


@pytest.mark.parametrize("p", [1, 2, INF, 3])
def test_normalize_at_huge_inputs_like_torch(p):
    w = np.arange(1, 7, dtype=np.float32).reshape(2, 3)
    for v in _rows(2):
        ours, gours = _grad(lambda x: F.normalize(x, p=p, dim=1), v, w, autograd)
        ref, gref = _grad(lambda x: TF.normalize(x, p=p, dim=1), v, w, torch)
        np.testing.assert_allclose(ours, ref, rtol=1e-5, equal_nan=True, err_msg=str(v))
        # atol: a few float32 ulps of the sample's largest gradient, where PyTorch's rounding cancels to exactly 0
        finite = np.abs(gref[np.isfinite(gref)])
        atol = 1e-6 * finite.max() if finite.size else 0.0
        np.testing.assert_allclose(gours, gref, rtol=1e-4, atol=atol, equal_nan=True, err_msg=str(v))
    # the reproducer: x / ||x|| with ||x|| = 1e20, where the divisor's gradient used to square to inf
    _, gours = _grad(lambda x: F.normalize(x, p=p, dim=1), [[-1.0, 1e20, 0.0]], [[4.0, 5.0, 6.0]], autograd)
    _, gref = _grad(lambda x: TF.normalize(x, p=p, dim=1), [[-1.0, 1e20, 0.0]], [[4.0, 5.0, 6.0]], torch)
    np.testing.assert_allclose(gours, gref, rtol=1e-4, atol=1e-26)


def test_div_gradient_of_the_divisor_does_not_overflow():
    a = autograd.tensor([-1.0, 3e38], requires_grad=True)
    b = autograd.tensor([1e20, INF], requires_grad=True)
    (a / b).sum().backward()
    ta, tb = torch.tensor([-1.0, 3e38], requires_grad=True), torch.tensor([1e20, INF], requires_grad=True)
    (ta / tb).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-6, atol=0)
    assert b.grad.numpy()[0] != 0  # 1e-40, where -a / (b * b) gives 0 (b * b overflows)
