"""The DataLoader iterator over worker processes.

The parent walks the sampler and sends each batch's indices to the workers in turn, keeping
``prefetch_factor`` batches per worker in flight; results come back on one queue and are handed out in
sampler order (or as they arrive with ``in_order=False``), so the batches equal those of ``num_workers=0``.
Tasks carry an epoch number, so a persistent iterator reused for a new epoch drops stale results.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import weakref

from .worker import STATUS_CHECK_INTERVAL, ExceptionWrapper, worker_loop


def _default_context():
    # fork, as PyTorch on Linux: datasets need not be picklable and workers start fast
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else methods[0])


def _context(spec):
    if spec is None:
        return _default_context()
    if isinstance(spec, str):
        if spec not in multiprocessing.get_all_start_methods():
            raise ValueError(f"multiprocessing_context option should specify a valid start method in "
                             f"{multiprocessing.get_all_start_methods()!r}, but got multiprocessing_context={spec!r}")
        return multiprocessing.get_context(spec)
    return spec


def _shutdown(workers, index_queues, result_queue) -> None:
    for q in index_queues:
        try:
            q.put(None)
        except (OSError, ValueError):
            pass
    for w in workers:
        w.join(timeout=5.0)
        if w.is_alive():
            w.terminate()
            w.join(timeout=1.0)
    for q in (*index_queues, result_queue):
        q.cancel_join_thread()
        q.close()


class MultiProcessIter:
    """Iterates a DataLoader with ``num_workers`` worker processes (started here, stopped at the end of the
    epoch, or kept for the next epoch with ``persistent_workers``)."""

    def __init__(self, loader, base_seed: int) -> None:
        ctx = _context(loader.multiprocessing_context)
        self._num_workers = loader.num_workers
        self._prefetch = loader.prefetch_factor * loader.num_workers
        self._timeout = loader.timeout
        self._in_order = loader.in_order
        self._persistent = loader.persistent_workers
        self._result_queue = ctx.Queue()
        self._index_queues, self._workers = [], []
        for i in range(self._num_workers):
            q = ctx.Queue()
            w = ctx.Process(target=worker_loop, daemon=True,
                            args=(loader._fetch, loader.dataset, q, self._result_queue, i, self._num_workers,
                                  base_seed, loader.worker_init_fn, os.getpid()))
            w.start()
            self._index_queues.append(q)
            self._workers.append(w)
        self._finalizer = weakref.finalize(self, _shutdown, self._workers, self._index_queues, self._result_queue)
        self._epoch = 0
        self._reset(loader)

    def _reset(self, loader) -> None:
        """Start an epoch: a fresh pass over the sampler, ``prefetch_factor`` batches per worker sent ahead."""
        self._epoch += 1
        self._index_iter = iter(loader.batch_sampler if loader.batch_sampler is not None else loader.sampler)
        self._send_idx = self._rcvd_idx = 0
        self._worker_of = {}  # task number -> worker, for tasks not yet returned
        self._arrived = {}
        self._next_worker = 0
        self._exhausted = False
        for _ in range(self._prefetch):
            self._put_task()

    def _put_task(self) -> None:
        if self._exhausted:
            return
        try:
            indices = next(self._index_iter)
        except StopIteration:
            self._exhausted = True
            return
        worker = self._next_worker
        self._next_worker = (worker + 1) % self._num_workers
        self._index_queues[worker].put(((self._epoch, self._send_idx), indices))
        self._worker_of[self._send_idx] = worker
        self._send_idx += 1

    def __iter__(self):
        return self

    def __next__(self):
        while True:
            if self._rcvd_idx == self._send_idx and self._exhausted:
                if not self._persistent:
                    self._finalizer()
                raise StopIteration
            if self._in_order and self._rcvd_idx in self._arrived:
                batch = self._arrived.pop(self._rcvd_idx)
                return self._hand_out(batch)
            (epoch, idx), batch = self._get()
            if epoch != self._epoch:  # from an epoch abandoned before its end
                continue
            del self._worker_of[idx]
            if self._in_order and idx != self._rcvd_idx:
                self._arrived[idx] = batch
                continue
            return self._hand_out(batch)

    def _hand_out(self, batch):
        self._rcvd_idx += 1
        self._put_task()
        if isinstance(batch, ExceptionWrapper):
            batch.reraise()
        return batch

    def _get(self):
        """The next result from any worker; raises if the timeout passes or a worker died."""
        if self._timeout > 0:
            try:
                return self._result_queue.get(timeout=self._timeout)
            except queue.Empty:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds") from None
        while True:
            try:
                return self._result_queue.get(timeout=STATUS_CHECK_INTERVAL)
            except queue.Empty:
                dead = [w for w in self._workers if not w.is_alive()]
                if dead:
                    pids = ", ".join(f"{w.pid} (exit code {w.exitcode})" for w in dead)
                    self._finalizer()
                    raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly") from None

    def _shutdown_workers(self) -> None:
        self._finalizer()
