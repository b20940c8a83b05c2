"""The library's threading policy, in one place: ``set_num_threads(n)`` / ``get_num_threads()``.

The policy: one pool of threads does the library's parallel work, and the BLAS runs on one thread.
- ``get_num_threads()`` is the number of threads the library's work may use; the default is the number of cores
  this process may run on (``os.sched_getaffinity``), as in PyTorch. ``set_num_threads(n)`` sets it.
- Matrix products are split by the library, not by the BLAS: a product above the "gemm" threshold is cut into
  blocks of output rows (or columns, or batch entries), one per thread, each computed by a one-thread BLAS call
  (``parallel_map``: the calling thread and the library's executor, whose idle threads sleep). The BLAS's own
  threads would spin-wait after each product and hold the cores the next kernel needs; a one-thread BLAS never
  does. So the library sets the BLAS to one thread (through ``threadpoolctl``, process-wide, which numpy's own
  products outside the library see too) when ``set_num_threads`` is called, or else before its first parallel
  product or loop. Importing the library changes no pool.
- Numba kernels of the hot families (convolution copies, pooling, normalisation, softmax, elementwise backward,
  optimizer updates) are compiled twice from one source (``kernel``): a serial loop, and the same loop with
  ``parallel=True``. Work below the family's threshold (``THRESHOLDS``) runs serial and above it on
  ``get_num_threads()`` Numba threads. ``PARALLEL_LOOPS = False`` runs every loop serial.
- Determinism: every parallel loop writes disjoint outputs and keeps each output's order of arithmetic, so its
  results are bit-identical whatever the thread count. The one exception is the products (and the convolutions
  built on them): the BLAS picks its kernel and blocking by a block's shape, so an element of a product split
  into more blocks can differ in the last bits. A given thread count always gives the same bits.
- Numba's threading layer: before its first parallel launch the library asks Numba for a fork-safe layer
  (``"forksafe"``: TBB, Intel OpenMP or Numba's workqueue; GNU OpenMP aborts a forked child), unless the user
  chose one (``NUMBA_THREADING_LAYER``). Parallel launches go through one per-process lock taken without
  waiting: the workqueue layer aborts on concurrent launches, so a second Python thread arriving meanwhile runs
  the serial loop (the same bits).
- Fork: a child resets the lock and the library's executor (``os.register_at_fork``); under GNU OpenMP a child
  runs every kernel serially.
"""

from __future__ import annotations

import contextlib
import os
import threading
import types
from concurrent.futures import ThreadPoolExecutor, wait

__all__ = ["get_num_threads", "set_num_threads", "num_threads", "kernel", "THRESHOLDS", "PARALLEL_LOOPS",
           "parallel_map", "chunks", "executor_workers"]


def _default() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # no sched_getaffinity (macOS)
        return max(1, os.cpu_count() or 1)


_NUM = _default()


def get_num_threads() -> int:
    """The number of threads the library uses (default: the cores this process may run on)."""
    return _NUM


