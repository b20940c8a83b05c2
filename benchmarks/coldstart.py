"""Cold start: ``import autograd, nn, optim`` time, and the first training step with an empty vs a warm Numba cache.

Every figure comes from a fresh process. The Numba cache is emptied by pointing ``NUMBA_CACHE_DIR`` at a new
temporary directory: the first process there compiles every kernel the steps use ("empty cache"); later
processes with the same directory load them from disk ("warm cache"). A process reports its import time, the
first and second MLP step (workload 2) and the first CNN step (workload 3, conv/pool kernels).
``import torch`` is timed the same way for reference. Warm figures are the median over the warm processes.
"""

from __future__ import annotations

import json
import statistics
import tempfile

from .harness import Config, row
from .subproc import run_child

WORKLOAD = "cold start"


def child(with_cnn: bool) -> None:
    import time

    t0 = time.perf_counter()
    import autograd  # noqa: F401
    import nn  # noqa: F401
    import optim  # noqa: F401

    out = {"import": time.perf_counter() - t0}
    from .mlp import mlp_builders

    step = mlp_builders({})["ours"]()
    t0 = time.perf_counter()
    step()
    out["mlp_first_step"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    step()
    out["mlp_second_step"] = time.perf_counter() - t0
    if with_cnn:
        from .cnn import builders

        step = builders({})["ours"]()
        t0 = time.perf_counter()
        step()
        out["cnn_first_step"] = time.perf_counter() - t0
    print(json.dumps(out))


TORCH_CHILD = ("import time, json; t0 = time.perf_counter(); import torch; "
               "print(json.dumps({'import': time.perf_counter() - t0}))")


def run(cfg: Config) -> list[dict]:
    with_cnn = not cfg.quick
    n_warm = 1 if cfg.quick else 3
    code = f"from benchmarks.coldstart import child; child({with_cnn})"
    rows = []
    with tempfile.TemporaryDirectory(prefix="numba_cache_") as cache:
        env = {"NUMBA_CACHE_DIR": cache}
        try:
            cold = run_child(code, env)
            warm = [run_child(code, env) for _ in range(n_warm)]
        except Exception as ex:  # noqa: BLE001
            return [row(WORKLOAD, "ours", "ours", error=f"{type(ex).__name__}: {ex}")]
    labels = {"import": "import autograd, nn, optim", "mlp_first_step": "first MLP step",
              "mlp_second_step": "second MLP step", "cnn_first_step": "first CNN step"}
    for key, label in labels.items():
        if key not in cold:
            continue
        ws = [w[key] for w in warm]
        rows.append(row(WORKLOAD, f"{label}, empty Numba cache", "ours", median=cold[key], min=cold[key],
                        max=cold[key], repeats=1))
        rows.append(row(WORKLOAD, f"{label}, warm Numba cache", "ours", median=statistics.median(ws), min=min(ws),
                        max=max(ws), repeats=len(ws)))
    if "torch" in cfg.engines:
        try:
            ts = [run_child(TORCH_CHILD)["import"] for _ in range(n_warm)]
            rows.append(row(WORKLOAD, "import torch", "torch", median=statistics.median(ts), min=min(ts),
                            max=max(ts), repeats=len(ts)))
        except Exception as ex:  # noqa: BLE001
            rows.append(row(WORKLOAD, "import torch", "torch", error=f"{type(ex).__name__}: {ex}"))
    return rows
