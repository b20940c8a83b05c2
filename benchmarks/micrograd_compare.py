"""Scalar engine vs micrograd: MLP(2, [16, 16, 1]) on 100 two-moons points, one training step.

A step is micrograd's demo step: forward over all 100 points, the SVM max-margin loss + 1e-4 L2, zero_grad,
backward, SGD update. Timed for micrograd (``pip install micrograd``; skipped when absent) and for
``autograd.Value`` built the same way (micrograd's chain of ``*``/``+`` nodes per neuron), and with our fused
``dot`` neurons; each with the cyclic GC on (the default) and off. Reported as seconds per step and as the
ratio micrograd / ours (> 1: we are faster). Times are the best of ``steps`` runs in thread CPU time
(``time.thread_time``), which keeps other processes on a shared machine out of the figures.

Run: ``python benchmarks/micrograd_compare.py [--steps N]``; ``run()`` returns the figures as a dict.
"""

from __future__ import annotations

import argparse
import functools
import gc
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from autograd.data.datasets import make_moons  # noqa: E402
from autograd.value import Value, dot  # noqa: E402
from benchmarks.value_nn import MLP  # noqa: E402


def _data():
    X, y = make_moons(100, noise=0.1, random_state=1, shuffle=False, dtype=np.float64)
    return X.tolist(), (y * 2 - 1).tolist()


def _step_ours(model, X, y, fused: bool, lr: float = 0.5) -> float:
    inputs = X if fused else [[Value(a) for a in row] for row in X]  # micrograd wraps the inputs in Values
    scores = [model(row) for row in inputs]
    losses = [(1 + -yi * s).relu() for yi, s in zip(y, scores)]
    params = model.parameters()
    if fused:
        total = Value.sum(losses) * (1.0 / len(losses)) + 1e-4 * dot(params, params)
    else:
        total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in params)
    model.zero_grad()
    total.backward()
    for p in params:
        p.data -= lr * p.grad
    return total.data


def _step_micrograd(model, X, y, lr: float = 0.5) -> float:
    from micrograd.engine import Value as MValue

    inputs = [list(map(MValue, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * s).relu() for yi, s in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    model.zero_grad()
    total.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return total.data


def _time(step, steps: int, gc_on: bool) -> float:
    was = gc.isenabled()
    gc.collect()
    (gc.enable if gc_on else gc.disable)()
    try:
        step()  # warm-up
        best = float("inf")
        for _ in range(steps):
            t0 = time.thread_time()
            step()
            best = min(best, time.thread_time() - t0)
    finally:
        (gc.enable if was else gc.disable)()
        gc.collect()
    return best


def run(steps: int = 5) -> dict:
    """Best-of-``steps`` seconds per training step for each engine and GC setting, and the ratios."""
    X, y = _data()
    res: dict = {}
    for fused in (False, True):
        name = "ours_fused" if fused else "ours"
        random.seed(0)
        model = MLP(2, [16, 16, 1], fused=fused)
        for gc_on in (True, False):
            step = functools.partial(_step_ours, model, X, y, fused)
            res[f"{name}_gc_{'on' if gc_on else 'off'}"] = _time(step, steps, gc_on)
    try:
        from micrograd.nn import MLP as MMLP
    except ImportError:
        res["micrograd"] = None
    else:
        random.seed(0)
        mmodel = MMLP(2, [16, 16, 1])
        for gc_on in (True, False):
            step = functools.partial(_step_micrograd, mmodel, X, y)
            res[f"micrograd_gc_{'on' if gc_on else 'off'}"] = _time(step, steps, gc_on)
        for k in ("ours", "ours_fused"):
            for g in ("on", "off"):
                res[f"ratio_{k}_gc_{g}"] = res[f"micrograd_gc_{g}"] / res[f"{k}_gc_{g}"]
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=5)
    res = run(ap.parse_args().steps)
    print("MLP(2, [16, 16, 1]), 100 moons, SVM loss + L2, forward+backward+SGD; best seconds per step")
    for k, v in res.items():
        if v is None:
            print(f"  {k:28s} not installed (pip install micrograd): comparison skipped")
        elif k.startswith("ratio"):
            print(f"  {k:28s} {v:8.2f}x  (micrograd time / ours)")
        else:
            print(f"  {k:28s} {v * 1e3:10.2f} ms")


if __name__ == "__main__":
    main()
