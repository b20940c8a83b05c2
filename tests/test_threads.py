"""The threading policy (``autograd.threads``): set/get, thresholds, restoring counts; every parallel kernel against
its serial twin (bit-identical) on inputs that take the parallel path; results independent of the thread count
and of what other threads do; pools that survive ``os.fork()`` and concurrent Python threads."""

import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import autograd
import nn
import optim
from autograd import _placement, threads
from autograd.kernels import activation as KA
from autograd.kernels import conv as KC
from autograd.kernels import elementwise as KE
from autograd.kernels import norm as KN
from autograd.kernels import pool as KP
from autograd.kernels import reduce as KR
from autograd.kernels import softmax as KS
from autograd.ops import rnn as RNN

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def blas_threads() -> list:
    from threadpoolctl import threadpool_info

    return [i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas"]


@pytest.fixture
def parallel(monkeypatch):
    """Every family's threshold 0 and two threads: each kernel call takes the parallel path."""
    for family in threads.THRESHOLDS:
        monkeypatch.setitem(threads.THRESHOLDS, family, 0)
    monkeypatch.setattr(threads, "_NUM", 2)
    monkeypatch.setattr(threads, "PARALLEL_LOOPS", True)
    before = threads._state["parallel_calls"]
    yield lambda: threads._state["parallel_calls"] - before


def run_script(code: str, timeout: float = 240, **environ: str) -> str:
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for var in ("NUMBA_THREADING_LAYER", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.pop(var, None)
    env.update(environ)
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


# ---- the policy ----
def test_default_is_the_cores_this_process_may_use():
    assert autograd.get_num_threads is threads.get_num_threads
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    out = run_script("import autograd; print(autograd.get_num_threads())")
    assert int(out) == expected


@pytest.mark.parametrize("environ, expected", [
    ({"OMP_NUM_THREADS": "1"}, 1),
    ({"MKL_NUM_THREADS": "1"}, 1),
    ({"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "2"}, 2),  # MKL's wins, as in PyTorch
    ({"OMP_NUM_THREADS": "512"}, "cores"),  # no more than the cores
    ({"OMP_NUM_THREADS": "zero"}, "cores"),
    ({"OMP_NUM_THREADS": "-3", "MKL_NUM_THREADS": "1"}, 1),
])
def test_default_follows_omp_and_mkl_num_threads(environ, expected):
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    out = run_script("""
        import warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import autograd
        print(autograd.get_num_threads())
        print("|".join(str(w.message) for w in caught if "NUM_THREADS" in str(w.message)))
    """, **environ)
    count, warned = out.splitlines()[0], out.splitlines()[1] if len(out.splitlines()) > 1 else ""
    assert int(count) == min(cores, expected if expected != "cores" else cores)
    bad = [v for v in environ.values() if not v.lstrip("-").isdigit() or int(v) < 1]
    assert (warned != "") == bool(bad)
    for v in bad:
        assert f"{v!r}" in warned and "positive integer" in warned


def test_a_split_gives_each_thread_at_least_half_a_threshold_of_work(monkeypatch):
    """One range per thread, but only as many ranges as carry half the family's threshold each: on 16 threads,
    work just above the threshold goes to 2 of them; on 2 threads nothing changes."""
    t = threads.THRESHOLDS["elementwise"]
    monkeypatch.setattr(threads, "_NUM", 16)
    assert [len(threads.chunks(10**9, w, "elementwise")) for w in (t - 1, t, 3 * t, 8 * t, 100 * t)] == [1, 2, 6, 16, 16]
    assert len(threads.chunks(5, 100 * t, "elementwise")) == 5  # never more ranges than the count
    assert len(threads.chunks(1024, 100 * t, "elementwise", 256)) == 4  # nor shorter than ``minimum``
    spans = threads.chunks(1000, 3 * t, "elementwise")
    assert spans[0][0] == 0 and spans[-1][1] == 1000 and all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
    monkeypatch.setattr(threads, "_NUM", 2)
    assert len(threads.chunks(10**9, t, "elementwise")) == 2


def test_import_changes_no_thread_pool():
    out = run_script("""
        from threadpoolctl import threadpool_info
        import numpy
        before = [i["num_threads"] for i in threadpool_info()]
        import autograd, nn, optim
        after = [i["num_threads"] for i in threadpool_info()]
        from numba.np.ufunc import parallel
        print(before == after, parallel._is_initialized)
    """)
    assert out.split() == ["True", "False"]


def test_set_num_threads_pins_blas_to_one_and_restores():
    """The library splits products over its own threads: the BLAS runs on one thread under any count; leaving
    ``num_threads`` restores the count and the BLAS's from before, nested blocks included."""
    before, blas_before = autograd.get_num_threads(), blas_threads()
    with threads.num_threads(1):
        assert autograd.get_num_threads() == 1
        assert set(blas_threads()) == {1}
        with threads.num_threads(3):  # nested: the inner block restores the outer count
            assert autograd.get_num_threads() == 3 and set(blas_threads()) == {1}
        assert autograd.get_num_threads() == 1 and set(blas_threads()) == {1}
    assert autograd.get_num_threads() == before and blas_threads() == blas_before
    with pytest.raises(ZeroDivisionError), threads.num_threads(2):
        1 / 0
    assert autograd.get_num_threads() == before and blas_threads() == blas_before


def test_first_parallel_product_pins_blas():
    """Without ``set_num_threads``, the BLAS keeps its own count until the library first splits work."""
    out = run_script("""
        from threadpoolctl import threadpool_info, threadpool_limits
        import numpy as np
        threadpool_limits(2, user_api="blas")
        import autograd
        from autograd.kernels import gemm
        from autograd import threads
        blas = lambda: sorted({i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"})
        a = np.ones((8, 8), np.float32)
        gemm.mm(a, a)  # below the threshold: one call, nothing changes
        small = blas()
        threads._NUM = 2
        big = np.ones((512, 512), np.float32)
        gemm.mm(big, big)
        print(small, blas())
    """)
    assert out.strip() == "[2] [1]"


@pytest.mark.parametrize("bad", [0, -2, 1.5, "2", True, None])
def test_set_num_threads_rejects_bad_counts(bad):
    """As PyTorch: RuntimeError naming what was expected; the count is unchanged."""
    before = autograd.get_num_threads()
    with pytest.raises(RuntimeError, match="expects a positive integer" if isinstance(bad, int)
                       and not isinstance(bad, bool) else "expects an int"):
        autograd.set_num_threads(bad)
    assert autograd.get_num_threads() == before


def test_unknown_family_is_refused():
    with pytest.raises(ValueError, match="unknown family"):
        threads.kernel("nope")


def test_thresholds_pick_serial_or_parallel(monkeypatch):
    x = np.random.default_rng(0).standard_normal((64, 100)).astype(np.float32)
    monkeypatch.setattr(threads, "_NUM", 2)
    monkeypatch.setattr(threads, "PARALLEL_LOOPS", False)  # off: every loop on the calling thread
    before = threads._state["parallel_calls"]
    monkeypatch.setitem(threads.THRESHOLDS, "softmax", 0)
    KS.softmax(x, 1)
    assert threads._state["parallel_calls"] == before
    monkeypatch.setattr(threads, "PARALLEL_LOOPS", True)
    before = threads._state["parallel_calls"]
    monkeypatch.setitem(threads.THRESHOLDS, "softmax", x.size + 1)
    small = KS.softmax(x, 1)
    assert threads._state["parallel_calls"] == before  # below the threshold: serial
    monkeypatch.setitem(threads.THRESHOLDS, "softmax", x.size)
    big = KS.softmax(x, 1)
    assert threads._state["parallel_calls"] == before + 1
    np.testing.assert_array_equal(small, big)
    monkeypatch.setattr(threads, "_NUM", 1)  # one thread allowed: always serial
    KS.softmax(x, 1)
    assert threads._state["parallel_calls"] == before + 1


def test_a_busy_team_makes_a_second_caller_wait_for_the_same_bits(parallel):
    """A second Python thread splitting work while the team is taken waits for it, and then splits the same way."""
    x = np.random.default_rng(1).standard_normal((50, 70))
    ref = KS.softmax(x, 1)
    assert parallel() == 1
    got = []
    team = threads._team(1)
    with team.lock:
        t = threading.Thread(target=lambda: got.append(KS.softmax(x, 1)))
        t.start()
        t.join(0.2)
        assert t.is_alive() and not got  # waiting for the team
    t.join(30)
    np.testing.assert_array_equal(got[0], ref)
    assert parallel() == 2


def test_rnn_chunks_follow_the_policy(monkeypatch):
    monkeypatch.setattr(threads, "_NUM", 1)
    assert RNN._batch_chunks(64) == [(0, 64)]
    monkeypatch.setattr(threads, "_NUM", 2)
    assert RNN._batch_chunks(15) == [(0, 15)]  # below the split threshold
    assert RNN._batch_chunks(32) == [(0, 16), (16, 32)]
    monkeypatch.setattr(threads, "_NUM", 8)
    assert RNN._batch_chunks(32) == [(0, 8), (8, 16), (16, 24), (24, 32)]  # chunks of at least 8 rows
    assert RNN._batch_chunks(64) == [(8 * i, 8 * i + 8) for i in range(8)]


# ---- each kernel's range cut in pieces equals the whole range ----
def both(kernel, count, make_args):
    """Run the loop over ``[0, count)`` at once, and over uneven pieces of it (one of a single iteration), on fresh
    copies of the same inputs; every array equal."""
    a, b = make_args(), make_args()
    if kernel.flat:
        kernel.fn(*a)
    else:
        kernel.fn(0, count, *a)
    for lo, hi in ((0, 1), (1, count // 2), (count // 2, count)):
        if kernel.flat:
            kernel.fn(*(x[lo:hi] if isinstance(x, np.ndarray) else x for x in b))
        else:
            kernel.fn(lo, hi, *b)
    for u, v in zip(a, b):
        if isinstance(u, np.ndarray):
            np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("dtype", [np.float32])  # float64 compiles every loop again: minutes on CI
def test_conv_copy_kernels_parallel_equal_serial(dtype):
    rng = np.random.default_rng(2)
    xp = rng.standard_normal((6, 5, 11, 10)).astype(dtype)
    both(KC._im2col_numba, 5 * 3 * 2 * 6, lambda: (xp, np.zeros((5, 3, 2, 6, 4, 8), dtype), 2, 1, 1, 1))
    cols = rng.standard_normal((5, 3, 2, 6, 4, 8)).astype(dtype)
    both(KC._col2im_numba, 6, lambda: (cols, np.zeros((6, 5, 11, 10), dtype), 2, 1, 1, 1))
    xn = rng.standard_normal((6, 11, 10, 5)).astype(dtype)
    both(KC._im2row_numba, 4 * 4, lambda: (xn, np.zeros((4, 4, 8, 3, 2, 5), dtype), 1, 2, 1, 1, 1))
    rows = rng.standard_normal((6, 4, 8, 3, 2, 5)).astype(dtype)
    both(KC._row2im_numba, 6, lambda: (rows, np.zeros((6, 11, 10, 5), dtype), 2, 1, 1, 1))
    bias = rng.standard_normal(5).astype(dtype)
    xw = rng.standard_normal((6, 11, 40, 5)).astype(dtype)  # wider than one tile of columns
    for has_bias in (False, True):
        both(KC._nhwc_to_nchw, 6 * 11, lambda: (xn, np.zeros((6, 5, 11, 10), dtype), bias, has_bias))
        both(KC._nhwc_to_nchw, 6 * 11, lambda: (xw, np.zeros((6, 5, 11, 40), dtype), bias, has_bias))
    both(KC._pad_nhwc_numba, 6 * 14, lambda: (xp, np.full((6, 14, 12, 5), np.nan, dtype), 2, 1))


@pytest.mark.parametrize("dtype", [np.float32])
def test_pool_norm_softmax_elementwise_kernels_parallel_equal_serial(dtype):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 6, 12, 10)).astype(dtype)
    x[0, 0, 0, 0] = np.nan
    idx32 = np.zeros((4, 6, 6, 5), np.int32)
    both(KP._max_forward_2x2_numba, 4 * 6, lambda: (x, np.zeros((4, 6, 6, 5), dtype), idx32.copy()))
    both(KP._max_forward_numba, 4 * 6, lambda: (x, np.zeros((4, 6, 5, 4), dtype), np.zeros((4, 6, 5, 4), np.int64),
                                         3, 3, 2, 2, 1, 1, 1, 1))
    g = rng.standard_normal((4, 6, 6, 5)).astype(dtype)
    _, idx = KP.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0), (1, 1), (6, 5))
    both(KP._max_backward_numba, 4 * 6, lambda: (g, idx, np.full((4, 6, 120), np.nan, dtype)))  # zeroes gx itself
    div = np.full((6, 5), 4.0, dtype)
    both(KP._avg_forward_numba, 4 * 6, lambda: (x, np.zeros((4, 6, 6, 5), dtype), div, 2, 2, 2, 2, 0, 0))
    both(KP._avg_backward_numba, 4 * 6, lambda: (g, np.zeros((4, 6, 12, 10), dtype), div, 3, 3, 2, 2, 1, 1))
    x3 = rng.standard_normal((5, 7, 33)).astype(dtype)
    both(KN._forward_numba, 7, lambda: (x3, 1e-5, np.empty_like(x3), *(np.empty(7, dtype) for _ in range(3))))
    both(KN._backward_numba, 7, lambda: (x3, x3 * 0.5, np.ones(7, dtype), np.empty_like(x3)))
    both(KR._channel_sums, 7, lambda: (x3, np.empty(7)))
    r = rng.standard_normal((37, 129)).astype(dtype)
    r[3, 5] = np.inf
    for k in (KS._softmax_rows, KS._log_softmax_rows):
        both(k, 37, lambda: (r, np.empty_like(r)))
    for k in (KS._softmax_backward_rows, KS._log_softmax_backward_rows):
        both(k, 37, lambda: (r, r * 0.1, np.empty_like(r)))
    both(KS._logsumexp_rows, 37, lambda: (r, np.empty(37, dtype)))
    both(KS._logsumexp_backward_rows, 37, lambda: (r[:, 0].copy(), r, r[:, 1].copy(), np.empty_like(r)))
    f = rng.standard_normal(10_001).astype(dtype)
    both(KE._sigmoid_kernel, f.size, lambda: (f, np.empty_like(f)))
    for k in (KE._sigmoid_backward_kernel, KE._tanh_backward_kernel, KE._relu_backward_kernel):
        both(k, f.size, lambda: (f, f * 0.3, np.empty_like(f)))
    both(KA._erf_flat, f.size, lambda: (f, np.empty_like(f)))


# ---- public functions: the same bits on 1 and 2 threads ----
def test_public_kernels_same_bits_on_one_and_two_threads(parallel, monkeypatch):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((8, 6, 16, 14)).astype(np.float32)
    g = rng.standard_normal((8, 6, 8, 7)).astype(np.float32)
    r = rng.standard_normal((300, 50)).astype(np.float32)
    x3 = rng.standard_normal((8, 6, 224)).astype(np.float32)
    cols = rng.standard_normal((6, 3, 3, 8, 16, 14)).astype(np.float32)

    def run():
        out, idx = KP.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0), (1, 1), (8, 7))
        out3, idx3 = KP.max_pool2d_forward(x, (3, 3), (2, 2), (1, 1), (1, 1), (8, 7))
        div = KP.avg_divisor((16, 14), (2, 2), (2, 2), (0, 0), (8, 7), True, None, np.float32)
        return [out, idx, out3, idx3, KP.max_pool2d_backward(g, idx, x.shape),
                KP.avg_pool2d_forward(x, (2, 2), (2, 2), (0, 0), (8, 7), div),
                KS.softmax(r, 1), KS.log_softmax(r, 0), KS.softmax_backward(r, r, 1),
                KS.log_softmax_backward(r, r, 1), KS.logsumexp(r, (1,), False),
                *KN.normalize(x3, 1e-5), KN.normalize_backward(x3, x3, np.ones(6, np.float32)),
                KR.channel_sums(x, (0, 2, 3), False),
                KE.sigmoid(r), KE.relu_backward(r, r - 0.5), KE.tanh_backward(r, r), KE.sigmoid_backward(r, r),
                KA.erf(r),
                KC.col2im(cols, x.shape, (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), (16, 14)),
                KC.im2col(x, (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), (16, 14), 1),
                KC.im2row(x, (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), (16, 14))]

    two = run()
    calls = parallel()
    assert calls >= 18
    monkeypatch.setattr(threads, "_NUM", 1)
    one = run()
    assert parallel() == calls  # nothing parallel on one thread
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


