"""Workload 9: how our MLP step grows against PyTorch's, and the peak memory of 200 steps.

* Batch sweep: workload 2's MLP (784-256-128-10, Adam) at batch 32, 128, 512, 2048.
* Depth sweep: 784 -> ``depth`` hidden layers of 256 -> 10, batch 128, at depth 2, 8, 32.
  Each point is timed like every workload (ours and PyTorch interleaved); a summary row per sweep gives
  ratio(largest) / ratio(smallest) — target <= 1: our time grows no faster than PyTorch's.
* Memory: each engine in its own fresh process builds workload 2's model, runs 200 steps and reports its peak
  RSS (``ru_maxrss``: includes the interpreter and the engine's import) and the growth above the RSS measured
  right after setup (model built, first step done: compiled kernels loaded). Target: peak <= 1.2 x PyTorch's.
"""

from __future__ import annotations

import json

from .harness import Config, row, time_case
from .mlp import mlp_builders
from .subproc import rss_now, rss_peak, run_child
from .worker import Spec

WORKLOAD = "9 scaling"
BATCHES, DEPTHS = (32, 128, 512, 2048), (2, 8, 32)
QUICK_BATCHES, QUICK_DEPTHS = (32, 128), (2, 4)


def memory_child(engine: str, steps: int, torch_threads: int = 2) -> None:
    """In a fresh process: build workload 2 for ``engine``, run ``steps`` steps, print the memory figures."""
    from .engines import available

    engines = available(only=(engine,) if engine != "ours" else (), torch_threads=torch_threads)
    if engine not in engines:
        raise SystemExit(f"engine {engine} not installed")
    step = mlp_builders(engines)[engine]()
    step()  # first step: JIT kernels (loaded from the Numba cache or compiled) belong to the setup
    base = rss_now()
    for _ in range(steps - 1):
        step()
    print(json.dumps({"setup_rss": base, "peak_rss": rss_peak(), "end_rss": rss_now()}))


def _sweep(cfg: Config, name: str, points, make) -> list[dict]:
    rows, ratios = [], []
    for p in points:
        rs = time_case(cfg, WORKLOAD, f"{name} {p}", make(p), only=("ours", "torch"))
        rows += rs
        ratio = next((r["ratio"] for r in rs if r["engine"] == "torch" and r["ratio"]), None)
        ratios.append(ratio)
    if len(ratios) >= 2 and ratios[0] and ratios[-1]:
        growth = ratios[-1] / ratios[0]
        ratio_list = ", ".join(f"{p}: {r:.2f}" for p, r in zip(points, ratios) if r)
        rows.append(row(WORKLOAD, f"{name} growth {points[0]}->{points[-1]}", "torch", kind="growth",
                        ratio=growth, target="<= 1.0 (ratio at largest / smallest)", met=bool(growth <= 1.0),
                        note=f"ours/torch by {name}: {ratio_list}"))
    return rows


def run(cfg: Config) -> list[dict]:
    e = cfg.engines
    batches, depths = (QUICK_BATCHES, QUICK_DEPTHS) if cfg.quick else (BATCHES, DEPTHS)
    names = [n for n in ("ours", "torch") if n in e]
    rows = _sweep(cfg, "batch", batches, lambda b: Spec(mlp_builders, kwargs={"batch": b}))
    rows += _sweep(cfg, "depth", depths, lambda d: Spec(mlp_builders, kwargs={"widths": [256] * d}))
    steps = 5 if cfg.quick else 200
    mem = {}
    threads = e["torch"].get_num_threads() if "torch" in e else 2
    for engine in names:
        try:
            mem[engine] = run_child("from benchmarks.scaling import memory_child; "
                                    f"memory_child({engine!r}, {steps}, {threads})")
        except Exception as ex:  # noqa: BLE001
            rows.append(row(WORKLOAD, f"peak RSS, {steps} MLP steps", engine, kind="bytes",
                            error=f"{type(ex).__name__}: {ex}"))
    for engine, m in mem.items():
        r = row(WORKLOAD, f"peak RSS, {steps} MLP steps", engine, kind="bytes", median=m["peak_rss"],
                note=f"{(m['peak_rss'] - m['setup_rss']) / 2**20:.1f} MiB above the RSS after setup",
                setup_rss=m["setup_rss"], end_rss=m["end_rss"])
        if engine != "ours" and "ours" in mem:
            r["ratio"] = mem["ours"]["peak_rss"] / m["peak_rss"]
            r["target"] = "<= 1.2 x torch"
            r["met"] = bool(r["ratio"] <= 1.2)
        rows.append(r)
    return rows
