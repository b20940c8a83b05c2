"""``python -m benchmarks [--quick] [--only 1,mlp,...] [--repeats N] [--out-dir DIR] [--mode M] [--threads N]``:
run the suite.

Runs every workload (numbers or names below) on every installed engine, prints the Markdown table, writes
``results.json`` and ``results.md`` to ``--out-dir`` (default ``benchmarks/results/``, git-ignored), and a full
run of every workload (no ``--quick``, no ``--only``) also writes the table to ``benchmarks/RESULTS.md``.
A full run times each engine in its own worker processes (paired processes, ``benchmarks.worker``). ``--quick``
is the CI smoke run: 2 repeats of one call, smaller shapes and sweeps, all in one process; it checks that the
suite runs, not any speed, and prints no ratios and no target verdicts (``met`` is None in its JSON).
``--threads N`` runs both engines on N threads (``torch.set_num_threads(N)``,
``autograd.set_num_threads(N)``) and is the N of workload 11's 1 -> N scaling rows.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import platform
import sys
import time

from . import adam, cnn, coldstart, ddp, larger, lstm, matmul, mlp, overhead, scalar, scaling, transformer
from .engines import OPTIONAL, THREADS_ENV, TORCH_THREADS, available, versions
from .harness import Config
from .report import markdown, write

HERE = os.path.dirname(os.path.abspath(__file__))
# number, name, module (run order)
WORKLOADS = [
    ("1", "overhead", overhead), ("2", "mlp", mlp), ("3", "cnn", cnn), ("4", "lstm", lstm),
    ("5", "transformer", transformer), ("6", "adam", adam), ("7", "scalar", scalar), ("8", "matmul", matmul),
    ("9", "scaling", scaling), ("cold", "coldstart", coldstart),
    ("10", "ddp", ddp), ("11", "larger", larger),
]


def select(only: str | None) -> list:
    if not only:
        return WORKLOADS
    keys = [k.strip().lower() for k in only.split(",") if k.strip()]
    known = {k for num, name, _ in WORKLOADS for k in (num, name)}
    bad = [k for k in keys if k not in known]
    if bad:
        raise SystemExit(f"--only: unknown workload(s) {bad}; choose from "
                         + ", ".join(f"{num}/{name}" for num, name, _ in WORKLOADS))
    return [w for w in WORKLOADS if w[0] in keys or w[1] in keys]


def run(quick: bool = False, only: str | None = None, repeats: int | None = None,
        out_dir: str | None = None, results_md: str | None = None, verbose: bool = True,
        torch_threads: int = TORCH_THREADS, mode: str | None = None, threads: int | None = None) -> dict:
    """Run the chosen workloads; return ``{"meta", "results", "paths"}``. ``results_md`` defaults to
    ``benchmarks/RESULTS.md`` for a full run of every workload (``""`` to not write it); a quick run or an
    ``--only`` selection does not write it.
    ``mode``: "processes" (paired processes, the default of a full run) or "inprocess" (default of --quick).
    ``threads``: both engines on that many threads (PyTorch's count overrides ``torch_threads``)."""
    if mode is None:
        mode = "inprocess" if quick else "processes"
    if mode not in ("processes", "inprocess"):
        raise ValueError(f"mode must be 'processes' or 'inprocess', got {mode!r}")
    if threads is not None:
        if threads < 1:
            raise ValueError(f"threads must be >= 1, got {threads}")
        torch_threads = threads
        os.environ[THREADS_ENV] = str(threads)  # worker processes inherit it (benchmarks.engines)
    engines = available(torch_threads=torch_threads)
    cfg = Config.make(quick=quick, repeats=repeats, engines=engines, isolate=mode == "processes",
                      torch_threads=torch_threads, threads=threads)
    load0 = os.getloadavg()
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "quick": quick, "repeats": cfg.repeats, "processes": cfg.processes, "mode": mode,
        "python": platform.python_version(),
        "versions": versions(engines), "cpus": os.cpu_count(), "torch_threads": torch_threads,
        "threads": cfg.threads,
        "engines": sorted(engines), "missing": [e for e in OPTIONAL if e not in engines],
        "gc": "enabled; gc.collect() before every timed run", "loadavg_before": " ".join(f"{x:.2f}" for x in load0),
    }
    rows = []
    t_all = time.perf_counter()
    for num, name, mod in select(only):
        t0 = time.perf_counter()
        if verbose:
            print(f"[{num} {name}] ...", file=sys.stderr, flush=True)
        rows += mod.run(cfg)
        gc.collect()
        if verbose:
            print(f"[{num} {name}] {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    if quick:  # two runs of reduced shapes: no verdict is drawn from them
        for r in rows:
            r["met"] = None
    meta["loadavg_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    meta["seconds"] = round(time.perf_counter() - t_all, 1)
    if results_md is None:
        results_md = "" if quick or only else os.path.join(HERE, "RESULTS.md")  # only a complete full run
    paths = write(rows, meta, out_dir or os.path.join(HERE, "results"), results_md or None)
    return {"meta": meta, "results": rows, "paths": paths}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smoke run (CI): fewer repeats and sizes; no verdicts")
    ap.add_argument("--only", help="comma-separated workloads: " + ", ".join(f"{n}/{m}" for n, m, _ in WORKLOADS))
    ap.add_argument("--repeats", type=int, help="timed runs per engine (default 11; 2 with --quick)")
    ap.add_argument("--out-dir", help="where results.json and results.md go (default benchmarks/results/)")
    ap.add_argument("--torch-threads", type=int, default=TORCH_THREADS,
                    help=f"torch.set_num_threads (default {TORCH_THREADS}, the issue's setting)")
    ap.add_argument("--mode", choices=("processes", "inprocess"),
                    help="engines in paired worker processes (default of a full run) or all in this process "
                         "(default of --quick)")
    ap.add_argument("--threads", type=int,
                    help="run both engines on N threads (autograd.set_num_threads, torch.set_num_threads); the N of "
                         "workload 11's 1 -> N scaling (default: the cores this process may use)")
    args = ap.parse_args(argv)
    out = run(args.quick, args.only, args.repeats, args.out_dir, torch_threads=args.torch_threads,
              mode=args.mode, threads=args.threads)
    print(markdown(out["results"], out["meta"]))
    print(f"wrote {', '.join(out['paths'].values())} in {out['meta']['seconds']} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
