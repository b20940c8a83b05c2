"""``DataLoader``: batches of a dataset, shuffled by its own seeded generator, collated into Tensors."""

from __future__ import annotations

import collections.abc
import numbers
import warnings

import numpy as np

from ..creation import tensor as make_tensor
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


class DataLoader:
    """Iterate over ``dataset`` in batches.

    ``shuffle=True`` draws a new order every epoch from ``generator`` (an int seed, a numpy Generator or an
    ``autograd.Generator``; default: the global generator seeded by ``autograd.manual_seed``).
    Batches are collated by ``collate_fn`` (default: stack into Tensors). ``num_workers`` is accepted for
    compatibility; loading always happens in the calling process.
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool = False, sampler=None,
                 batch_sampler=None, num_workers: int = 0, collate_fn=None, pin_memory: bool = False,
                 drop_last: bool = False, generator=None, **kwargs) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative")
        if num_workers > 0:
            warnings.warn("DataLoader loads in the calling process; num_workers > 0 is ignored", stacklevel=2)
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size = None
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
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
        self._tensors, self._base_indices = _tensor_rows(dataset) if collate_fn is None else (None, None)

    def __iter__(self):
        if self.batch_sampler is None:  # batch_size=None: samples one by one, not collated
            for i in self.sampler:
                yield self.dataset[i]
            return
        collate = self.collate_fn or default_collate
        for indices in self.batch_sampler:
            if self._tensors is not None:  # one fancy-index per tensor instead of stacking rows
                idx = np.asarray(indices, dtype=np.int64)
                if self._base_indices is not None:
                    idx = self._base_indices[idx]
                yield tuple(_make(t._data[idx]) for t in self._tensors)
            else:
                yield collate([self.dataset[i] for i in indices])

    def __len__(self) -> int:
        return len(self.batch_sampler) if self.batch_sampler is not None else len(self.sampler)
