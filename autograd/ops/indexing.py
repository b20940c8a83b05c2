"""Indexing ops: ``x[idx]``, ``x[idx] = v``, gather/scatter, index_select, masked ops, sort/topk, nonzero.

An index is normalised once (``_normalize``) into a *basic* part (ints, slices, None, Ellipsis; applied first,
a numpy view) and an optional *advanced* part (integer/bool arrays, applied to that view). Applying ints first
is what PyTorch does, and is where it differs from numpy: ``x[0, :, [1, 2]]`` has shape (3, 2), not (2, 3).

Backward of indexing writes the gradient into zeros: basic indices by assignment, advanced ones by scatter-add
(``autograd.kernels.scatter``) so repeated indices accumulate. That backward is itself an op whose backward
is indexing again, so ``create_graph=True`` works through any index.
"""

from __future__ import annotations

import operator
from collections import namedtuple

import numpy as np

from .. import _inplace
from ..function import Op
from ..grad_mode import _mode
from ..kernels import scatter as K
from ..tensor import Tensor, _make
from . import elementwise as E
from .shape import ConstantPad, _view_op, canonical_dim, expand, reshape

__all__: list[str] = [
    "getitem", "setitem", "gather", "scatter", "scatter_add", "index_select", "masked_fill", "masked_select",
    "take_along_dim", "topk", "sort", "argsort", "nonzero", "select",
]

topk_result = namedtuple("topk", ["values", "indices"])
sort_result = namedtuple("sort", ["values", "indices"])


# ---- index normalisation ----
def _index_array(item) -> object:
    """An index item as numpy would take it: ints stay ints, tensors/lists become int64 or bool arrays."""
    if isinstance(item, Tensor):
        item = item._data
    elif isinstance(item, (list, tuple)):
        item = np.asarray([i._data if isinstance(i, Tensor) else i for i in item]) if item else np.zeros(0, np.int64)
    if isinstance(item, np.ndarray):
        kind = item.dtype.kind
        if kind not in "iub" or (kind == "u" and item.dtype != np.uint8):
            raise IndexError(
                f"tensors used as indices must be long, int, byte or bool tensors (got dtype {item.dtype})"
            )
        if kind == "u":  # PyTorch's legacy byte masks
            item = item.astype(bool)
        if item.ndim == 0:
            return bool(item) if kind == "b" else int(item)
        return item if kind == "b" else item.astype(np.int64, copy=False)
    if isinstance(item, (bool, np.bool_)):
        return bool(item)
    if item is None or item is Ellipsis or isinstance(item, slice):
        if isinstance(item, slice):
            step = item.step
            if step is not None and operator.index(step) <= 0:
                raise ValueError("step must be greater than zero")
        return item
    try:
        return operator.index(item)
    except TypeError:
        raise IndexError(
            f"only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices "
            f"(got {type(item).__name__})"
        ) from None


def _normalize(index, shape: tuple) -> tuple:
    """``(basic, adv)``: x[index] == x[basic][adv] with PyTorch's semantics (adv is None for basic indexing)."""
    t = type(index)
    if t is int or (t is slice and (index.step is None or type(index.step) is int and index.step > 0)):
        return (index, Ellipsis), None  # the common cases, x[i] and x[a:b]
    items = index if t is tuple else (index,)
    items = [_index_array(i) for i in items]
    ndim = len(shape)
    used = sum(1 if not isinstance(i, (np.ndarray, bool)) else (i.ndim if isinstance(i, np.ndarray) and
               i.dtype == np.bool_ else (1 if isinstance(i, np.ndarray) else 0))
               for i in items if i is not None and i is not Ellipsis)
    if used > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim} (got {used} indexed dims, shape "
                         f"{list(shape)})")
    n_ell = sum(1 for i in items if i is Ellipsis)
    if n_ell > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if not any(isinstance(i, (np.ndarray, bool)) for i in items):
        if not n_ell:
            items.append(Ellipsis)  # x[1, 2, ...] is a 0-d view where x[1, 2] would be a numpy scalar
        return tuple(items), None
    basic, adv_at = [], []  # adv_at: (dim of the basic result, array, dims it covers)
    out_dim = 0
    for i in items:
        if i is Ellipsis:
            k = ndim - used
            basic.extend([slice(None)] * k)
            out_dim += k
        elif i is None:
            basic.append(None)
            out_dim += 1
        elif i is True:
            basic.append(None)
            out_dim += 1
        elif i is False:
            basic.append(None)
            adv_at.append((out_dim, np.zeros(0, np.int64), 1))
            out_dim += 1
        elif isinstance(i, np.ndarray):
            k = i.ndim if i.dtype == np.bool_ else 1
            basic.extend([slice(None)] * k)
            adv_at.append((out_dim, i, k))
            out_dim += k
        elif isinstance(i, slice):
            basic.append(i)
            out_dim += 1
        else:
            basic.append(i)
    adv, cur = [], 0
    for pos, arr, k in adv_at:
        adv.extend([slice(None)] * (pos - cur))
        adv.append(arr)
        cur = pos + k
    return tuple(basic), tuple(adv)


