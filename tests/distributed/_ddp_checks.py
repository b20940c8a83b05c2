"""Checks that run inside an MPI job: ``mpiexec -n 2 python tests/distributed/_ddp_checks.py [CHECK ...]``.

Every rank runs every check; a failed assertion raises, which aborts the whole job (non-zero exit). Rank 0
prints ``OK <check>`` after each one that passed on every rank. ``raise`` and ``exit`` are the odd ones out:
rank 1 raises (or calls ``sys.exit(3)``) while rank 0 waits in a collective, to show that the job ends instead
of hanging.
"""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import autograd  # noqa: E402
import autograd.distributed as dist  # noqa: E402
import nn  # noqa: E402
import optim  # noqa: E402
from autograd.data import DataLoader, DistributedSampler, TensorDataset  # noqa: E402
from nn.parallel import DistributedDataParallel as DDP  # noqa: E402

TOL = 1e-10


def ranks_data(shape, dtype, seed):
    """Every rank's input, computable on every rank (so the expected result is known locally)."""
    out = []
    for r in range(dist.get_world_size()):
        g = np.random.default_rng(seed * 100 + r)
        if np.dtype(dtype) == np.bool_:
            out.append(g.random(shape) < 0.5)
        elif np.dtype(dtype).kind == "i":
            out.append(g.integers(-3, 4, shape).astype(dtype))
        else:
            out.append((g.random(shape) + 0.5).astype(dtype))
    return out


def check_collectives():
    me, n = dist.get_rank(), dist.get_world_size()
    ops = {dist.ReduceOp.SUM: np.add, dist.ReduceOp.PRODUCT: np.multiply, dist.ReduceOp.MAX: np.maximum,
           dist.ReduceOp.MIN: np.minimum}
    for dtype in (np.float64, np.float32, np.int64, np.int32):
        for k, (op, f) in enumerate(ops.items()):
            data = ranks_data((3, 4), dtype, k)
            t = autograd.tensor(data[me].copy())
            assert dist.all_reduce(t, op=op) is None
            want = f.reduce(np.stack(data), axis=0)
            assert t.dtype == np.dtype(dtype), (t.dtype, dtype)
            np.testing.assert_allclose(t.numpy(), want, rtol=1e-6 if dtype == np.float32 else 1e-15)
    for op, f in ((dist.ReduceOp.SUM, np.logical_or), (dist.ReduceOp.PRODUCT, np.logical_and)):
        data = ranks_data((5,), np.bool_, 7)
        t = autograd.tensor(data[me].copy())
        dist.all_reduce(t, op=op)
        np.testing.assert_array_equal(t.numpy(), f.reduce(np.stack(data), axis=0))
    # a non-contiguous view is reduced in place through its base
    data = ranks_data((4, 3), np.float64, 9)
    base = autograd.tensor(data[me].copy())
    view = base.t()
    dist.all_reduce(view)
    np.testing.assert_allclose(base.numpy(), np.sum(data, axis=0), rtol=1e-15)
    # non-blocking
    data = ranks_data((1000,), np.float64, 11)
    t = autograd.tensor(data[me].copy())
    work = dist.all_reduce(t, op=dist.ReduceOp.MAX, async_op=True)
    assert work.wait() is True and work.is_completed()
    np.testing.assert_array_equal(t.numpy(), np.max(data, axis=0))
    # broadcast from every source
    for src in range(n):
        data = ranks_data((2, 3), np.float32, 20 + src)
        t = autograd.tensor(data[me].copy())
        dist.broadcast(t, src=src)
        np.testing.assert_array_equal(t.numpy(), data[src])
    # all_gather
    data = ranks_data((2, 2), np.float64, 30)
    out = [autograd.zeros(2, 2, dtype=autograd.float64) for _ in range(n)]
    dist.all_gather(out, autograd.tensor(data[me]))
    for r in range(n):
        np.testing.assert_array_equal(out[r].numpy(), data[r])
    dist.barrier()
    # bad input: clear errors, raised identically on every rank (no collective started)
    for bad, exc, words in (
        (lambda: dist.all_reduce(np.ones(2)), TypeError, "expects a Tensor"),
        (lambda: dist.all_reduce(autograd.ones(2), op="sum"), ValueError, "ReduceOp"),
        (lambda: dist.broadcast(autograd.ones(2), src=n), ValueError, "not a rank"),
        (lambda: dist.all_gather([autograd.ones(2)] * (n + 1), autograd.ones(2)), ValueError, "world_size"),
        (lambda: dist.all_gather([autograd.ones(3)] * n, autograd.ones(2)), ValueError, "shape"),
    ):
        try:
            bad()
        except exc as e:
            assert words in str(e), str(e)
        else:
            raise AssertionError(f"no {exc.__name__} for {words}")


