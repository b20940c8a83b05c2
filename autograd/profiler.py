"""A CPU profiler, as ``torch.profiler`` / ``torch.autograd.profiler``: ``profile`` records the time of every op
(forward, and each backward node as ``<Op>Backward``) and of ``record_function`` ranges, per call.

``with profile() as prof: ...`` then ``prof.key_averages().table(sort_by="self_cpu_time_total")`` lists, per op
name, its calls, self time (excluding the ops it called) and total time. While a profile is active the ops'
``Function.apply`` and backward are wrapped (nothing is wrapped otherwise, so profiling costs nothing when
off); the library's inline no-graph fast paths (binary arithmetic, views) are routed through ``apply`` meanwhile,
so inference under ``no_grad`` is listed too.
"""

from __future__ import annotations

import enum
import json
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

from . import function as _function
from .tensor import Tensor

__all__ = ["profile", "record_function", "ProfilerActivity", "schedule", "tensorboard_trace_handler", "FunctionEvent",
           "EventList"]


class ProfilerActivity(enum.Enum):
    CPU = 0
    CUDA = 1


@dataclass
class FunctionEvent:
    """One call: ``name``, start and duration (microseconds), self time, input shapes, thread."""

    name: str
    start_us: float
    cpu_time_total: float
    self_cpu_time_total: float = 0.0
    input_shapes: list = field(default_factory=list)
    thread: int = 0

    @property
    def key(self) -> str:
        return self.name


@dataclass
class FunctionEventAvg:
    """The calls of one op name added up: ``count``, ``cpu_time_total``, ``self_cpu_time_total`` (us)."""

    key: str
    count: int = 0
    cpu_time_total: float = 0.0
    self_cpu_time_total: float = 0.0
    input_shapes: str = ""

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total / max(self.count, 1)

    @property
    def self_cpu_time(self) -> float:
        return self.self_cpu_time_total / max(self.count, 1)


def _fmt_time(us: float) -> str:
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


class EventList(list):
    """A list of events (or averages) with PyTorch's ``table`` and ``total_average``."""

    def table(self, sort_by: str | None = None, row_limit: int = 100, header: str | None = None,
              top_level_events_only: bool = False, max_name_column_width: int = 55) -> str:
        """A text table: Name, Self CPU %, Self CPU, CPU total %, CPU total, CPU time avg, # of Calls."""
        rows = list(self)
        if sort_by is not None:
            key = sort_by.replace("cpu_time_total", "cpu_time_total").replace("self_cpu_time_total",
                                                                               "self_cpu_time_total")
            if key in ("count", "cpu_time_total", "self_cpu_time_total", "cpu_time", "self_cpu_time"):
                rows.sort(key=lambda e: getattr(e, key), reverse=True)
            elif key not in ("cuda_time_total", "self_cuda_time_total", "cuda_time"):
                raise ValueError(f"table: unknown sort_by {sort_by!r} (use cpu_time_total, self_cpu_time_total, "
                                 f"cpu_time, self_cpu_time or count)")
        rows = rows[:row_limit] if row_limit and row_limit > 0 else rows
        total_self = sum(e.self_cpu_time_total for e in self) or 1.0
        names = [str(e.key)[:max_name_column_width] for e in rows]
        width = max([len("Name")] + [len(n) for n in names]) + 2
        cols = ["Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls"]
        line = "-" * width + "  " + "  ".join("-" * 12 for _ in cols)
        out = [line, "Name".rjust(width) + "  " + "  ".join(c.rjust(12) for c in cols), line]
        if header:
            out.insert(0, header)
        for n, e in zip(names, rows):
            count = getattr(e, "count", 1)
            avg = e.cpu_time_total / max(count, 1)
            out.append(n.rjust(width) + "  " + "  ".join(s.rjust(12) for s in (
                f"{100 * e.self_cpu_time_total / total_self:.2f}%", _fmt_time(e.self_cpu_time_total),
                f"{100 * e.cpu_time_total / total_self:.2f}%", _fmt_time(e.cpu_time_total), _fmt_time(avg),
                str(count))))
        out.append(line)
        out.append(f"Self CPU time total: {_fmt_time(sum(e.self_cpu_time_total for e in self))}")
        return "\n".join(out) + "\n"

    def total_average(self) -> FunctionEventAvg:
        avg = FunctionEventAvg("Total")
        for e in self:
            avg.count += getattr(e, "count", 1)
            avg.cpu_time_total += e.cpu_time_total
            avg.self_cpu_time_total += e.self_cpu_time_total
        return avg

    def __str__(self) -> str:
        return self.table()


