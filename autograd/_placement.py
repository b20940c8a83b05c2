"""Where the team's threads run: on the CPUs the caller may use, other than the one the caller is on.

A worker thread of the team sleeps between blocks. When the caller wakes it, Linux may place it on the caller's
own CPU: the waker's CPU is a cache-warm choice, and some kernels pack runnable threads onto few virtual CPUs on
purpose (this project's 2-vCPU VMs do). The worker then shares that CPU with the caller, which is computing its
own block, and runs after it, while the other CPU idles (benchmarks/RESULTS.md, "Design measurements").
So before it hands out blocks, the caller restricts the team's threads to its own CPU mask minus the CPU it is
on (``Placement.spread``); among those the scheduler still places them freely, so a CPU that another process
keeps busy is avoided as before. The masks are set again only when the caller is found on another CPU or with
another mask of its own, so a region costs a ``sched_getcpu`` and a ``sched_getaffinity`` call otherwise. A
caller that the user restricted to some CPUs takes its team there too. Linux only (``os.sched_setaffinity``
and libc's ``sched_getcpu``); elsewhere, or after any refusal, nothing is done.
"""

from __future__ import annotations

import ctypes
import os

__all__ = ["Placement", "ENABLED"]


def _sched_getcpu():
    """libc's ``sched_getcpu`` (the CPU the calling thread runs on), or None where it or affinity is missing."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    try:
        fn = ctypes.CDLL(None).sched_getcpu
    except (OSError, AttributeError):
        return None
    fn.argtypes = []
    fn.restype = ctypes.c_int
    return fn


_GETCPU = _sched_getcpu()
ENABLED = _GETCPU is not None  # False: the team's threads are left where the scheduler puts them


class Placement:
    """The CPU mask of one team's threads, kept clear of the CPU of the caller that last handed out blocks."""

    def __init__(self) -> None:
        self.key: tuple | None = None  # (the caller's CPU, its mask) when the masks were last set
        self.failed = False

    def spread(self, tids: list[int]) -> None:
        """Restrict the threads ``tids`` to the calling thread's CPUs other than the one it runs on (to all of its
        CPUs when it has one). The caller holds the team's lock."""
        if not ENABLED or self.failed:
            return
        try:
            cpu = _GETCPU()
            allowed = os.sched_getaffinity(0)
            if (cpu, allowed) == self.key or cpu < 0:
                return
            mask = (allowed - {cpu}) or allowed
            for tid in tids:
                os.sched_setaffinity(tid, mask)
        except OSError:  # a sandbox that forbids it, a thread gone: leave placement to the scheduler from now on
            self.failed = True
            return
        self.key = (cpu, allowed)
