"""The timing core shared by every workload: warm-up, calibration, engines interleaved run by run, statistics.

How a figure is made (``measure``):

1. Each engine's step is built by its builder (model, data, optimizer), then called ``warmup`` times (at least
   once): JIT compilation, first-call allocations and thread-pool start-up stay out of the figures. The first
   warm-up call's return value (a loss, where the workload has one) is kept so workloads can check that the
   engines computed the same math.
2. Calibration: the warm-up call is timed and ``number`` (calls per run) chosen so one run lasts at least
   ``min_run`` seconds (so a 1 µs op is timed over thousands of calls and the timer's resolution does not matter).
3. ``repeats`` rounds; in each round every engine does one run, in an order rotated round by round, so a
   transient load spike or a thread pool still spinning from the previous engine hits all engines alike.
   A run is ``number`` back-to-back calls timed with ``time.perf_counter``; its figure is the time per call.
4. Statistics per engine over the runs: median (the figure reported), min and max. The ratio of two engines is
   the median over rounds of their runs' ratio (``paired_ratio``); the ratios of the medians and of the minima
   are reported beside it.

Garbage collection: CPython's cyclic GC stays enabled (as in a user's program; a framework whose graph makes
reference cycles pays for them here), and ``gc.collect()`` runs before every run so one engine's garbage is
not collected inside another engine's timed region.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Config", "Timing", "measure", "measure_jobs", "case_rows", "paired_ratio", "row", "time_case",
           "fmt_seconds", "fmt_bytes"]


@dataclass
class Config:
    """Run settings. ``quick`` is the CI smoke mode: 2 repeats of one call each, and the heavy workloads at
    smaller shapes (named in their case labels), runs of >= 1 ms: it proves the suite runs, its figures mean little."""

    quick: bool = False
    repeats: int = 11
    warmup: int = 2
    min_run: float = 0.05  # seconds: calibrated lower bound on one timed run
    isolate: bool = False  # paired processes: each engine in its own workers (benchmarks.worker)
    processes: int = 3  # worker processes per engine when isolated, used round-robin
    settle: float = 1.0  # seconds of pause before each isolated run: the previous engine's thread pools sleep
    torch_threads: int = 2
    threads: int = 1  # N of the thread-scaling workload (``--threads``; default the cores this process may use)
    engines: dict = field(default_factory=dict)  # name -> module, from benchmarks.engines.available()

    @classmethod
    def make(cls, quick: bool = False, repeats: int | None = None, engines: dict | None = None,
             isolate: bool = False, torch_threads: int = 2, threads: int | None = None) -> Config:
        if quick:
            cfg = cls(quick=True, repeats=2, warmup=1, min_run=0.001, processes=1, settle=0.3)
        else:
            cfg = cls()
        cfg.isolate, cfg.torch_threads = isolate, torch_threads
        if threads is None:
            from autograd.threads import get_num_threads

            threads = get_num_threads()
        cfg.threads = threads
        if repeats is not None:
            if repeats < 1:
                raise ValueError(f"repeats must be >= 1, got {repeats}")
            cfg.repeats = repeats
        if engines is not None:
            cfg.engines = engines
        return cfg


@dataclass
class Timing:
    """Seconds per call of every run of one engine, with the run settings and the first warm-up's result."""

    runs: list
    number: int
    first: object = None

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def min(self) -> float:
        return min(self.runs)

    @property
    def max(self) -> float:
        return max(self.runs)


def measure(steps: dict[str, Callable[[], object]], repeats: int, warmup: int = 1, min_run: float = 0.05,
            max_number: int = 1_000_000) -> dict[str, Timing]:
    """Time every zero-argument ``steps[engine]`` (interleaved, see the module docstring); return their Timings."""
    if not steps:
        return {}
    names = list(steps)
    number: dict[str, int] = {}
    first: dict[str, object] = {}
    for name in names:
        f = steps[name]
        gc.collect()
        t0 = time.perf_counter()
        first[name] = f()
        dt = time.perf_counter() - t0
        for _ in range(max(0, warmup - 1)):
            t0 = time.perf_counter()
            f()
            dt = time.perf_counter() - t0  # the last warm-up call is the best estimate of a steady call
        if dt < min_run:  # refine on a small batch: one call of a 1 µs op is below the timer's noise
            k = max(1, min(1000, int(min_run / max(dt, 1e-7) / 10)))
            t0 = time.perf_counter()
            for _ in range(k):
                f()
            dt = (time.perf_counter() - t0) / k
        number[name] = max(1, min(max_number, math.ceil(min_run / max(dt, 1e-9))))
    runs: dict[str, list] = {n: [] for n in names}
    for r in range(repeats):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            f, n = steps[name], number[name]
            gc.collect()
            t0 = time.perf_counter()
            for _ in range(n):
                f()
            runs[name].append((time.perf_counter() - t0) / n)
    return {n: Timing(runs[n], number[n], first[n]) for n in names}


def paired_ratio(ours: list, theirs: list) -> float:
    """Median over rounds of ours/theirs, each round's two runs back to back. On this VM whole seconds run ~1.7x
    slower at times for every process (both engines' medians moved 1.5 -> 2.5 ms together between two runs of the
    MLP step); a ratio of medians mixes runs from fast and slow spells, a round's ratio compares like with like."""
    return statistics.median(a / b for a, b in zip(ours, theirs))


def row(workload: str, case: str, engine: str, **kw) -> dict:
    """One result row (the JSON schema; ``benchmarks.report`` renders it)."""
    out = {"workload": workload, "case": case, "engine": engine, "kind": "time", "median": None, "min": None,
           "max": None, "repeats": None, "number": None, "ratio": None, "ratio_medians": None, "target": None,
           "met": None,
           "note": "", "error": None}
    out.update(kw)
    return out


