"""Numbers and dtype facts PyTorch programs read: ``inf``, ``nan``, ``pi``, ``e``, ``finfo``, ``iinfo``,
``is_tensor``, ``is_floating_point``, ``Size``, and the unsupported ``bfloat16``."""

from __future__ import annotations

import math

import numpy as np

from . import dtypes

inf = math.inf
nan = math.nan
pi = math.pi
e = math.e
newaxis = None


def _short_name(dtype: np.dtype) -> str:
    return {dtypes.float32: "float32", dtypes.float64: "float64", dtypes.float16: "float16"}.get(dtype, str(dtype))


class finfo:  # noqa: N801 - PyTorch's spelling
    """Machine limits of a floating dtype (default: the default dtype): ``bits eps max min tiny smallest_normal
    resolution dtype``, as Python numbers like PyTorch's."""

    def __init__(self, type=None) -> None:  # noqa: A002 - PyTorch's argument name
        d = dtypes.get_default_dtype() if type is None else dtypes.as_dtype(type)
        if d.kind != "f":
            raise TypeError(f"finfo() requires a floating point dtype, got {d}; use iinfo() for integer dtypes")
        info = np.finfo(d)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)
        self.dtype = _short_name(d)

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:  # noqa: N801 - PyTorch's spelling
    """Limits of an integer dtype: ``bits max min dtype``."""

    def __init__(self, type) -> None:  # noqa: A002 - PyTorch's argument name
        d = dtypes.as_dtype(type)
        if d.kind not in "iub":
            raise TypeError(f"iinfo() requires an integer dtype, got {d}; use finfo() for floating point dtypes")
        info = np.iinfo(np.uint8 if d.kind == "b" else d)
        self.bits, self.max, self.min, self.dtype = int(info.bits), int(info.max), int(info.min), str(d)

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


def is_tensor(obj) -> bool:
    """Whether ``obj`` is a Tensor."""
    from .tensor import Tensor

    return isinstance(obj, Tensor)


def is_floating_point(input) -> bool:  # noqa: A002 - PyTorch's argument name
    return input.is_floating_point()


def numel(input) -> int:  # noqa: A002
    return input.numel()


class Size(tuple):
    """A tensor's shape: a tuple of ints (``Size([2, 3])``) with ``numel()``."""

    def __new__(cls, sizes=()):
        return super().__new__(cls, (int(s) for s in sizes))

    def numel(self) -> int:
        return math.prod(self)

    def __repr__(self) -> str:
        return f"autograd.Size({list(self)})"

    def __getitem__(self, i):
        out = super().__getitem__(i)
        return Size(out) if isinstance(i, slice) else out


class _UnsupportedDtype:
    """A dtype name PyTorch has and this library does not compute in; any use raises, naming the way out."""

    def __init__(self, name: str, why: str) -> None:
        self.name, self.why = name, why

    def __repr__(self) -> str:
        return f"autograd.{self.name} (not supported by numbagrad: {self.why})"


bfloat16 = _UnsupportedDtype("bfloat16", "numpy has no bfloat16 arithmetic; use float32 or float16")
