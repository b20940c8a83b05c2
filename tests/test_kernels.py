"""Every Numba kernel against its numpy reference (values), on both dispatch paths, with the edge cases that
matter for stability: huge magnitudes, -inf / +inf / nan, 0-d, empty, non-contiguous input, other axes."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from autograd.kernels import _cblas as KB
from autograd.kernels import _fastexp as KX
from autograd.kernels import elementwise as KE
from autograd.kernels import softmax as KS

FLOATS = [np.float32, np.float64]


def _tol(dtype):
    return dict(rtol=2e-6, atol=1e-7) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-15)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# ---- the vectorizable exp ----
@pytest.mark.parametrize("dtype,lo,hi", [(np.float32, -87.0, 88.72), (np.float64, -708.0, 709.78)])
def test_fexp_within_one_ulp_over_the_normal_range(dtype, lo, hi):
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(lo, hi, 20000), rng.uniform(-3, 3, 20000), [lo, hi, 0.0, -0.0]]).astype(dtype)
    out = np.empty_like(x)
    KX.fexp_array(x, out)
    ref = np.exp(x.astype(np.longdouble))
    ulps = (np.abs(out - ref) / ref / np.finfo(dtype).eps).astype(np.float64)
    assert ulps.max() < 1.0


@pytest.mark.parametrize("dtype", FLOATS)
def test_fexp_special_values(dtype):
    x = np.array([-np.inf, np.inf, np.nan, -1e4, 1e4, 0.0], dtype)
    out = np.empty_like(x)
    KX.fexp_array(x, out)
    assert out[0] == 0 and out[1] == np.inf and np.isnan(out[2]) and out[3] == 0 and out[4] == np.inf and out[5] == 1


# ---- the vectorizable tanh ----
@pytest.mark.parametrize("dtype", FLOATS)
def test_ftanh_within_two_ulp(dtype):
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-12, 12, 40000), rng.uniform(-0.7, 0.7, 40000), rng.uniform(-1e-3, 1e-3, 1000),
                        [0.625, -0.625, 0.62499994, 1e-30, -1e-30, 19.0, 100.0, -100.0]]).astype(dtype)
    out = np.empty_like(x)
    KX.ftanh_array(x, out)
    ref = np.tanh(x.astype(np.longdouble))
    ulps = (np.abs(out - ref) / np.spacing(np.abs(ref).astype(dtype))).astype(np.float64)
    assert ulps.max() < 2.0


@pytest.mark.parametrize("dtype", FLOATS)
def test_ftanh_special_values(dtype):
    x = np.array([-np.inf, np.inf, np.nan, -0.0, 0.0, 1e4, -1e4], dtype)
    out = np.empty_like(x)
    KX.ftanh_array(x, out)
    assert list(out[[0, 1, 5, 6]]) == [-1, 1, 1, -1] and np.isnan(out[2])
    assert out[3] == 0 and np.signbit(out[3]) and out[4] == 0 and not np.signbit(out[4])


# ---- the cblas gemm called from Numba ----
@njit(cache=False)
def _gemm_kernel(fn, a, b, c, trans_a, trans_b, beta):
    KB.gemm(fn, a, b, c, trans_a, trans_b, beta)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("trans_a,trans_b", [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize("beta", [0.0, 1.0])
def test_cblas_gemm_matches_numpy(rng, dtype, trans_a, trans_b, beta):
    fn = KB.address(dtype)
    if not fn:
        pytest.skip("numpy's BLAS is not a recognised 64-bit-int OpenBLAS")
    a = rng.standard_normal((7, 5) if trans_a else (5, 7)).astype(dtype)
    b = rng.standard_normal((9, 7) if trans_b else (7, 9)).astype(dtype)
    big = rng.standard_normal((5, 12)).astype(dtype)
    before = big.copy()
    c = big[:, 2:11]  # a strided output: leading dimension 12
    _gemm_kernel(fn, a, b, c, trans_a, trans_b, beta)
    ref = (a.T if trans_a else a) @ (b.T if trans_b else b) + beta * before[:, 2:11]
    np.testing.assert_allclose(c, ref, **_tol(dtype))
    np.testing.assert_array_equal(big[:, :2], before[:, :2])  # nothing outside the view is touched
    np.testing.assert_array_equal(big[:, 11:], before[:, 11:])


@pytest.mark.parametrize("dtype", FLOATS)
def test_cblas_gemm_one_row_and_empty_operands(rng, dtype):
    """numpy's relaxed strides: a (1, n) transpose reports a row stride of one element, which BLAS would reject
    as a leading dimension (the LSTM with hidden size 1 hit it); empty operands are no-ops."""
    fn = KB.address(dtype)
    if not fn:
        pytest.skip("numpy's BLAS is not a recognised 64-bit-int OpenBLAS")
    a = np.ascontiguousarray(rng.standard_normal((4, 1)).astype(dtype).T)  # (1, 4), strides (itemsize, itemsize)
    assert a.strides[0] == a.itemsize
    b = rng.standard_normal((4, 3)).astype(dtype)
    c = np.zeros((1, 3), dtype)
    _gemm_kernel(fn, a, b, c, False, False, 0.0)
    np.testing.assert_allclose(c, a @ b, **_tol(dtype))
    e = np.zeros((0, 3), dtype)
    _gemm_kernel(fn, np.zeros((0, 4), dtype), b, e, False, False, 1.0)
    assert e.shape == (0, 3)


def test_cblas_address_is_zero_for_other_dtypes():
    assert KB.address(np.int32) == 0 and KB.address(np.float16) == 0


# ---- elementwise ----
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(), (1,), (7,), (3, 5), (2, 3, 4), (1000,)])
def test_sigmoid_matches_reference(rng, dtype, shape):
    x = (rng.standard_normal(shape) * 10).astype(dtype)
    assert KE._fits(x)
    out = KE.sigmoid(x)
    assert out.dtype == dtype and out.shape == x.shape
    np.testing.assert_allclose(out, KE.sigmoid_numpy(x), **_tol(dtype))
    np.testing.assert_allclose(out, 1 / (1 + np.exp(-x.astype(np.float64))), rtol=1e-6 if dtype == np.float32 else 1e-14)


@pytest.mark.parametrize("dtype", FLOATS)
def test_sigmoid_extremes(dtype):
    x = np.array([-1e4, -1000.0, -100.0, -20.0, 0.0, 20.0, 100.0, 1000.0, 1e4, np.inf, -np.inf, np.nan], dtype)
    with np.errstate(over="raise"):
        out = KE.sigmoid(x)
    ref = KE.sigmoid_numpy(x)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(ref))
    np.testing.assert_allclose(out[:-1], ref[:-1], **_tol(dtype))
    assert out[0] == 0 and out[-4] == 1 and out[4] == 0.5
    assert out[3] > 0  # sigmoid(-20) is tiny, not 0: relative accuracy kept for negative inputs
    np.testing.assert_allclose(out[3], np.exp(-20.0) / (1 + np.exp(-20.0)), rtol=1e-6)


@pytest.mark.parametrize("dtype", FLOATS)
def test_sigmoid_noncontiguous_and_empty_use_numpy(rng, dtype):
    x = rng.standard_normal((6, 4)).astype(dtype)[:, ::2]
    assert not KE._fits(x)
    np.testing.assert_allclose(KE.sigmoid(x), KE.sigmoid_numpy(np.ascontiguousarray(x)), **_tol(dtype))
    e = np.zeros((0, 3), dtype)
    assert KE.sigmoid(e).shape == (0, 3)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name", ["sigmoid_backward", "tanh_backward", "relu_backward"])
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (1000,), (70, 80)])
def test_backward_kernels_match_reference(rng, monkeypatch, dtype, name, shape):
    monkeypatch.setattr(KE, "MIN_NUMBA_SIZE", 0)  # the Numba kernel at every size
    g = rng.standard_normal(shape).astype(dtype)
    y = rng.uniform(-1, 1, shape).astype(dtype)
    if name == "relu_backward":
        y = np.maximum(y, 0)
    assert KE._fits(g, y)
    out = getattr(KE, name)(g, y)
    ref = getattr(KE, name + "_numpy")(g, y)
    assert out.dtype == dtype and out.shape == g.shape
    np.testing.assert_allclose(out, ref, **_tol(dtype))


def test_backward_kernels_fall_back_for_broadcast_or_mixed_inputs(rng):
    g = np.broadcast_to(np.float32(2.0), (3, 4))  # a read-only broadcast view, as reductions give
    y = rng.uniform(0, 1, (3, 4)).astype(np.float32)
    assert not KE._fits(g, y)
    np.testing.assert_allclose(KE.sigmoid_backward(g, y), 2 * y * (1 - y), rtol=1e-6)
    np.testing.assert_allclose(KE.tanh_backward(g, y), 2 * (1 - y * y), rtol=1e-6)
    y64 = y.astype(np.float64)
    assert not KE._fits(y, y64)
    np.testing.assert_allclose(KE.relu_backward(y, y64 - 0.5), np.where(y64 > 0.5, y, 0), rtol=1e-6)


# ---- softmax family ----
CASES = [((4, 7), 1), ((4, 7), 0), ((2, 3, 5), 1), ((2, 3, 5), -1), ((2, 3, 5), 0), ((9,), 0), ((1, 1), 1),
         ((3, 100), 1), ((3, 64), -1), ((130, 2), 0)]  # rows of >= 64: the blocked max


def _rows_forced(monkeypatch, numba: bool):
    """Force one dispatch path: the Numba kernels or the numpy references."""
    monkeypatch.setattr(KS, "USE_NUMBA", numba)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,axis", CASES)
def test_softmax_kernels_match_reference(rng, monkeypatch, dtype, shape, axis):
    _rows_forced(monkeypatch, True)
    x = (rng.standard_normal(shape) * 5).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    ax = axis % len(shape)
    assert KS._use_numba(x)
    tol = _tol(dtype)
    y = KS.softmax(x, ax)
    np.testing.assert_allclose(y, KS.softmax_numpy(x, ax), **tol)
    ly = KS.log_softmax(x, ax)
    # x - logsumexp(x) cancels: compare with the float64 reference, to a few ulps of |x|
    loose = dict(rtol=tol["rtol"], atol=8 * np.finfo(dtype).eps * np.abs(x).max())
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(ly, KS.log_softmax_numpy(x64, ax), **loose)
    np.testing.assert_allclose(KS.log_softmax_numpy(x, ax), KS.log_softmax_numpy(x64, ax), **loose)
    for keep in (False, True):
        np.testing.assert_allclose(KS.logsumexp(x, (ax,), keep), KS.logsumexp_numpy(x, (ax,), keep), **loose)
    # backward: g - sum(...) cancels too; the kernels sum in float64, so compare with the float64 reference
    y64, ly64, g64 = y.astype(np.float64), ly.astype(np.float64), g.astype(np.float64)
    gscale = dict(rtol=tol["rtol"], atol=16 * np.finfo(dtype).eps * np.abs(g).sum(axis=ax).max())
    np.testing.assert_allclose(KS.softmax_backward(g, y, ax), KS.softmax_backward_numpy(g64, y64, ax), **gscale)
    np.testing.assert_allclose(KS.log_softmax_backward(g, ly, ax), KS.log_softmax_backward_numpy(g64, ly64, ax),
                               **gscale)
    for out in (y, ly):
        assert out.dtype == dtype and out.shape == x.shape


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_with_scale_and_out(rng, dtype):
    """softmax(x, scale=c) is softmax of c x, and its backward the gradient with respect to x (c > 0)."""
    x = rng.standard_normal((37, 70)).astype(dtype) * 4
    g = rng.standard_normal((37, 70)).astype(dtype)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
    out = np.empty_like(x)
    y = KS.softmax(x, 1, out=out, scale=0.3)
    assert y is out
    np.testing.assert_allclose(y, KS.softmax_numpy(x.astype(np.float64) * 0.3, 1), **tol)
    ref = KS.softmax_backward_numpy(g.astype(np.float64), y.astype(np.float64), 1) * 0.3
    np.testing.assert_allclose(KS.softmax_backward(g, y, -1, scale=0.3), ref, **tol)
    out2 = np.empty_like(x)
    assert KS.softmax_backward(g, y, 1, out=out2, scale=0.3) is out2
    np.testing.assert_array_equal(out2, KS.softmax_backward(g, y, 1, scale=0.3))


@pytest.mark.parametrize("numba", [True, False])
@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_stability_and_special_values(monkeypatch, dtype, numba):
    _rows_forced(monkeypatch, numba)
    x = np.array([[1000.0, 999.0, -1000.0],  # huge logits: no overflow
                  [-np.inf, 0.0, 1.0],  # a masked logit
                  [-np.inf, -np.inf, -np.inf],  # a fully masked row
                  [np.nan, 0.0, 1.0],  # nan propagates
                  [np.inf, 0.0, 1.0]], dtype)
    with np.errstate(all="ignore"):
        y, ly = KS.softmax(x, 1), KS.log_softmax(x, 1)
        lse = KS.logsumexp(x, (1,), False)
    e = np.exp([0.0, -1.0])
    np.testing.assert_allclose(y[0, :2], e / e.sum(), rtol=1e-6)
    assert y[0, 2] == 0 and y[1, 0] == 0 and np.isfinite(ly[0]).all()
    np.testing.assert_allclose(ly[0, :2], np.log(e / e.sum()), rtol=1e-6)
    assert ly[1, 0] == -np.inf
    np.testing.assert_allclose(lse[0], 1000 + np.log1p(np.exp(-1.0)), rtol=1e-6)
    assert lse[2] == -np.inf and lse[4] == np.inf and np.isnan(lse[3])
    assert np.isnan(y[2]).all() and np.isnan(y[3]).all() and np.isnan(ly[3]).all()


@pytest.mark.parametrize("numba", [True, False])
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,axes,keepdim", [((4, 7), (1,), False), ((4, 7), (0,), True), ((2, 3, 70), (2,), False),
                                                ((2, 3, 5), (1,), True), ((2, 3, 5), (0, 2), False)])
def test_logsumexp_backward_kernel(rng, monkeypatch, numba, dtype, shape, axes, keepdim):
    _rows_forced(monkeypatch, numba)
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    out = KS.logsumexp(x, axes, keepdim)
    g = rng.standard_normal(out.shape).astype(dtype)
    grad = KS.logsumexp_backward(g, x, out, axes, keepdim)
    x64 = x.astype(np.float64)
    ref = np.expand_dims(g, axes) if not keepdim else g
    ref = ref * np.exp(x64 - np.log(np.exp(x64).sum(axis=axes, keepdims=True)))
    assert grad.shape == x.shape and grad.dtype == dtype
    np.testing.assert_allclose(grad, ref, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-7)


@pytest.mark.parametrize("numba", [True, False])
@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_long_rows_with_nan_anywhere(monkeypatch, dtype, numba):
    """A nan anywhere in a row (first, inside the blocked max, in the tail) makes that row nan, others exact."""
    _rows_forced(monkeypatch, numba)
    x = np.random.default_rng(1).standard_normal((4, 75)).astype(dtype)
    x[0, 0] = x[1, 40] = x[2, 74] = np.nan
    with np.errstate(invalid="ignore"):
        outs = [KS.softmax(x, 1), KS.log_softmax(x, 1), KS.logsumexp(x, (1,), True)]
    for out in outs:
        assert np.isnan(out[:3]).all() and np.isfinite(out[3]).all()
    np.testing.assert_allclose(outs[0][3], KS.softmax_numpy(x[3:].astype(np.float64), 1)[0], rtol=1e-5)


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_dispatch_by_dtype_and_layout(rng, dtype):
    x = rng.standard_normal((8, 16)).astype(dtype)
    assert KS._use_numba(x)
    assert not KS._use_numba(x.astype(np.float16)) and not KS._use_numba(np.zeros((0, 3), dtype))
    for v in (x, x[:, ::2], x.T):  # non-contiguous inputs are copied to rows first
        for ax in (0, 1):
            np.testing.assert_allclose(KS.softmax(v, ax), KS.softmax_numpy(v.astype(np.float64), ax), rtol=1e-5)
            np.testing.assert_allclose(KS.log_softmax(v, ax), KS.log_softmax_numpy(v.astype(np.float64), ax),
                                       rtol=1e-5, atol=1e-6)


def test_softmax_zero_dim_empty_and_half():
    x = np.array(3.0, np.float32)
    assert KS.softmax(x, None) == 1.0 and KS.log_softmax(x, None) == 0.0
    assert KS.softmax(x, None).shape == ()
    e = np.zeros((0, 4), np.float32)
    assert KS.softmax(e, 1).shape == (0, 4) and KS.logsumexp(e, (1,), False).shape == (0,)
    assert KS.softmax(e, 0).shape == (0, 4) and KS.log_softmax(e, 0).shape == (0, 4)
    assert KS.logsumexp(np.zeros((2, 0), np.float32), (1,), False).tolist() == [-np.inf, -np.inf]
    h = np.array([[1.0, 2.0, 3.0]], np.float16)
    np.testing.assert_allclose(KS.softmax(h, 1), KS.softmax_numpy(h.astype(np.float32), 1), rtol=2e-3)


@pytest.mark.parametrize("dtype", FLOATS)
def test_logsumexp_several_axes_uses_reference(rng, dtype):
    x = rng.standard_normal((2, 3, 4)).astype(dtype)
    ref = np.log(np.exp(x.astype(np.float64)).sum(axis=(0, 2)))
    np.testing.assert_allclose(KS.logsumexp(x, (0, 2), False), ref, rtol=1e-6)
    assert KS.logsumexp(x, (0, 2), True).shape == (1, 3, 1)


def test_zero_dim_inputs_give_ndarrays_not_numpy_scalars():
    """A numpy scalar inside a Tensor would be promoted like a Python scalar (float64 -> float32)."""
    x = np.array(0.3)
    outs = [KE.sigmoid(x), KE.sigmoid_backward(x, x), KE.tanh_backward(x, x), KE.relu_backward(x, x),
            KS.softmax(x, None), KS.log_softmax(x, None), KS.softmax_backward(x, x, None),
            KS.log_softmax_backward(x, x, None), KS.logsumexp(x, (), False), KS.logsumexp_backward(x, x, x, (), False)]
    for out in outs:
        assert type(out) is np.ndarray and out.shape == () and out.dtype == np.float64