def _loss_value(x) -> float | None:
    """A float from a step's return value (our Tensor, a torch tensor, a Value, a number), or None."""
    if x is None:
        return None
    for attr in ("item",):
        if hasattr(x, attr):
            try:
                return float(x.item())
            except Exception:  # noqa: BLE001 - not a one-element tensor: no loss to compare
                return None
    if hasattr(x, "data") and isinstance(x.data, (int, float)):
        return float(x.data)
    if isinstance(x, (int, float)):
        return float(x)
    try:
        return float(x)
    except Exception:  # noqa: BLE001
        return None


def measure_jobs(cfg: Config, jobs: dict) -> tuple[dict[str, Timing], dict[str, str]]:
    """Time the jobs ``{name: (spec, engine)}`` together, interleaved round by round: each is ``engine``'s step
    from ``spec`` (a ``benchmarks.worker.Spec``, or its ``{engine: builder}`` dict directly). With ``cfg.isolate``
    and only Specs, each job runs in its own worker processes (paired processes); otherwise all in this process.
    Returns (timings, errors), both by job name: a job whose builder or step raises gets an error, the others
    still run."""
    from .worker import Spec, measure_isolated

    if cfg.isolate and all(isinstance(spec, Spec) for spec, _ in jobs.values()):
        return measure_isolated(jobs, cfg.repeats, cfg.warmup, cfg.min_run, cfg.torch_threads, settle=cfg.settle,
                                processes=cfg.processes)
    steps, errors = {}, {}
    for name, (spec, engine) in jobs.items():
        try:
            steps[name] = (spec(cfg.engines) if isinstance(spec, Spec) else spec)[engine]()
        except Exception as e:  # noqa: BLE001 - one engine missing an op must not stop the suite
            errors[name] = f"{type(e).__name__}: {e}"
    try:
        timings = measure(steps, cfg.repeats, cfg.warmup, cfg.min_run)
    except Exception:  # noqa: BLE001 - fall back to timing one job at a time, to name the failing one
        timings = {}
        for name, f in steps.items():
            try:
                timings.update(measure({name: f}, cfg.repeats, cfg.warmup, cfg.min_run))
            except Exception as e:  # noqa: BLE001
                errors[name] = f"{type(e).__name__}: {e}"
    steps.clear()  # the builders' objects live no longer than needed (big models between workloads)
    gc.collect()
    return timings, errors


def time_case(cfg: Config, workload: str, case: str, spec, targets: dict[str, tuple] | None = None,
              reference: str = "ours", notes: dict[str, str] | None = None,
              only: tuple[str, ...] | None = None) -> list[dict]:
    """Build each engine's step, time them together (interleaved, ``measure_jobs``), return the result rows.

    ``spec`` is a ``benchmarks.worker.Spec`` (``spec(engines)`` gives ``{engine: builder}``, a builder returns
    the zero-argument step) or such a dict directly (in-process timing only). ``only`` keeps just those engines.
    ``targets[engine] = (max_ratio, text)``: the row of ``engine`` gets ratio = reference/engine (median time)
    and ``met = ratio <= max_ratio``. A builder that raises gives an ``error`` row; the others still run.
    """
    from .worker import Spec

    builders = spec(cfg.engines) if isinstance(spec, Spec) else spec
    engines = [e for e in builders if only is None or e in only]
    timings, errors = measure_jobs(cfg, {e: (spec, e) for e in engines})
    mode = "paired processes" if cfg.isolate and isinstance(spec, Spec) else "one process"
    return case_rows(workload, case, timings, errors, reference, targets, notes, mode)


def case_rows(workload: str, case: str, timings: dict[str, Timing], errors: dict[str, str], reference: str = "ours",
              targets: dict[str, tuple] | None = None, notes: dict[str, str] | None = None,
              mode: str = "one process") -> list[dict]:
    """The result rows of one case from its engines' Timings (and errors): each engine's figures, and beside
    every engine but ``reference`` the ratio reference/engine, round by round (``paired_ratio``), the target
    verdict and how far its first loss is from the reference's."""
    targets = targets or {}
    notes = notes or {}
    rows = [row(workload, case, e, error=msg) for e, msg in errors.items()]
    ref = timings.get(reference)
    losses = {e: _loss_value(t.first) for e, t in timings.items()}
    for engine, t in timings.items():
        r = row(workload, case, engine, median=t.median, min=t.min, max=t.max, repeats=len(t.runs),
                number=t.number, runs=list(t.runs), first_loss=losses[engine], note=notes.get(engine, ""),
                mode=mode)
        if ref is not None and engine != reference:
            r["ratio"] = paired_ratio(ref.runs, t.runs)
            r["ratio_medians"] = ref.median / t.median
            r["ratio_min"] = ref.min / t.min  # best run vs best run
            if engine in targets:
                lim, text = targets[engine]
                r["target"] = text
                r["met"] = bool(r["ratio"] <= lim)
        rows.append(r)
    ref_loss = losses.get(reference)
    if ref_loss is not None:
        for r in rows:
            other = r.get("first_loss")
            if r["engine"] != reference and other is not None:
                r["loss_rel_diff"] = abs(other - ref_loss) / max(abs(ref_loss), 1e-12)
    return rows


def fmt_seconds(s: float | None) -> str:
    if s is None:
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.2f} µs"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.3f} s"


def fmt_bytes(b: float | None) -> str:
    if b is None:
        return "-"
    return f"{b / 2**20:.1f} MiB"
