"""DataLoader worker processes: the loop each worker runs, ``get_worker_info`` and error transport.

A worker receives ``(key, indices)`` tasks on its own index queue, fetches and collates the batch with the
loader's fetcher, and puts ``(key, batch)`` (or an ``ExceptionWrapper``) on the shared result queue.
A worker runs the library on one thread (``autograd.set_num_threads(1)``, as PyTorch's workers do).
Worker ``i`` is seeded as PyTorch seeds it: ``seed = base_seed + i`` for ``random`` and the library's default
generator, and a seed derived from ``(base_seed, i)`` for numpy's legacy global generator.
"""

from __future__ import annotations

import os
import queue
import random
import sys
import traceback
from dataclasses import dataclass

import numpy as np

# How often a waiting worker checks that its parent is still alive, and the parent that its workers are.
STATUS_CHECK_INTERVAL = 1.0


@dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker: its ``id``, ``num_workers``, ``seed``, ``dataset``."""

    id: int
    num_workers: int
    seed: int
    dataset: object


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """The calling DataLoader worker's ``WorkerInfo`` (id, num_workers, seed, dataset); None in the main process."""
    return _worker_info


class ExceptionWrapper:
    """An exception caught in a worker, carried to the parent as its type and formatted traceback."""

    def __init__(self, exc_info, where: str) -> None:
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        """Raise the original exception type with the worker's traceback in the message."""
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:  # KeyError's str() would show the message as a quoted repr
            raise RuntimeError(msg)
        try:
            exception = self.exc_type(msg)
        except Exception:  # the type's constructor takes other arguments
            raise RuntimeError(msg) from None
        raise exception


def _numpy_seed(base_seed: int, worker_id: int) -> list[int]:
    return np.random.SeedSequence([worker_id, base_seed]).generate_state(4).tolist()


def worker_loop(fetcher, dataset, index_queue, result_queue, worker_id: int, num_workers: int,
                base_seed: int, worker_init_fn, parent_pid: int) -> None:
    """The body of worker process ``worker_id``: seed, run ``worker_init_fn``, then fetch until told to stop."""
    global _worker_info
    from ..random import manual_seed
    from ..threads import set_num_threads

    # one thread per worker, as in PyTorch: the workers run side by side with each other and with training, which
    # already has the cores; ``worker_init_fn`` may set another count
    set_num_threads(1)
    seed = base_seed + worker_id
    random.seed(seed)
    manual_seed(seed)
    np.random.seed(_numpy_seed(base_seed, worker_id))
    _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
    where = f"in DataLoader worker process {worker_id}"
    init_error = None
    try:
        if worker_init_fn is not None:
            worker_init_fn(worker_id)
    except Exception:
        init_error = ExceptionWrapper(sys.exc_info(), where)
    try:
        while True:
            try:
                task = index_queue.get(timeout=STATUS_CHECK_INTERVAL)
            except queue.Empty:
                if os.getppid() != parent_pid:  # the parent died: nobody will read our results
                    break
                continue
            if task is None:
                break
            key, indices = task
            if init_error is not None:  # reported with the first task, as PyTorch does
                batch, init_error = init_error, None
            else:
                try:
                    batch = fetcher(indices)
                except Exception:
                    batch = ExceptionWrapper(sys.exc_info(), where)
            result_queue.put((key, batch))
    except KeyboardInterrupt:  # the parent handles Ctrl-C; a worker exits quietly
        pass
    result_queue.cancel_join_thread()  # results of an abandoned epoch must not keep the worker from exiting
    result_queue.close()