def make_model(seed, conv=False):
    autograd.manual_seed(seed)
    if conv:
        return nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.Tanh(), nn.Flatten(), nn.Linear(3 * 5 * 5, 4)).double()
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 3)).double()


def global_batch(conv=False, size=16, seed=0):
    g = np.random.default_rng(seed)
    x = g.standard_normal((size, 2, 5, 5) if conv else (size, 6))
    y = g.standard_normal((size, 4 if conv else 3))
    return autograd.tensor(x), autograd.tensor(y)


def local(t, me, n):
    b = t.shape[0] // n
    return t[me * b:(me + 1) * b]


def params_equal(a, b, what):
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        err = np.max(np.abs(p.numpy() - q.numpy()))
        assert err < TOL, f"{what}: {name} differs by {err}"


def check_ddp_equals_full_batch():
    me, n = dist.get_rank(), dist.get_world_size()
    for conv, make_opt, cap in ((False, lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), 0.0005),
                                (False, lambda ps: optim.Adam(ps, lr=0.01), 25),
                                (True, lambda ps: optim.SGD(ps, lr=0.05), 0.001)):
        model = make_model(seed=100 + me, conv=conv)  # every replica starts elsewhere ...
        ddp = DDP(model, bucket_cap_mb=cap)
        ref = make_model(seed=100, conv=conv)  # ... and DDP starts them all from rank 0's weights
        params_equal(model, ref, "after construction")
        if cap < 1:
            assert len(ddp._buckets) > 1, "the test means to exercise several buckets"
        opt, ref_opt = make_opt(ddp.parameters()), make_opt(ref.parameters())
        loss_fn = nn.MSELoss()
        for step in range(4):
            x, y = global_batch(conv, seed=step)
            opt.zero_grad()
            loss_fn(ddp(local(x, me, n)), local(y, me, n)).backward()
            opt.step()
            ref_opt.zero_grad()
            loss_fn(ref(x), y).backward()
            ref_opt.step()
            params_equal(model, ref, f"step {step} (conv={conv})")
        assert ddp.module is model
        assert list(ddp.state_dict())[0].startswith("module."), list(ddp.state_dict())[:2]


def check_buckets_start_during_backward():
    """With small buckets, the all-reduce of the last layers' bucket has started before the first layer's
    gradient exists (overlap); buffers are rank 0's after construction."""
    me = dist.get_rank()
    model = make_model(seed=300 + me)
    first = model[0].weight  # the last gradient backward produces
    started = []
    # registered before DDP's own hook, so it sees the state just before this gradient is counted
    first.register_post_accumulate_grad_hook(lambda p: started.append(len(ddp._pass["works"])))
    ddp = DDP(model, bucket_cap_mb=0.0005)
    x, y = global_batch(seed=1)
    nn.MSELoss()(ddp(x), y).backward()
    assert started and started[0] >= 1, f"no bucket had started before the first layer's gradient: {started}"
    assert ddp._pass is None  # finished at the end of backward

    autograd.manual_seed(0)
    bn = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).double()
    bn[1].running_mean.numpy()[:] = me + 1.0
    DDP(bn)
    np.testing.assert_array_equal(bn[1].running_mean.numpy(), np.ones(4))


def check_no_sync():
    me, n = dist.get_rank(), dist.get_world_size()
    model = make_model(seed=200 + me)
    ddp = DDP(model, bucket_cap_mb=0.0005)
    ref = make_model(seed=200)
    x, y = global_batch(size=32, seed=5)
    loss_fn = nn.MSELoss()
    # the full-batch gradient of the mean loss
    loss_fn(ref(x), y).backward()
    # two micro-batches per rank: the first accumulated locally, the second synchronised
    xs, ys = local(x, me, n), local(y, me, n)
    h = xs.shape[0] // 2
    with ddp.no_sync():
        (loss_fn(ddp(xs[:h]), ys[:h]) / 2).backward()
    local_grads = [p.grad.numpy().copy() for p in model.parameters()]
    gathered = [autograd.zeros(*local_grads[0].shape, dtype=autograd.float64) for _ in range(n)]
    dist.all_gather(gathered, autograd.tensor(local_grads[0]))
    assert np.max(np.abs(gathered[0].numpy() - gathered[1].numpy())) > 1e-6, "no_sync must not synchronise"
    (loss_fn(ddp(xs[h:]), ys[h:]) / 2).backward()
    for (name, p), q in zip(model.named_parameters(), ref.parameters()):
        err = np.max(np.abs(p.grad.numpy() - q.grad.numpy()))
        assert err < TOL, f"no_sync accumulation: {name} grad differs by {err}"


