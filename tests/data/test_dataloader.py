"""Datasets, samplers and DataLoader: ordering, shuffling, seeding, drop_last, collation."""

import numpy as np
import pytest

import autograd as A
from autograd.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    random_split,
)


def _ds(n=10):
    return TensorDataset(A.arange(n).float().reshape(n, 1), A.arange(n))


def test_tensor_dataset_and_errors():
    ds = _ds()
    x, y = ds[3]
    assert x.tolist() == [3.0] and y.item() == 3 and len(ds) == 10
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(A.zeros(3, 2), A.zeros(4))


def test_sequential_batches_and_drop_last():
    dl = DataLoader(_ds(10), batch_size=4)
    batches = [y.tolist() for _, y in dl]
    assert batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] and len(dl) == 3
    dl = DataLoader(_ds(10), batch_size=4, drop_last=True)
    assert [y.tolist() for _, y in dl] == [[0, 1, 2, 3], [4, 5, 6, 7]] and len(dl) == 2
    x, y = next(iter(DataLoader(_ds(10), batch_size=4)))
    assert x.shape == (4, 1) and x.dtype == A.float32 and y.dtype == A.int64


def test_shuffle_is_a_permutation_seeded_and_reshuffles_each_epoch():
    dl = DataLoader(_ds(20), batch_size=5, shuffle=True, generator=42)
    e1 = np.concatenate([y.numpy() for _, y in dl])
    e2 = np.concatenate([y.numpy() for _, y in dl])
    assert sorted(e1.tolist()) == list(range(20)) and sorted(e2.tolist()) == list(range(20))
    assert not np.array_equal(e1, e2)
    again = DataLoader(_ds(20), batch_size=5, shuffle=True, generator=42)
    np.testing.assert_array_equal(np.concatenate([y.numpy() for _, y in again]), e1)


def test_shuffle_follows_manual_seed_by_default():
    A.manual_seed(3)
    a = [y.tolist() for _, y in DataLoader(_ds(8), batch_size=8, shuffle=True)]
    A.manual_seed(3)
    b = [y.tolist() for _, y in DataLoader(_ds(8), batch_size=8, shuffle=True)]
    assert a == b


def test_generator_objects_accepted():
    g = A.Generator().manual_seed(1)
    e1 = [y.tolist() for _, y in DataLoader(_ds(8), batch_size=8, shuffle=True, generator=g)]
    g2 = np.random.default_rng(1)
    assert len([y.tolist() for _, y in DataLoader(_ds(8), batch_size=8, shuffle=True, generator=g2)][0]) == 8
    assert sorted(e1[0]) == list(range(8))


class Squares(Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        return {"x": np.array([i, i * i], dtype=np.float32), "label": i % 2, "w": 0.5}


def test_generic_dataset_collate():
    batch = next(iter(DataLoader(Squares(), batch_size=4)))
    assert batch["x"].shape == (4, 2) and batch["x"].dtype == A.float32
    assert batch["label"].tolist() == [0, 1, 0, 1] and batch["label"].dtype == A.int64
    assert batch["w"].dtype == A.float64  # PyTorch's default_collate turns Python floats into float64


def test_custom_collate_fn_and_batch_size_none():
    dl = DataLoader(_ds(4), batch_size=2, collate_fn=lambda b: len(b))
    assert list(dl) == [2, 2]
    dl = DataLoader(_ds(3), batch_size=None)
    assert [y.item() for _, y in dl] == [0, 1, 2]


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([A.zeros(2), A.zeros(3)])


def test_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    rs = RandomSampler(range(5), generator=0)
    assert sorted(rs) == [0, 1, 2, 3, 4]
    assert len(list(RandomSampler(range(5), replacement=True, num_samples=12, generator=0))) == 12
    bs = BatchSampler(SequentialSampler(range(7)), 3, drop_last=False)
    assert list(bs) == [[0, 1, 2], [3, 4, 5], [6]] and len(bs) == 3
    with pytest.raises(ValueError, match="batch_size"):
        BatchSampler(SequentialSampler(range(7)), 0, drop_last=False)
    w = list(WeightedRandomSampler([0, 0, 1], 5, generator=0))
    assert w == [2] * 5
    dl = DataLoader(_ds(6), batch_sampler=BatchSampler(SequentialSampler(range(6)), 4, True))
    assert [y.tolist() for _, y in dl] == [[0, 1, 2, 3]]
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(_ds(6), sampler=SequentialSampler(range(6)), shuffle=True)


def test_random_split_subset_concat():
    ds = _ds(10)
    a, b = random_split(ds, [7, 3], generator=0)
    ia = [int(a[i][1].item()) for i in range(len(a))]
    ib = [int(b[i][1].item()) for i in range(len(b))]
    assert sorted(ia + ib) == list(range(10)) and len(a) == 7
    a2, _ = random_split(ds, [7, 3], generator=0)
    assert a.indices == a2.indices
    parts = random_split(ds, [0.5, 0.3, 0.2], generator=1)
    assert [len(p) for p in parts] == [5, 3, 2]
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(ds, [5, 6])
    sub = Subset(ds, [9, 0])
    assert [int(y.item()) for _, y in DataLoader(sub, batch_size=2)][0] if False else True
    assert [y.tolist() for _, y in DataLoader(sub, batch_size=2)] == [[9, 0]]
    cat = ConcatDataset([_ds(2), _ds(3)])
    assert len(cat) == 5 and cat[4][1].item() == 2
    with pytest.raises(IndexError):
        cat[5]


def test_loader_over_subset_uses_fast_path_correctly():
    ds = _ds(10)
    train, _ = random_split(ds, [6, 4], generator=0)
    got = np.concatenate([y.numpy() for _, y in DataLoader(train, batch_size=4)])
    assert got.tolist() == train.indices
