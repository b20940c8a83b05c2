"""Padding layers, as ``torch.nn``: ``ZeroPad1d/2d``, ``ConstantPad1d/2d``, ``ReflectionPad1d/2d``,
``ReplicationPad1d/2d``, ``CircularPad1d/2d``: ``F.pad`` of the last 1 or 2 dims with a fixed ``padding``
(an int for every side, or (left, right[, top, bottom]))."""

from __future__ import annotations

from autograd.tensor import Tensor

from .. import functional as F
from ..module import Module

__all__ = [
    "ZeroPad1d", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "ReflectionPad1d", "ReflectionPad2d",
    "ReplicationPad1d", "ReplicationPad2d", "CircularPad1d", "CircularPad2d",
]


class _PadNd(Module):
    _dims = 1
    _pad_mode = "constant"

    def __init__(self, padding, value: float = 0.0) -> None:
        super().__init__()
        n = 2 * self._dims
        if isinstance(padding, int):
            padding = (padding,) * n
        padding = tuple(int(p) for p in padding)
        if len(padding) != n:
            raise ValueError(f"{type(self).__name__}: padding must be an int or a tuple of {n} ints, got {padding}")
        self.padding = padding
        self.value = value

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if self._pad_mode == "constant":
            return F.pad(input, self.padding, "constant", self.value)
        return F.pad(input, self.padding, self._pad_mode)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}" if self._pad_mode == "constant" else f"{self.padding}"


class ConstantPad1d(_PadNd):
    """Pad the last dim with ``value``."""

    def __init__(self, padding, value: float) -> None:
        super().__init__(padding, value)


class ConstantPad2d(ConstantPad1d):
    """Pad the last two dims with ``value``."""

    _dims = 2


class ZeroPad1d(ConstantPad1d):
    """Pad the last dim with zeros."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ZeroPad1d):
    """Pad the last two dims with zeros."""

    _dims = 2


class ReflectionPad1d(_PadNd):
    """Pad the last dim with its reflection (the edge not repeated)."""

    _pad_mode = "reflect"


class ReflectionPad2d(ReflectionPad1d):
    _dims = 2


class ReplicationPad1d(_PadNd):
    """Pad the last dim by repeating its edge value."""

    _pad_mode = "replicate"


class ReplicationPad2d(ReplicationPad1d):
    _dims = 2


class CircularPad1d(_PadNd):
    """Pad the last dim by wrapping around."""

    _pad_mode = "circular"


class CircularPad2d(CircularPad1d):
    _dims = 2