def test_optimizer_steps_same_bits_on_one_and_two_threads(parallel, monkeypatch):
    def train(opt_cls, **kw):
        autograd.manual_seed(0)
        model = nn.Sequential(nn.Linear(30, 40), nn.ReLU(), nn.Linear(40, 5))
        opt = opt_cls(model.parameters(), **kw)
        x = autograd.randn(16, 30)
        for _ in range(3):
            opt.zero_grad()
            model(x).pow(2).mean().backward()
            opt.step()
        return [p.numpy().copy() for p in model.parameters()]

    cases = [(optim.Adam, dict(lr=1e-2, amsgrad=True, weight_decay=0.1)), (optim.SGD, dict(lr=0.1, momentum=0.9)),
             (optim.RMSprop, dict(lr=1e-2, centered=True)), (optim.Adagrad, dict(lr=0.1)),
             (optim.NAdam, dict(lr=1e-2)), (optim.RAdam, dict(lr=1e-2)), (optim.Adamax, dict(lr=1e-2)),
             (optim.Lion, dict(lr=1e-3)), (optim.Adadelta, dict()), (optim.ASGD, dict(lr=1e-2)),
             (optim.Rprop, dict(lr=1e-2))]
    with threads.num_threads(1):  # the BLAS on one thread in both runs: only our loops differ
        monkeypatch.setattr(threads, "_NUM", 2)
        two = [train(c, **kw) for c, kw in cases]
        assert parallel() >= 3 * len(cases)
        monkeypatch.setattr(threads, "_NUM", 1)
        one = [train(c, **kw) for c, kw in cases]
    for (c, _), a, b in zip(cases, one, two):
        for u, v in zip(a, b):
            np.testing.assert_array_equal(u, v, err_msg=c.__name__)


