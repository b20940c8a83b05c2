"""The default process group: MPI's world communicator, as ``torch.distributed``'s process group.

mpi4py is imported only here, on first use, so that nothing of MPI loads unless distributed training is asked
for. Rank and world size come from MPI (``mpiexec -n N``); a plain ``python script.py`` is a world of one.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import traceback

INSTALL_HINT = 'pip install "numbagrad[distributed]"'
_NOT_INIT = (
    "Default process group has not been initialized, please make sure to call init_process_group() "
    "(autograd.distributed.init_process_group(backend='mpi')) first"
)

# comm: a duplicate of MPI.COMM_WORLD (our traffic never meets the user's own mpi4py messages); pid: the process
# that created it (a forked child keeps rank and size but must not talk through its parent's communicator)
_state: dict = {"comm": None, "rank": -1, "size": -1, "pid": None, "prev_hook": None}


def is_available() -> bool:
    """True when the MPI backend can be used (mpi4py is installed)."""
    return importlib.util.find_spec("mpi4py") is not None


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise RuntimeError(
            f"autograd.distributed needs mpi4py and an MPI library ({e}); install them with: {INSTALL_HINT}"
        ) from None
    return MPI


def _abort_on_exception(exc_type, exc, tb) -> None:
    """An uncaught exception on one rank ends every rank (MPI_Abort) instead of leaving the others blocked in a
    collective that never completes."""
    traceback.print_exception(exc_type, exc, tb)
    sys.stderr.flush()
    sys.stdout.flush()
    comm = _state["comm"]
    if comm is not None and _state["pid"] == os.getpid() and _state["size"] > 1:
        print(f"[rank {_state['rank']}] uncaught {exc_type.__name__}: aborting all {_state['size']} processes",
              file=sys.stderr, flush=True)
        _mpi().COMM_WORLD.Abort(1)


def init_process_group(backend: str | None = None, init_method: str | None = None, timeout=None,
                       world_size: int = -1, rank: int = -1, **kwargs) -> None:
    """Join the job started by ``mpiexec -n N`` (``backend`` "mpi" or None: MPI is the only backend)."""
    if backend is not None and str(backend).lower() != "mpi":
        raise ValueError(
            f"backend {backend!r} is not available: this library's only backend is 'mpi' (pass backend='mpi' "
            "or None and start the processes with mpiexec or python -m autograd.distributed.run)"
        )
    if init_method not in (None, "env://"):
        raise ValueError(f"init_method {init_method!r} is not supported: MPI finds its peers through mpiexec")
    if is_initialized():
        raise RuntimeError("trying to initialize the default process group twice!")
    MPI = _mpi()
    comm = MPI.COMM_WORLD.Dup()
    size, me = comm.Get_size(), comm.Get_rank()
    if world_size not in (-1, None) and world_size != size:
        comm.Free()
        raise ValueError(f"world_size={world_size} but mpiexec started {size} processes; omit world_size or "
                         f"launch with -n {world_size}")
    if rank not in (-1, None) and rank != me:
        comm.Free()
        raise ValueError(f"rank={rank} but MPI gave this process rank {me}; omit rank (MPI assigns it)")
    _state.update(comm=comm, rank=me, size=size, pid=os.getpid(), prev_hook=sys.excepthook)
    sys.excepthook = _abort_on_exception


def is_initialized() -> bool:
    return _state["comm"] is not None


def _require() -> None:
    if _state["comm"] is None:
        raise RuntimeError(_NOT_INIT)


def _comm():
    """The communicator, for a collective: initialized, and in the process that created it."""
    _require()
    if _state["pid"] != os.getpid():
        raise RuntimeError("collectives cannot run in a forked child process (a DataLoader worker?): only the "
                           "process that called init_process_group may communicate")
    return _state["comm"]


def get_rank(group=None) -> int:
    _require()
    return _state["rank"]


def get_world_size(group=None) -> int:
    _require()
    return _state["size"]


def get_backend(group=None) -> str:
    _require()
    return "mpi"


def destroy_process_group(group=None) -> None:
    """Leave the process group (MPI itself is finalized by mpi4py at exit)."""
    _require()
    comm = _state["comm"]
    if _state["pid"] == os.getpid():
        comm.Free()
    if sys.excepthook is _abort_on_exception:
        sys.excepthook = _state["prev_hook"] or sys.__excepthook__
    _state.update(comm=None, rank=-1, size=-1, pid=None, prev_hook=None)
