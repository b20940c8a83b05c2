"""Products split over the library's threads (``autograd.kernels.gemm``): each split against the one-call product
(to the BLAS's rounding: the policy's one documented exception to bit-identical results), the same bits for a
given thread count, and the executor's rules (nested calls run serial, errors reach the caller, threads and
fork)."""

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import threads
from autograd.kernels import gemm
from autograd.ops.linear import linear

TOL = {np.float32: dict(rtol=1e-5, atol=1e-5), np.float64: dict(rtol=1e-12, atol=1e-12)}


@pytest.fixture
def split(monkeypatch):
    """Threshold 0: every product is split over ``n`` threads."""
    monkeypatch.setitem(threads.THRESHOLDS, "gemm", 0)

    def use(n):
        monkeypatch.setattr(threads, "_NUM", n)
    return use


def operand(rng, shape, dtype, transposed):
    a = rng.standard_normal(shape[::-1] if transposed else shape).astype(dtype)
    return a.T if transposed else a


@settings(max_examples=40, deadline=None)
@given(m=st.integers(1, 300), k=st.integers(1, 200), n=st.integers(1, 300), ta=st.booleans(), tb=st.booleans(),
       dtype=st.sampled_from([np.float32, np.float64]), threads_n=st.integers(2, 5), bias=st.booleans())
def test_mm_split_matches_one_call(m, k, n, ta, tb, dtype, threads_n, bias):
    rng = np.random.default_rng(m * 7 + k * 3 + n)
    a, b = operand(rng, (m, k), dtype, ta), operand(rng, (k, n), dtype, tb)
    c = rng.standard_normal(n).astype(dtype) if bias else None
    ref = a @ b + (c if bias else 0)
    saved = dict(threads.THRESHOLDS)
    try:
        threads.THRESHOLDS["gemm"] = 0
        with threads.num_threads(threads_n):
            got = gemm.mm(a, b, c)
            again = gemm.mm(a, b, c)
    finally:
        threads.THRESHOLDS.update(saved)
    assert got.shape == (m, n) and got.dtype == ref.dtype
    np.testing.assert_allclose(got, ref, **TOL[dtype])
    np.testing.assert_array_equal(got, again)  # a given thread count: always the same bits


def test_mm_splits_rows_or_columns(split, monkeypatch):
    calls = []
    real = threads.parallel_map
    monkeypatch.setattr(threads, "parallel_map", lambda fn, items: calls.append(list(items)) or real(fn, items))
    split(2)
    a = np.ones((512, 8), np.float32)
    np.testing.assert_array_equal(gemm.mm(a, a.T[:, :256]), np.full((512, 256), 8, np.float32))
    assert calls[-1] == [((0, 256), (0, 256)), ((256, 512), (0, 256))]  # rows
    np.testing.assert_array_equal(gemm.mm(a[:4], a.T), np.full((4, 512), 8, np.float32))
    assert calls[-1] == [((0, 4), (0, 256)), ((0, 4), (256, 512))]  # four rows, 512 columns: columns
    # 256 rows, 1024 columns: halves of the columns pack 256 + 512 elements per unit of k, halves of the rows 128 +
    # 1024 (the weight gradient of a Linear(1024, 256))
    wide = np.ones((256, 4096), np.float32)
    got = gemm.mm(wide, np.ones((4096, 1024), np.float32))
    np.testing.assert_array_equal(got, np.full((256, 1024), 4096, np.float32))
    assert calls[-1] == [((0, 256), (0, 512)), ((0, 256), (512, 1024))]


