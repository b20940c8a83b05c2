"""Paired processes: each engine's step lives in its own worker process; the coordinator alternates their runs.

Why: engines in one process share two cores between their thread pools (numpy's OpenBLAS threads, PyTorch's
OpenMP threads, Numba's) and a pool still spinning after one engine's work slows the next engine's by 10-100x
on this machine. A worker process holds one engine only; while another worker runs, it sits blocked on its
pipe. The coordinator (``measure_isolated``) keeps the suite's protocol: warm-up and calibration in each worker,
then ``repeats`` rounds in rotated order, one run per engine per round, ``settle`` seconds of pause before every
run so the previous engine's pools fall asleep (a full run waits 1 s: with 0.3 s our MLP runs that followed
PyTorch's showed 2.4x spikes, 3.7 against 1.5 ms, and the round-by-round ratio read 1.06; with 1 s, 0.83 and
0.90). After the pause, one untimed call comes before the timed ones: the pause lets this VM halt the engine's
idle vCPUs, and the first call after it pays for waking them (our CNN step on 2 threads: 142 ms after 1 s of idle
against 112 back to back; 91 after idle while two nice-19 spinners kept the vCPUs running), which steps of a
training loop, back to back, never do. Full runs give each engine three worker processes, used in turn.

Protocol (one JSON object per line, prefixed ``@@`` so stray library prints are ignored): the coordinator sends
``{"prepare": [warmup, min_run]}`` -> ``{"number": n, "first": loss}``; ``{"run": n}`` -> ``{"t": seconds}`` (one
untimed call, then ``n`` timed ones);
``{"exit": true}``.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field

from .subproc import ROOT

__all__ = ["Spec", "measure_isolated", "serve"]
PREFIX = "@@"


@dataclass
class Spec:
    """A builders factory by name: ``func(engines, *args, **kwargs)`` returns ``{engine: builder}``.

    ``func`` must be a module-level function and the arguments JSON-serialisable, so a worker process can
    call it again for its one engine.
    """

    func: object
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)

    def __call__(self, engines: dict) -> dict:
        return self.func(engines, *self.args, **self.kwargs)

    def to_json(self) -> list:
        return [self.func.__module__, self.func.__qualname__, list(self.args), self.kwargs]


def _send(obj) -> None:
    sys.stdout.write(PREFIX + json.dumps(obj) + "\n")
    sys.stdout.flush()


def serve(spec_json: str, engine: str, torch_threads: int) -> None:
    """Worker main loop (started by ``Worker``)."""
    from .engines import available
    from .harness import _loss_value, measure

    module, qualname, args, kwargs = json.loads(spec_json)
    engines = available(only=(engine,), torch_threads=torch_threads)
    func = getattr(importlib.import_module(module), qualname)
    step = func(engines, *args, **kwargs)[engine]()
    for line in sys.stdin:
        msg = json.loads(line)
        if "prepare" in msg:
            warmup, min_run = msg["prepare"]
            # measure() with 0 repeats does exactly the warm-up + calibration of the in-process path
            t = measure({engine: step}, repeats=0, warmup=warmup, min_run=min_run)[engine]
            _send({"number": t.number, "first": _loss_value(t.first)})
        elif "run" in msg:
            n = msg["run"]
            step()  # untimed: wakes what the settle let sleep (see the module docstring)
            gc.collect()
            t0 = time.perf_counter()
            for _ in range(n):
                step()
            _send({"t": (time.perf_counter() - t0) / n})
        else:
            return


class Worker:
    def __init__(self, spec: Spec, engine: str, torch_threads: int) -> None:
        code = (f"from benchmarks.worker import serve; serve({json.dumps(json.dumps(spec.to_json()))}, "
                f"{engine!r}, {torch_threads})")
        env = dict(os.environ)
        env["PYTHONPATH"] = ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        self.engine = engine
        self.proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)

    def ask(self, msg: dict) -> dict:
        self.proc.stdin.write(json.dumps(msg) + "\n")
        self.proc.stdin.flush()
        for line in self.proc.stdout:
            if line.startswith(PREFIX):
                return json.loads(line[len(PREFIX):])
        err = self.proc.stderr.read().strip().splitlines()
        raise RuntimeError(f"worker for {self.engine} died: {err[-1] if err else 'no output'}")

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                self.proc.stdin.write(json.dumps({"exit": True}) + "\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=30)
        except Exception:  # noqa: BLE001 - a worker that will not exit is stopped
            self.proc.kill()
            self.proc.wait()


def measure_isolated(jobs: dict[str, tuple[Spec, str]], repeats: int, warmup: int, min_run: float,
                     torch_threads: int, settle: float = 0.3, processes: int = 1) -> tuple[dict, dict]:
    """Like ``harness.measure`` for the jobs ``{name: (spec, engine)}`` (the engine's step of that spec), each
    with ``processes`` worker processes, used round-robin (round r runs job j in its worker r mod ``processes``):
    on this VM a fresh process sometimes runs a whole step 1.8x slower for its life (same script, same machine:
    1.34 ms in most processes, 2.41 ms in some), so one unlucky worker would decide a job's median. Returns
    (timings, errors), both by job name."""
    from .harness import Timing

    workers: dict[str, list] = {}
    errors, prep = {}, {}
    try:
        for name, (spec, engine) in jobs.items():
            workers[name] = [Worker(spec, engine, torch_threads) for _ in range(max(1, processes))]
        for e in list(workers):  # one at a time: warm-up and calibration must not overlap either
            try:
                answers = [w.ask({"prepare": [warmup, min_run]}) for w in workers[e]]
                prep[e] = answers[0]  # the first worker's calibration is every worker's call count
            except Exception as ex:  # noqa: BLE001
                errors[e] = f"{type(ex).__name__}: {ex}"
                for w in workers.pop(e):
                    w.close()
        names = list(workers)
        runs = {e: [] for e in names}
        for r in range(repeats):
            order = names[r % len(names):] + names[:r % len(names)] if names else []
            for e in order:
                time.sleep(settle)
                w = workers[e][r % len(workers[e])]
                runs[e].append(w.ask({"run": prep[e]["number"]})["t"])
    finally:
        for ws in workers.values():
            for w in ws:
                w.close()
    return {e: Timing(runs[e], prep[e]["number"], prep[e]["first"]) for e in names}, errors
