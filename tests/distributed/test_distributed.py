"""autograd.distributed, DistributedDataParallel and DistributedSampler.

The collective and DDP checks run in a real 2-process MPI job (``_ddp_checks.py`` under mpiexec); the rest
(the sampler against PyTorch's, errors, the launcher's command line) run in this process."""

import os
import subprocess
import sys
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
import autograd.distributed as dist
from autograd.data import DistributedSampler

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECKS = os.path.join(ROOT, "tests", "distributed", "_ddp_checks.py")


def _env(**extra):
    env = dict(os.environ, **extra)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _mpi_job(cmd, timeout=600, **env):
    pytest.importorskip("mpi4py")
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=ROOT, env=_env(**env), capture_output=True, text=True, timeout=timeout)
    return p, time.perf_counter() - t0


def test_checks_under_two_processes_through_the_launcher():
    """Every collective against numpy, DDP == full-batch training (MLP and CNN, SGD+momentum and Adam, several
    buckets, replicas initialised differently), buckets started during backward, no_sync accumulation, unused
    parameters, sampler shards, fork."""
    p, _ = _mpi_job([sys.executable, "-m", "autograd.distributed.run", "-n", "2", CHECKS])
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    for name in ("collectives", "ddp", "overlap", "no_sync", "unused", "sampler", "fork"):
        assert f"OK {name}" in p.stdout, out


def test_a_rank_that_raises_ends_the_whole_job(tmp_path):
    """Under plain mpiexec: init_process_group's excepthook prints the error and calls MPI_Abort.

    The ranks write stderr to files: mpiexec relays their output asynchronously and may exit on the abort before
    it has relayed any (seen once in CI: empty output)."""
    from autograd.distributed.run import find_mpiexec

    pytest.importorskip("mpi4py")
    p, seconds = _mpi_job([find_mpiexec(), "-n", "2", sys.executable, CHECKS, "raise"], timeout=120,
                          DDP_CHECKS_STDERR_DIR=str(tmp_path))
    out = f"exit status {p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}"
    assert p.returncode != 0, out
    rank1 = tmp_path / "rank1.err"
    assert rank1.exists(), f"rank 1 never redirected its stderr\n{out}"
    err = rank1.read_text()
    assert "ValueError: rank 1 fails on purpose" in err and "aborting all 2 processes" in err, err + out
    assert "OK raise" not in p.stdout + p.stderr
    assert seconds < 60, f"the job took {seconds:.1f} s to end"


def test_a_rank_that_exits_non_zero_ends_the_job_under_the_launcher():
    p, seconds = _mpi_job([sys.executable, "-m", "autograd.distributed.run", "-n", "2", CHECKS, "exit"],
                          timeout=120)
    out = p.stdout + p.stderr
    assert p.returncode == 3, out
    assert "OK exit" not in out
    assert seconds < 60, f"the job took {seconds:.1f} s to end"