def _apply_index(a: np.ndarray, basic: tuple, adv, shape_for_error=None) -> np.ndarray:
    try:
        y = a[basic]
        return y if adv is None else y[adv]
    except IndexError as e:
        raise IndexError(f"{str(e).replace('axis', 'dimension')} (indexing a tensor of shape "
                         f"{list(a.shape if shape_for_error is None else shape_for_error)})") from None


class GetItem(Op):
    """x[index]: a view for basic indices, a copy for advanced ones; d/dx = g written (or scatter-added) at index"""

    is_view = True

    @staticmethod
    def forward(ctx, x, basic, adv):
        ctx.in_shape, ctx.basic, ctx.adv = x.shape, basic, adv
        return _apply_index(x, basic, adv)

    @staticmethod
    def backward(ctx, g):
        return IndexBackward.apply(g, ctx.in_shape, ctx.basic, ctx.adv), None, None


class IndexBackward(Op):
    """zeros(shape) with g at index (summing repeats); d/dg = gg[index]"""

    @staticmethod
    def forward(ctx, g, shape, basic, adv):
        ctx.basic, ctx.adv = basic, adv
        z = np.zeros(shape, g.dtype)
        if adv is None:
            z[basic] = g
        else:
            K.scatter_add(z[basic], adv, g)
        return z

    @staticmethod
    def backward(ctx, gg):
        return GetItem.apply(gg, ctx.basic, ctx.adv), None, None, None


def getitem(x: Tensor, index) -> Tensor:
    """``x[index]`` with PyTorch's semantics: basic indices give a view, advanced (tensor) indices a copy."""
    basic, adv = _normalize(index, x._data.shape)
    return _view_op(GetItem, x, basic, adv)


def select(x: Tensor, dim: int, index: int) -> Tensor:
    """x[..., index, ...] along ``dim`` (a view without that dim)."""
    d = canonical_dim(dim, x.ndim)
    n = x.shape[d]
    i = operator.index(index)
    if not -n <= i < n:
        raise IndexError(f"select(): index {i} out of range for tensor of size {list(x.shape)} at dimension {d}")
    return getitem(x, (slice(None),) * d + (i,))


# ---- assignment ----
class IndexPut(Op):
    """x[index] = v (out of place); d/dx = g with zeros at index, d/dv = g[index]"""

    @staticmethod
    def forward(ctx, x, v, basic, adv):
        ctx.basic, ctx.adv = basic, adv
        out = x.copy()
        _assign(out, basic, adv, v)
        return out

    @staticmethod
    def backward(ctx, g):
        gx = gv = None
        if ctx.needs_input_grad[0]:
            keep = np.ones(g.shape, bool)
            _assign(keep, ctx.basic, ctx.adv, False)
            gx = _keep(g, keep)
        if ctx.needs_input_grad[1]:
            gv = GetItem.apply(g, ctx.basic, ctx.adv)
        return gx, gv, None, None


def _keep(g: Tensor, keep: np.ndarray) -> Tensor:
    """g where ``keep``, else 0 (the gradient of values that were overwritten)."""
    return E.where(_make(keep), g, _make(np.zeros((), g.dtype)))


def _assign(a: np.ndarray, basic: tuple, adv, v) -> None:
    try:
        if adv is None:
            a[basic] = v
        else:
            a[basic][adv] = v
    except ValueError:
        res = _apply_index(np.broadcast_to(np.zeros((), np.int8), a.shape), basic, adv).shape
        raise RuntimeError(
            f"shape mismatch: value tensor of shape {list(np.shape(v))} cannot be broadcast to indexing result "
            f"of shape {list(res)}"
        ) from None
    except IndexError as e:
        raise IndexError(f"{str(e).replace('axis', 'dimension')} (indexing a tensor of shape {list(a.shape)})") \
            from None