def set_num_threads(n: int) -> None:
    """Use ``n`` threads for the library's split products, parallel Numba kernels and executor; the BLAS is set
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
    # the least work (elements a call touches) for a family's parallel loop; below it the serial loop runs. A
    # parallel launch has a fixed cost (waking the pool's threads, and a barrier at the end that waits for the
    # slowest), so a loop goes parallel only where its serial time is about ten times that cost: copies and
    # activation backward are the cheapest per element and get the highest thresholds, the exp-heavy softmax
    # rows, the three-pass norms and the optimizer updates lower ones (benchmarks/RESULTS.md, "Design
    # measurements").
    "conv": 1 << 19,
    "pool": 1 << 19,
    "norm": 1 << 18,
    "softmax": 1 << 17,
    "elementwise": 1 << 20,
    "optim": 1 << 18,
    # products: multiply-adds (m * n * k); a block handed to another thread costs a wake-up and a join
    "gemm": 1 << 23,
}

PARALLEL_LOOPS = True  # False: every Numba loop serial
_lock = threading.Lock()
_state = {"layer_set": False, "serial_only": False, "blas_pinned": False,
          "parallel_calls": 0}  # parallel_calls: for tests


def _choose_layer() -> None:
    """Ask Numba for a fork-safe threading layer before its first launch, unless the user chose one."""
    import numba
    from numba.np.ufunc import parallel as _np

    _state["layer_set"] = True
    if getattr(_np, "_is_initialized", False) or os.environ.get("NUMBA_THREADING_LAYER"):
        return
    if numba.config.THREADING_LAYER == "default":
        numba.config.THREADING_LAYER = "forksafe"


def _after_fork_in_child() -> None:
    global _lock, _executor_lock
    _lock = threading.Lock()
    _executor_lock = threading.Lock()  # a parent's thread may have held it at the fork
    try:
        import numba

        if numba.threading_layer() == "omp":  # GNU OpenMP's pool is gone and aborts on use in a child
            _state["serial_only"] = True
    except (ImportError, ValueError):  # ValueError: no parallel launch yet in the parent
        pass


os.register_at_fork(after_in_child=_after_fork_in_child)


class ParallelKernel:
    """One Numba loop compiled twice: ``serial`` and ``parallel`` (``prange`` is ``range`` in the serial one).
    Calling it with ``work=`` runs the parallel one when the work reaches its family's threshold and more than one
    thread is allowed, else the serial one; inside a block of ``parallel_map`` (the threads are taken) always the
    serial one."""

    def __init__(self, fn, family: str, options: dict):
        from numba import njit

        self.family = family
        self.py_func = fn
        options = dict(options, nogil=True)  # the executor's threads run serial loops side by side
        self.serial = njit(cache=True, **options)(fn)
        # a copy under another qualified name: Numba's on-disk cache is keyed by it, not by the options
        twin = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__ + "_parallel", fn.__defaults__,
                                  fn.__closure__)
        twin.__qualname__ = fn.__qualname__ + "_parallel"
        twin.__module__ = fn.__module__
        twin.__doc__ = fn.__doc__
        self.parallel = njit(cache=True, parallel=True, **options)(twin)
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__

    def __call__(self, *args, work: int):
        n = _NUM
        if (PARALLEL_LOOPS and n > 1 and work >= THRESHOLDS[self.family] and not _state["serial_only"]
                and not getattr(_local, "inside", False)):
            lock = _lock
            if lock.acquire(blocking=False):
                try:
                    if not _state["blas_pinned"]:
                        _pin_blas()
                    _numba_threads(n)
                    _state["parallel_calls"] += 1
                    return self.parallel(*args)
                finally:
                    lock.release()
        return self.serial(*args)


def _numba_threads(n: int) -> None:
    """Numba's thread count is per calling thread: set it to the policy's (at most Numba's pool size)."""
    import numba

    if not _state["layer_set"]:
        _choose_layer()
    n = min(n, numba.config.NUMBA_NUM_THREADS)
    if numba.get_num_threads() != n:
        numba.set_num_threads(n)


def kernel(family: str, **options):
    """Decorator: ``ParallelKernel`` of the family (a key of ``THRESHOLDS``) with Numba ``options``."""
    if family not in THRESHOLDS:
        raise ValueError(f"kernel: unknown family {family!r}; one of {sorted(THRESHOLDS)}")
    return lambda fn: ParallelKernel(fn, family, options)


def executor_workers(work: int, minimum: int) -> int:
    """How many threads an executor of the library should use for ``work`` units: 1 below ``minimum``, else the
    policy's count (never more than there are units)."""
    if work < minimum or _NUM < 2:
        return 1
    return min(_NUM, work)


def chunks(count: int, work: int, family: str, minimum: int = 1) -> list[tuple[int, int]]:
    """``[0, count)`` as contiguous ``(lo, hi)`` ranges, one per thread the policy allows when ``work`` reaches the
    family's threshold (each at least ``minimum`` long), else the one range."""
    k = 1
    if work >= THRESHOLDS[family] and not _state["serial_only"]:
        k = max(1, min(_NUM, count // max(1, minimum)))
    return [(count * i // k, count * (i + 1) // k) for i in range(k)]


_local = threading.local()


def _inside(fn, item):
    _local.inside = True
    try:
        return fn(item)
    finally:
        _local.inside = False


_EXECUTOR: dict = {}  # pid -> (workers, executor): a forked child makes its own (the parent's threads are gone)


def parallel_map(fn, items) -> list:
    """``[fn(item) for item in items]``: the first on the calling thread, the others on the library's executor
    (its idle threads sleep; ``fn`` runs numpy's BLAS or ``nogil`` Numba code, which release the GIL)."""
    items = list(items)
    if len(items) == 1 or getattr(_local, "inside", False):  # nested: the outer split already uses the threads
        return [fn(item) for item in items]
    if not _state["blas_pinned"]:
        _pin_blas()
    pool = _executor(len(items) - 1)
    futures = [pool.submit(_inside, fn, item) for item in items[1:]]
    try:
        first = _inside(fn, items[0])
    finally:
        wait(futures)  # every block done before this returns or raises (its own error first)
    return [first] + [f.result() for f in futures]


_executor_lock = threading.Lock()


def _executor(workers: int) -> ThreadPoolExecutor:
    """This process's executor, with at least ``workers`` threads. A smaller one is replaced, not shut down: a
    concurrent caller may still be submitting to it (its idle threads end when it is collected)."""
    pid = os.getpid()
    with _executor_lock:
        have, pool = _EXECUTOR.get(pid, (0, None))
        if have < workers:
            pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="autograd")
            _EXECUTOR.clear()
            _EXECUTOR[pid] = (workers, pool)
        return pool
