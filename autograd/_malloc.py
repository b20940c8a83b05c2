"""Keep glibc from returning numpy buffers to the OS after every use.

glibc serves an allocation at or above its mmap threshold with a fresh ``mmap`` (unmapped again by ``free``) and
trims the heap top beyond its trim threshold; both thresholds move with the sizes freed so far, and the mmap
threshold can be raised to 32 MiB at most. A training step allocates and frees activation-sized arrays every
time, so each step can pay thousands of page faults re-zeroing fresh pages, and every ``munmap`` of a process
with several running threads interrupts the others to flush their TLBs. Both cost more the more threads run: the
benchmarks' CNN step, whose first activations are 32 MiB each, is markedly slower on 2 threads with fresh mappings
and no slower on 1 without them (benchmarks/RESULTS.md, "Design measurements"). So:
- the mmap threshold is fixed at its largest value, so buffers below 32 MiB stay in the heap for reuse;
- no allocation gets a mapping of its own (``M_MMAP_MAX = 0``): larger buffers come from the heap too and are
  reused by the next step, as PyTorch's caching allocator does on the GPU;
- the heap's top is given back to the OS only once 1 GiB of it is free (``M_TRIM_THRESHOLD``): glibc then gives
  back all of it, so a lower threshold would return a large model's activations, freed at the end of every
  backward, and fault them in again on the next step.
The cost: memory the process has freed stays with it, reused by later allocations, up to 1 GiB at the heap's
top and without limit below it (until what lies above is freed).

Only on glibc; skipped when the user set any of ``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_`` /
``MALLOC_MMAP_MAX_`` themselves, or ``AUTOGRAD_NO_MALLOC_TUNING=1``.
"""

from __future__ import annotations

import ctypes
import os

__all__: list[str] = []

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_MMAP_MAX = -4
MMAP_THRESHOLD = 32 << 20  # glibc's largest allowed value on 64-bit
TRIM_THRESHOLD = 1 << 30
_USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_MAX_")


def tune_malloc() -> bool:
    """Set the thresholds and the mmap count once; True if glibc accepted them."""
    if os.environ.get("AUTOGRAD_NO_MALLOC_TUNING") == "1":
        return False
    if any(name in os.environ for name in _USER_SETTINGS):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the running process's C library
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl without mallopt)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return (bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
            and bool(mallopt(_M_MMAP_MAX, 0)))


TUNED = tune_malloc()
