"""``Parameter``: a leaf Tensor that a Module registers as trainable when assigned as an attribute."""

from __future__ import annotations

import numpy as np

import autograd
from autograd import dtypes
from autograd.serialization import register_parameter_type
from autograd.tensor import Tensor


def _shared(data) -> Tensor:
    """A graph-free tensor sharing ``data``'s memory (and version counter, when ``data`` is a Tensor)."""
    if data is None:
        return autograd.from_numpy(np.empty(0, dtype=np.float32))
    if isinstance(data, Tensor):
        return data.detach()
    return autograd.from_numpy(np.asarray(data))


class Parameter(Tensor):
    """A Tensor that requires grad (by default) and is registered by ``Module.__setattr__``.

    ``Parameter(t)`` shares ``t``'s memory and version counter, as in PyTorch.
    """

    __slots__ = ()

    def __new__(cls, data=None, requires_grad: bool = True) -> Parameter:
        p = _shared(data).as_subclass(cls)
        if requires_grad:
            p.requires_grad_(True)
        return p

    def __init__(self, *args, **kwargs) -> None:
        """Everything is done in ``__new__`` (``Tensor.__init__`` would copy the data)."""

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo: dict) -> Parameter:
        """A Parameter with a copy of the data, the same ``requires_grad`` (and a copy of ``grad``), as torch."""
        if id(self) in memo:
            return memo[id(self)]
        out = Parameter.__new__(type(self), self.numpy().copy(), self.requires_grad)
        if self.grad is not None:
            out.grad = autograd.from_numpy(self.grad.numpy().copy())
        memo[id(self)] = out
        return out

    def __reduce_ex__(self, proto):
        raise TypeError("Parameters are saved with autograd.save(module.state_dict(), path), not pickled")


register_parameter_type(Parameter)  # loading a checkpoint rebuilds saved parameters as this class


class Buffer(Tensor):
    """A Tensor that ``Module.__setattr__`` registers as a buffer (``self.running = nn.Buffer(t)``), as
    ``torch.nn.Buffer``; ``persistent=False`` keeps it out of ``state_dict``. Shares ``data``'s memory."""

    __slots__ = ("persistent",)

    def __new__(cls, data=None, *, persistent: bool = True) -> Buffer:
        b = _shared(data).as_subclass(cls)
        if isinstance(data, Tensor) and data.requires_grad:
            b.requires_grad_(True)
        b.persistent = persistent
        return b

    def __init__(self, *args, **kwargs) -> None:
        """Everything is done in ``__new__`` (``Tensor.__init__`` would copy the data)."""


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet (of a lazy module such as ``LazyLinear``): it holds no data
    until ``materialize(shape)`` gives it an (uninitialised) array and turns it into a plain ``Parameter``,
    keeping its identity (so an optimizer built before the first forward still holds it)."""

    __slots__ = ()

    def __new__(cls, requires_grad: bool = True, device=None, dtype=None) -> UninitializedParameter:
        d = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
        return super().__new__(cls, np.empty(0, dtype=d), requires_grad)

    def materialize(self, shape, device=None, dtype=None) -> None:
        d = dtypes.as_dtype(dtype) if dtype is not None else self.dtype
        self.data = autograd.empty(tuple(shape), dtype=d)
        self.__class__ = Parameter

    def __repr__(self) -> str:
        return "<UninitializedParameter>"


def is_lazy(param) -> bool:
    return isinstance(param, UninitializedParameter)
