"""Pooling layers against their PyTorch twins (float64 outputs, indices, input grads) across the options,
higher derivatives, errors, hypothesis on output shapes, and the pool kernels against their numpy references."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import autograd
import nn
import nn.functional as F
from autograd.kernels import pool as K
from tests.nn.test_conv import twin

torch = pytest.importorskip("torch")


def _distinct(shape, seed=0):
    """No ties, so the argmax (and its gradient) is unambiguous."""
    n = int(np.prod(shape))
    return np.random.default_rng(seed).permutation(n).reshape(shape) * 0.01 - n * 0.005


MAX2D = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=3, stride=2, ceil_mode=True),
         dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), dilation=(2, 1), ceil_mode=True),
         dict(kernel_size=2, return_indices=True), dict(kernel_size=3, stride=1, padding=1, return_indices=True)]


@pytest.mark.parametrize("kw", MAX2D, ids=str)
def test_maxpool2d(kw):
    ours, theirs = nn.MaxPool2d(**kw), torch.nn.MaxPool2d(**kw)
    assert repr(ours) == repr(theirs)
    twin(ours, theirs, _distinct((2, 3, 9, 10)))
    twin(ours, theirs, _distinct((3, 7, 8), 1))  # unbatched


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
                                dict(kernel_size=3, dilation=2, return_indices=True)], ids=str)
def test_maxpool1d(kw):
    ours, theirs = nn.MaxPool1d(**kw), torch.nn.MaxPool1d(**kw)
    assert repr(ours) == repr(theirs)
    twin(ours, theirs, _distinct((2, 3, 11)))


def test_maxpool_ties_and_nan_follow_torch():
    x = np.random.default_rng(0).standard_normal((1, 2, 6, 6))
    x[0, 0, 1, 1] = x[0, 0, 0, 0] = np.nan
    x[0, 1, 2:4, 2:4] = np.nan
    y, idx = F.max_pool2d(autograd.tensor(x), 3, 2, 1, return_indices=True)
    ty, tidx = torch.nn.functional.max_pool2d(torch.tensor(x), 3, 2, 1, return_indices=True)
    np.testing.assert_array_equal(y.numpy(), ty.numpy())
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    assert idx.dtype == autograd.int64  # the kernels keep int32 internally; the user gets PyTorch's int64
    xa = autograd.tensor(np.ones((1, 1, 4, 4)), requires_grad=True)
    xt = torch.tensor(np.ones((1, 1, 4, 4)), requires_grad=True)
    F.max_pool2d(xa, 2).sum().backward()
    torch.nn.functional.max_pool2d(xt, 2).sum().backward()
    np.testing.assert_array_equal(xa.grad.numpy(), xt.grad.numpy())


AVG2D = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
         dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
         dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
         dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), count_include_pad=False),
         dict(kernel_size=2, padding=1, divisor_override=3)]


@pytest.mark.parametrize("kw", AVG2D, ids=str)
def test_avgpool2d(kw):
    ours, theirs = nn.AvgPool2d(**kw), torch.nn.AvgPool2d(**kw)
    assert repr(ours) == repr(theirs)
    twin(ours, theirs, np.random.default_rng(0).standard_normal((2, 3, 9, 8)))


def test_avgpool1d():
    kw = dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
    ours, theirs = nn.AvgPool1d(**kw), torch.nn.AvgPool1d(**kw)
    assert repr(ours) == repr(theirs)
    twin(ours, theirs, np.random.default_rng(0).standard_normal((2, 3, 10)))


@pytest.mark.parametrize("size", [1, 3, (2, None), (None, 5), (4, 7), (9, 8)], ids=str)
def test_adaptive_avgpool2d(size):
    ours, theirs = nn.AdaptiveAvgPool2d(size), torch.nn.AdaptiveAvgPool2d(size)
    assert repr(ours) == repr(theirs)
    twin(ours, theirs, np.random.default_rng(0).standard_normal((2, 3, 9, 8)))
    twin(ours, theirs, np.random.default_rng(1).standard_normal((3, 5, 7)))


def test_adaptive_avgpool1d():
    ours, theirs = nn.AdaptiveAvgPool1d(4), torch.nn.AdaptiveAvgPool1d(4)
    twin(ours, theirs, np.random.default_rng(0).standard_normal((2, 3, 10)))


def test_float32_outputs():
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32)
    for ours, theirs in [(F.max_pool2d(autograd.tensor(x), 2), torch.nn.functional.max_pool2d(torch.tensor(x), 2)),
                         (F.avg_pool2d(autograd.tensor(x), 3, 2, 1), torch.nn.functional.avg_pool2d(torch.tensor(x), 3, 2, 1))]:
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)


def test_higher_derivatives():
    x = autograd.tensor(_distinct((2, 2, 5, 6)), requires_grad=True)
    assert autograd.gradgradcheck(lambda x: F.max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True), [x])
    assert autograd.gradgradcheck(lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), [x])
    assert autograd.gradgradcheck(lambda x: F.adaptive_avg_pool2d(x, (3, 4)), [x])
    assert autograd.gradgradcheck(lambda x: F.max_pool1d(x[0], 3, stride=2, padding=1), [x])


def test_errors():
    with pytest.raises(RuntimeError, match=r"Given input size: \(2x2x2\). Calculated output size: \(2x0x0\)"):
        F.max_pool2d(autograd.zeros(1, 2, 2, 2), 3)
    with pytest.raises(RuntimeError, match="pad should be at most half of kernel size, but got pad=2"):
        nn.MaxPool2d(3, padding=2)(autograd.zeros(1, 2, 8, 8))
    with pytest.raises(RuntimeError, match=r"3D or 4D \(batch mode\) tensor expected for input, but got input of size \[2, 8\]"):
        nn.MaxPool2d(2)(autograd.zeros(2, 8))
    with pytest.raises(RuntimeError, match=r"Expected 3D or 4D tensor .* got \[2, 8\]"):
        F.adaptive_avg_pool2d(autograd.zeros(2, 8), 3)
    with pytest.raises(RuntimeError, match="divisor must be not zero"):
        F.avg_pool2d(autograd.zeros(1, 1, 4, 4), 2, divisor_override=0)


@given(h=st.integers(1, 12), w=st.integers(1, 12), k=st.integers(1, 4), s=st.integers(1, 3), p=st.integers(0, 2),
       d=st.integers(1, 2), ceil=st.booleans())
def test_maxpool_output_shape_matches_torch(h, w, k, s, p, d, ceil):
    assume(2 * p <= k)
    x = np.zeros((1, 1, h, w))
    try:
        expected = tuple(torch.nn.functional.max_pool2d(torch.tensor(x), k, s, p, d, ceil_mode=ceil).shape)
    except RuntimeError:
        with pytest.raises(RuntimeError):
            F.max_pool2d(autograd.tensor(x), k, s, p, d, ceil_mode=ceil)
        return
    assert F.max_pool2d(autograd.tensor(x), k, s, p, d, ceil_mode=ceil).shape == expected


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernels_match_numpy(dtype):
    x = _distinct((2, 3, 9, 10)).astype(dtype)
    geo = ((3, 2), (2, 3), (1, 1), (2, 1), (5, 4))
    out, idx = K.max_pool2d_forward(x, *geo)
    ref_out, ref_idx = K.max_pool2d_forward_numpy(x, *geo)
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(idx, ref_idx)
    xn = x.copy()
    xn[0, 0, :3, :3] = np.nan
    xn[1, 2, 4, 5] = np.nan
    for a, b in zip(K.max_pool2d_forward(xn, *geo), K.max_pool2d_forward_numpy(xn, *geo)):
        np.testing.assert_array_equal(a, b)
    g = np.random.default_rng(0).standard_normal(out.shape).astype(dtype)
    np.testing.assert_allclose(K.max_pool2d_backward(g, idx, x.shape), K.max_pool2d_backward_numpy(g, idx, x.shape))
    k, s, p, o = (3, 2), (2, 1), (1, 1), (5, 11)
    div = K.avg_divisor((9, 10), k, s, p, o, False, None, dtype)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(K.avg_pool2d_forward(x, k, s, p, o, div), K.avg_pool2d_forward_numpy(x, k, s, p, o, div),
                               rtol=tol, atol=tol)
    g = np.random.default_rng(1).standard_normal((2, 3) + o).astype(dtype)
    np.testing.assert_allclose(K.avg_pool2d_backward_numba(g, x.shape, k, s, p, div),
                               K.avg_pool2d_backward_numpy(g, x.shape, k, s, p, div), rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_2x2_kernel_matches_reference_and_torch(dtype):
    """The unrolled 2 x 2 / stride 2 loop: ties, NaNs (the last NaN of a window wins), -inf-only windows and an odd
    size (the last row/column unread) agree with the numpy reference and with torch; ceil_mode takes the general
    loop."""
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 10)).astype(dtype)
    x[0, 0, 0, 0] = x[0, 0, 1, 1] = np.nan
    x[0, 1, 2:4, 2:4] = 1.5
    x[1, 0, 4:6, 4:6] = -np.inf
    x[1, 2, 6, 7] = np.nan
    for out_hw in [(4, 5), (5, 5)]:
        geo = ((2, 2), (2, 2), (0, 0), (1, 1), out_hw)
        for a, b in zip(K.max_pool2d_forward(x, *geo), K.max_pool2d_forward_numpy(x, *geo)):
            np.testing.assert_array_equal(a, b)
    y, idx = F.max_pool2d(autograd.tensor(x), 2, return_indices=True)
    ty, tidx = torch.nn.functional.max_pool2d(torch.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(y.numpy(), ty.numpy())
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
