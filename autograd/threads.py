"""The library's threading policy, in one place: ``set_num_threads(n)`` / ``get_num_threads()``.

The policy: one pool of threads does the library's parallel work, and the BLAS runs on one thread.
- ``get_num_threads()`` is the number of threads the library's work may use; the default is the number of cores
  this process may run on (``os.sched_getaffinity``), or fewer where the environment asks for fewer with
  ``MKL_NUM_THREADS`` or ``OMP_NUM_THREADS``, as in PyTorch. ``set_num_threads(n)`` sets it. DataLoader worker
  processes run on one thread, as PyTorch's do.
- Matrix products are split by the library, not by the BLAS: a product above the "gemm" threshold is cut into
  blocks of output rows, columns or both (whichever packs the least), or of batch entries, one per thread, each
  computed by a one-thread BLAS call (``parallel_map``: the calling thread and the library's team of threads,
  which sleep when idle). The BLAS's own threads would spin-wait after each product and hold the cores the next
  kernel needs; a one-thread BLAS never does. So the library sets the BLAS to one thread (through
  ``threadpoolctl``, process-wide, which numpy's own products outside the library see too) when
  ``set_num_threads`` is called, or else before its first parallel product or loop. Importing the library
  changes no pool.
- Numba kernels of the hot families (convolution copies, pooling, normalisation, softmax, elementwise backward,
  optimizer updates, sums over all axes but the channels) are loops over a range, compiled once, ``nogil``
  (``kernel``). Work below the family's threshold (``THRESHOLDS``) runs the whole range on the calling thread;
  above it the range is cut into one contiguous piece per thread, but into no more pieces than carry half the
  threshold's work each (``chunks``; on 2 threads always 2), and the pieces run on the same team as the
  products. The products are cut by the same rule. Numba's own threading layer is never started: one team
  serves every kernel, its hand-off is a bare lock (a Numba parallel launch costs several times more), and
  nothing of it breaks in a forked child.
  ``PARALLEL_LOOPS = False`` runs every loop on the calling thread.
- Determinism: every loop iteration writes its own outputs in a fixed order of arithmetic, so a loop's results
  are bit-identical whatever the thread count. The one exception is the products (and the convolutions built on
  them): the BLAS picks its kernel and blocking by a block's shape, so an element of a product split into more
  blocks can differ in the last bits. A given thread count always gives the same bits.
- Concurrent callers: the team serves one caller at a time; a second Python thread that splits work meanwhile
  waits for it (so it splits the same way, with the same bits).
- Fork: a child makes its own team of threads (``os.register_at_fork``).
- Placement: before it hands out blocks, the caller restricts the team's threads to its own CPUs but the one it
  runs on (``_placement``), so that a woken worker never waits for the caller's CPU while another CPU idles.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import warnings

import numpy as np

from ._placement import Placement

__all__ = ["get_num_threads", "set_num_threads", "num_threads", "kernel", "THRESHOLDS", "PARALLEL_LOOPS",
           "parallel_map", "chunks"]


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # no sched_getaffinity (macOS)
        return max(1, os.cpu_count() or 1)


def _from_environment() -> int | None:
    """The count ``MKL_NUM_THREADS`` or else ``OMP_NUM_THREADS`` asks for (PyTorch reads both, MKL's first), or
    None; a value that is not a positive integer is ignored with a warning, as PyTorch does."""
    chosen = None
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # the later one wins
        value = os.environ.get(var)
        if value is None:
            continue
        try:
            n = int(value)
            if n < 1:
                raise ValueError
        except ValueError:
            warnings.warn(f"Invalid {var} variable value {value!r}: expected a positive integer; it is ignored",
                          RuntimeWarning, stacklevel=2)
            continue
        chosen = n
    return chosen


def _default() -> int:
    """The cores this process may run on, or fewer where ``MKL_NUM_THREADS`` / ``OMP_NUM_THREADS`` asks for fewer
    (a launcher that starts several processes on one machine sets them so that the processes share its cores)."""
    cores = _cores()
    asked = _from_environment()
    return cores if asked is None else min(asked, cores)


_NUM = _default()


def get_num_threads() -> int:
    """The number of threads the library uses (default: the cores this process may run on)."""
    return _NUM


def set_num_threads(n: int) -> None:
    """Use ``n`` threads for the library's split products, parallel Numba kernels and team of threads; the BLAS is set
    to one thread (the library splits its products itself: see the module docstring)."""
    global _NUM
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n}")
    _NUM = n
    _pin_blas()


def _pin_blas() -> None:
    """The BLAS on one thread (once; ``num_threads`` undoes it on exit when the BLAS had another count)."""
    import threadpoolctl

    threadpoolctl.threadpool_limits(limits=1, user_api="blas")
    _state["blas_pinned"] = True


@contextlib.contextmanager
def num_threads(n: int):
    """``set_num_threads(n)`` for the block; the count from before (and the BLAS's) is restored at its end."""
    global _NUM
    import threadpoolctl

    before, pinned = _NUM, _state["blas_pinned"]
    blas = threadpoolctl.threadpool_info()
    try:
        set_num_threads(n)
        yield
    finally:
        _NUM = before
        controller = threadpoolctl.ThreadpoolController()
        for lib, info in zip(controller.select(user_api="blas").lib_controllers,
                             [i for i in blas if i.get("user_api") == "blas"]):
            lib.set_num_threads(info["num_threads"])
        _state["blas_pinned"] = pinned


# ---- parallel Numba kernels ----
THRESHOLDS: dict[str, int] = {
    # the least work (elements a call touches) for a family's loop to be cut over the threads; below it the
    # whole range runs on the calling thread. A split has a fixed cost (waking the team's threads, and waiting for
    # the slowest), so a loop is cut only where its one-thread time is about ten times that cost: copies,
    # activation backward and the one-pass channel sums are the cheapest per element and get the highest
    # thresholds, the exp-heavy softmax rows, the three-pass norms and the optimizer updates lower ones
    # (benchmarks/RESULTS.md, "Design measurements").
    "conv": 1 << 19,
    "pool": 1 << 19,
    "norm": 1 << 18,
    "softmax": 1 << 17,
    "elementwise": 1 << 20,
    "reduce": 1 << 22,
    "optim": 1 << 18,
    # products: multiply-adds (m * n * k); a block handed to another thread costs a wake-up and a join
    "gemm": 1 << 23,
    # recurrent layers: batch rows (each chunk runs the whole time loop; below this a batch is not worth two)
    "rnn": 16,
}

PARALLEL_LOOPS = True  # False: every Numba loop runs its whole range on the calling thread
_state = {"blas_pinned": False, "parallel_calls": 0}  # parallel_calls: for tests


def _after_fork_in_child() -> None:
    global _team_lock
    _team_lock = threading.Lock()  # a parent's thread may have held it at the fork


os.register_at_fork(after_in_child=_after_fork_in_child)


class ParallelKernel:
    """A Numba loop compiled once (``nogil``: the team's threads run it side by side), in one of two forms:
    - a loop over ``range(lo, hi)``, its first two arguments: ``kernel(*args, work=w, count=n)`` runs the range
      ``[0, n)``, or pieces of it;
    - ``flat``: a loop over every element of 1-D arrays (``range(a.size)``): ``kernel(*arrays_and_scalars,
      work=n)`` runs it on the whole arrays, or on pieces ``[lo:hi]`` of every array argument. (A loop whose start
      is not known to be non-negative indexes with a wraparound check that keeps it from vectorizing; a loop from
      0 over a slice has none.)
    The whole range runs on the calling thread when ``w`` is below the family's threshold, one thread is allowed
    or the call is inside a block of ``parallel_map``; else it is cut into one contiguous piece per thread
    (``chunks``) and the pieces run on the team. Each iteration writes its own outputs, so the bits do not depend
    on the cut. Returns what the call on the first piece returns (the kernels return their whole output arrays,
    or nothing)."""

    def __init__(self, fn, family: str, flat: bool, options: dict):
        from numba import njit

        self.family = family
        self.flat = flat
        self.py_func = fn
        self.fn = njit(cache=True, nogil=True, **options)(fn)
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__

    def __call__(self, *args, work: int, count: int | None = None):
        fn, flat = self.fn, self.flat
        count = work if flat or count is None else count
        spans = None
        if _NUM > 1 and work >= THRESHOLDS[self.family] and PARALLEL_LOOPS and not getattr(_local, "inside", False):
            spans = chunks(count, work, self.family)
        if spans is None or len(spans) == 1:
            return fn(*args) if flat else fn(0, count, *args)

        def piece(span):
            lo, hi = span
            if flat:
                return fn(*(a[lo:hi] if isinstance(a, np.ndarray) else a for a in args))
            return fn(lo, hi, *args)

        _state["parallel_calls"] += 1
        return parallel_map(piece, spans)[0]


def kernel(family: str, flat: bool = False, **options):
    """Decorator: ``ParallelKernel`` of the family (a key of ``THRESHOLDS``), ``flat`` or over ``range(lo, hi)``,
    with Numba ``options``."""
    if family not in THRESHOLDS:
        raise ValueError(f"kernel: unknown family {family!r}; one of {sorted(THRESHOLDS)}")
    return lambda fn: ParallelKernel(fn, family, flat, options)


def chunks(count: int, work: int, family: str, minimum: int = 1) -> list[tuple[int, int]]:
    """``[0, count)`` as contiguous ``(lo, hi)`` ranges when ``work`` reaches the family's threshold, else the one
    range: one range per thread the policy allows, but no more ranges than give each at least half the threshold's
    work and ``minimum`` of the count (on 2 threads that is always 2; on 16, work just above the threshold goes to
    2 threads, not to 16 that would each wait longer to start than they take to run)."""
    threshold = THRESHOLDS[family]
    k = 1
    if work >= threshold:
        k = max(1, min(_NUM, count // max(1, minimum), 2 * work // threshold if threshold > 0 else _NUM))
    return [(count * i // k, count * (i + 1) // k) for i in range(k)]


_local = threading.local()


def _inside(fn, item):
    _local.inside = True
    try:
        return fn(item)
    finally:
        _local.inside = False


def parallel_map(fn, items) -> list:
    """``[fn(item) for item in items]``: the first on the calling thread, the others on the library's team of
    threads (``_Team``; ``fn`` runs numpy's BLAS or ufuncs, or ``nogil`` Numba code, which release the GIL). Inside
    a block, or with one item, the items run in order on the calling thread."""
    items = list(items)
    if len(items) == 1 or getattr(_local, "inside", False):  # nested: the outer split already uses the threads
        return [fn(item) for item in items]
    if not _state["blas_pinned"]:
        _pin_blas()
    return _team(len(items) - 1).map(fn, items)


class _Worker:
    """One thread of the team: it sleeps on ``go`` (a lock the caller releases to hand it a task), runs the task
    and releases ``done``. A bare lock is the cheapest hand-off between Python threads: an executor's queue,
    futures and condition variables take the GIL back and forth several times per task."""

    def __init__(self, name: str):
        self.go = threading.Lock()
        self.done = threading.Lock()
        self.go.acquire()
        self.done.acquire()
        self.task = None
        self.result: list = []
        self.started = self.finished = 0  # tasks handed over / whose ``done`` was released
        thread = threading.Thread(target=self._loop, name=name, daemon=True)
        thread.start()
        self.tid = thread.native_id  # set once the thread has started (``start`` waits for that)

    def _loop(self) -> None:
        while True:
            self.go.acquire()
            fn, items = self.task
            self.task = None
            seq = self.started
            try:
                self.result = [(True, _inside(fn, item)) for item in items]
            except BaseException as e:  # noqa: BLE001 - handed to the caller, which raises it
                self.result = [(False, e)]
            finally:
                self.done.release()
                self.finished = seq


class _Team:
    """``size`` worker threads and a lock that gives the whole team to one caller at a time (a second caller
    waits for it: a product's bits depend on how it is split, so every caller of a given thread count splits
    the same way). Its threads run on the caller's CPUs other than the caller's own (``_placement``)."""

    def __init__(self, size: int):
        self.size = size
        self.lock = threading.Lock()
        self.workers = [_Worker(f"autograd-{i}") for i in range(size)]
        self.tids = [w.tid for w in self.workers]
        self.placement = Placement()

    def map(self, fn, items: list) -> list:
        """Item 0 runs on the caller; item ``j >= 1`` on worker ``(j - 1) % w``, the first ``w`` workers taking
        part (``w = min(size, len(items) - 1)``)."""
        with self.lock:
            self.placement.spread(self.tids)
            busy = self.workers[:len(items) - 1]
            started = []
            try:
                for w, worker in enumerate(busy):
                    worker.task = (fn, items[1 + w::len(busy)])
                    worker.started += 1
                    worker.go.release()
                    started.append(worker)
                first = _inside(fn, items[0])
            finally:
                _wait_for(started)
            out = [first] + [None] * (len(items) - 1)
            for w, worker in enumerate(busy):
                for j, (ok, value) in zip(range(1 + w, len(items), len(busy)), worker.result):
                    if not ok:
                        raise value
                    out[j] = value
                worker.result = []
            return out


def _wait_for(workers: list) -> None:
    """Every worker's block done, and its ``done`` lock held again, before the caller returns or raises (its own
    error first). An interrupt (Ctrl-C) while waiting is raised only after the blocks finish: a block left
    running would release its ``done`` for the next caller before that caller's block had run. An interrupt can
    land just after ``acquire`` succeeded, so after one the worker's count of finished tasks says when its block
    is over, and a non-blocking ``acquire`` then takes the lock whether or not it was already taken."""
    interrupt = None
    for worker in workers:
        try:
            worker.done.acquire()
            continue
        except BaseException as e:  # noqa: BLE001 - KeyboardInterrupt (or another asynchronous exception)
            interrupt = e
        while True:
            try:
                while worker.finished != worker.started:
                    time.sleep(0.001)
                worker.done.acquire(blocking=False)
                break
            except BaseException as e:  # noqa: BLE001
                interrupt = e
    if interrupt is not None:
        raise interrupt


_TEAM: dict = {}  # pid -> _Team: a forked child makes its own (the parent's threads are gone)
_team_lock = threading.Lock()


def _team(workers: int) -> _Team:
    """This process's team, with at least ``workers`` threads. A smaller one is replaced (its threads sleep on
    for good: a concurrent caller may be using it)."""
    pid = os.getpid()
    with _team_lock:
        team = _TEAM.get(pid)
        if team is None or team.size < workers:
            team = _Team(max(workers, _NUM - 1))
            _TEAM.clear()
            _TEAM[pid] = team
        return team
