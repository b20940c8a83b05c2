"""``autograd.graph``: the graph's bookkeeping that code outside the engine may touch (``torch.autograd.graph``)."""

from __future__ import annotations

from collections.abc import Iterable

from .tensor import Tensor

__all__ = ["increment_version"]


def increment_version(tensor: Tensor | Iterable[Tensor]) -> None:
    """Record that ``tensor`` (or each tensor of an iterable) was modified in place, as every in-place op does.

    For writes the engine cannot see, made through the array of ``Tensor.numpy()``: a backward that saved the
    tensor's old value then raises instead of using the changed one.
    """
    for t in (tensor,) if isinstance(tensor, Tensor) else tensor:
        t._version[0] += 1
