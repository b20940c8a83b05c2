"""``DataLoader``: batches of a dataset, shuffled by its own seeded generator, collated into Tensors."""

from __future__ import annotations

import collections.abc
import numbers

import numpy as np

from ..creation import tensor as make_tensor
from ..random import rng
from ..tensor import Tensor, _make
from .dataset import Subset, TensorDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler


def default_collate(batch: list):
    """Stack a list of samples into a batch: Tensors and arrays are stacked, numbers become a tensor
    (floats float64, ints int64, as PyTorch), and tuples, lists and dicts are collated field by field."""
    first = batch[0]
    if isinstance(first, Tensor):
        shapes = {tuple(b.shape) for b in batch}
        if len(shapes) > 1:
            raise RuntimeError(f"default_collate: stack expects each tensor to be equal size, but got {sorted(shapes)}")
        return _make(np.stack([b._data for b in batch]))
    if isinstance(first, np.ndarray):
        return _make(np.stack(batch))
    if isinstance(first, (bool, np.bool_)):
        return make_tensor(np.array(batch, dtype=bool))
    if isinstance(first, numbers.Integral):
        return make_tensor(np.array(batch, dtype=np.int64))
    if isinstance(first, numbers.Real):
        return make_tensor(np.array(batch, dtype=np.float64))
    if isinstance(first, (str, bytes)):
        return list(batch)
    if isinstance(first, collections.abc.Mapping):
        return {k: default_collate([b[k] for b in batch]) for k in first}
    if isinstance(first, tuple) and hasattr(first, "_fields"):
        return type(first)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(first, collections.abc.Sequence):
        sizes = {len(b) for b in batch}
        if len(sizes) > 1:
            raise RuntimeError("default_collate: each element in list of batch should be of equal size")
        collated = [default_collate(list(s)) for s in zip(*batch)]
        return tuple(collated) if isinstance(first, tuple) else collated
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                    f"found {type(first).__name__}")


def _tensor_rows(dataset):
    """The tensors of a TensorDataset (through Subsets), for fetching a whole batch with one index."""
    indices = None
    while isinstance(dataset, Subset):
        idx = np.asarray(dataset.indices)
        indices = idx if indices is None else idx[indices]
        dataset = dataset.dataset
    if isinstance(dataset, TensorDataset):
        return dataset.tensors, indices
    return None, None


class _Fetcher:
    """Turns one batch of indices (or one index, without batching) into what the loader yields; the same
    object runs in the calling process and in every worker, so both give the same batches."""

    def __init__(self, dataset, auto_collation: bool, collate_fn) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.tensors, self.base_indices = _tensor_rows(dataset) if collate_fn is None else (None, None)

    def __call__(self, indices):
        if not self.auto_collation:  # batch_size=None: samples one by one, collated only by a given collate_fn
            sample = self.dataset[indices]
            return sample if self.collate_fn is None else self.collate_fn(sample)
        if self.tensors is not None:  # one fancy-index per tensor instead of stacking rows
            idx = np.asarray(indices, dtype=np.int64)
            if self.base_indices is not None:
                idx = self.base_indices[idx]
            return tuple(_make(t._data[idx]) for t in self.tensors)
        return (self.collate_fn or default_collate)([self.dataset[i] for i in indices])


class DataLoader:
    """Iterate over ``dataset`` in batches.

    ``shuffle=True`` draws a new order every epoch from ``generator`` (an int seed, a numpy Generator or an
    ``autograd.Generator``; default: the global generator seeded by ``autograd.manual_seed``).
    Batches are collated by ``collate_fn`` (default: stack into Tensors). With ``num_workers > 0`` batches are
    loaded by that many worker processes (``prefetch_factor`` batches each in flight, ``persistent_workers``
    kept across epochs, ``worker_init_fn(worker_id)`` run in each, ``timeout`` seconds to wait for a batch);
    the batches and their order are those of ``num_workers=0``. ``pin_memory`` is accepted and has no effect
    on a CPU library.
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None, sampler=None,
                 batch_sampler=None, num_workers: int = 0, collate_fn=None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn=None, multiprocessing_context=None,
                 generator=None, *, prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing. let num_workers "
                             "> 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and (not isinstance(prefetch_factor, int) or prefetch_factor <= 0):
            raise ValueError(f"prefetch_factor option should be a positive integer, got {prefetch_factor!r}")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        shuffle = bool(shuffle)
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                             "drop_last")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        # an int seed becomes one generator for the loader's lifetime, shared with its RandomSampler
        self._rng = np.random.default_rng(generator) if isinstance(generator, (int, np.integer)) else generator
        if sampler is None:
            sampler = RandomSampler(dataset, generator=self._rng) if shuffle else SequentialSampler(dataset)
        if batch_sampler is None and batch_size is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.generator = generator
        self.collate_fn = collate_fn
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self._fetch = _Fetcher(dataset, batch_sampler is not None, collate_fn)
        self._iterator = None

    def _base_seed(self) -> int:
        """One draw from the loader's generator per epoch, whatever ``num_workers`` is (as PyTorch), so the
        default generator's stream is the same with and without workers; it seeds the workers."""
        return int(rng(self._rng).integers(0, 2**62))

    def __iter__(self):
        base_seed = self._base_seed()
        if self.num_workers == 0:
            return self._single_process_iter()
        from .multiprocess import MultiProcessIter

        if self.persistent_workers:
            if self._iterator is None:
                self._iterator = MultiProcessIter(self, base_seed)
            else:
                self._iterator._reset(self)
            return self._iterator
        return MultiProcessIter(self, base_seed)

    def _single_process_iter(self):
        for indices in (self.batch_sampler if self.batch_sampler is not None else self.sampler):
            yield self._fetch(indices)

    def __len__(self) -> int:
        return len(self.batch_sampler) if self.batch_sampler is not None else len(self.sampler)
