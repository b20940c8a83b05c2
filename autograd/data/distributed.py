"""``DistributedSampler``: each of ``num_replicas`` processes visits its own shard of the dataset, as
``torch.utils.data.DistributedSampler`` does: shard r = indices[r :: num_replicas] of one order shared by all."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from .sampler import Sampler


class DistributedSampler(Sampler):
    """The dataset's indices (a permutation seeded by ``seed + epoch`` when ``shuffle``) padded by repetition to
    a multiple of ``num_replicas`` (or truncated when ``drop_last``), then dealt out round-robin.

    The partitioning, padding and truncation are PyTorch's, index for index; the shuffled order is drawn from
    numpy's PCG64 seeded with ``seed + epoch`` (the same on every rank), not from torch's Mersenne Twister."""

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None, shuffle: bool = True,
                 seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            from .. import distributed as dist

            if not dist.is_initialized():
                raise RuntimeError("DistributedSampler needs num_replicas and rank, or an initialized process "
                                   "group (autograd.distributed.init_process_group()) to take them from")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if not isinstance(num_replicas, int) or num_replicas < 1:
            raise ValueError(f"num_replicas should be a positive integer, got {num_replicas!r}")
        if not isinstance(rank, int) or rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            # drop the tail so that every rank gets the same number of samples
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            indices = np.random.default_rng(self.seed + self.epoch).permutation(n).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            elif indices:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[: self.total_size]
        assert len(indices) == self.total_size
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration's order depend on ``epoch`` (call it before each epoch when shuffling)."""
        self.epoch = epoch