def setitem(x: Tensor, index, value) -> None:
    """``x[index] = value`` in place: bumps x's version; with autograd, records an IndexPut op (the old value
    gets the gradient with zeros at index, ``value`` gets the gradient at index)."""
    basic, adv = _normalize(index, x._data.shape)
    tracked = _mode.enabled and (x._requires_grad or (isinstance(value, Tensor) and value._requires_grad))
    if not tracked:
        if not x._data.flags.writeable:
            raise RuntimeError(
                "setitem: this tensor is a read-only view (from expand/broadcast_to); clone() it first"
            )
        v = value._data if isinstance(value, Tensor) else value
        _assign(x._data, basic, adv, v)
        x._version[0] += 1
        return
    if isinstance(value, Tensor):
        res = _apply_index(np.broadcast_to(np.zeros((), np.int8), x._data.shape), basic, adv).shape
        if value.ndim > len(res):  # leading size-1 dims of the value are dropped, as in PyTorch
            extra = value.ndim - len(res)
            if any(s != 1 for s in value.shape[:extra]):
                raise RuntimeError(
                    f"shape mismatch: value tensor of shape {list(value.shape)} cannot be broadcast to indexing "
                    f"result of shape {list(res)}"
                )
            value = reshape(value, value.shape[extra:])

    def index_put(old, v):
        return IndexPut.apply(old, v, basic, adv)

    _inplace.apply(x, index_put, value)


# ---- gather / scatter ----
def _along(index: np.ndarray, dim: int) -> tuple:
    """The numpy index that picks, for every position p of ``index``, element p with dim ``dim`` = index[p]."""
    idx = list(np.indices(index.shape, sparse=True))
    idx[dim] = index
    return tuple(idx)


def _check_index(name: str, x: Tensor, dim: int, index, bigger=None) -> tuple[np.ndarray, int]:
    index = index._data if isinstance(index, Tensor) else np.asarray(index)
    if index.dtype != np.int64:
        raise RuntimeError(f"{name}(): Expected dtype int64 for index, got {index.dtype}")
    d = canonical_dim(dim, x.ndim)
    xnd = max(x.ndim, 1)
    if max(index.ndim, 1) != xnd:
        raise RuntimeError(
            f"{name}(): Index tensor must have the same number of dimensions as input tensor (index shape "
            f"{list(index.shape)}, input shape {list(x.shape)})"
        )
    xs = x.shape if x.ndim else (1,)
    ish = index.shape if index.ndim else (1,)
    for k in range(xnd):
        if k != d and ish[k] > xs[k]:
            raise RuntimeError(
                f"{name}(): Size does not match at dimension {k} expected index {list(index.shape)} to be no "
                f"larger than self {list(x.shape)} apart from dimension {d}"
            )
        if bigger is not None and ish[k] > bigger[k]:
            raise RuntimeError(
                f"{name}(): Expected index {list(index.shape)} to be no larger than src {list(bigger)} at "
                f"dimension {k}"
            )
    if index.size and (index.max() >= xs[d] or index.min() < 0):
        bad = index.max() if index.max() >= xs[d] else index.min()
        raise IndexError(f"{name}(): index {bad} is out of bounds for dimension {d} with size {xs[d]}")
    return index, d


class Gather(GetItem):
    """gather(x, dim, index): x indexed by one integer array per dim (index itself along dim);
    d/dx = g scatter-added at those positions"""

    is_view = False


def gather(x: Tensor, dim: int, index: Tensor) -> Tensor:
    """out[i][j][k] = x[index[i][j][k]][j][k] (for dim 0; likewise along any dim)."""
    index, d = _check_index("gather", x, dim, index)
    if x.ndim == 0:
        return reshape(Gather.apply(reshape(x, (1,)), (), (index.reshape(1),)), ())
    return Gather.apply(x, (), _along(index, d))


