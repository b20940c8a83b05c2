"""``autograd.multiprocessing``: PyTorch's ``torch.multiprocessing``, Python's ``multiprocessing`` plus ``spawn``.

Tensors here are numpy arrays and pickle as such, so the standard module carries them between processes.
"""

from __future__ import annotations

import multiprocessing as _mp
from multiprocessing import *  # noqa: F403 - torch.multiprocessing re-exports the standard module

__all__ = [n for n in dir(_mp) if not n.startswith("_")] + ["spawn", "ProcessRaisedException", "ProcessExitedException"]


class ProcessRaisedException(Exception):
    """A process started by ``spawn`` raised; the message holds its traceback."""


class ProcessExitedException(Exception):
    """A process started by ``spawn`` exited with a non-zero code."""


def _wrap(fn, i: int, args: tuple, errors) -> None:
    import traceback

    try:
        fn(i, *args)
    except BaseException:
        errors.put((i, traceback.format_exc()))
        raise SystemExit(1) from None


class ProcessContext:
    def __init__(self, processes: list, errors) -> None:
        self.processes, self.errors = processes, errors

    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def join(self, timeout: float | None = None) -> bool:
        """Wait for every process; re-raise the first failure in the parent, naming the process."""
        for p in self.processes:
            p.join(timeout)
        if not self.errors.empty():
            i, tb = self.errors.get()
            for p in self.processes:
                if p.is_alive():
                    p.terminate()
            raise ProcessRaisedException(f"\n\n-- Process {i} terminated with the following error:\n{tb}")
        for i, p in enumerate(self.processes):
            if p.exitcode not in (0, None):
                raise ProcessExitedException(f"process {i} terminated with exit code {p.exitcode}")
        return all(not p.is_alive() for p in self.processes)


def spawn(fn, args: tuple = (), nprocs: int = 1, join: bool = True, daemon: bool = False,
          start_method: str | None = None):
    """Run ``fn(i, *args)`` for i in range(nprocs), each in its own process. The start method defaults to fork
    where the platform has it (PyTorch's default is spawn), so that children keep a runner's ``torch`` mapping."""
    if start_method is None:
        start_method = "fork" if "fork" in _mp.get_all_start_methods() else "spawn"
    ctx = _mp.get_context(start_method)
    errors = ctx.SimpleQueue()
    procs = []
    for i in range(nprocs):
        p = ctx.Process(target=_wrap, args=(fn, i, args, errors), daemon=daemon)
        p.start()
        procs.append(p)
    context = ProcessContext(procs, errors)
    if not join:
        return context
    context.join()
    return None


start_processes = spawn
