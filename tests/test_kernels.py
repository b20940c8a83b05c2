"""Every Numba kernel against its numpy reference (values), on both dispatch paths, with the edge cases that
matter for stability: huge magnitudes, -inf / +inf / nan, 0-d, empty, non-contiguous input, other axes."""

from __future__ import annotations

import numpy as np
import pytest

from autograd.kernels import elementwise as KE
from autograd.kernels import softmax as KS

FLOATS = [np.float32, np.float64]


def _tol(dtype):
    return dict(rtol=2e-6, atol=1e-7) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-15)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


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
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (1000,)])
def test_backward_kernels_match_reference(rng, dtype, name, shape):
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
CASES = [((4, 7), 1), ((4, 7), 0), ((2, 3, 5), 1), ((2, 3, 5), -1), ((2, 3, 5), 0), ((9,), 0), ((1, 1), 1)]


def _rows_forced(monkeypatch, big: bool):
    """Force one dispatch path: Numba for every size (big=True) or numpy for every size (big=False)."""
    monkeypatch.setattr(KS, "NUMBA_MAX_SIZE", 1 << 40 if big else 0)


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
    np.testing.assert_allclose(KS.softmax_backward(g, y, ax), KS.softmax_backward_numpy(g, y, ax), **tol)
    np.testing.assert_allclose(KS.log_softmax_backward(g, ly, ax), KS.log_softmax_backward_numpy(g, ly, ax),
                               rtol=tol["rtol"] * 10, atol=tol["atol"] * 10)
    for out in (y, ly):
        assert out.dtype == dtype and out.shape == x.shape


@pytest.mark.parametrize("big", [True, False])
@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_stability_and_special_values(monkeypatch, dtype, big):
    _rows_forced(monkeypatch, big)
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


@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_dispatch_by_size_and_dtype(rng, dtype):
    small = rng.standard_normal((8, 16)).astype(dtype)
    big = rng.standard_normal((64, KS.NUMBA_MAX_SIZE // 32)).astype(dtype)
    assert KS._use_numba(small) and not KS._use_numba(big)
    assert not KS._use_numba(small.astype(np.float16)) and not KS._use_numba(np.zeros((0, 3), dtype))
    for x in (small, big, small[:, ::2], small.T):
        for ax in (0, 1):
            np.testing.assert_allclose(KS.softmax(x, ax), KS.softmax_numpy(x, ax), **_tol(dtype))
            np.testing.assert_allclose(KS.log_softmax(x, ax), KS.log_softmax_numpy(x, ax), **_tol(dtype))


def test_softmax_zero_dim_empty_and_half():
    x = np.array(3.0, np.float32)
    assert KS.softmax(x, None) == 1.0 and KS.log_softmax(x, None) == 0.0
    assert KS.softmax(x, None).shape == ()
    e = np.zeros((0, 4), np.float32)
    assert KS.softmax(e, 1).shape == (0, 4) and KS.logsumexp(e, (1,), False).shape == (0,)
    assert KS.logsumexp(np.zeros((2, 0), np.float32), (1,), False).tolist() == [-np.inf, -np.inf]
    h = np.array([[1.0, 2.0, 3.0]], np.float16)
    np.testing.assert_allclose(KS.softmax(h, 1), KS.softmax_numpy(h.astype(np.float32), 1), rtol=2e-3)


@pytest.mark.parametrize("dtype", FLOATS)
def test_logsumexp_several_axes_uses_reference(rng, dtype):
    x = rng.standard_normal((2, 3, 4)).astype(dtype)
    ref = np.log(np.exp(x.astype(np.float64)).sum(axis=(0, 2)))
    np.testing.assert_allclose(KS.logsumexp(x, (0, 2), False), ref, rtol=1e-6)
    assert KS.logsumexp(x, (0, 2), True).shape == (1, 3, 1)