def take_along_dim(x: Tensor, indices: Tensor, dim: int) -> Tensor:
    """gather with broadcasting of ``indices`` against ``x`` (numpy's take_along_axis)."""
    idx = indices._data if isinstance(indices, Tensor) else np.asarray(indices)
    d = canonical_dim(dim, x.ndim)
    shape = list(np.broadcast_shapes(tuple(s for k, s in enumerate(x.shape) if k != d),
                                     tuple(s for k, s in enumerate(idx.shape) if k != d)))
    xs, ishape = list(shape), list(shape)
    xs.insert(d, x.shape[d])
    ishape.insert(d, idx.shape[d])
    return gather(expand(x, xs), d, _make(np.broadcast_to(idx, ishape).astype(np.int64)))


class Scatter(Op):
    """scatter(x, dim, index, src, reduce): x with src written (or added/multiplied) at index along dim;
    d/dx = g (zeroed where overwritten), d/dsrc = gather(g, dim, index) (padded to src's shape)"""

    @staticmethod
    def forward(ctx, x, index, src, dim, reduce):
        ctx.index, ctx.dim, ctx.reduce = index, dim, reduce
        ctx.src_shape = np.shape(src)
        out = x.copy()
        if out.ndim == 0:
            out, index = out.reshape(1), index.reshape(1)
            src = np.reshape(src, 1) if isinstance(src, np.ndarray) else src
        pos = _along(index, dim)
        if isinstance(src, np.ndarray):
            src = src.reshape(src.shape or (1,))[tuple(slice(0, n) for n in index.shape)]
        if reduce is None:
            out[pos] = src
        elif reduce == "add":
            np.add.at(out, pos, np.broadcast_to(src, index.shape))
        else:
            np.multiply.at(out, pos, np.broadcast_to(src, index.shape))
        return out.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        if ctx.reduce == "multiply":
            raise RuntimeError("scatter with reduce='multiply' is not differentiable (as in PyTorch)")
        index, dim = ctx.index, ctx.dim
        gx = gs = None
        if ctx.needs_input_grad[0]:
            if ctx.reduce is None:
                keep = np.ones(g.shape or (1,), bool)
                keep[_along(index.reshape(index.shape or (1,)), dim)] = False
                gx = _keep(g, keep.reshape(g.shape))
            else:
                gx = g
        if ctx.needs_input_grad[2]:
            gs = gather(g, dim, index)
            if gs.shape != ctx.src_shape:
                gs = ConstantPad.apply(gs, tuple((0, s - i) for s, i in zip(ctx.src_shape, gs.shape)), 0)
        return gx, None, gs, None, None


_REDUCE = {None: None, "add": "add", "sum": "add", "multiply": "multiply", "prod": "multiply"}


def scatter(x: Tensor, dim: int, index: Tensor, src, reduce: str | None = None) -> Tensor:
    """A copy of x with ``src`` (a tensor, or a number) written at ``index`` along ``dim``
    (``reduce='add'``/``'multiply'`` combines with the existing values instead)."""
    if reduce not in _REDUCE:
        raise RuntimeError(f"reduce argument must be either add or multiply, got {reduce!r}")
    bigger = None
    if isinstance(src, Tensor):
        if max(src.ndim, 1) != max(x.ndim, 1):
            raise RuntimeError(f"scatter(): src shape {list(src.shape)} must have as many dims as self "
                               f"{list(x.shape)}")
        bigger = src.shape if src.ndim else (1,)
    elif isinstance(src, np.ndarray):
        src = _make(src)
        bigger = src.shape if src.ndim else (1,)
    index, d = _check_index("scatter", x, dim, index, bigger)
    if isinstance(src, Tensor) and src.dtype != x.dtype:
        src = E.cast(src, x.dtype)
    return Scatter.apply(x, index, src, d, _REDUCE[reduce])


