"""``autograd.distributed``: processes that train together, spelled as ``torch.distributed``, over MPI.

Start N processes with ``python -m autograd.distributed.run -n N script.py`` (or ``mpiexec -n N python
script.py``); each calls ``init_process_group()``. mpi4py is imported only when a function here needs it.
"""

from .collectives import ReduceOp, Work, all_gather, all_reduce, barrier, broadcast
from .group import (
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
)

__all__ = ["ReduceOp", "Work", "all_gather", "all_reduce", "barrier", "broadcast", "destroy_process_group",
           "get_backend", "get_rank", "get_world_size", "init_process_group", "is_available", "is_initialized"]
