"""DataLoader worker processes and lazy samplers: same batches as in-process loading, seeding, errors,
timeouts, persistent workers, and samplers that never materialise ``num_samples`` indices."""

import os
import random
import time
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as A
import nn
from autograd.data import DataLoader, Dataset, RandomSampler, TensorDataset, get_worker_info


class Work(Dataset):
    """Each sample is computed (a small matrix product), and tells which process made it."""

    def __init__(self, n=23):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        x = np.full((3,), float(i), dtype=np.float32)
        return A.tensor(x) @ A.ones(3, 2), i, {"pid": os.getpid()}


def _batches(dl):
    return [(x.numpy().copy(), y.tolist()) for x, y, _ in dl]


@pytest.mark.parametrize("shuffle", [False, True])
def test_workers_give_the_same_batches_in_the_same_order(shuffle):
    kw = dict(batch_size=4, shuffle=shuffle, drop_last=False)
    A.manual_seed(7)
    ref = _batches(DataLoader(Work(), **kw))
    after_ref = A.rand(3).tolist()  # the default generator's stream after one epoch
    A.manual_seed(7)
    dl = DataLoader(Work(), num_workers=2, **kw)
    got = _batches(dl)
    assert A.rand(3).tolist() == after_ref
    assert [y for _, y in got] == [y for _, y in ref]
    for (a, _), (b, _) in zip(got, ref):
        np.testing.assert_array_equal(a, b)
    if shuffle:
        assert [y for _, y in ref] != sorted(y for _, y in ref)


def test_batches_are_loaded_in_other_processes_round_robin():
    pids = [p["pid"].tolist() for _, _, p in DataLoader(Work(16), batch_size=2, num_workers=2)]
    assert all(len(set(p)) == 1 for p in pids)
    first = [p[0] for p in pids]
    assert os.getpid() not in first and len(set(first)) == 2
    assert first[0::2] == [first[0]] * 4 and first[1::2] == [first[1]] * 4


def test_tensor_dataset_and_no_batching():
    ds = TensorDataset(A.arange(10).float().reshape(10, 1), A.arange(10))
    got = [y.tolist() for _, y in DataLoader(ds, batch_size=3, num_workers=2)]
    assert got == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    single = list(DataLoader(ds, batch_size=None, num_workers=2))
    assert [int(y) for _, y in single] == list(range(10))


