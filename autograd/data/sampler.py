"""Samplers: which indices a DataLoader visits, in which order, and how they are batched."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from ..random import rng


class Sampler:
    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A fresh random permutation at every iteration (or ``num_samples`` draws with replacement).

    Lazy, as PyTorch's: draws come in chunks (32 indices with replacement, one permutation of the dataset
    without), so any ``num_samples`` costs constant memory. Without a ``generator`` each iteration draws one
    seed from the default generator and then uses a private generator, so the order does not depend on what
    else draws from the default generator while the epoch runs (DataLoader workers prefetch ahead).
    """

    _CHUNK = 32

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None,
                 generator=None) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        if num_samples is not None and (isinstance(num_samples, bool) or not isinstance(num_samples, int)
                                        or num_samples <= 0):
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        # an int seed becomes one generator for the sampler's lifetime, so every epoch draws a new order
        self.generator = np.random.default_rng(generator) if isinstance(generator, (int, np.integer)) else generator

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        if self.generator is None:
            g = np.random.default_rng(int(rng(None).integers(0, 2**63 - 1)))
        else:
            g = rng(self.generator)
        if self.replacement:
            if n == 0:
                raise ValueError("RandomSampler with replacement needs a non-empty data_source")
            for _ in range(self.num_samples // self._CHUNK):
                yield from g.integers(0, n, size=self._CHUNK).tolist()
            yield from g.integers(0, n, size=self.num_samples % self._CHUNK).tolist()
            return
        if n == 0:
            return
        for _ in range(self.num_samples // n):
            yield from g.permutation(n).tolist()
        if self.num_samples % n:
            yield from g.permutation(n)[: self.num_samples % n].tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order."""

    def __init__(self, indices: Sequence[int], generator=None) -> None:
        self.indices = list(indices)
        self.generator = np.random.default_rng(generator) if isinstance(generator, (int, np.integer)) else generator

    def __iter__(self) -> Iterator[int]:
        return iter([self.indices[i] for i in rng(self.generator).permutation(len(self.indices))])

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probability proportional to ``weights``."""

    def __init__(self, weights, num_samples: int, replacement: bool = True, generator=None) -> None:
        self.weights = np.asarray(weights, dtype=np.float64)
        if self.weights.ndim != 1 or (self.weights < 0).any():
            raise ValueError("weights should be a 1-D sequence of non-negative numbers")
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = np.random.default_rng(generator) if isinstance(generator, (int, np.integer)) else generator

    def __iter__(self) -> Iterator[int]:
        p = self.weights / self.weights.sum()
        return iter(rng(self.generator).choice(len(p), self.num_samples, replace=self.replacement, p=p).tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Groups a sampler's indices into lists of ``batch_size`` (the last one shorter unless ``drop_last``)."""

    def __init__(self, sampler, batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
