"""Workload 11: the larger workloads of the multi-core issue, each at 1 thread and at N, and the speedup 1 -> N.

* MLP 784-1024-1024-10 (ReLU), batch 1024, CrossEntropyLoss, Adam(1e-3), one training step.
* CNN Conv(3,32,3,p1)-ReLU-MaxPool(2)-Conv(32,64,3,p1)-ReLU-MaxPool(2)-Flatten-Linear(4096,10) on (256,3,32,32),
  CrossEntropyLoss, SGD(0.01, momentum 0.9), one training step.
* TransformerEncoderLayer(d_model=256, nhead=8, dim_feedforward=1024, dropout=0, batch_first) on (32,128,256),
  forward + backward of out.pow(2).mean().

N is ``--threads`` (default: the cores this process may use). Each engine sets its thread count when its step is
built and again before each call if another engine changed it (ours: ``autograd.set_num_threads``, which also
sets the BLAS; PyTorch: ``torch.set_num_threads``). Each workload is one measurement of four jobs, every engine
at 1 and at N threads, interleaved round by round; a "speedup" row per workload and engine gives the median over
rounds of time(1 thread) / time(N threads), each round's two runs seconds apart. ``--quick`` runs small shapes.
"""

from __future__ import annotations

import numpy as np

from .common import load_into_torch, ours_step
from .harness import Config, case_rows, measure_jobs, paired_ratio, row
from .transformer import fwd_bwd
from .worker import Spec

WORKLOAD = "11 larger, threads"
SHAPES = {"mlp": (1024,), "cnn": (256, 32), "transformer": (32, 128)}
QUICK_SHAPES = {"mlp": (64,), "cnn": (8, 32), "transformer": (4, 16)}
LABELS = {"mlp": "MLP 784-1024-1024-10 b{0} Adam", "cnn": "CNN ({0},3,{1},{1}) SGD momentum",
          "transformer": "TransformerEncoderLayer(256,8,1024) ({0},{1},256) fwd+bwd"}


def _make_mlp(nnmod):
    return nnmod.Sequential(nnmod.Linear(784, 1024), nnmod.ReLU(), nnmod.Linear(1024, 1024), nnmod.ReLU(),
                            nnmod.Linear(1024, 10))


def _make_cnn(nnmod, hw: int):
    return nnmod.Sequential(
        nnmod.Conv2d(3, 32, 3, padding=1), nnmod.ReLU(), nnmod.MaxPool2d(2),
        nnmod.Conv2d(32, 64, 3, padding=1), nnmod.ReLU(), nnmod.MaxPool2d(2),
        nnmod.Flatten(), nnmod.Linear(64 * (hw // 4) ** 2, 10),
    )


def _make_transformer(nnmod):
    return nnmod.TransformerEncoderLayer(d_model=256, nhead=8, dim_feedforward=1024, dropout=0.0, batch_first=True)


def _pinned(step, set_threads, get_threads, n: int):
    """``step`` that first restores its engine's thread count if something changed it (engines in one process)."""
    set_threads(n)

    def call():
        if get_threads() != n:
            set_threads(n)
        return step()
    return call


def builders(engines: dict, case: str, shape: list, threads: int) -> dict:
    rng = np.random.default_rng(0)
    if case == "mlp":
        x = rng.standard_normal((shape[0], 784)).astype(np.float32)
        y = rng.integers(0, 10, shape[0]).astype(np.int64)
        make = _make_mlp
    elif case == "cnn":
        x = rng.standard_normal((shape[0], 3, shape[1], shape[1])).astype(np.float32)
        y = rng.integers(0, 10, shape[0]).astype(np.int64)

        def make(nnmod):
            return _make_cnn(nnmod, shape[1])
    elif case == "transformer":
        x = rng.standard_normal((shape[0], shape[1], 256)).astype(np.float32)
        make = _make_transformer
    else:
        raise ValueError(f"unknown case {case!r}")

    def new_ours():
        import autograd
        import nn

        autograd.manual_seed(0)
        return make(nn)

    def step_for(lib, model, xt, yt):
        if case == "transformer":
            return fwd_bwd(model, xt)
        if case == "mlp":
            opt = lib.optim.Adam(model.parameters(), lr=1e-3)
        else:
            opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        return ours_step(model, lib.nn.CrossEntropyLoss(), opt, xt, yt)

    def ours():
        import types

        import autograd
        import nn
        import optim

        lib = types.SimpleNamespace(nn=nn, optim=optim)
        step = step_for(lib, new_ours(), autograd.tensor(x), None if case == "transformer" else autograd.tensor(y))
        return _pinned(step, autograd.set_num_threads, autograd.get_num_threads, threads)

    out = {"ours": ours}
    if "torch" in engines:
        def torch_():
            torch = engines["torch"]
            model = make(torch.nn)
            load_into_torch(torch, new_ours(), model)
            yt = None if case == "transformer" else torch.from_numpy(y)
            return _pinned(step_for(torch, model, torch.from_numpy(x), yt), torch.set_num_threads,
                           torch.get_num_threads, threads)
        out["torch"] = torch_
    return out


def run(cfg: Config) -> list[dict]:
    n = cfg.threads
    shapes = QUICK_SHAPES if cfg.quick else SHAPES
    engines = [e for e in ("ours", "torch") if e == "ours" or e in cfg.engines]
    counts = sorted({1, n})
    rows = []
    for case, shape in shapes.items():
        label = LABELS[case].format(*shape)
        # every engine at every thread count in the same rounds: the speedup compares runs seconds apart, not
        # minutes (this VM's speed drifts by up to 2x over minutes)
        jobs = {f"{e}@{k}": (Spec(builders, (case, list(shape), k)), e) for e in engines for k in counts}
        timings, errors = measure_jobs(cfg, jobs)
        mode = "paired processes" if cfg.isolate else "one process"
        for k in counts:
            target = {"torch": (1.0, "<= 1.0 x torch")} if k == n and k > 1 else None
            at_k = {e: timings[f"{e}@{k}"] for e in engines if f"{e}@{k}" in timings}
            failed = {e: errors[f"{e}@{k}"] for e in engines if f"{e}@{k}" in errors}
            rows += case_rows(WORKLOAD, f"{label} @{k} thread{'s' if k > 1 else ''}", at_k, failed, targets=target,
                              mode=mode)
        if n > 1:
            for engine in engines:
                one, many = timings.get(f"{engine}@1"), timings.get(f"{engine}@{n}")
                if one is None or many is None:
                    continue
                speedup = paired_ratio(one.runs, many.runs)  # round by round, like the engines' ratio
                r = row(WORKLOAD, f"{label} speedup 1 -> {n} threads", engine, kind="growth", ratio=speedup,
                        ratio_medians=one.median / many.median,
                        note=f"{engine}: {speedup:.2f}x from 1 to {n} threads (medians: "
                             f"{one.median / many.median:.2f}x)")
                if engine == "ours" and n == 2:
                    r["target"], r["met"] = ">= 1.6x (1 -> 2 threads)", bool(speedup >= 1.6)
                rows.append(r)
    return rows
