"""Broadcasting binary ops on generated shape pairs: forward equals numpy, every gradient has its input's shape
and equals PyTorch's (the engine's un-broadcasting), for + - * / maximum and where (three shapes)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import autograd

torch = pytest.importorskip("torch")

OPS = {
    "add": (lambda lib, a, b: a + b, np.add),
    "sub": (lambda lib, a, b: a - b, np.subtract),
    "mul": (lambda lib, a, b: a * b, np.multiply),
    "div": (lambda lib, a, b: a / b, np.divide),
    "maximum": (lambda lib, a, b: lib.maximum(a, b), np.maximum),
    "minimum": (lambda lib, a, b: lib.minimum(a, b), np.minimum),
}

SHAPES2 = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=1, max_side=3)


def _draw(rng, shape, dtype):
    """Magnitudes in [0.5, 2] with random signs: safe divisors, and no ties for maximum/minimum."""
    return (rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)).astype(dtype)


def _compare_grads(ours_in, theirs_in, ours_out, theirs_out, rng, tol):
    seed = rng.standard_normal(ours_out.shape).astype(ours_out.dtype)
    ours_out.backward(autograd.tensor(seed))
    theirs_out.backward(torch.tensor(seed))
    for x, t in zip(ours_in, theirs_in):
        assert x.grad is not None and x.grad.shape == x.shape, (x.grad, x.shape)
        assert x.grad.dtype == x.dtype
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), **tol)


@given(SHAPES2, st.sampled_from(sorted(OPS)), st.sampled_from([np.float32, np.float64]), st.integers(0, 2**16))
def test_binary_broadcasting(shapes, name, dtype, seed):
    (sa, sb), out_shape = shapes.input_shapes, shapes.result_shape
    rng = np.random.default_rng(seed)
    a, b = _draw(rng, sa, dtype), _draw(rng, sb, dtype)
    fn, ref = OPS[name]
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    x, y = autograd.tensor(a, requires_grad=True), autograd.tensor(b, requires_grad=True)
    t, u = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    out = fn(autograd, x, y)
    assert out.shape == tuple(out_shape) and out.dtype == dtype
    np.testing.assert_allclose(out.numpy(), ref(a, b), **tol)
    _compare_grads((x, y), (t, u), out, fn(torch, t, u), rng, tol)


@given(mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=4, min_side=1, max_side=3),
       st.integers(0, 2**16))
def test_where_broadcasting(shapes, seed):
    (sc, sa, sb), out_shape = shapes.input_shapes, shapes.result_shape
    rng = np.random.default_rng(seed)
    cond = rng.random(sc) > 0.5
    a, b = _draw(rng, sa, np.float64), _draw(rng, sb, np.float64)
    x, y = autograd.tensor(a, requires_grad=True), autograd.tensor(b, requires_grad=True)
    t, u = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    out = autograd.where(autograd.tensor(cond), x, y)
    assert out.shape == tuple(out_shape)
    np.testing.assert_array_equal(out.numpy(), np.where(cond, a, b))
    _compare_grads((x, y), (t, u), out, torch.where(torch.tensor(cond), t, u), rng, dict(rtol=1e-12, atol=1e-12))


@given(SHAPES2, st.integers(0, 2**16))
def test_broadcast_chain_with_reduction_and_scalar(shapes, seed):
    """A composite: (a * b + 1.5).sum over the last axis, then softmax-weighted: grads still have input shapes."""
    (sa, sb), out_shape = shapes.input_shapes, shapes.result_shape
    rng = np.random.default_rng(seed)
    a, b = _draw(rng, sa, np.float64), _draw(rng, sb, np.float64)
    x, y = autograd.tensor(a, requires_grad=True), autograd.tensor(b, requires_grad=True)
    t, u = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)

    def f(lib, p, q):
        z = p * q + 1.5
        return z.softmax(-1) * z if z.ndim else z * z

    out = f(autograd, x, y)
    assert out.shape == tuple(out_shape)
    _compare_grads((x, y), (t, u), out, f(torch, t, u), rng, dict(rtol=1e-10, atol=1e-12))
