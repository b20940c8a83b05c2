"""Run a block of numpy BLAS calls on one thread (numpy's bundled OpenBLAS, found among the loaded libraries).

Why: on these 2-core machines the convolution GEMMs (e.g. (1568, 144) @ (144, 32)) gain nothing from OpenBLAS's
second thread, while its workers spin after every call and take the core from our serial Numba kernels and from
other thread pools in the process (PyTorch's, in the benchmark). Measured on the benchmark CNN step, in one
process with PyTorch (2 threads), machine loaded: ours 36-46 ms wall / 24-31 ms CPU with 2 BLAS threads, 12-15 ms
wall / 12-14 ms CPU with the conv GEMMs on one thread; on a calmer machine (load ~2) 12.1-12.3 ms on one thread
against 11.7 or 24.4 ms (two runs) with two. Per call, Conv2d(16, 32, 3, p=1) forward on (64, 16, 14, 14) through
the column kernel: 2.3-2.5 ms on one thread every run, 1.9 / 7.9 / 15 ms on two threads in three runs.

The recurrent layers use it too: a recurrence's per-step matmuls are small (B x H by H x G) and strictly
sequential, so a second BLAS thread saves little there and costs a synchronisation (or, on busy cores, a
scheduler time slice) per step; their big matmuls (input projection, weight gradients) run outside the block.

Every OpenBLAS the process has loaded when first used is controlled: numpy's, and scipy's if loaded (Numba
imports scipy when it starts; no kernel here uses Numba's ``np.dot``, which would call scipy's BLAS: they call
numpy's through ``_cblas``). The thread count is process-wide in OpenBLAS: other Python threads calling BLAS
meanwhile also run on one thread (slower, still correct). Without a recognised OpenBLAS (MKL/Accelerate numpy
builds), ``one_thread`` does nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import threading

__all__: list[str] = []


def _find() -> list:
    """(set_num_threads, get_num_threads) of every OpenBLAS loaded (numpy's, and scipy's if already imported)."""
    import numpy  # noqa: F401  (loads its BLAS)

    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower() and "/" in line}
    except OSError:
        return []
    found = []
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
            found.append((set_, get_))
            break
    return found


_FUNCS: list | None = None  # found on first use, once the BLAS libraries are loaded


def _funcs() -> list:
    global _FUNCS
    if _FUNCS is None:
        _FUNCS = _find()
    return _FUNCS


_lock = threading.Lock()
# nested or concurrent users: the first in sets one thread, the last out restores
_state: dict = {"depth": 0, "before": []}


@contextlib.contextmanager
def one_thread():
    """BLAS calls inside the block run on one thread; the counts from before are restored by the last user out
    (nested blocks and blocks on several Python threads share one reference count)."""
    funcs = _funcs()
    if not funcs:
        yield
        return
    with _lock:
        if _state["depth"] == 0:
            _state["before"] = [get_() for _, get_ in funcs]
            for (set_, _), n in zip(funcs, _state["before"]):
                if n != 1:
                    set_(1)
        _state["depth"] += 1
    try:
        yield
    finally:
        with _lock:
            _state["depth"] -= 1
            if _state["depth"] == 0:
                for (set_, _), n in zip(funcs, _state["before"]):
                    if n != 1:
                        set_(n)


def available() -> bool:
    """True if a BLAS thread count can be set (``one_thread`` has an effect)."""
    return bool(_funcs())


def num_threads() -> int | None:
    """numpy's OpenBLAS thread count now, or None if unknown."""
    funcs = _funcs()
    return funcs[0][1]() if funcs else None


SMALL_GEMM_FLOPS = 4_000_000


def for_gemm(m: int, k: int, n: int):
    """``one_thread()`` for an (m x k) @ (k x n) product too small to gain from a second BLAS thread, else a
    no-op. A second OpenBLAS thread woken by a small GEMM then spins for ~0.1 s and holds the other core, which
    a following conv or Numba kernel needed (measured on the benchmark CNN: its Linear(1568, 10) on batch 64,
    2 MFLOP, loses ~25 us on one thread and gives the convs their second core back)."""
    return one_thread() if 2 * m * k * n < SMALL_GEMM_FLOPS else contextlib.nullcontext()