def check_unused_parameters():
    me = dist.get_rank()

    class Branchy(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(3, 2).double()
            self.b = nn.Linear(3, 2).double()

        def forward(self, x, use_b):
            return self.a(x) + (self.b(x) if use_b else 0)

    autograd.manual_seed(0)
    m = Branchy()
    ddp = DDP(m, find_unused_parameters=True)
    x = autograd.ones(4, 3, dtype=autograd.float64)
    ddp(x, use_b=me == 0).sum().backward()  # b is used on rank 0 only
    autograd.manual_seed(0)
    ref = Branchy()
    ref(x, use_b=True).sum().backward()
    n = dist.get_world_size()
    np.testing.assert_allclose(m.b.weight.grad.numpy(), ref.b.weight.grad.numpy() / n, rtol=1e-12)
    np.testing.assert_allclose(m.a.weight.grad.numpy(), ref.a.weight.grad.numpy(), rtol=1e-12)
    # without find_unused_parameters: a clear error naming the parameter (on the rank that did not use it)
    strict = DDP(m)
    m.zero_grad()
    try:
        strict(x, use_b=me == 0).sum().backward()
    except RuntimeError as e:
        assert me != 0 and "b.weight" in str(e) and "find_unused_parameters=True" in str(e), str(e)
    else:
        assert me == 0, "expected an error on ranks that left b unused"


def check_sampler():
    me, n = dist.get_rank(), dist.get_world_size()
    for size in (0, 1, 7, 10, 33):
        for drop_last in (False, True):
            for shuffle in (False, True):
                s = DistributedSampler(range(size), shuffle=shuffle, seed=3, drop_last=drop_last)
                s.set_epoch(2)
                mine = list(s)
                assert len(mine) == len(s) == s.num_samples
                buf = autograd.tensor(np.full(s.num_samples, -1, np.int64))
                buf.numpy()[:] = mine
                shards = [autograd.zeros(s.num_samples, dtype=autograd.int64) for _ in range(n)]
                dist.all_gather(shards, buf)
                everything = np.concatenate([t.numpy() for t in shards]).tolist()
                if drop_last:
                    assert len(set(everything)) == len(everything) == s.total_size <= size  # disjoint
                else:
                    assert set(everything) == set(range(size))  # covering
                    assert len(everything) - len(set(everything)) == s.total_size - size  # padding only
    # a DataLoader over the sampler hands each rank its shard
    ds = TensorDataset(autograd.arange(10))
    s = DistributedSampler(ds, shuffle=False)
    got = [int(v) for (b,) in DataLoader(ds, batch_size=2, sampler=s) for v in b.numpy()]
    assert got == list(range(me, 10, n)), got


def check_fork():
    """A forked child (a DataLoader worker) keeps rank and world size but may not use the parent's
    communicator."""
    me, n = dist.get_rank(), dist.get_world_size()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            assert (dist.get_rank(), dist.get_world_size()) == (me, n)
            try:
                dist.all_reduce(autograd.ones(1))
            except RuntimeError as e:
                code = 0 if "forked child" in str(e) else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0, f"forked child exited with {os.WEXITSTATUS(status)}"
    dist.all_reduce(autograd.ones(1))  # the parent's communicator still works


def check_raise():
    if dist.get_rank() == 1:
        raise ValueError("rank 1 fails on purpose")
    dist.barrier()  # rank 0 would wait here forever without the abort
    dist.barrier()


def check_exit():
    if dist.get_rank() == 1:
        sys.exit(3)
    dist.barrier()


CHECKS = {"collectives": check_collectives, "ddp": check_ddp_equals_full_batch, "overlap": check_buckets_start_during_backward, "no_sync": check_no_sync,
          "unused": check_unused_parameters, "sampler": check_sampler, "fork": check_fork, "raise": check_raise,
          "exit": check_exit}


def send_stderr_to_file(folder):
    """Each rank's stderr goes straight to ``folder/rank<r>.err``: under MPI_Abort, mpiexec may end before it
    relays what the ranks wrote, so a test that reads the abort message reads it from there."""
    sys.stderr.flush()
    fd = os.open(os.path.join(folder, f"rank{dist.get_rank()}.err"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 2)
    os.close(fd)


def main(names):
    dist.init_process_group(backend="mpi")
    assert dist.is_initialized() and dist.get_world_size() >= 2, "run me under mpiexec -n 2"
    if os.environ.get("DDP_CHECKS_STDERR_DIR"):
        send_stderr_to_file(os.environ["DDP_CHECKS_STDERR_DIR"])
    for name in names or [k for k in CHECKS if k not in ("raise", "exit")]:
        CHECKS[name]()
        dist.barrier()
        if dist.get_rank() == 0:
            print(f"OK {name}", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1:])
