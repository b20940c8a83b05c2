"""``autograd.graph`` (``torch.autograd.graph``): the graph's bookkeeping that code outside the engine may touch.

A tensor carries a version counter: every in-place op adds one, and a backward that saved the tensor compares the
count with the one it saved, so it raises instead of using values that changed under it. Code that writes a
tensor's memory directly (through ``Tensor.numpy()``, e.g. an optimizer's fused update) tells the engine with
``increment_version``.
"""

from __future__ import annotations

from collections.abc import Iterable

from .tensor import Tensor

__all__ = ["increment_version"]


def increment_version(tensor: Tensor | Iterable[Tensor]) -> None:
    """Mark ``tensor`` (or each tensor of an iterable) as modified in place: its version counter, shared with its
    ``detach()``-ed views, goes up by one. The library's in-place ops do this themselves; call it after writing
    through ``Tensor.numpy()``. Counting one write twice is harmless."""
    if isinstance(tensor, Tensor):
        tensor._version[0] += 1
        return
    for t in tensor:
        t._version[0] += 1