def test_nothing_of_mpi_is_imported_until_used():
    code = ("import sys, autograd, nn, optim, autograd.data, autograd.distributed, nn.parallel; "
            "print('mpi4py' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(), capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_errors_before_init_process_group():
    import nn

    assert not dist.is_initialized()
    for f in (dist.get_rank, dist.get_world_size, dist.barrier, lambda: dist.all_reduce(autograd.ones(2)),
              lambda: dist.broadcast(autograd.ones(2), 0), lambda: dist.all_gather([], autograd.ones(2)),
              dist.destroy_process_group):
        with pytest.raises(RuntimeError, match="init_process_group"):
            f()
    with pytest.raises(RuntimeError, match="init_process_group"):
        nn.parallel.DistributedDataParallel(nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedSampler(range(4))


def test_unknown_backend_and_missing_mpi4py(monkeypatch):
    with pytest.raises(ValueError, match="only backend is 'mpi'"):
        dist.init_process_group(backend="nccl")
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # as if it were not installed
    with pytest.raises(RuntimeError, match=r'pip install "numbagrad\[distributed\]"'):
        dist.init_process_group()
    assert not dist.is_initialized()
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert dist.is_available() is False


def test_world_of_one_without_mpiexec():
    pytest.importorskip("mpi4py")
    code = """
import autograd, autograd.distributed as dist, nn, optim
dist.init_process_group()
assert (dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (0, 1, "mpi")
autograd.manual_seed(0)
m = nn.Linear(3, 2).double()
ddp = nn.parallel.DistributedDataParallel(m)
autograd.manual_seed(0)
ref = nn.Linear(3, 2).double()
x = autograd.randn(5, 3, dtype=autograd.float64)
ddp(x).pow(2).sum().backward()
ref(x).pow(2).sum().backward()
assert (m.weight.grad.numpy() == ref.weight.grad.numpy()).all()
dist.destroy_process_group()
assert not dist.is_initialized()
print("done")
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(), capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "done", out.stdout + out.stderr


def test_launcher_command_line(tmp_path):
    from autograd.distributed import run

    script = tmp_path / "s.py"
    script.write_text("print('hi')\n")
    cmd = run.command(3, [str(script), "--lr", "0.1"], hosts="a,b")
    assert os.path.basename(cmd[0]) in ("mpiexec", "mpirun")
    assert cmd[1:] == ["-n", "3", "-hosts", "a,b", sys.executable, "-m", "mpi4py", str(script), "--lr", "0.1"]
    with pytest.raises(SystemExit):
        run.main(["-n", "2", str(tmp_path / "missing.py")])
    with pytest.raises(SystemExit):
        run.main(["-n", "0", str(script)])


def test_launcher_splits_the_cores_between_ranks_on_one_machine(monkeypatch, capsys):
    from autograd import threads
    from autograd.distributed import run

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    monkeypatch.setattr(threads, "_cores", lambda: 16)
    assert run.rank_environment(4)["OMP_NUM_THREADS"] == "4"
    assert "OMP_NUM_THREADS=4" in capsys.readouterr().err
    assert run.rank_environment(32)["OMP_NUM_THREADS"] == "1"
    assert "OMP_NUM_THREADS" not in run.rank_environment(1)
    assert "OMP_NUM_THREADS" not in run.rank_environment(4, several_hosts=True)  # the layout per host is unknown
    monkeypatch.setenv("MKL_NUM_THREADS", "2")
    assert "OMP_NUM_THREADS" not in run.rank_environment(4)  # the user's own choice stands
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert run.rank_environment(4)["OMP_NUM_THREADS"] == "3"


# ---- DistributedSampler against torch.utils.data.DistributedSampler ----

@given(size=st.integers(0, 40), replicas=st.integers(1, 5), drop_last=st.booleans(), data=st.data())
def test_sampler_partitions_exactly_as_pytorch(size, replicas, drop_last, data):
    torch = pytest.importorskip("torch")
    rank = data.draw(st.integers(0, replicas - 1))
    epoch = data.draw(st.integers(0, 3))
    ours = DistributedSampler(range(size), num_replicas=replicas, rank=rank, shuffle=False, drop_last=drop_last)
    theirs = torch.utils.data.DistributedSampler(range(size), num_replicas=replicas, rank=rank, shuffle=False,
                                                 drop_last=drop_last)
    assert list(ours) == list(theirs)
    assert (len(ours), ours.num_samples, ours.total_size) == (len(theirs), theirs.num_samples, theirs.total_size)
    # shuffled: PyTorch's padding and dealing applied to our permutation (torch draws its own with its own RNG)
    sh = DistributedSampler(range(size), num_replicas=replicas, rank=rank, shuffle=True, seed=5,
                            drop_last=drop_last)
    sh.set_epoch(epoch)
    perm = np.random.default_rng(5 + epoch).permutation(size)
    positions = torch.utils.data.DistributedSampler(range(size), num_replicas=replicas, rank=rank, shuffle=False,
                                                    drop_last=drop_last)
    assert list(sh) == [int(perm[i]) for i in positions]


def test_sampler_seeding_and_epochs():
    a = DistributedSampler(range(50), num_replicas=2, rank=0, seed=1)
    b = DistributedSampler(range(50), num_replicas=2, rank=0, seed=1)
    assert list(a) == list(b) and list(a) == list(a)  # deterministic: the same on every rank and every call
    first = list(a)
    a.set_epoch(1)
    assert list(a) != first  # a new epoch, a new order
    other = DistributedSampler(range(50), num_replicas=2, rank=1, seed=1)
    other.set_epoch(1)
    assert sorted(list(a) + list(other)) == list(range(50))
    with pytest.raises(ValueError, match="Invalid rank 2"):
        DistributedSampler(range(5), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="num_replicas"):
        DistributedSampler(range(5), num_replicas=0, rank=0)


def test_digits_example_reaches_the_same_accuracy_on_one_and_two_processes():
    pytest.importorskip("sklearn")
    lines = {}
    for n in (1, 2):
        p, _ = _mpi_job([sys.executable, "-m", "autograd.distributed.run", "-n", str(n),
                         os.path.join(ROOT, "examples", "ddp_digits.py"), "--epochs", "2"])
        assert p.returncode == 0, p.stdout + p.stderr
        lines[n] = [ln for ln in p.stdout.splitlines() if "test accuracy" in ln or "train loss" in ln]
    acc = {n: lines[n][-1].split("test accuracy ")[1].split(" (")[0] for n in lines}
    assert acc[1] == acc[2] and float(acc[1]) > 0.85, lines
    assert lines[1][:-1] == lines[2][:-1], lines  # the same mean training loss, epoch by epoch