# ---- the hooks, installed while at least one profile is active ----
_lock = threading.Lock()
_active: list = []
_local = threading.local()
_saved: dict = {}


def _stack() -> list:
    s = getattr(_local, "stack", None)
    if s is None:
        s = _local.stack = []
    return s


def _begin() -> list:
    frame = [time.perf_counter(), 0.0]  # start, time spent in children
    _stack().append(frame)
    return frame


def _end(name: str, frame: list, shapes) -> None:
    stack = _stack()
    stack.pop()
    now = time.perf_counter()
    total = (now - frame[0]) * 1e6
    if stack:
        stack[-1][1] += total
    event = FunctionEvent(name, frame[0] * 1e6, total, total - frame[1], shapes, threading.get_ident())
    for prof in list(_active):
        prof._add(event)


def _shapes(args) -> list:
    if not any(p.record_shapes for p in _active):
        return []
    return [list(a.shape) if isinstance(a, Tensor) else [] for a in args]


def _install() -> None:
    from .ops import elementwise as E

    Function = _function.Function
    apply, run_backward = Function.__dict__["apply"], Function.__dict__["_run_backward"]
    raw_apply = apply.__func__

    def profiled_apply(cls, *args, **kwargs):
        frame = _begin()
        try:
            return raw_apply(cls, *args, **kwargs)
        finally:
            _end(cls.__name__, frame, _shapes(args))

    def profiled_backward(self, grads, retain_graph):
        frame = _begin()
        try:
            return run_backward(self, grads, retain_graph)
        finally:
            _end(self.name(), frame, [])

    _saved.update(apply=apply, run_backward=run_backward, fast_path=E._fast_path,
                  view_ops={m: m._view_op for m in _view_op_modules()})
    E._fast_path = False  # no inline no-graph path: every binary op goes through apply
    for m in _saved["view_ops"]:
        m._view_op = _recorded_view_op
    Function.apply = classmethod(profiled_apply)
    Function._run_backward = profiled_backward


def _view_op_modules() -> list:
    from .ops import indexing, shape

    return [m for m in (shape, indexing) if hasattr(m, "_view_op")]


def _recorded_view_op(cls, x, *args):
    return cls.apply(x, *args)


def _uninstall() -> None:
    from .ops import elementwise as E

    E._fast_path = _saved["fast_path"]
    for m, fn in _saved["view_ops"].items():
        m._view_op = fn
    Function = _function.Function
    Function.apply = _saved["apply"]
    Function._run_backward = _saved["run_backward"]
    _saved.clear()


class record_function:
    """``with record_function("name"):`` (or as a decorator) records the enclosed code as one event."""

    def __init__(self, name: str, args: str | None = None) -> None:
        self.name = name

    def __enter__(self) -> record_function:
        self._frame = _begin() if _active else None
        return self

    def __exit__(self, *exc) -> None:
        if self._frame is not None:
            _end(self.name, self._frame, [])

    def __call__(self, fn):
        def wrapped(*args, **kwargs):
            with record_function(self.name):
                return fn(*args, **kwargs)
        wrapped.__name__ = getattr(fn, "__name__", "wrapped")
        return wrapped


