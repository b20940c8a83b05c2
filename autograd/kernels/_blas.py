"""Run a block of numpy BLAS calls on one thread (numpy's bundled OpenBLAS, found among the loaded libraries).

Why: on these 2-core machines the convolution GEMMs (e.g. (1568, 144) @ (144, 32)) gain nothing from OpenBLAS's
second thread, while its workers spin after every call and take the core from our serial Numba kernels and from
other thread pools in the process (PyTorch's, in the benchmark). Measured on the benchmark CNN step, in one
process with PyTorch (2 threads), machine loaded: ours 36-46 ms wall / 24-31 ms CPU with 2 BLAS threads, 12-15 ms
wall / 12-14 ms CPU with the conv GEMMs on one thread; on a calmer machine (load ~2) 12.1-12.3 ms on one thread
against 11.7 or 24.4 ms (two runs) with two. Per call, Conv2d(16, 32, 3, p=1) forward on (64, 16, 14, 14) through
the column kernel: 2.3-2.5 ms on one thread every run, 1.9 / 7.9 / 15 ms on two threads in three runs.

The thread count is process-wide in OpenBLAS: other Python threads calling BLAS meanwhile also run on one thread
(slower, still correct). Without a recognised OpenBLAS (MKL/Accelerate numpy builds), ``one_thread`` does nothing.
``autograd.kernels.rnn.serial_blas`` does the same through threadpoolctl for the recurrent layers; the two can
nest either way (whoever finds one thread already set leaves the count alone) and should become one helper.
"""

from __future__ import annotations

import contextlib
import ctypes
import threading

__all__: list[str] = []


def _find():
    """(set_num_threads, get_num_threads) of the OpenBLAS numpy loaded, or None."""
    import numpy  # noqa: F401  (loads its BLAS)

    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower() and "/" in line}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (("scipy_openblas", "64_"), ("openblas", "64_"), ("openblas", ""),
                               ("scipy_openblas", "")):
            try:
                set_ = getattr(lib, f"{prefix}_set_num_threads{suffix}")
                get_ = getattr(lib, f"{prefix}_get_num_threads{suffix}")
            except AttributeError:
                continue
            set_.argtypes, set_.restype = [ctypes.c_int], None
            get_.argtypes, get_.restype = [], ctypes.c_int
            return set_, get_
    return None


_FUNCS = _find()


_lock = threading.Lock()
_state = {"depth": 0, "before": 1}  # nested or concurrent users: the first in sets one thread, the last out restores


@contextlib.contextmanager
def one_thread():
    """numpy's BLAS calls inside the block run on one thread; the count from before is restored by the last user
    out (nested blocks and blocks on several Python threads share one reference count)."""
    if _FUNCS is None:
        yield
        return
    set_, get_ = _FUNCS
    with _lock:
        if _state["depth"] == 0:
            _state["before"] = get_()
            if _state["before"] != 1:
                set_(1)
        _state["depth"] += 1
    try:
        yield
    finally:
        with _lock:
            _state["depth"] -= 1
            if _state["depth"] == 0 and _state["before"] != 1:
                set_(_state["before"])


def available() -> bool:
    """True if numpy's OpenBLAS thread count can be set (``one_thread`` has an effect)."""
    return _FUNCS is not None


def num_threads() -> int | None:
    """numpy's OpenBLAS thread count now, or None if unknown."""
    return None if _FUNCS is None else _FUNCS[1]()
