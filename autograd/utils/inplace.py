"""In-place application of an out-of-place function, for layers that offer ``inplace=True``.

``apply_inplace(x, fn, *args)`` computes ``fn(x, *args)`` and writes the result into ``x``'s memory, with the
bookkeeping an in-place op needs: ``x``'s version counter is bumped (ops that saved ``x`` refuse a stale
backward), and while a graph is recorded ``x`` takes the new result's place in it (a view's base too), as
PyTorch's in-place ops do. A leaf that requires grad cannot be changed in place while recording, as in PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable

from .._inplace import apply as _apply
from ..tensor import Tensor

__all__ = ["apply_inplace"]


def apply_inplace(x: Tensor, fn: Callable[..., Tensor], *args, **kwargs) -> Tensor:
    """x <- fn(x, *args, **kwargs), in x's memory; returns x"""
    return _apply(x, fn, *args, **kwargs)
