"""``python -m autograd.distributed.run -n N [--hosts H1,H2 | --hostfile F] SCRIPT [ARGS...]``: start N copies of
SCRIPT through MPI's ``mpiexec`` (mpich from ``pip install "numbagrad[distributed]"``, or the system's).

It runs ``mpiexec -n N python -m mpi4py SCRIPT ARGS``: mpi4py's runner aborts the whole job when one process
ends with an uncaught exception or a non-zero ``sys.exit``. Ranks that share this machine split its cores
(``rank_environment``)."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys

from .group import INSTALL_HINT


def find_mpiexec() -> str:
    """The ``mpiexec`` beside this Python (a virtual environment's, where pip's mpich puts it), else on PATH."""
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.path.isfile(here) and os.access(here, os.X_OK):
        return here
    found = shutil.which("mpiexec") or shutil.which("mpirun")
    if found is None:
        raise FileNotFoundError(f"no mpiexec found next to {sys.executable} or on PATH; install one with: "
                                f"{INSTALL_HINT}")
    return found


def command(nproc: int, script: list, hosts: str | None = None, hostfile: str | None = None) -> list:
    """The mpiexec command line that runs ``script`` (path and arguments) on ``nproc`` processes."""
    cmd = [find_mpiexec(), "-n", str(nproc)]
    if hosts:
        cmd += ["-hosts", hosts]
    if hostfile:
        cmd += ["-f", hostfile]
    # mpi4py's runner calls MPI_Abort when the script dies of an exception or sys.exit(nonzero), so one failing
    # rank ends the job instead of leaving the others waiting in a collective
    return cmd + [sys.executable, "-m", "mpi4py", *script]


def main(argv: list | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m autograd.distributed.run", description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--nproc", "--nproc-per-node", "--nproc_per_node", dest="nproc", type=int, default=1,
                    help="number of processes (default 1)")
    ap.add_argument("--hosts", help="comma-separated host names for mpiexec -hosts (several machines)")
    ap.add_argument("--hostfile", help="an MPI host file for mpiexec -f (several machines)")
    ap.add_argument("script", help="the Python script every process runs")
    ap.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the script")
    a = ap.parse_args(argv)
    if a.nproc < 1:
        ap.error(f"-n must be at least 1, got {a.nproc}")
    if not os.path.isfile(a.script):
        ap.error(f"script {a.script!r} not found")
    try:
        cmd = command(a.nproc, [a.script, *a.args], a.hosts, a.hostfile)
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return subprocess.call(cmd, env=rank_environment(a.nproc, several_hosts=bool(a.hosts or a.hostfile)))


def rank_environment(nproc: int, several_hosts: bool = False) -> dict:
    """The environment the ranks start with: this one, and where N ranks share this machine and neither
    ``OMP_NUM_THREADS`` nor ``MKL_NUM_THREADS`` is set, ``OMP_NUM_THREADS`` = cores // N, so that the ranks split
    the cores instead of each taking all of them (torchrun sets it to 1 for the same reason)."""
    env = dict(os.environ)
    if nproc > 1 and not several_hosts and "OMP_NUM_THREADS" not in env and "MKL_NUM_THREADS" not in env:
        from ..threads import _cores

        env["OMP_NUM_THREADS"] = str(max(1, _cores() // nproc))
        print(f"note: {nproc} processes share this machine's {_cores()} cores: OMP_NUM_THREADS="
              f"{env['OMP_NUM_THREADS']} for each (set OMP_NUM_THREADS to choose another count)", file=sys.stderr)
    return env


if __name__ == "__main__":
    sys.exit(main())
