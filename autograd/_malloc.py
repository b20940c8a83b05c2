"""Keep glibc from returning multi-MB numpy buffers to the OS after every use.

glibc serves an allocation at or above its mmap threshold with a fresh ``mmap`` and trims the heap top beyond its
trim threshold; both thresholds move with the sizes freed so far. A training step allocates and frees
activation-sized arrays (megabytes each for the benchmark CNN) every time, so depending on that history each step
can pay thousands of page faults re-zeroing fresh pages, a sizeable part of a small CNN step's CPU time (page faults
counted with ``getrusage``; figures in benchmarks/RESULTS.md, "Design measurements"). Fixing the thresholds (mmap at
>= 32 MB, trim beyond 128 MB) keeps the buffers in the heap for reuse, as PyTorch's caching allocator does.

Only on glibc; skipped when the user set ``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_`` themselves, or
``AUTOGRAD_NO_MALLOC_TUNING=1``.
"""

from __future__ import annotations

import ctypes
import os

__all__: list[str] = []

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20  # glibc's largest allowed value on 64-bit
TRIM_THRESHOLD = 128 << 20


def tune_malloc() -> bool:
    """Set the thresholds once; True if glibc accepted them."""
    if os.environ.get("AUTOGRAD_NO_MALLOC_TUNING") == "1":
        return False
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the running process's C library
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl without mallopt)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


TUNED = tune_malloc()
