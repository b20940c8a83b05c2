"""Workload 7: the scalar engine vs micrograd: Value MLP(2, [16, 16, 1]) on 100 two-moons points.

One step is micrograd's demo step: forward over the 100 points, SVM max-margin loss + 1e-4 L2, zero_grad,
backward, SGD update. The step functions are ``benchmarks.micrograd_compare``'s (the Value helper's file);
here they are timed by the suite's harness (wall clock, engines interleaved). Two cases: our ``Value`` built
exactly as micrograd's graph (a chain of ``*``/``+`` nodes per neuron), and our fused ``dot`` neurons. Both
models start from the same weights (``random.seed(0)``, same draw order). Target: >= 3x faster than micrograd.
"""

from __future__ import annotations

import functools
import random

from .harness import Config, time_case
from .worker import Spec

WORKLOAD = "7 scalar Value MLP"


def builders(engines: dict, fused: bool, points: int = 100) -> dict:
    from . import micrograd_compare as mc

    X, y = mc._data()
    X, y = X[:points], y[:points]

    def ours():
        from .value_nn import MLP

        random.seed(0)
        return functools.partial(mc._step_ours, MLP(2, [16, 16, 1], fused=fused), X, y, fused)

    out = {"ours": ours}
    if "micrograd" in engines:
        def micrograd_():
            from micrograd.nn import MLP as MMLP

            random.seed(0)
            return functools.partial(mc._step_micrograd, MMLP(2, [16, 16, 1]), X, y)
        out["micrograd"] = micrograd_
    return out


def run(cfg: Config) -> list[dict]:
    t = {"micrograd": (1 / 3, ">= 3x faster")}
    n = 20 if cfg.quick else 100
    rows = time_case(cfg, WORKLOAD, f"{n} points, micrograd-shaped graph", Spec(builders, (False, n)), targets=t)
    rows += time_case(cfg, WORKLOAD, f"{n} points, fused dot neurons", Spec(builders, (True, n)), targets=t)
    return rows