def schedule(*, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0):
    """PyTorch's step schedule, accepted for compatibility: this profiler records every step while active."""
    return {"wait": wait, "warmup": warmup, "active": active, "repeat": repeat, "skip_first": skip_first}


def tensorboard_trace_handler(dir_name: str, worker_name: str | None = None, use_gzip: bool = False):
    """An ``on_trace_ready`` callback writing the profile as a Chrome trace file into ``dir_name``."""
    import os
    import socket

    def handler(prof) -> None:
        os.makedirs(dir_name, exist_ok=True)
        name = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        path = os.path.join(dir_name, f"{name}.{int(time.time() * 1000)}.pt.trace.json")
        prof.export_chrome_trace(path)
        if use_gzip:
            import gzip
            import shutil

            with open(path, "rb") as src, gzip.open(path + ".gz", "wb") as dst:
                shutil.copyfileobj(src, dst)
            os.remove(path)
    return handler


class profile:
    """Records op times while active (a context manager, or ``start()``/``stop()``); see the module docstring.
    Takes the arguments of both ``torch.profiler.profile`` and ``torch.autograd.profiler.profile``; CUDA
    activity is refused (there is no GPU)."""

    def __init__(self, activities=None, *, enabled: bool = True, record_shapes: bool = False,
                 profile_memory: bool = False, with_stack: bool = False, with_flops: bool = False,
                 with_modules: bool = False, schedule=None, on_trace_ready=None, use_cuda: bool = False,
                 use_device=None, **kwargs) -> None:
        if use_cuda or use_device not in (None, "cpu") or (activities and ProfilerActivity.CUDA in activities):
            raise RuntimeError("profile: CUDA activity cannot be profiled: numbagrad runs on the CPU only "
                               "(use activities=[ProfilerActivity.CPU])")
        self.enabled = enabled
        self.record_shapes = record_shapes
        self.on_trace_ready = on_trace_ready
        self._events: list = []
        self._events_lock = threading.Lock()
        self.step_num = 0

    def _add(self, event: FunctionEvent) -> None:
        with self._events_lock:
            self._events.append(event)

    def start(self) -> None:
        if not self.enabled:
            return
        with _lock:
            if not _active:
                _install()
            _active.append(self)

    def stop(self) -> None:
        if not self.enabled:
            return
        with _lock:
            if self in _active:
                _active.remove(self)
                if not _active:
                    _uninstall()
        if self.on_trace_ready is not None:
            self.on_trace_ready(self)

    def __enter__(self) -> profile:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def step(self) -> None:
        """Mark the end of a training step (counted; every step is recorded)."""
        self.step_num += 1

    def events(self) -> EventList:
        return EventList(self._events)

    @property
    def function_events(self) -> EventList:
        return self.events()

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0) -> EventList:
        """One entry per op name (and input shapes, when ``group_by_input_shape``), in first-seen order."""
        groups: dict = defaultdict(lambda: None)
        order = []
        for e in self._events:
            key = (e.name, str(e.input_shapes)) if group_by_input_shape else (e.name, "")
            avg = groups[key]
            if avg is None:
                avg = groups[key] = FunctionEventAvg(e.name, input_shapes=key[1])
                order.append(key)
            avg.count += 1
            avg.cpu_time_total += e.cpu_time_total
            avg.self_cpu_time_total += e.self_cpu_time_total
        return EventList(groups[k] for k in order)

    def table(self, *args, **kwargs) -> str:
        return self.key_averages().table(*args, **kwargs)

    def __str__(self) -> str:
        return self.table()

    def export_chrome_trace(self, path: str) -> None:
        """Write the events as a Chrome trace (chrome://tracing, Perfetto)."""
        trace = [{"name": e.name, "ph": "X", "ts": e.start_us, "dur": e.cpu_time_total, "pid": 0,
                  "tid": e.thread, "cat": "cpu_op"} for e in self._events]
        with open(path, "w") as f:
            json.dump({"traceEvents": trace}, f)
