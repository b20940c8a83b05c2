"""Workload 2: MLP 784-256-128-10 (ReLU), batch 128, CrossEntropyLoss, Adam(1e-3), one full training step.

The step is zero_grad + forward + loss + backward + optimizer step. Our weights are copied into the PyTorch
twin, so both start from the same point and do the same math (the first losses are compared in the JSON).
``mlp_builders`` is reused by workload 9 (batch and depth sweeps, memory).
tinygrad runs with its own Adam and ``sparse_categorical_crossentropy``; JAX runs the whole step under
``jax.jit`` (its idiom) with a hand-written Adam (no optax dependency).
"""

from __future__ import annotations

import numpy as np

from .common import load_into_torch, ours_step
from .harness import Config, time_case
from .worker import Spec

WORKLOAD = "2 MLP step"
LR = 1e-3


def data(batch: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch, 784)).astype(np.float32), rng.integers(0, 10, batch).astype(np.int64)


def build_ours(widths=(256, 128), seed: int = 0):
    import autograd
    import nn

    autograd.manual_seed(seed)
    layers, d = [], 784
    for w in widths:
        layers += [nn.Linear(d, w), nn.ReLU()]
        d = w
    layers.append(nn.Linear(d, 10))
    return nn.Sequential(*layers)


def build_torch(torch, ours_model, widths=(256, 128)):
    tnn = torch.nn
    layers, d = [], 784
    for w in widths:
        layers += [tnn.Linear(d, w), tnn.ReLU()]
        d = w
    layers.append(tnn.Linear(d, 10))
    model = tnn.Sequential(*layers)
    load_into_torch(torch, ours_model, model)
    return model


def mlp_builders(engines: dict, widths=(256, 128), batch: int = 128) -> dict:
    x, y = data(batch)
    out = {}

    def ours():
        import autograd
        import nn
        import optim

        model = build_ours(widths)
        opt = optim.Adam(model.parameters(), lr=LR)
        return ours_step(model, nn.CrossEntropyLoss(), opt, autograd.tensor(x), autograd.tensor(y))

    out["ours"] = ours
    if "torch" in engines:
        def torch_():
            torch = engines["torch"]
            model = build_torch(torch, build_ours(widths), widths)
            opt = torch.optim.Adam(model.parameters(), lr=LR)
            return ours_step(model, torch.nn.CrossEntropyLoss(), opt, torch.from_numpy(x), torch.from_numpy(y))
        out["torch"] = torch_
    if "tinygrad" in engines:
        def tinygrad_():
            tg = engines["tinygrad"]
            from tinygrad.nn import Linear
            from tinygrad.nn.optim import Adam
            from tinygrad.nn.state import get_parameters

            sd = {k: v.numpy() for k, v in build_ours(widths).state_dict().items()}
            n = len(widths) + 1
            lins = []
            for i in range(n):
                lin = Linear(1, 1)
                lin.weight = tg.Tensor(sd[f"{2 * i}.weight"].copy(), requires_grad=True)
                lin.bias = tg.Tensor(sd[f"{2 * i}.bias"].copy(), requires_grad=True)
                lins.append(lin)
            opt = Adam(get_parameters(lins), lr=LR)
            X, Y = tg.Tensor(x), tg.Tensor(y.astype(np.int32))

            def step():
                tg.Tensor.training = True  # tinygrad's optimizers refuse to step otherwise
                h = X
                for lin in lins[:-1]:
                    h = lin(h).relu()
                loss = lins[-1](h).sparse_categorical_crossentropy(Y)
                opt.zero_grad()
                loss.backward()
                opt.step()
                return loss.realize()
            return step
        out["tinygrad"] = tinygrad_
    if "jax" in engines:
        def jax_():
            import jax
            import jax.numpy as jnp

            sd = {k: v.numpy() for k, v in build_ours(widths).state_dict().items()}
            n = len(widths) + 1
            params = [(jnp.asarray(sd[f"{2 * i}.weight"]), jnp.asarray(sd[f"{2 * i}.bias"])) for i in range(n)]
            X, Y = jnp.asarray(x), jnp.asarray(y)

            def loss_fn(ps):
                h = X
                for W, b in ps[:-1]:
                    h = jax.nn.relu(h @ W.T + b)
                W, b = ps[-1]
                logp = jax.nn.log_softmax(h @ W.T + b)
                return -jnp.take_along_axis(logp, Y[:, None], axis=1).mean()

            @jax.jit
            def train(ps, m, v, t):
                loss, g = jax.value_and_grad(loss_fn)(ps)
                t = t + 1
                m = jax.tree_util.tree_map(lambda a, b: 0.9 * a + 0.1 * b, m, g)
                v = jax.tree_util.tree_map(lambda a, b: 0.999 * a + 0.001 * b * b, v, g)
                c1, c2 = 1 - 0.9 ** t, 1 - 0.999 ** t
                ps = jax.tree_util.tree_map(lambda p, a, b: p - LR * (a / c1) / (jnp.sqrt(b / c2) + 1e-8), ps, m, v)
                return ps, m, v, t, loss

            state = [params, jax.tree_util.tree_map(jnp.zeros_like, params),
                     jax.tree_util.tree_map(jnp.zeros_like, params), 0]

            def step():
                ps, m, v, t, loss = train(*state)
                state[:] = [ps, m, v, t]
                return loss.block_until_ready()
            return step
        out["jax"] = jax_
    return out


def run(cfg: Config) -> list[dict]:
    return time_case(cfg, WORKLOAD, "784-256-128-10, batch 128, Adam", Spec(mlp_builders),
                     targets={"torch": (1.0, "<= 1.0 x torch")})
