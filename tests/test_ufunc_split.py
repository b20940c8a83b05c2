"""ufuncs split over the library's threads (``autograd.kernels.ufunc.split``): the same bits and dtype as numpy's
one call, for every broadcasting pattern of the first axis, Python numbers and mixed dtypes; and the ops that use
it (binary arithmetic, ReLU) on the parallel path."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import threads
from autograd.kernels.ufunc import split


@pytest.fixture
def parallel(monkeypatch):
    monkeypatch.setitem(threads.THRESHOLDS, "elementwise", 0)
    monkeypatch.setattr(threads, "_NUM", 3)


def same(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a, b)


@settings(max_examples=60, deadline=None)
@given(shape=st.lists(st.integers(1, 9), min_size=1, max_size=4), data=st.data())
def test_split_equals_numpy_with_broadcasting(shape, data):
    rng = np.random.default_rng(len(shape))
    # the second operand: the full shape, a trailing suffix, or a size-1 first axis
    kind = data.draw(st.sampled_from(["full", "suffix", "one"]))
    other = tuple(shape) if kind == "full" else tuple(shape[1:]) if kind == "suffix" else (1,) + tuple(shape[1:])
    dt_a, dt_b = data.draw(st.sampled_from([(np.float32, np.float32), (np.float64, np.float32),
                                            (np.int64, np.float32), (np.int32, np.int64)]))
    a = (rng.standard_normal(shape) * 5).astype(dt_a)
    b = (rng.standard_normal(other) * 5).astype(dt_b)
    ufunc = data.draw(st.sampled_from([np.add, np.multiply, np.subtract, np.maximum]))
    saved = (dict(threads.THRESHOLDS), threads._NUM)
    try:
        threads.THRESHOLDS["elementwise"] = 0
        threads._NUM = 3
        same(split(ufunc, a, b), ufunc(a, b))
        same(split(ufunc, b, a), ufunc(b, a))
    finally:
        threads.THRESHOLDS.update(saved[0])
        threads._NUM = saved[1]


@pytest.mark.parametrize("number", [0, 2, 2.5, -1e30])
def test_python_numbers_are_weak(parallel, number):
    x = np.random.default_rng(0).standard_normal((7, 5)).astype(np.float32)
    same(split(np.maximum, x, number), np.maximum(x, number))
    same(split(np.multiply, number, x), np.multiply(number, x))


def test_nan_and_signed_zero_pass_through(parallel):
    x = np.array([[np.nan, -0.0, 0.0], [-np.inf, 1.0, -2.0], [3.0, np.nan, -0.0]], np.float32)
    same(split(np.maximum, x, 0), np.maximum(x, 0))


def test_not_broadcastable_raises(parallel):
    with pytest.raises(ValueError):
        split(np.add, np.ones((4, 3)), np.ones((5, 3)))


def test_ops_take_the_parallel_path(parallel, monkeypatch):
    calls = []
    real = threads.parallel_map
    monkeypatch.setattr(threads, "parallel_map", lambda fn, items: calls.append(len(items)) or real(fn, items))
    rng = np.random.default_rng(1)
    x = autograd.tensor(rng.standard_normal((9, 4)).astype(np.float32), requires_grad=True)
    y = autograd.tensor(rng.standard_normal((4,)).astype(np.float32))
    out = (x * y + x).relu()
    out.sum().backward()
    xd, yd = x.detach().numpy(), y.numpy()
    same(out.numpy(), np.maximum(xd * yd + xd, 0))
    same(x.grad.numpy(), np.where(xd * yd + xd > 0, yd + 1, 0).astype(np.float32))
    assert calls and all(n == 3 for n in calls)
    with autograd.no_grad():  # the no-graph fast path of a + b
        same((x + x).numpy(), xd + xd)
