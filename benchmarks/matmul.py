"""Workload 8: matmul throughput, 1024x1024 @ 1024x1024 and (128x784) @ (784x256), float32, no grad.

GFLOP/s = 2*M*N*K / time. The yardstick is numpy's own BLAS call (``a @ b`` on the same arrays): the target
is ours >= 0.95 of numpy's GFLOP/s (time ratio <= 1/0.95). PyTorch is shown for reference.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .harness import Config, time_case
from .worker import Spec

WORKLOAD = "8 matmul"
SHAPES = [((1024, 1024), (1024, 1024)), ((128, 784), (784, 256))]


def builders(engines: dict, sa, sb) -> dict:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(tuple(sa)).astype(np.float32), rng.standard_normal(tuple(sb)).astype(np.float32)

    def ours():
        import autograd

        x, y = autograd.tensor(a), autograd.tensor(b)
        return lambda: autograd.matmul(x, y)

    def numpy_():
        return lambda: a @ b

    out = {"ours": ours, "numpy": numpy_}
    if "torch" in engines:
        def torch_():
            torch = engines["torch"]
            x, y = torch.from_numpy(a.copy()), torch.from_numpy(b.copy())
            return lambda: x @ y
        out["torch"] = torch_
    if "jax" in engines:
        def jax_():
            import jax.numpy as jnp

            x, y = jnp.asarray(a), jnp.asarray(b)
            return lambda: (x @ y).block_until_ready()
        out["jax"] = jax_
    if "tinygrad" in engines:
        def tinygrad_():
            T = engines["tinygrad"].Tensor
            x, y = T(a.copy()).realize(), T(b.copy()).realize()
            return lambda: (x @ y).realize()
        out["tinygrad"] = tinygrad_
    return out


def run(cfg: Config) -> list[dict]:
    """Ours against numpy in one process (both call numpy's BLAS: the ratio is our wrapper's cost; in separate
    processes the 0.3 ms case swung 0.83-1.98 with where each process's BLAS threads happened to run), then
    ours against PyTorch (and JAX/tinygrad) as every other workload: each engine in its own process."""
    rows = []
    for sa, sb in SHAPES:
        flop = 2 * sa[0] * sa[1] * sb[1]
        case = f"({sa[0]}x{sa[1]}) @ ({sb[0]}x{sb[1]})"
        spec = Spec(builders, (sa, sb))
        same = time_case(replace(cfg, isolate=False), WORKLOAD, case + ", vs numpy in one process", spec,
                         targets={"numpy": (1 / 0.95, ">= 0.95 x numpy GFLOP/s")}, only=("ours", "numpy"))
        others = [e for e in spec(cfg.engines) if e not in ("ours", "numpy")]
        rs = same + (time_case(cfg, WORKLOAD, case, spec, only=("ours", *others)) if others else [])
        for r in rs:
            if r.get("median"):
                r["gflops"] = flop / r["median"] / 1e9
                r["note"] = (r["note"] + " " if r["note"] else "") + f"{r['gflops']:.1f} GFLOP/s"
        rows += rs
    return rows
