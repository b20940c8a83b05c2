"""``autograd.data``: datasets, samplers and the DataLoader (as ``torch.utils.data``), plus ``transforms`` for
augmentation and ``datasets`` with toy generators, scikit-learn's digits and an MNIST IDX reader."""

from . import datasets, transforms
from .dataloader import DataLoader, default_collate
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .distributed import DistributedSampler
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from .worker import WorkerInfo, get_worker_info
