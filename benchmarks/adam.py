"""Workload 6: one Adam step alone over 10 parameters of 100,000 float32 each (gradients already there).

Engines: ours (``optim.Adam``), PyTorch (``torch.optim.Adam()`` defaults: on CPU its per-tensor loop), and
``numpy-naive``: Adam written per array the obvious way with numpy temporaries (target: ours >= 3x faster).
Parameters drift over the repeated steps; the work per step does not depend on their values.
"""

from __future__ import annotations

import numpy as np

from .harness import Config, time_case
from .worker import Spec

WORKLOAD = "6 Adam step"
N_PARAMS, SIZE, LR = 10, 100_000, 1e-3


def _arrays():
    rng = np.random.default_rng(0)
    ps = [rng.standard_normal(SIZE).astype(np.float32) for _ in range(N_PARAMS)]
    gs = [rng.standard_normal(SIZE).astype(np.float32) for _ in range(N_PARAMS)]
    return ps, gs


def naive_numpy_adam(ps, gs, lr=LR, b1=0.9, b2=0.999, eps=1e-8):
    """Per-array Adam with numpy temporaries for every intermediate: the yardstick of the target."""
    ms = [np.zeros_like(p) for p in ps]
    vs = [np.zeros_like(p) for p in ps]
    t = [0]

    def step():
        t[0] += 1
        c1, c2 = 1 - b1 ** t[0], 1 - b2 ** t[0]
        for p, g, m, v in zip(ps, gs, ms, vs):
            m[:] = b1 * m + (1 - b1) * g
            v[:] = b2 * v + (1 - b2) * g * g
            p -= lr * (m / c1) / (np.sqrt(v / c2) + eps)
    return step


def builders(engines: dict) -> dict:
    ps, gs = _arrays()

    def ours():
        import autograd
        import nn
        import optim

        params = [nn.Parameter(autograd.tensor(p.copy())) for p in ps]
        for p, g in zip(params, gs):
            p.grad = autograd.tensor(g.copy())
        opt = optim.Adam(params, lr=LR)
        return opt.step

    out = {"ours": ours}
    if "torch" in engines:
        def torch_():
            torch = engines["torch"]
            params = [torch.nn.Parameter(torch.from_numpy(p.copy())) for p in ps]
            for p, g in zip(params, gs):
                p.grad = torch.from_numpy(g.copy())
            opt = torch.optim.Adam(params, lr=LR)
            return opt.step
        out["torch"] = torch_
    out["numpy-naive"] = lambda: naive_numpy_adam([p.copy() for p in ps], [g.copy() for g in gs])
    return out


def run(cfg: Config) -> list[dict]:
    return time_case(cfg, WORKLOAD, "10 x 100,000 float32", Spec(builders),
                     targets={"torch": (1.0, "<= 1.0 x torch"), "numpy-naive": (1 / 3, ">= 3x faster")})
