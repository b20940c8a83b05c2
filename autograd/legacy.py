"""PyTorch's legacy constructors: ``Variable`` (a Tensor since PyTorch 0.4) and the typed ``LongTensor``,
``FloatTensor``, ... classes: ``FloatTensor(2, 3)`` is a new (2, 3) tensor, ``LongTensor([1, 2])`` one holding
the data, and ``isinstance(t, FloatTensor)`` checks the dtype."""

from __future__ import annotations

import numpy as np

from . import dtypes
from .creation import tensor
from .tensor import Tensor, _shape_args


def Variable(data, requires_grad: bool = False, volatile: bool = False) -> Tensor:  # noqa: N802 - PyTorch's name
    """The tensor itself (``Variable`` and ``Tensor`` merged in PyTorch 0.4), with ``requires_grad`` set if asked."""
    if not isinstance(data, Tensor):
        raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
    if requires_grad and not data.requires_grad:
        data.requires_grad_(True)
    return data


class _LegacyTensorType(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __call__(cls, *args, device=None):
        from ._device import require_cpu

        require_cpu(device)
        if len(args) == 1 and isinstance(args[0], (list, tuple, np.ndarray, Tensor)):  # the data itself
            if isinstance(args[0], Tensor) and args[0].dtype != cls.dtype:
                raise TypeError(f"expected {cls.__name__} ({dtypes_name(cls.dtype)}) but got a tensor of dtype "
                                f"{args[0].dtype}; convert with .to({dtypes_name(cls.dtype)})")
            return tensor(args[0], dtype=cls.dtype)
        from .creation import zeros

        # PyTorch leaves the values uninitialized; zeros are a valid fill
        return zeros(_shape_args(args) if args else (0,), dtype=cls.dtype)


def dtypes_name(dtype) -> str:
    from ._format import dtype_name

    return dtype_name(dtype)


def _legacy(name: str, dtype) -> type:
    return _LegacyTensorType(name, (), {"dtype": dtype, "__doc__": f"{name}(*sizes) or {name}(data): a "
                                        f"{dtype} tensor (PyTorch's legacy constructor)."})


FloatTensor = _legacy("FloatTensor", dtypes.float32)
DoubleTensor = _legacy("DoubleTensor", dtypes.float64)
HalfTensor = _legacy("HalfTensor", dtypes.float16)
LongTensor = _legacy("LongTensor", dtypes.int64)
IntTensor = _legacy("IntTensor", dtypes.int32)
ShortTensor = _legacy("ShortTensor", dtypes.int16)
CharTensor = _legacy("CharTensor", dtypes.int8)
ByteTensor = _legacy("ByteTensor", dtypes.uint8)
BoolTensor = _legacy("BoolTensor", dtypes.bool)