@pytest.mark.parametrize("c_in", [8, 3])  # the row (channels-last) and the column (im2col) kernels
def test_conv_on_one_and_two_threads_agree_to_blas_rounding(parallel, c_in):
    """Convolution GEMMs run on the BLAS, whose bits depend on its thread count (the one documented exception;
    on more than one thread each batch block is one GEMM rather than one per image): 1 and 2 threads agree to
    float32 rounding."""
    autograd.manual_seed(0)
    conv = nn.Conv2d(c_in, 16, 3, padding=1)
    x = autograd.randn(16, c_in, 20, 20, requires_grad=True)
    results = []
    for n in (1, 2):
        with threads.num_threads(n):
            x.grad = None
            conv.zero_grad()
            y = conv(x)
            (y * y).sum().backward()
            results.append([y.numpy().copy(), x.grad.numpy().copy(), conv.weight.grad.numpy().copy()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-4)


# ---- a thread's results do not depend on its neighbours (issue: small-GEMM blocks changed the BLAS count) ----
def test_concurrent_work_leaves_a_big_product_bit_identical():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((256, 512)).astype(np.float32)
    b = rng.standard_normal((512, 512)).astype(np.float32)
    ref = a @ b
    stop = threading.Event()
    errors = []

    def neighbour():  # convolutions, small Linear GEMMs and an LSTM: all used to pin the BLAS to one thread
        try:
            conv, lin = nn.Conv2d(16, 32, 3, padding=1), nn.Linear(64, 10)
            lstm = nn.LSTM(16, 32, batch_first=True)
            x, z, s = autograd.randn(8, 16, 14, 14), autograd.randn(32, 64), autograd.randn(32, 6, 16)
            while not stop.is_set():
                conv(x).sum().backward()
                lin(z).sum().backward()
                lstm(s)[0].sum().backward()
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    t = threading.Thread(target=neighbour)
    t.start()
    try:
        diffs = sum(not np.array_equal(a @ b, ref) for _ in range(200))
    finally:
        stop.set()
        t.join()
    assert not errors
    assert diffs == 0


# ---- fork safety and concurrent parallel launches, in fresh processes ----
FORK_SCRIPT = """
import os, signal, sys, time
import numpy as np
import autograd, nn, optim
from autograd import threads
for family in threads.THRESHOLDS:
    threads.THRESHOLDS[family] = 0  # every kernel takes the parallel path: the team of threads is started
threads._NUM = 2
threads.PARALLEL_LOOPS = True

def work():
    autograd.manual_seed(0)
    conv = nn.Conv2d(16, 32, 3, padding=1)  # the issue's reproducer
    x = autograd.randn(64, 16, 14, 14, requires_grad=True)
    y = nn.functional.max_pool2d(conv(x).relu(), 2)
    lstm = nn.LSTM(8, 16, batch_first=True)
    out = lstm(autograd.randn(32, 5, 8))[0]  # batch 32: the RNN executor's chunks
    model = nn.Linear(256, 256)
    loss = y.sum() + out.sum() + model(autograd.randn(512, 256)).sum()
    loss.backward()
    params = list(conv.parameters()) + list(lstm.parameters()) + list(model.parameters())
    for opt in (optim.Adam(params, lr=1e-3), optim.SGD(params, lr=1e-3, momentum=0.9)):
        opt.step()
    big = np.ones((300, 300), np.float32) @ np.ones((300, 300), np.float32)  # the BLAS's own threads
    return float(loss.item()), float(big.sum())

def square_conv(i):
    return float(nn.Conv2d(16, 32, 3, padding=1)(autograd.randn(64, 16, 14, 14)).sum().item()) * 0 + i * i

parent = work()
assert threads._state["parallel_calls"] > 0
pid = os.fork()
if pid == 0:
    try:
        child = work()
        assert child == parent, (child, parent)
        os._exit(0)
    except BaseException as e:
        print("child failed:", repr(e), flush=True)
        os._exit(3)
deadline = time.monotonic() + float(sys.argv[1])
while True:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    if time.monotonic() > deadline:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise SystemExit("the forked child hung")
    time.sleep(0.05)
assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
import multiprocessing
with multiprocessing.get_context("fork").Pool(2) as pool:
    result = pool.map_async(square_conv, range(4))
    assert result.get(timeout=float(sys.argv[1])) == [0, 1, 4, 9]
from numba.np.ufunc import parallel as numba_parallel
assert not getattr(numba_parallel, "_is_initialized", False), "Numba's own threading layer was started"
print("ok")
"""


def test_fork_after_conv_pool_rnn_blas_optimizers():
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("NUMBA_THREADING_LAYER", None)
    proc = subprocess.run([sys.executable, "-c", FORK_SCRIPT, "120"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=400)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.split() == ["ok"], proc.stdout


def test_concurrent_parallel_launches_from_python_threads():
    """Three Python threads calling parallel kernels at once: each waits its turn for the team and gets the
    single-threaded bits."""
    out = run_script("""
        import threading
        import numpy as np
        from autograd import threads
        from autograd.kernels import softmax as KS
        for family in threads.THRESHOLDS:
            threads.THRESHOLDS[family] = 0
        threads._NUM = 2
        threads.PARALLEL_LOOPS = True
        x = np.random.default_rng(0).standard_normal((400, 300)).astype(np.float32)
        out = np.empty_like(x)
        KS._softmax_rows.fn(0, 400, x, out)
        bad = []
        def run():
            for _ in range(100):
                if not np.array_equal(KS.softmax(x, 1), out):
                    bad.append(1)
        ts = [threading.Thread(target=run) for _ in range(3)]
        [t.start() for t in ts]
        [t.join() for t in ts]
        print(len(bad), threads._state["parallel_calls"] > 0)
    """)
    assert out.split() == ["0", "True"]


# ---- where the team's threads run ----
PLACEMENT_SCRIPT = """
import os, threading
import numpy as np
from autograd import _placement, threads
threads._NUM = 2
allowed = os.sched_getaffinity(0)

def masks():
    team = threads._TEAM[os.getpid()]
    return team, [os.sched_getaffinity(w.tid) for w in team.workers]

threads.parallel_map(lambda i: i, [0, 1])
team, got = masks()
if team.placement.failed:  # this sandbox refuses thread affinity: placement stays off
    print("refused")
    raise SystemExit(0)
cpu, caller_mask = team.placement.key
assert caller_mask == allowed and cpu in allowed, (team.placement.key, allowed)
assert got == [allowed - {cpu}], (got, allowed, cpu)

# a caller the user restricted to one CPU takes the team there; then the main thread's next region spreads it again
def restricted():
    os.sched_setaffinity(0, {cpu})
    threads.parallel_map(lambda i: i, [0, 1])
t = threading.Thread(target=restricted)
t.start()
t.join()
assert masks()[1] == [{cpu}], masks()[1]
threads.parallel_map(lambda i: i, [0, 1])
cpu2 = team.placement.key[0]
assert masks()[1] == [allowed - {cpu2}], (masks()[1], cpu2)

# a refusal turns placement off and the work still runs
def refuse(*args):
    raise PermissionError("not allowed here")
os.sched_setaffinity = refuse
team.placement.key = None
assert threads.parallel_map(lambda i: i * i, [1, 2]) == [1, 4]
assert team.placement.failed
print("ok")
"""


@pytest.mark.skipif(not _placement.ENABLED or threads._cores() < 2,
                    reason="needs Linux CPU affinity and at least two CPUs")
def test_team_threads_run_off_the_callers_cpu():
    out = run_script(PLACEMENT_SCRIPT).split()
    if out == ["refused"]:
        pytest.skip("this machine refuses sched_setaffinity on threads")
    assert out == ["ok"]