class SeedProbe(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = get_worker_info()
        return np.array([info.id, info.num_workers, info.seed, random.random() * 1e6, np.random.rand() * 1e6,
                         A.rand(1).item() * 1e6, len(info.dataset)])


def test_worker_info_and_seeds():
    assert get_worker_info() is None
    rows = np.concatenate([b.numpy() for b in DataLoader(SeedProbe(), batch_size=2, num_workers=2)])
    ids, nw, seeds = rows[:, 0], rows[:, 1], rows[:, 2]
    assert ids.tolist() == [0, 0, 1, 1, 0, 0, 1, 1] and set(nw.tolist()) == {2} and set(rows[:, 6]) == {8}
    base = seeds[0]
    assert (seeds[ids == 1] == base + 1).all() and (seeds[ids == 0] == base).all()
    # each worker's random, numpy and autograd streams differ from the other worker's
    for col in (3, 4, 5):
        assert rows[0, col] != rows[2, col]
    # a new epoch draws a new base seed
    again = np.concatenate([b.numpy() for b in DataLoader(SeedProbe(), batch_size=2, num_workers=2)])
    assert again[0, 2] != base


class Threads(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return A.get_num_threads()


def test_workers_run_on_one_thread_unless_worker_init_fn_says_otherwise():
    """As in PyTorch: the workers share the machine with training, so each runs the library on one thread."""
    assert [b.tolist() for b in DataLoader(Threads(), batch_size=2, num_workers=2)] == [[1, 1], [1, 1]]
    got = DataLoader(Threads(), batch_size=2, num_workers=2, worker_init_fn=lambda w: A.set_num_threads(3))
    assert [b.tolist() for b in got] == [[3, 3], [3, 3]]


def test_worker_init_fn_runs_in_each_worker():
    def init(worker_id):
        np.random.seed(1000 + worker_id)

    class Draw(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return np.random.randint(0, 10**9)

    got = [b.tolist() for b in DataLoader(Draw(), batch_size=1, num_workers=2, worker_init_fn=init)]
    want = [[np.random.RandomState(1000 + w).randint(0, 10**9, size=2)[k]] for k in range(2) for w in range(2)]
    assert got == want


class Fails(Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 3:
            raise ValueError(f"bad sample {i}")
        return i


def test_worker_error_is_reraised_with_worker_and_original_exception():
    it = iter(DataLoader(Fails(), batch_size=2, num_workers=2))
    assert next(it).tolist() == [0, 1]
    with pytest.raises(ValueError, match=r"(?s)Caught ValueError in DataLoader worker process 1.*bad sample 3"):
        next(it)
    assert next(it).tolist() == [4, 5]  # the iterator goes on after an error, as PyTorch's


def test_worker_init_fn_error_and_key_error():
    def init(worker_id):
        raise KeyError("no such key")

    with pytest.raises(RuntimeError, match=r"(?s)Caught KeyError in DataLoader worker process 0.*no such key"):
        list(DataLoader(Work(4), batch_size=2, num_workers=1, worker_init_fn=init))


class Slow(Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        time.sleep(1)
        return i


def test_timeout():
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.2 seconds"):
        next(iter(DataLoader(Slow(), num_workers=1, timeout=0.2)))


class Dies(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        os._exit(3)


def test_dead_worker_is_reported():
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+ \(exit code 3\)\) exited unexpectedly"):
        list(DataLoader(Dies(), num_workers=1))


def test_persistent_workers_survive_epochs_and_drop_stale_results():
    dl = DataLoader(Work(20), batch_size=2, num_workers=2, persistent_workers=True, prefetch_factor=3)
    e1 = [p["pid"][0].item() for _, _, p in dl]
    it = iter(dl)
    next(it)  # abandon the epoch with batches in flight
    e3 = [(y.tolist(), p["pid"][0].item()) for _, y, p in dl]
    assert [y for y, _ in e3] == [[i, i + 1] for i in range(0, 20, 2)]
    assert set(e1) == {pid for _, pid in e3} and len(set(e1)) == 2
    workers = dl._iterator._workers
    assert all(w.is_alive() for w in workers)
    dl._iterator._shutdown_workers()
    assert not any(w.is_alive() for w in workers)


def test_workers_stop_after_an_epoch():
    it = iter(DataLoader(Work(4), batch_size=2, num_workers=2))
    workers = it._workers
    assert len(list(it)) == 2 and not any(w.is_alive() for w in workers)


def test_in_order_false_yields_every_batch():
    got = sorted(y.tolist()[0] for _, y, _ in DataLoader(Work(10), batch_size=1, num_workers=2, in_order=False))
    assert got == list(range(10))


def test_library_state_survives_fork():
    # kernels, thread pools and the default generator used in the parent before the workers start
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 2))
    lstm = nn.LSTM(3, 4)
    model(A.randn(2, 1, 4, 4)).sum().backward()
    lstm(A.randn(5, 2, 3))[0].sum().backward()

    class Compute(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            with A.no_grad():
                a = model(A.ones(1, 1, 4, 4) * i)[0]
                b = lstm(A.ones(5, 1, 3) * i)[0][-1, 0]
            return A.cat([a, b])

    ref = [b.numpy() for b in DataLoader(Compute(), batch_size=2)]
    got = [b.numpy() for b in DataLoader(Compute(), batch_size=2, num_workers=2)]
    for a, b in zip(ref, got):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_argument_errors():
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        DataLoader(Work(), num_workers=-1)
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified in multiprocessing"):
        DataLoader(Work(), prefetch_factor=2)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        DataLoader(Work(), persistent_workers=True)
    with pytest.raises(ValueError, match="timeout option should be non-negative"):
        DataLoader(Work(), timeout=-1)
    with pytest.raises(ValueError, match="valid start method"):
        iter(DataLoader(Work(), num_workers=1, multiprocessing_context="teleport"))
    assert DataLoader(Work(), num_workers=2).prefetch_factor == 2


# ---- lazy samplers ----

def test_random_sampler_with_huge_num_samples_is_lazy():
    ds = TensorDataset(A.arange(100))
    tracemalloc.start()
    s = RandomSampler(ds, replacement=True, num_samples=int(1e10))
    it = iter(s)
    first = [next(it) for _ in range(1000)]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(s) == int(1e10) and peak < 1 << 20
    assert all(0 <= i < 100 for i in first) and len(set(first)) > 50
    dl = DataLoader(ds, batch_size=64, sampler=s)
    assert len(dl) == -(-int(1e10) // 64)
    x, = next(iter(dl))
    assert x.shape == (64,)


def test_random_sampler_without_replacement_chains_permutations():
    ds = TensorDataset(A.arange(10))
    got = list(RandomSampler(ds, num_samples=25, generator=3))
    assert len(got) == 25 and sorted(got[:10]) == list(range(10)) and sorted(got[10:20]) == list(range(10))
    assert len(set(got[20:])) == 5
    A.manual_seed(5)
    a = list(RandomSampler(ds))
    A.manual_seed(5)
    it = iter(RandomSampler(ds))
    b = [next(it)]
    A.rand(100)  # other draws from the default generator during the epoch do not change the order
    assert b + list(it) == a and sorted(a) == list(range(10))
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        RandomSampler(ds, num_samples=0)


@settings(max_examples=6, deadline=None)
@given(n=st.integers(1, 30), batch_size=st.integers(1, 7), drop_last=st.booleans(), shuffle=st.booleans(),
       workers=st.integers(1, 3), prefetch=st.integers(1, 3))
def test_any_loader_configuration_matches_in_process(n, batch_size, drop_last, shuffle, workers, prefetch):
    kw = dict(batch_size=batch_size, drop_last=drop_last, shuffle=shuffle, generator=n)
    ref = [y for _, y in _batches(DataLoader(Work(n), **kw))]
    got = [y for _, y in _batches(DataLoader(Work(n), num_workers=workers, prefetch_factor=prefetch, **kw))]
    assert got == ref