def test_many_threads_cut_a_grid_that_packs_less(split, monkeypatch):
    """From 4 threads, blocks are row x column ranges: 16 blocks of 64 rows would each pack all of B."""
    calls = []
    real = threads.parallel_map
    monkeypatch.setattr(threads, "parallel_map", lambda fn, items: calls.append(list(items)) or real(fn, items))
    rng = np.random.default_rng(3)
    a = rng.standard_normal((1024, 96)).astype(np.float32)
    b = rng.standard_normal((96, 1024)).astype(np.float32)
    c = rng.standard_normal(1024).astype(np.float32)
    split(16)
    got = gemm.mm(a, b, c)
    tiles = calls[-1]
    assert len(tiles) == 16 and {t[0] for t in tiles} == {(256 * i, 256 * (i + 1)) for i in range(4)}
    assert {t[1] for t in tiles} == {(256 * j, 256 * (j + 1)) for j in range(4)}
    np.testing.assert_allclose(got, a @ b + c, **TOL[np.float32])
    np.testing.assert_array_equal(got, gemm.mm(a, b, c))
    # tall products stay in rows, wide ones go to columns, and a grid needs blocks of >= 64 rows and columns
    assert gemm._grid(4096, 256, 16) == (16, 1) and gemm._grid(256, 1024, 16) == (2, 8)
    assert gemm._grid(1024, 1024, 64) == (8, 8) and gemm._grid(1024, 784, 4) == (2, 2)
    assert gemm._grid(128, 128, 16) is None  # falls back to 2 row blocks
    split(16)
    gemm.mm(a[:128], b[:, :128])
    assert calls[-1] == [((0, 64), (0, 128)), ((64, 128), (0, 128))]
    split(2)  # 2 and 3 threads cut rows or columns only (a square product: rows)
    gemm.mm(a, b)
    assert calls[-1] == [((0, 512), (0, 1024)), ((512, 1024), (0, 1024))]


def test_a_product_just_above_the_threshold_takes_two_blocks_on_many_threads(monkeypatch):
    """(1024, 1024) @ (1024, 10) is 10.5M multiply-adds: 2 blocks of 5M on 16 threads, not 16 blocks of 0.66M
    (each would wait longer for its thread than it computes)."""
    calls = []
    real = threads.parallel_map
    monkeypatch.setattr(threads, "parallel_map", lambda fn, items: calls.append(list(items)) or real(fn, items))
    monkeypatch.setattr(threads, "_NUM", 16)
    rng = np.random.default_rng(4)
    a = rng.standard_normal((1024, 1024)).astype(np.float32)
    b = rng.standard_normal((1024, 10)).astype(np.float32)
    got = gemm.mm(a, b)
    assert calls[-1] == [((0, 512), (0, 10)), ((512, 1024), (0, 10))]
    np.testing.assert_allclose(got, a @ b, **TOL[np.float32])


@pytest.mark.parametrize("shape_a,shape_b", [((6, 33, 17), (6, 17, 40)), ((3, 4, 20, 9), (3, 4, 9, 31)),
                                             ((5, 1, 7), (5, 7, 1))])
def test_bmm_split_matches_one_call(split, shape_a, shape_b):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    split(3)
    np.testing.assert_allclose(gemm.bmm(a, b), np.matmul(a, b), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gemm.bmm(np.swapaxes(b, -1, -2), np.swapaxes(a, -1, -2)),
                               np.matmul(np.swapaxes(b, -1, -2), np.swapaxes(a, -1, -2)), rtol=1e-12, atol=1e-12)


def test_broadcast_batches_take_numpy(split):
    a, b = np.ones((4, 3, 5)), np.ones((1, 5, 2))
    split(2)
    np.testing.assert_array_equal(gemm.bmm(a, b), np.full((4, 3, 2), 5.0))


