"""Properties over generated shapes: every optimizer keeps each parameter's shape, dtype and memory, updates it
in place (version bumped once per step), and views (transposed, strided) update exactly like contiguous copies."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
import optim

ALL = [
    (optim.SGD, dict(lr=0.1, momentum=0.9)), (optim.Adam, dict(amsgrad=True)), (optim.AdamW, {}),
    (optim.Adagrad, {}), (optim.RMSprop, dict(centered=True, momentum=0.5)), (optim.Adadelta, {}),
    (optim.Adamax, {}), (optim.NAdam, {}), (optim.RAdam, {}), (optim.ASGD, dict(t0=1)), (optim.Rprop, {}),
    (optim.SparseAdam, {}), (optim.Adafactor, {}), (optim.Muon, {}), (optim.Lion, {}), (optim.Momentum, {}),
    (optim.NAG, {}),
]

shapes = st.lists(st.integers(1, 5), min_size=2, max_size=3).map(tuple)


@pytest.mark.parametrize("cls,kw", ALL, ids=[c.__name__ for c, _ in ALL])
@settings(max_examples=8, deadline=None)
@given(shape=shapes, dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16))
def test_in_place_shape_dtype_and_views(cls, kw, shape, dtype, seed):
    if cls is optim.Muon:
        shape = shape[:2]
    rng = np.random.default_rng(seed)
    w0 = rng.standard_normal(shape).astype(dtype)
    grads = [rng.standard_normal(shape).astype(dtype) for _ in range(3)]
    # contiguous parameter
    p = autograd.tensor(w0.copy(), requires_grad=True)
    mem = p.numpy()
    # the same values held as a transposed view of a larger buffer (non-contiguous)
    buf = np.zeros((2,) + shape[::-1], dtype=dtype)
    view = buf[1].transpose(tuple(range(len(shape)))[::-1])
    view[...] = w0
    q = autograd.from_numpy(view).requires_grad_()
    opt_p, opt_q = cls([p], **kw), cls([q], **kw)
    for g in grads:
        v0 = p._version[0]
        p.grad = autograd.tensor(g)
        q.grad = autograd.tensor(g.copy())
        opt_p.step()
        opt_q.step()
        assert p._version[0] == v0 + 1
    assert p.numpy() is mem and p.shape == shape and p.dtype == dtype
    assert np.all(np.isfinite(p.numpy()))
    assert np.all(buf[0] == 0)  # the view's update stayed inside the view
    np.testing.assert_allclose(q.numpy(), p.numpy(), rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=1e-6 if dtype == np.float32 else 1e-13)
