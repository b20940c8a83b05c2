"""Lion, Momentum and NAG (not in PyTorch) against a few-line numpy reference of their formula."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import optim

from ._problem import INIT, assert_resumes_identically, loss_and_grads, ours, run_ours, set_grads_ours

STEPS = 50


def _reference(update, steps=STEPS):
    """Run ``update(ws, gs, state)`` (numpy, in the formula's own words) on the shared problem."""
    ws = [a.copy() for a in INIT]
    state: dict = {}
    for _ in range(steps):
        _, gs = loss_and_grads(*ws)
        update(ws, gs, state)
    return ws


@pytest.mark.parametrize("kw", [dict(lr=1e-3), dict(lr=3e-3, betas=(0.8, 0.95), weight_decay=0.1)])
def test_lion(kw):
    lr, (b1, b2), wd = kw["lr"], kw.get("betas", (0.9, 0.99)), kw.get("weight_decay", 0.0)

    def lion(ws, gs, st):
        for i, (w, g) in enumerate(zip(ws, gs)):
            m = st.get(i, np.zeros_like(w))
            c = b1 * m + (1 - b1) * g
            w[...] = w * (1 - lr * wd) - lr * np.sign(c)
            st[i] = b2 * m + (1 - b2) * g

    mine, _ = run_ours(optim.Lion, kw, STEPS)
    for p, w in zip(mine, _reference(lion)):
        np.testing.assert_allclose(p.numpy(), w, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kw", [dict(), dict(lr=0.1, beta=0.5, weight_decay=0.01)])
def test_momentum(kw):
    lr, beta, wd = kw.get("lr", 1e-2), kw.get("beta", 0.9), kw.get("weight_decay", 0)

    def momentum(ws, gs, st):
        for i, (w, g) in enumerate(zip(ws, gs)):
            g = g + wd * w
            v = st[i] = beta * st.get(i, 0.0) + (1 - beta) * g
            w -= lr * v

    mine, _ = run_ours(optim.Momentum, kw, STEPS)
    for p, w in zip(mine, _reference(momentum)):
        np.testing.assert_allclose(p.numpy(), w, rtol=1e-12, atol=1e-14)


def _nag_reference(lr, mu, wd):
    """v = μv + g(θ - ημv); θ -= ηv, the gradient evaluated at the look-ahead point."""
    ws = [a.copy() for a in INIT]
    vs = [np.zeros_like(a) for a in INIT]
    for _ in range(STEPS):
        ahead = [w - lr * mu * v for w, v in zip(ws, vs)]
        _, gs = loss_and_grads(*ahead)
        for w, v, g, a in zip(ws, vs, gs, ahead):
            v *= mu
            v += g + wd * a
            w -= lr * v
    return ws, vs


NAG_CASES = [dict(), dict(lr=0.1, momentum=0.8, weight_decay=0.01)]


@pytest.mark.parametrize("kw", NAG_CASES)
def test_nag_with_closure_is_the_formula(kw):
    lr, mu, wd = kw.get("lr", 1e-2), kw.get("momentum", 0.9), kw.get("weight_decay", 0)
    params = ours()
    opt = optim.NAG(params, **kw)
    for _ in range(STEPS):
        loss = opt.step(lambda: set_grads_ours(params))
        assert isinstance(loss, float)
    ref, _ = _nag_reference(lr, mu, wd)
    for p, w in zip(params, ref):
        np.testing.assert_allclose(p.numpy(), w, rtol=1e-10, atol=1e-13)


def test_nag_without_closure_holds_the_look_ahead_point():
    """The reformulation: parameters are φ = θ - ημv, and θ = φ + ημv recovers the formula's θ."""
    lr, mu = 0.05, 0.9
    mine, opt = run_ours(optim.NAG, dict(lr=lr, momentum=mu), STEPS)
    ref, ref_v = _nag_reference(lr, mu, 0)
    for p, w, v in zip(mine, ref, ref_v):
        buf = opt.state[p]["momentum_buffer"].numpy()
        np.testing.assert_allclose(buf, v, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(p.numpy() + lr * mu * buf, w, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("cls,kw", [(optim.Lion, dict(lr=1e-3)), (optim.Momentum, dict()), (optim.NAG, dict())])
def test_state_dict_round_trip(cls, kw):
    assert_resumes_identically(cls, kw, STEPS)


@pytest.mark.parametrize("cls,kw,msg", [
    (optim.Lion, dict(betas=(1.0, 0.9)), "beta parameter at index 0"),
    (optim.Momentum, dict(beta=-0.1), "beta value"),
    (optim.NAG, dict(momentum=-1), "momentum value"),
    (optim.Lion, dict(lr=-1), "learning rate: -1"),
])
def test_bad_arguments(cls, kw, msg):
    with pytest.raises(ValueError, match=msg):
        cls([autograd.zeros(2, requires_grad=True)], **kw)
