"""In-place ops: write the result into the tensor's own memory, bump its version, rebase its graph node.

An in-place op with autograd is recorded as the out-of-place op applied to a snapshot of the old value; the
tensor then takes the new node as its ``grad_fn``. Ops that saved the tensor earlier see its version change
and refuse to backward with stale values (PyTorch's rule).

In place on a *view* (``x[0] += 1``, ``x.view(-1).mul_(2)``) also changes its base, so the base is rebased
too, as PyTorch's CopySlices does: its new value is the old base with the view's elements replaced by the
view's new value (``CopySlices``, the elements located by their flat positions in the base's memory).
"""

from __future__ import annotations

import numpy as np

from .function import Op
from .grad_mode import _mode, no_grad
from .tensor import Tensor, _make


def _tracked(self: Tensor, args) -> bool:
    if not _mode.enabled:
        return False
    if self._requires_grad:
        return True
    return any(isinstance(a, Tensor) and a._requires_grad for a in args)


class CopySlices(Op):
    """``base`` with the elements at flat positions ``index`` replaced by ``src``;
    d/dbase = g with those positions zeroed, d/dsrc = g at those positions"""

    @staticmethod
    def forward(ctx, base, index, src):
        ctx.index = index
        out = base.copy()
        out.reshape(-1)[index] = src
        return out

    @staticmethod
    def backward(ctx, g):
        g_base = CopySlices.apply(g, ctx.index, 0.0) if ctx.needs_input_grad[0] else None
        g_src = g.reshape(-1)[_make(ctx.index)] if ctx.needs_input_grad[2] else None
        return g_base, None, g_src


def _flat_index(view: np.ndarray, base: np.ndarray) -> np.ndarray | None:
    """For each element of ``view``, its flat position in ``base`` (None unless base is C-contiguous)."""
    if not base.flags.c_contiguous:
        return None
    item = base.itemsize
    offset = view.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    if offset % item or any(s % item for s in view.strides):
        return None
    positions = np.arange(base.size, dtype=np.int64)[offset // item:]
    strides = tuple(s // item * positions.itemsize for s in view.strides)
    return np.lib.stride_tricks.as_strided(positions, view.shape, strides).copy()


def _snapshot(t: Tensor) -> Tensor:
    """The tensor's current value and graph position, in memory of its own."""
    old = _make(t._data.copy(), t._requires_grad, t.grad_fn)
    old._out_idx = t._out_idx
    return old


def _rebase(t: Tensor, new: Tensor) -> None:
    if new.grad_fn is not None:
        t.grad_fn, t._out_idx, t._requires_grad = new.grad_fn, new._out_idx, True


def _record(self: Tensor, compute, what: str) -> Tensor:
    """Record ``self = compute(old self)`` in the graph and write the result into ``self``'s memory."""
    if self.grad_fn is None and self._requires_grad:
        raise RuntimeError(
            f"a leaf Variable that requires grad is being used in an in-place operation ({what}); "
            "wrap it in `with autograd.no_grad():` or modify `.data`"
        )
    base = self._base
    if base is None:
        res = compute(_snapshot(self))
        write(self, res._data, what)
        _rebase(self, res)
        return self
    if base.grad_fn is None and base._requires_grad:
        raise RuntimeError(
            f"a view of a leaf Variable that requires grad is being used in an in-place operation ({what})"
        )
    index = _flat_index(self._data, base._data)
    if index is None:
        raise RuntimeError(
            f"{what}: in-place change of a view whose base is not contiguous is not supported while recording "
            "gradients; clone() the view first"
        )
    res = compute(_snapshot(self))
    new_base = CopySlices.apply(_snapshot(base), index, res)
    write(self, res._data, what)
    _rebase(base, new_base)
    _rebase(self, res)
    return self


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
    return _record(self, lambda old: fn(old, *args, **kwargs), what)


def copy_(self: Tensor, src) -> Tensor:
    """Copy ``src`` (broadcast, cast) into ``self``; the gradient flows to ``src``, none to the old value."""
    from .ops import elementwise, shape

    if not isinstance(src, Tensor):
        src = _make(np.asarray(src))
    if not _tracked(self, (src,)):
        write(self, src._data, "copy_")
        return self
    return _record(self, lambda old: elementwise.clone(shape.expand(elementwise.cast(src, self.dtype), self.shape)),
                   "copy_")


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
