"""The shared test problem: a small tanh MLP regression with its loss and gradients in closed form (numpy),
so that our optimizers and torch's see the same gradient for the same parameters."""

from __future__ import annotations

import numpy as np

import autograd

_rng = np.random.default_rng(1234)
X = _rng.standard_normal((16, 3))
Y = _rng.standard_normal((16, 2))
INIT = [_rng.standard_normal((5, 3)) * 0.5, _rng.standard_normal(5) * 0.1, _rng.standard_normal((2, 5)) * 0.5]


def loss_and_grads(W1: np.ndarray, b1: np.ndarray, W2: np.ndarray):
    """loss = mean((tanh(X W1ᵀ + b1) W2ᵀ - Y)²) and its gradients."""
    h = np.tanh(X @ W1.T + b1)
    out = h @ W2.T
    r = out - Y
    loss = float(np.mean(r * r))
    dout = 2 * r / r.size
    gW2 = dout.T @ h
    dh = (dout @ W2) * (1 - h * h)
    gW1 = dh.T @ X
    gb1 = dh.sum(0)
    return loss, [gW1, gb1, gW2]


def ours(init=INIT):
    return [autograd.tensor(np.array(a, copy=True), requires_grad=True) for a in init]


def set_grads_ours(params) -> float:
    loss, grads = loss_and_grads(*[p.numpy() for p in params])
    for p, g in zip(params, grads):
        p.grad = autograd.tensor(g)
    return loss


def run_ours(cls, kwargs: dict, steps: int, init=INIT, params=None, opt=None):
    params = ours(init) if params is None else params
    opt = cls(params, **kwargs) if opt is None else opt
    for _ in range(steps):
        if cls.__name__ == "LBFGS":
            opt.step(lambda: set_grads_ours(params))
        else:
            set_grads_ours(params)
            opt.step()
    return params, opt


def run_torch(torch, cls, kwargs: dict, steps: int, init=INIT):
    params = [torch.tensor(np.array(a, copy=True), requires_grad=True) for a in init]
    opt = cls(params, **kwargs)

    def closure():
        loss, grads = loss_and_grads(*[p.detach().numpy() for p in params])
        for p, g in zip(params, grads):
            p.grad = torch.from_numpy(g.copy())
        return loss

    for _ in range(steps):
        if cls.__name__ == "LBFGS":
            opt.step(closure)
        else:
            closure()
            opt.step()
    return params, opt


def assert_resumes_identically(cls, kwargs: dict, steps: int) -> None:
    """Stop at steps // 2, checkpoint the state dict (autograd.save to bytes), resume on a fresh model and
    optimizer from autograd.load: the parameters end bit-for-bit where an uninterrupted run ends."""
    import io

    full, _ = run_ours(cls, kwargs, steps)
    half, opt = run_ours(cls, kwargs, steps // 2)
    buf = io.BytesIO()
    autograd.save(opt.state_dict(), buf)
    buf.seek(0)
    saved = autograd.load(buf)
    params = ours([p.numpy() for p in half])
    opt2 = cls(params, **kwargs)
    opt2.load_state_dict(saved)
    resumed, _ = run_ours(cls, kwargs, steps - steps // 2, params=params, opt=opt2)
    for p, q in zip(full, resumed):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
