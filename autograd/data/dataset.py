"""Datasets: ``Dataset``, ``TensorDataset``, ``Subset``, ``ConcatDataset`` and ``random_split``."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..random import rng
from ..tensor import Tensor


class Dataset:
    """A map-style dataset: ``__getitem__(i)`` gives sample ``i``, ``__len__`` the number of samples."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the i-th rows of each tensor (all tensors share their first dimension)."""

    def __init__(self, *tensors) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        n = len(tensors[0])
        for i, t in enumerate(tensors):
            if len(t) != n:
                raise ValueError(
                    f"Size mismatch between tensors: tensor 0 has {n} rows, tensor {i} has {len(t)} "
                    f"(shape {tuple(t.shape)})"
                )
        self.tensors = tuple(tensors)

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return len(self.tensors[0])


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = list(int(i) for i in indices)

    def __getitem__(self, index):
        if isinstance(index, (list, np.ndarray)):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several datasets one after the other."""

    def __init__(self, datasets: Sequence[Dataset]) -> None:
        self.datasets = list(datasets)
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return self.cumulative_sizes[-1] if self.cumulative_sizes else 0

    def __getitem__(self, index: int):
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for ConcatDataset of length {len(self)}")
        d = int(np.searchsorted(self.cumulative_sizes, index, side="right"))
        start = self.cumulative_sizes[d - 1] if d > 0 else 0
        return self.datasets[d][index - start]


def random_split(dataset: Dataset, lengths: Sequence, generator=None) -> list[Subset]:
    """Split into non-overlapping random subsets of the given lengths (ints summing to len(dataset), or
    fractions summing to 1, remainders dealt round-robin as PyTorch does)."""
    n = len(dataset)
    lengths = list(lengths)
    if all(isinstance(x, float) and 0 <= x <= 1 for x in lengths) and math.isclose(sum(lengths), 1.0):
        sizes = [int(math.floor(n * frac)) for frac in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        lengths = sizes
    if sum(lengths) != n:
        raise ValueError(f"Sum of input lengths ({sum(lengths)}) does not equal the length of the input dataset ({n})")
    perm = rng(generator).permutation(n)
    out, offset = [], 0
    for length in lengths:
        out.append(Subset(dataset, perm[offset: offset + length].tolist()))
        offset += length
    return out


def is_tensor_like(x) -> bool:
    return isinstance(x, (Tensor, np.ndarray))
