"""Collectives on Tensors, in place, over the default process group: ``barrier``, ``all_reduce``, ``broadcast``,
``all_gather`` (as ``torch.distributed``). ``async_op=True`` returns a ``Work`` whose ``wait()`` completes it."""

from __future__ import annotations

import enum

import numpy as np

from ..tensor import Tensor
from .group import _comm, _mpi, get_world_size


class ReduceOp(enum.Enum):
    """How ``all_reduce`` combines the ranks' tensors, elementwise."""

    SUM = "sum"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"


# bool tensors travel as uint8: a sum of bools is their logical or, a product their logical and
_BOOL_OP = {ReduceOp.SUM: ReduceOp.MAX, ReduceOp.PRODUCT: ReduceOp.MIN, ReduceOp.MIN: ReduceOp.MIN,
            ReduceOp.MAX: ReduceOp.MAX}
_SUPPORTED = frozenset("fdbhilqBHILQ")  # numpy type codes with an MPI datatype


class Work:
    """A pending collective; ``wait()`` blocks until it has completed and its result is in the tensor."""

    def __init__(self, request, finish=None) -> None:
        self._request = request
        self._finish = finish
        self._done = request is None

    def is_completed(self) -> bool:
        """Test (and so progress) the communication without blocking."""
        if not self._done and self._request.Test():
            self._complete()
        return self._done

    def wait(self, timeout=None) -> bool:
        if not self._done:
            self._request.Wait()
            self._complete()
        return True

    def _complete(self) -> None:
        self._done = True
        if self._finish is not None:
            self._finish()
            self._finish = None


def _check(tensor, what: str) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{what} expects a Tensor, got {type(tensor).__name__}")
    return tensor


def _buffer(tensor: Tensor):
    """The array MPI reads and writes, and a function that puts its content back into ``tensor``."""
    arr = tensor._data
    if arr.dtype == np.bool_:
        buf = arr.astype(np.uint8)
    elif arr.dtype.char not in _SUPPORTED:
        raise TypeError(f"collectives support float32/float64 and integer tensors; got dtype {arr.dtype} "
                        "(convert it with .to(autograd.float32) first)")
    elif arr.flags.c_contiguous and arr.flags.writeable:
        buf = arr
    else:
        buf = np.ascontiguousarray(arr)

    def finish() -> None:
        if buf is not arr:
            arr[...] = buf.astype(arr.dtype, copy=False)
        tensor._version[0] += 1

    return buf, finish


def _run(request, finish, async_op: bool):
    work = Work(request, finish)
    if async_op:
        return work
    work.wait()
    return None


def barrier(group=None, async_op: bool = False, device_ids=None):
    """Block until every rank has reached this call."""
    comm = _comm()
    if async_op:
        return Work(comm.Ibarrier())
    comm.Barrier()
    return None


def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group=None, async_op: bool = False):
    """tensor <- op(tensor of rank 0, ..., tensor of rank N-1), on every rank, in place."""
    _check(tensor, "all_reduce")
    if not isinstance(op, ReduceOp):
        raise ValueError(f"op must be a ReduceOp (SUM, PRODUCT, MIN, MAX), got {op!r}")
    comm = _comm()
    MPI = _mpi()
    if tensor._data.dtype == np.bool_:
        op = _BOOL_OP[op]
    mpi_op = {ReduceOp.SUM: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD, ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX}[op]
    buf, finish = _buffer(tensor)
    if buf.size == 0:
        return _run(None, finish, async_op)
    if async_op:
        return Work(comm.Iallreduce(MPI.IN_PLACE, buf, mpi_op), finish)
    comm.Allreduce(MPI.IN_PLACE, buf, mpi_op)
    finish()
    return None


def _check_src(src: int, name: str = "src") -> None:
    n = get_world_size()
    if not isinstance(src, (int, np.integer)) or not 0 <= src < n:
        raise ValueError(f"{name}={src!r} is not a rank of this group: it must be an int in [0, {n - 1}]")


def broadcast(tensor: Tensor, src: int, group=None, async_op: bool = False):
    """tensor <- tensor of rank ``src``, on every rank, in place."""
    _check(tensor, "broadcast")
    comm = _comm()
    _check_src(src)
    buf, finish = _buffer(tensor)
    if buf.size == 0:
        return _run(None, finish, async_op)
    if async_op:
        return Work(comm.Ibcast(buf, root=int(src)), finish)
    comm.Bcast(buf, root=int(src))
    finish()
    return None


def all_gather(tensor_list: list, tensor: Tensor, group=None, async_op: bool = False):
    """tensor_list[i] <- tensor of rank i, on every rank (each entry filled in place)."""
    _check(tensor, "all_gather")
    comm = _comm()
    n = get_world_size()
    if not isinstance(tensor_list, (list, tuple)) or len(tensor_list) != n:
        got = len(tensor_list) if isinstance(tensor_list, (list, tuple)) else type(tensor_list).__name__
        raise ValueError(f"all_gather: tensor_list must be a list of world_size={n} tensors, got {got}")
    for i, t in enumerate(tensor_list):
        _check(t, f"all_gather (tensor_list[{i}])")
        if t.shape != tensor.shape or t.dtype != tensor.dtype:
            raise ValueError(f"all_gather: tensor_list[{i}] has shape {tuple(t.shape)} and dtype {t.dtype}; every "
                             f"entry must match the input's shape {tuple(tensor.shape)} and dtype {tensor.dtype}")
    send, _ = _buffer(tensor)
    recv = np.empty((n,) + send.shape, send.dtype)

    def finish() -> None:
        for t, part in zip(tensor_list, recv):
            t._data[...] = part.astype(t._data.dtype, copy=False)
            t._version[0] += 1

    if send.size == 0:
        return _run(None, finish, async_op)
    if async_op:
        return Work(comm.Iallgather(send, recv), finish)
    comm.Allgather(send, recv)
    finish()
    return None