def scatter_add(x: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of x with ``src`` added at ``index`` along ``dim`` (repeated indices accumulate)."""
    return scatter(x, dim, index, src, reduce="add")


def index_select(x: Tensor, dim: int, index: Tensor) -> Tensor:
    """The entries of x at positions ``index`` (a 1-d integer tensor) along ``dim``."""
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.ndim > 1:
        raise IndexError(f"index_select(): Index is supposed to be a vector, got shape {list(idx.shape)}")
    if idx.dtype.kind not in "iu":
        raise IndexError(f"index_select(): Expected dtype int32/int64 for index, got {idx.dtype}")
    if x.ndim == 0:
        canonical_dim(dim, 0)
        if idx.size != 1:
            raise IndexError(f"index_select(): Index to scalar can have only 1 value, got {idx.size} value(s)")
        return reshape(getitem(reshape(x, (1,)), (idx.reshape(-1),)), ())
    d = canonical_dim(dim, x.ndim)
    return getitem(x, (slice(None),) * d + (idx.reshape(-1),))


# ---- masks ----
def _mask(mask, name: str) -> Tensor:
    mask = mask if isinstance(mask, Tensor) else _make(np.asarray(mask))
    if mask.dtype != np.bool_:
        raise RuntimeError(f"{name} only supports boolean masks, but got mask with dtype {mask.dtype}")
    return mask


def masked_fill(x: Tensor, mask: Tensor, value) -> Tensor:
    """x with ``value`` (a number or 0-d tensor) where ``mask`` is True; keeps x's dtype."""
    mask = _mask(mask, "masked_fill")
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(
            f"masked_fill only supports a 0-dimensional value tensor, but got tensor with {value.ndim} dimension(s)."
        )
    try:
        np.broadcast_shapes(mask.shape, x.shape)
    except ValueError:
        raise RuntimeError(
            f"masked_fill: the size of the mask {list(mask.shape)} must be broadcastable to the size of the "
            f"tensor {list(x.shape)}"
        ) from None
    if not isinstance(value, Tensor):
        value = _make(np.asarray(value, dtype=x.dtype))
    return E.cast(E.where(mask, value, x), x.dtype)


def masked_select(x: Tensor, mask: Tensor) -> Tensor:
    """The 1-d tensor of the entries of x (broadcast with mask) where ``mask`` is True."""
    mask = _mask(mask, "masked_select")
    try:
        shape = np.broadcast_shapes(mask.shape, x.shape)
    except ValueError:
        raise RuntimeError(
            f"masked_select: the size of the mask {list(mask.shape)} must be broadcastable to the size of the "
            f"tensor {list(x.shape)}"
        ) from None
    m = np.broadcast_to(mask._data, shape)
    if not shape:
        return getitem(reshape(x, (1,)), m.reshape(1))
    return getitem(expand(x, shape), m)


# ---- sorting ----
def _argsort(a: np.ndarray, dim: int, descending: bool, stable: bool) -> np.ndarray:
    """Indices sorting ``a`` along dim as PyTorch does: NaN counts as the largest value; always stable."""
    if a.ndim == 0:
        return np.zeros((), np.int64)
    if not descending:
        return np.argsort(a, axis=dim, kind="stable").astype(np.int64, copy=False)
    if a.dtype.kind == "f":
        nan = np.isnan(a)
        if nan.any():  # NaN first, then the values in decreasing order
            return np.lexsort((np.where(nan, 0, -a), ~nan), axis=dim).astype(np.int64, copy=False)
        key = -a
    else:
        key = ~a  # reverses the order of bools and integers without overflow
    return np.argsort(key, axis=dim, kind="stable").astype(np.int64, copy=False)


def argsort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort x along ``dim``."""
    d = canonical_dim(dim, x.ndim)
    return _make(_argsort(x._data, d, descending, stable))


def sort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """``(values, indices)`` of x sorted along ``dim``; values carry the gradient (gathered)."""
    d = canonical_dim(dim, x.ndim)
    idx = _argsort(x._data, d, descending, stable)
    if x.ndim == 0:
        return sort_result(gather(x, 0, _make(idx)), _make(idx))
    return sort_result(gather(x, d, _make(idx)), _make(idx))


def topk(x: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
    """``(values, indices)`` of the k largest (or smallest) entries along ``dim``, in sorted order."""
    k = operator.index(k)
    d = canonical_dim(dim, x.ndim)
    n = x.shape[d] if x.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"selected index k out of range: k={k} for dimension {d} of size {n} "
                           f"(tensor shape {list(x.shape)})")
    idx = _argsort(x._data, d, largest, True)
    if x.ndim:
        idx = np.ascontiguousarray(np.take(idx, np.arange(k), axis=d))
    return topk_result(gather(x, d, _make(idx)), _make(idx))


def nonzero(x: Tensor, as_tuple: bool = False):
    """Indices of the non-zero entries: an (n, ndim) int64 tensor, or one 1-d tensor per dim."""
    a = x._data if isinstance(x, Tensor) else np.asarray(x)
    if as_tuple:
        return tuple(_make(i.astype(np.int64)) for i in np.nonzero(np.atleast_1d(a)))
    return _make(np.argwhere(a).astype(np.int64))