def test_layers_agree_across_thread_counts(split):
    """A Linear layer and a batched matmul, forward and backward, on 1 and 3 threads."""
    rng = np.random.default_rng(2)
    w = autograd.tensor(rng.standard_normal((70, 130)), requires_grad=True)
    x = autograd.tensor(rng.standard_normal((4, 50, 130)), requires_grad=True)
    q = autograd.tensor(rng.standard_normal((6, 40, 30)), requires_grad=True)
    results = []
    for n in (1, 3):
        split(n)
        for t in (w, x, q):
            t.grad = None
        y = linear(x, w)
        z = q @ q.transpose(1, 2)
        ((y * y).sum() + (z * z).sum()).backward()
        results.append([y.numpy().copy(), z.numpy().copy(), w.grad.numpy().copy(), x.grad.numpy().copy(),
                        q.grad.numpy().copy()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-10)


def test_nested_parallel_map_runs_serial(split):
    split(2)
    seen = []

    def inner(i):
        seen.append(threading.current_thread().name)
        return i

    def outer(i):
        return threads.parallel_map(inner, [i * 10, i * 10 + 1])

    assert threads.parallel_map(outer, [0, 1]) == [[0, 1], [10, 11]]
    assert len(seen) == 4


def test_parallel_map_raises_the_blocks_error(split):
    split(2)

    def fn(i):
        if i == 1:
            raise ValueError("block 1 failed")
        return i

    with pytest.raises(ValueError, match="block 1 failed"):
        threads.parallel_map(fn, [0, 1])
    assert threads.parallel_map(lambda i: i + 1, [0, 1]) == [1, 2]  # the team still works


def test_an_interrupt_waits_for_the_teams_blocks(split):
    """Ctrl-C while a split runs is raised once every block has finished: a block left running would hand its
    "done" to the next caller, who would then read its results before they exist."""
    import _thread
    import time

    split(3)
    finished = []

    def fn(i):
        if i == 1:
            _thread.interrupt_main()  # KeyboardInterrupt on the calling (main) thread
            time.sleep(0.3)
        if i > 0:
            finished.append(i)
        return i

    with pytest.raises(KeyboardInterrupt):
        threads.parallel_map(fn, [0, 1, 2])
        time.sleep(1)  # the interrupt may only be delivered after the map returns
    assert sorted(finished) == [1, 2]
    assert threads.parallel_map(lambda i: i * 10, [0, 1, 2]) == [0, 10, 20]


def test_concurrent_callers_get_their_own_products(split):
    split(2)
    rng = np.random.default_rng(3)
    pairs = [(rng.standard_normal((200, 64)), rng.standard_normal((64, 90))) for _ in range(4)]
    refs = [gemm.mm(a, b) for a, b in pairs]
    bad = []

    def run(i):
        for _ in range(30):
            if not np.array_equal(gemm.mm(*pairs[i]), refs[i]):
                bad.append(i)

    ts = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    assert not bad


@pytest.mark.parametrize("c_in,groups", [(8, 1), (3, 1), (4, 2)])
def test_conv_image_ranges_match_one_thread(split, c_in, groups):
    """Convolutions split the batch into one range of images per thread: forward, input and weight grads agree
    with one thread to the BLAS's rounding, and a given thread count repeats its bits."""
    from autograd.kernels import conv as K

    rng = np.random.default_rng(4)
    x = rng.standard_normal((7, c_in, 9, 11)).astype(np.float32)
    w = rng.standard_normal((6, c_in // groups, 3, 3)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    geo = ((1, 1), ((1, 1), (1, 1)), (1, 1))
    g = rng.standard_normal((7, 6, 9, 11)).astype(np.float32)

    def run():
        y = K.conv2d_forward(x, w, b, *geo, (9, 11), groups)
        gx = K.conv2d_backward_input(g, w, x.shape, *geo, groups)
        gw = K.conv2d_backward_weight(x, g, w.shape, *geo, groups)
        return y, gx, gw

    split(1)
    one = run()
    split(3)
    three, again = run(), run()
    for a, c, d in zip(one, three, again):
        np.testing.assert_allclose(c, a, rtol=1e-5, atol=1e-4)
        np.testing.assert_array_equal(c, d)


def test_attention_blocks_on_threads_give_one_thread_bits(split):
    """The one-op attention hands runs of its blocks to the library's threads: the same bits as one thread."""
    import nn.functional as F

    rng = np.random.default_rng(6)
    q, k, v = (autograd.tensor(rng.standard_normal((16, 2, 128, 32)).astype(np.float32), requires_grad=True)
               for _ in range(3))
    results = []
    for n in (1, 3):
        split(n)
        for t in (q, k, v):
            t.grad = None
        o = F.scaled_dot_product_attention(q, k, v)
        (o * o).sum().backward()
        results.append([o.numpy().copy()] + [t.grad.numpy().copy() for t in (q, k, v)])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
