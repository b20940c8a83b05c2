"""In-place ops: write the result into the tensor's own memory, bump its version, rebase its graph node.

An in-place op with autograd is recorded as the out-of-place op applied to a snapshot of the old value; the
tensor then takes the new node as its ``grad_fn``. Ops that saved the tensor earlier see its version change
and refuse to backward with stale values (PyTorch's rule).
"""

from __future__ import annotations

import numpy as np

from .grad_mode import _mode, no_grad
from .tensor import Tensor, _make


def _tracked(self: Tensor, args) -> bool:
    if not _mode.enabled:
        return False
    if self._requires_grad:
        return True
    return any(isinstance(a, Tensor) and a._requires_grad for a in args)


def _check_can_modify(self: Tensor, what: str) -> None:
    if self.grad_fn is None and self._requires_grad:
        raise RuntimeError(
            f"a leaf Variable that requires grad is being used in an in-place operation ({what}); "
            "wrap it in `with autograd.no_grad():` or modify `.data`"
        )
    if self._base is not None:
        raise RuntimeError(
            f"{what}: in-place modification of a view of another tensor is not supported while recording "
            "gradients; use an out-of-place op, or clone() the view first"
        )


def write(self: Tensor, result: np.ndarray, what: str) -> None:
    """Copy ``result`` into ``self``'s memory, checking dtype and shape as PyTorch does."""
    dst = self._data
    if result.dtype != dst.dtype and not np.can_cast(result.dtype, dst.dtype, "same_kind"):
        raise RuntimeError(f"{what}: result type {result.dtype} can't be cast to the desired output type {dst.dtype}")
    if result.shape != dst.shape:
        if not _broadcasts_to(result.shape, dst.shape):
            raise RuntimeError(
                f"{what}: output with shape {list(dst.shape)} doesn't match the broadcast shape "
                f"{list(result.shape)}"
            )
    if not dst.flags.writeable:
        raise RuntimeError(f"{what}: this tensor is a read-only view (from expand/broadcast_to); clone() it first")
    np.copyto(dst, result, casting="unsafe")
    self._version[0] += 1


def _broadcasts_to(shape, target) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        return False


def apply(self: Tensor, fn, *args, **kwargs) -> Tensor:
    """``self.<op>_(*args)``: compute ``fn(self, *args)`` and store it in ``self``."""
    what = getattr(fn, "__name__", "op") + "_"
    if not _tracked(self, args):
        with no_grad():
            res = fn(self, *args, **kwargs)
        write(self, res._data, what)
        return self
    _check_can_modify(self, what)
    old = _make(self._data.copy(), self._requires_grad, self.grad_fn)
    old._out_idx = self._out_idx
    res = fn(old, *args, **kwargs)
    write(self, res._data, what)
    if res.grad_fn is not None:
        self.grad_fn, self._out_idx, self._requires_grad = res.grad_fn, res._out_idx, True
    return self


def copy_(self: Tensor, src) -> Tensor:
    """Copy ``src`` (broadcast, cast) into ``self``; the gradient flows to ``src``, none to the old value."""
    from .ops import elementwise, shape

    if not isinstance(src, Tensor):
        src = _make(np.asarray(src))
    if not _tracked(self, (src,)):
        write(self, src._data, "copy_")
        return self
    _check_can_modify(self, "copy_")
    res = elementwise.clone(shape.expand(elementwise.cast(src, self.dtype), self.shape))
    write(self, res._data, "copy_")
    self.grad_fn, self._out_idx, self._requires_grad = res.grad_fn, res._out_idx, res._requires_grad
    return self


def fill_(self: Tensor, value) -> Tensor:
    """Fill with ``value``; when recording, the old value gets a zero gradient."""
    from .ops import elementwise

    if not _tracked(self, (value,)):
        if isinstance(value, Tensor):
            value = value.item()
        self._data.fill(value)
        self._version[0] += 1
        return self
    cond = _make(np.ones(self.shape, dtype=bool))
    return apply(self, lambda old: elementwise.where(cond, value, old))
