"""Workload 10: data-parallel training (DistributedDataParallel over MPI), 1 vs 2 processes.

The MLP of workload 2 (784-256-128-10, Adam, global batch 128) and the CNN of workload 3 (SGD momentum, global
batch 64), at a fixed global batch: with P processes each runs batch/P, so the speedup t(1)/t(P) is strong
scaling and the efficiency is speedup / P. Every process, in both runs, gets cpus/2 threads (OMP, OpenBLAS,
MKL, Numba): the 2-process run uses the whole machine and the 1-process run half of it, so the figure is the
scaling in processes, not a comparison of processes with threads.

A step is zero_grad + forward + backward (gradient averaging included) + optimizer step, timed on every rank
after a barrier; a step's time is the slowest rank's. "comm wait" is the share of the step a rank spends
blocked at the end of backward waiting for the all-reduces (``DistributedDataParallel`` measures it); the
rest of the communication overlapped the backward. Beside it, the same all-reduce of every gradient timed
alone (blocking): what a step would wait for without any overlap, and the share of bucket reductions already
finished when backward ended. Two bucket sizes at P=2 show what the
overlap buys: one bucket (everything reduced after backward: no overlap) and small buckets started during
backward.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from .harness import Config, row

WORKLOAD = "10 data parallel"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = {"mlp": ("MLP 784-256-128-10, Adam, global batch 128", 128),
          "cnn": ("CNN of workload 3, SGD momentum, global batch 64", 64)}
ONE_BUCKET = 1024.0  # bucket_cap_mb: every gradient in one bucket
SMALL_BUCKETS = {"mlp": 0.25, "cnn": 0.02}  # bucket_cap_mb giving each model a few buckets


def _build(kind: str, rank: int, world: int, batch: int):
    import numpy as np

    import autograd
    import nn
    import optim

    from .cnn import make_cnn
    from .mlp import build_ours

    g = np.random.default_rng(0)
    if kind == "mlp":
        model = build_ours()
        x = g.standard_normal((batch, 784)).astype(np.float32)
        make_opt = lambda ps: optim.Adam(ps, lr=1e-3)  # noqa: E731
    else:
        autograd.manual_seed(0)
        model = make_cnn(nn)
        x = g.standard_normal((batch, 1, 28, 28)).astype(np.float32)
        make_opt = lambda ps: optim.SGD(ps, lr=0.01, momentum=0.9)  # noqa: E731
    y = g.integers(0, 10, batch).astype(np.int64)
    b = batch // world
    return model, make_opt, autograd.tensor(x[rank * b:(rank + 1) * b]), autograd.tensor(y[rank * b:(rank + 1) * b])


def child(models: list, small: bool, steps: int, warmup: int) -> None:
    """Inside the MPI job: time every model with one bucket (and with small ones if ``small``); rank 0 prints
    one JSON line."""
    import autograd
    import autograd.distributed as dist
    import nn
    from nn.parallel import DistributedDataParallel

    dist.init_process_group()
    rank, world = dist.get_rank(), dist.get_world_size()
    out = []
    for kind in models:
        for cap in [ONE_BUCKET] + ([SMALL_BUCKETS[kind]] if small else []):
            model, make_opt, x, y = _build(kind, rank, world, MODELS[kind][1])
            ddp = DistributedDataParallel(model, bucket_cap_mb=cap)
            opt, loss_fn = make_opt(ddp.parameters()), nn.CrossEntropyLoss()
            times, waits = [], []
            for i in range(warmup + steps):
                dist.barrier()
                w0, t0 = ddp._wait_seconds, time.perf_counter()
                opt.zero_grad()
                loss_fn(ddp(x), y).backward()
                opt.step()
                t = autograd.tensor([time.perf_counter() - t0, ddp._wait_seconds - w0], dtype=autograd.float64)
                dist.all_reduce(t, op=dist.ReduceOp.MAX)  # the slowest rank sets the pace
                if i >= warmup:
                    times.append(t[0].item())
                    waits.append(t[1].item())
            # the same reduction alone, blocking: what the step would wait for with no overlap at all
            flat = autograd.zeros(sum(p.numel() for p in model.parameters()))
            alone = []
            for _ in range(max(3, steps)):
                dist.barrier()
                t0 = time.perf_counter()
                dist.all_reduce(flat)
                alone.append(time.perf_counter() - t0)
            out.append({"model": kind, "cap": cap, "buckets": len(ddp._buckets), "times": times,
                        "done_early": ddp._buckets_done_early / max(1, ddp._buckets_started),
                        "wait_share": sum(waits) / sum(times), "wait": statistics.median(waits),
                        "allreduce_alone": statistics.median(alone)})
    if rank == 0:
        print(json.dumps({"world": world, "results": out}), flush=True)
    dist.destroy_process_group()


def _launch(nproc: int, models: list, small: bool, steps: int, warmup: int) -> dict:
    from autograd.distributed.run import find_mpiexec

    threads = str(max(1, (os.cpu_count() or 1) // 2))
    env = dict(os.environ, OMP_NUM_THREADS=threads, OPENBLAS_NUM_THREADS=threads, MKL_NUM_THREADS=threads,
               NUMBA_NUM_THREADS=threads)
    env["PYTHONPATH"] = ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    cmd = [find_mpiexec(), "-n", str(nproc), sys.executable, "-m", "benchmarks.ddp", "--models", ",".join(models),
           "--steps", str(steps), "--warmup", str(warmup)] + (["--small-buckets"] if small else [])
    p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    if p.returncode != 0:
        tail = (p.stderr or p.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"mpiexec -n {nproc} failed (exit {p.returncode}): {tail[0]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def run(cfg: Config) -> list[dict]:
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return [row(WORKLOAD, "1 vs 2 processes", "ours", error='mpi4py not installed: pip install '
                    '"numbagrad[distributed]"')]
    steps, warmup = (2, 1) if cfg.quick else (30, 5)
    models = ["mlp"] if cfg.quick else list(MODELS)
    try:
        one = {r["model"]: r for r in _launch(1, models, False, steps, warmup)["results"]}
        two = _launch(2, models, True, steps, warmup)["results"]
    except Exception as e:  # noqa: BLE001
        return [row(WORKLOAD, "1 vs 2 processes", "ours", error=f"{type(e).__name__}: {e}")]
    rows = []
    for kind in models:
        label = MODELS[kind][0]
        t1 = statistics.median(one[kind]["times"])
        rows.append(row(WORKLOAD, f"{label}, 1 process", "ours", median=t1, min=min(one[kind]["times"]),
                        max=max(one[kind]["times"]), repeats=steps, number=1,
                        note=f"comm wait {100 * one[kind]['wait_share']:.0f}% of the step"))
        for r in two:
            if r["model"] != kind:
                continue
            t2 = statistics.median(r["times"])
            speedup = t1 / t2
            how = "one bucket, reduced after backward" if r["buckets"] == 1 else \
                f"{r['buckets']} buckets of <= {r['cap']} MB, reduced during backward"
            rows.append(row(WORKLOAD, f"{label}, 2 processes, {how}", "ours", median=t2, min=min(r["times"]),
                            max=max(r["times"]), repeats=steps, number=1, speedup=speedup,
                            efficiency=speedup / 2, wait_share=r["wait_share"],
                            note=f"speedup {speedup:.2f}x, scaling efficiency {100 * speedup / 2:.0f}%, comm "
                                 f"wait {100 * r['wait_share']:.0f}% of the step ({1e3 * r['wait']:.2f} ms; the "
                                 f"same all-reduce alone {1e3 * r['allreduce_alone']:.2f} ms); "
                                 f"{100 * r['done_early']:.0f}% of bucket reductions finished when backward "
                                 "ended"))
    return rows


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="the MPI side of workload 10 (started by run())")
    ap.add_argument("--models", default="mlp,cnn")
    ap.add_argument("--small-buckets", action="store_true", help="also time each model with small buckets")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    a = ap.parse_args()
    child(a.models.split(","), a.small_buckets, a.steps, a.warmup)
