"""Workload 1, per-op overhead: ``a + b`` on (16,) float32 without grad; ``(a*b).sum()`` forward + backward.

On 16 floats the arithmetic is nothing: the figure is what an engine spends around one op (dispatch, dtype and
broadcast rules, the graph node, the backward walk). numpy's bare ``a + b`` is shown as the floor.
Lazy / async engines are forced: tinygrad ``.realize()``, JAX ``.block_until_ready()`` (both run eagerly,
no jit: per-op overhead is the subject).
"""

from __future__ import annotations

import numpy as np

from .harness import Config, time_case
from .worker import Spec

WORKLOAD = "1 per-op overhead"


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal(16).astype(np.float32), rng.standard_normal(16).astype(np.float32)


def add_builders(engines: dict) -> dict:
    a, b = _data()
    out = {}

    def ours():
        import autograd

        x, y = autograd.tensor(a), autograd.tensor(b)
        return lambda: x + y

    out["ours"] = ours
    if "torch" in engines:
        def torch_():
            torch = engines["torch"]
            x, y = torch.from_numpy(a.copy()), torch.from_numpy(b.copy())
            return lambda: x + y
        out["torch"] = torch_
    if "tinygrad" in engines:
        def tinygrad_():
            Tensor = engines["tinygrad"].Tensor
            x, y = Tensor(a.copy()).realize(), Tensor(b.copy()).realize()
            return lambda: (x + y).realize()
        out["tinygrad"] = tinygrad_
    if "jax" in engines:
        def jax_():
            import jax.numpy as jnp

            x, y = jnp.asarray(a), jnp.asarray(b)
            return lambda: (x + y).block_until_ready()
        out["jax"] = jax_

    def numpy_():
        x, y = a.copy(), b.copy()
        return lambda: x + y

    out["numpy"] = numpy_
    return out


def _mulsum(x, y):
    """The step for engines with PyTorch's API (ours and torch): grads accumulate in x.grad, y.grad."""
    def step():
        loss = (x * y).sum()
        loss.backward()
        return loss
    return step


def mulsum_builders(engines: dict) -> dict:
    a, b = _data()
    out = {}

    def ours():
        import autograd

        return _mulsum(autograd.tensor(a, requires_grad=True), autograd.tensor(b, requires_grad=True))

    out["ours"] = ours
    if "torch" in engines:
        def torch_():
            torch = engines["torch"]
            return _mulsum(torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True))
        out["torch"] = torch_
    if "tinygrad" in engines:
        def tinygrad_():
            Tensor = engines["tinygrad"].Tensor
            x = Tensor(a.copy(), requires_grad=True)
            y = Tensor(b.copy(), requires_grad=True)

            def step():
                loss = (x * y).sum()
                loss.backward()
                x.grad.realize()
                y.grad.realize()
                return loss
            return step
        out["tinygrad"] = tinygrad_
    if "jax" in engines:
        def jax_():
            import jax
            import jax.numpy as jnp

            x, y = jnp.asarray(a), jnp.asarray(b)
            vg = jax.value_and_grad(lambda p, q: (p * q).sum(), argnums=(0, 1))

            def step():
                loss, grads = vg(x, y)
                jax.block_until_ready(grads)
                return loss
            return step
        out["jax"] = jax_
    return out


def run(cfg: Config) -> list[dict]:
    t = {"torch": (1.0, "<= 1.0 x torch")}
    rows = time_case(cfg, WORKLOAD, "a + b, (16,), no grad", Spec(add_builders), targets=t)
    rows += time_case(cfg, WORKLOAD, "(a*b).sum() fwd+bwd, (16,)", Spec(mulsum_builders), targets=t)
    return rows
