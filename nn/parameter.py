"""``Parameter``: a leaf Tensor that a Module registers as trainable when assigned as an attribute."""

from __future__ import annotations

import numpy as np

from autograd.serialization import register_parameter_type
from autograd.tensor import Tensor, _init, _make


class Parameter(Tensor):
    """A Tensor that requires grad (by default) and is registered by ``Module.__setattr__``.

    ``Parameter(t)`` shares ``t``'s memory, as in PyTorch.
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad: bool = True) -> None:
        if data is None:
            arr = np.empty(0, dtype=np.float32)
        elif isinstance(data, Tensor):
            arr = data._data
        else:
            arr = np.asarray(data)
        _init(self, arr, False, None)
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo: dict) -> Parameter:
        """A Parameter with a copy of the data, the same ``requires_grad`` (and a copy of ``grad``), as torch."""
        if id(self) in memo:
            return memo[id(self)]
        out = type(self)(_make(self._data.copy()), self.requires_grad)
        if self._grad is not None:
            out._grad = _make(self._grad._data.copy())
        memo[id(self)] = out
        return out

    def __reduce_ex__(self, proto):
        raise TypeError("Parameters are saved with autograd.save(module.state_dict(), path), not pickled")


register_parameter_type(Parameter)  # loading a checkpoint rebuilds saved parameters as this class


class Buffer(Tensor):
    """A Tensor that ``Module.__setattr__`` registers as a buffer (``self.running = nn.Buffer(t)``), as
    ``torch.nn.Buffer``; ``persistent=False`` keeps it out of ``state_dict``. Shares ``data``'s memory."""

    __slots__ = ("persistent",)

    def __init__(self, data=None, *, persistent: bool = True) -> None:
        if data is None:
            arr = np.empty(0, dtype=np.float32)
        elif isinstance(data, Tensor):
            arr = data._data
        else:
            arr = np.asarray(data)
        _init(self, arr, False, None)
        if isinstance(data, Tensor) and data.requires_grad:
            self.requires_grad_(True)
        self.persistent = persistent


class UninitializedParameter(Parameter):
    """A parameter whose shape is not known yet (of a lazy module such as ``LazyLinear``): it holds no data
    until ``materialize(shape)`` gives it an (uninitialised) array and turns it into a plain ``Parameter``,
    keeping its identity (so an optimizer built before the first forward still holds it)."""

    __slots__ = ()

    def __init__(self, requires_grad: bool = True, device=None, dtype=None) -> None:
        from autograd import dtypes

        d = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
        super().__init__(np.empty(0, dtype=d), requires_grad)

    def materialize(self, shape, device=None, dtype=None) -> None:
        from autograd import dtypes

        d = dtypes.as_dtype(dtype) if dtype is not None else self._data.dtype
        self._data = np.empty(tuple(shape), dtype=d)
        self.__class__ = Parameter

    def __repr__(self) -> str:
        return "<UninitializedParameter>"


def is_lazy(param) -> bool:
    return isinstance(param, UninitializedParameter)
