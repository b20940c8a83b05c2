"""Shape ops: views and rearrangements (reshape, transpose, cat, split, pad, ...).

Ops whose result may be a numpy view of the input (``is_view = True``: reshape, view, permute, expand, split,
unbind, diagonal) get, in ``Function.apply``, the input's base and version counter when they really share
memory. Every other op returns fresh memory (``flip`` copies numpy's view), so no result silently aliases
its input. Backward of each op is another shape op, so every gradient is itself differentiable.
"""

from __future__ import annotations

import builtins
import math
import operator
from collections.abc import Sequence

import numpy as np

from .. import dtypes
from .. import function as _function
from ..function import Op, _share_view
from ..grad_mode import _mode
from ..tensor import Tensor, _make
from .broadcast import BroadcastTo, sum_to

__all__: list[str] = [
    "reshape", "view", "flatten", "unflatten", "squeeze", "unsqueeze", "transpose", "swapaxes", "t", "permute",
    "movedim", "moveaxis", "expand", "broadcast_to", "cat", "concat", "concatenate", "stack", "hstack", "vstack",
    "split", "chunk", "unbind", "narrow", "repeat", "tile", "flip", "fliplr", "flipud", "roll", "tril", "triu",
    "diagonal", "pad", "meshgrid", "atleast_1d", "atleast_2d",
]


class _Scratch:
    """A throwaway ctx for running a view op's forward when no graph is recorded."""


def _view_op(cls, x: Tensor, *args) -> Tensor:
    """``cls.apply(x, *args)`` for a one-input view op, skipping the node when no graph would be recorded."""
    if _mode.enabled and x._requires_grad or _function._recorder is not None:  # (an export traces every op)
        return cls.apply(x, *args)
    t = _make(cls.forward(_Scratch(), x._data, *args))
    _share_view((x,), (t,))
    return t


def canonical_dim(dim: int, ndim: int) -> int:
    """``dim`` in [0, ndim) (negative counts from the end); IndexError naming the valid range otherwise."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


def _dims(dims, ndim: int) -> tuple:
    """Canonical dims from an int or a sequence; RuntimeError on repeats."""
    if isinstance(dims, (int, np.integer, Tensor)):
        dims = (dims,)
    out = tuple(canonical_dim(operator.index(d), ndim) for d in dims)
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {list(dims)} appears multiple times in the list of dims")
    return out


def _tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else _make(np.asarray(x))


def _ints(seq) -> tuple:
    if isinstance(seq, (int, np.integer, Tensor)):
        return (operator.index(seq),)
    return tuple(operator.index(s) for s in seq)


# ---- reshape / view ----
def _infer_shape(shape: tuple, numel: int) -> tuple:
    """Resolve one -1 in ``shape`` for ``numel`` elements; RuntimeError naming both sizes otherwise."""
    if type(shape) is tuple and -1 not in shape and all(type(s) is int and s >= 0 for s in shape) \
            and math.prod(shape) == numel:
        return shape  # the common, already resolved case
    shape = _ints(shape)
    infer = [i for i, s in enumerate(shape) if s == -1]
    if len(infer) > 1:
        raise RuntimeError(f"only one dimension can be inferred (shape {list(shape)})")
    for s in shape:
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s} in shape {list(shape)}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if infer:
        if known == 0:
            raise RuntimeError(
                f"cannot reshape tensor of {numel} elements into shape {list(shape)} because the unspecified "
                "dimension size -1 can be any value and is ambiguous"
            )
        if numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = shape[: infer[0]] + (numel // known,) + shape[infer[0] + 1:]
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


class Reshape(Op):
    """reshape(x, shape): a view when the strides allow, else a copy; d/dx = reshape(g, x.shape)"""

    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return reshape(g, ctx.in_shape), None


class View(Reshape):
    """view(x, shape): always a view (error when the strides do not allow it); d/dx = reshape(g, x.shape)"""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        try:
            return np.reshape(x, shape, copy=False)
        except ValueError:
            raise RuntimeError(
                f"view size is not compatible with input tensor's size and stride (at least one dimension spans "
                f"across two contiguous subspaces): cannot view shape {list(x.shape)} with strides "
                f"{[s // x.itemsize for s in x.strides]} as {list(shape)}. Use .reshape(...) instead."
            ) from None


def reshape(x: Tensor, shape: Sequence[int]) -> Tensor:
    """The elements of ``x`` in row-major order with shape ``shape`` (one entry may be -1)."""
    x = _tensor(x)
    return _view_op(Reshape, x, _infer_shape(shape, x._data.size))


def view(x: Tensor, shape: Sequence[int]) -> Tensor:
    """Like ``reshape`` but never copies: RuntimeError when the memory layout does not allow it."""
    return _view_op(View, x, _infer_shape(shape, x._data.size))


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims start_dim..end_dim into one; a 0-d tensor becomes shape (1,)."""
    x = _tensor(x)
    if x.ndim == 0:
        return reshape(x, (1,))
    s, e = canonical_dim(start_dim, x.ndim), canonical_dim(end_dim, x.ndim)
    if s > e:
        raise RuntimeError(f"flatten() has invalid args: start_dim ({start_dim}) cannot come after end_dim ({end_dim})")
    shape = x.shape
    return reshape(x, shape[:s] + (int(np.prod(shape[s:e + 1])),) + shape[e + 1:])


def unflatten(x: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Split dim ``dim`` into ``sizes`` (one entry may be -1)."""
    d = canonical_dim(dim, x.ndim)
    sizes = _ints(sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = x.shape[d]
    try:
        sizes = _infer_shape(sizes, n)
    except RuntimeError:
        raise RuntimeError(
            f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} ({n}) in the "
            f"input tensor of shape {list(x.shape)}"
        ) from None
    return reshape(x, x.shape[:d] + sizes + x.shape[d + 1:])


def squeeze(x: Tensor, dim=None) -> Tensor:
    """Remove size-1 dims: all of them (``dim=None``), or those of ``dim`` (an int or tuple) that have size 1."""
    x = _tensor(x)
    if dim is None:
        dims = {i for i, s in enumerate(x.shape) if s == 1}
    else:
        dims = {d for d in _dims(dim, x.ndim) if x.ndim and x.shape[d] == 1}
    return reshape(x, tuple(s for i, s in enumerate(x.shape) if i not in dims))


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dim at ``dim`` (in [-ndim-1, ndim])."""
    x = _tensor(x)
    d = canonical_dim(dim, x.ndim + 1)
    return reshape(x, x.shape[:d] + (1,) + x.shape[d:])


# ---- permutations ----
class Permute(Op):
    """permute(x, dims): a view with reordered axes; d/dx = permute(g, inverse(dims))"""

    is_view = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.transpose(x, dims)

    @staticmethod
    def backward(ctx, g):
        return permute(g, tuple(np.argsort(ctx.dims))), None


def permute(x: Tensor, dims: Sequence[int]) -> Tensor:
    """Reorder the dims of ``x`` to ``dims`` (a permutation of range(ndim))."""
    x = _tensor(x)
    dims = _ints(dims)
    if len(dims) != x.ndim:
        raise RuntimeError(
            f"permute(): number of dimensions in the tensor input does not match the length of the desired "
            f"ordering of dimensions i.e. input.dim() = {x.ndim} is not equal to len(dims) = {len(dims)}"
        )
    dims = tuple(canonical_dim(d, x.ndim) for d in dims) if x.ndim else ()
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"permute(): duplicate dims are not allowed (got {list(dims)})")
    return _view_op(Permute, x, dims)


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap dims ``dim0`` and ``dim1`` (a view)."""
    x = _tensor(x)
    if x.ndim == 0:
        canonical_dim(dim0, 0), canonical_dim(dim1, 0)
        return _view_op(Permute, x, ())
    d0, d1 = canonical_dim(dim0, x.ndim), canonical_dim(dim1, x.ndim)
    dims = list(range(x.ndim))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return _view_op(Permute, x, tuple(dims))


swapaxes = transpose


def t(x: Tensor) -> Tensor:
    """Transpose a tensor of at most 2 dims (0-d and 1-d come back unchanged)."""
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    return transpose(x, 0, -1) if x.ndim == 2 else Permute.apply(x, tuple(range(x.ndim)))


def movedim(x: Tensor, source, destination) -> Tensor:
    """Move the dims ``source`` to positions ``destination`` (ints or sequences of equal length)."""
    src, dst = _ints(source), _ints(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} dims) should contain the same "
            f"number of dims as destination ({list(dst)} dims)"
        )
    src, dst = _dims(src, x.ndim), _dims(dst, x.ndim)
    order = [d for d in range(x.ndim) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(x, tuple(order))


moveaxis = movedim


# ---- expand ----
class Expand(BroadcastTo):
    """expand(x, shape): a read-only view repeating size-1 dims; d/dx = sum_to(g, x.shape)"""

    is_view = True


def expand(x: Tensor, sizes: Sequence[int]) -> Tensor:
    """Broadcast ``x`` to ``sizes`` without copying; -1 keeps that dim's size."""
    x = _tensor(x)
    sizes = _ints(sizes)
    if len(sizes) < x.ndim:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to the number of "
            f"dimensions in the tensor ({x.ndim})"
        )
    lead = len(sizes) - x.ndim
    shape = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(
                    f"expand: the expanded size of the tensor ({s}) isn't allowed in a leading, non-existing "
                    f"dimension {i} (target sizes {list(sizes)}, tensor sizes {list(x.shape)})"
                )
            shape.append(s)
            continue
        have = x.shape[i - lead]
        if s == -1:
            s = have
        elif have != 1 and s != have:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({have}) at non-singleton "
                f"dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(x.shape)}"
            )
        shape.append(s)
    return _view_op(Expand, x, tuple(shape))


def broadcast_to(x: Tensor, shape: Sequence[int]) -> Tensor:
    return expand(x, shape)


# ---- joining ----
class Cat(Op):
    """cat(xs, dim): join along dim; d/dx_i = narrow(g, dim, offset_i, size_i)"""

    @staticmethod
    def forward(ctx, *xs, dim):
        dtype = xs[0].dtype
        for x in xs:
            if x.dtype != dtype:
                dtype = dtypes.promote_types(dtype, x.dtype)
        out = np.concatenate(xs, axis=dim, dtype=dtype)  # ValueError on mismatched shapes: diagnosed by cat()
        ctx.dim = dim
        ctx.sizes = [x.shape[dim] for x in xs]
        return out

    @staticmethod
    def backward(ctx, g):
        out, off = [], 0
        for need, size in zip(ctx.needs_input_grad, ctx.sizes):
            out.append(narrow(g, ctx.dim, off, size) if need else None)
            off += size
        return tuple(out)


def _diagnose_cat(tensors: list, d: int, name: str) -> None:
    """Raise the error that explains why ``tensors`` cannot be joined along ``d``."""
    for i, x in enumerate(tensors):
        if x.ndim == 0:
            raise RuntimeError(f"{name}(): zero-dimensional tensor (at position {i}) cannot be concatenated")
    ref = tensors[0]
    for i, x in enumerate(tensors):
        if x.ndim != ref.ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {ref.ndim} and {x.ndim} "
                f"(shapes {list(ref.shape)} and {list(x.shape)} at position {i})"
            )
        for k in range(ref.ndim):
            if k != d and x.shape[k] != ref.shape[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size {ref.shape[k]} but got "
                    f"size {x.shape[k]} for tensor number {i} in the list (shapes {list(ref.shape)} and "
                    f"{list(x.shape)})."
                )


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Concatenate ``tensors`` along ``dim`` (all other sizes must match); dtypes are promoted."""
    if isinstance(tensors, Tensor):
        raise TypeError("cat(): argument 'tensors' must be a sequence of Tensors, not Tensor")
    tensors = [x if type(x) is Tensor else _tensor(x) for x in tensors]
    if not tensors:
        raise RuntimeError("cat(): expected a non-empty list of Tensors")
    d = canonical_dim(dim, max(x.ndim for x in tensors))
    if any(x.ndim == 1 and x.shape[0] == 0 for x in tensors):
        keep = [x for x in tensors if not (x.ndim == 1 and x.shape[0] == 0)]
        if keep and keep[0].ndim != 1:
            tensors = keep  # legacy empty 1-d tensors are skipped, as in PyTorch
    try:
        return Cat.apply(*tensors, dim=d)
    except ValueError:
        _diagnose_cat(tensors, d, "cat")
        raise


concat = cat
concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join equally shaped tensors along a new dim ``dim``."""
    if isinstance(tensors, Tensor):
        raise TypeError("stack(): argument 'tensors' must be a sequence of Tensors, not Tensor")
    tensors = [_tensor(x) for x in tensors]
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, x in enumerate(tensors):
        if x.shape != tensors[0].shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(tensors[0].shape)} at entry 0 and "
                f"{list(x.shape)} at entry {i}"
            )
    d = canonical_dim(dim, tensors[0].ndim + 1)
    return Cat.apply(*[unsqueeze(x, d) for x in tensors], dim=d)


def atleast_1d(x: Tensor) -> Tensor:
    return reshape(x, (1,)) if x.ndim == 0 else x


def atleast_2d(x: Tensor) -> Tensor:
    return reshape(x, (1,) * (2 - x.ndim) + x.shape) if x.ndim < 2 else x


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenate along dim 1 (dim 0 for 1-d tensors)."""
    tensors = [atleast_1d(_tensor(x)) for x in tensors]
    return cat(tensors, 0 if tensors and tensors[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenate along dim 0 after making every tensor at least 2-d."""
    return cat([atleast_2d(_tensor(x)) for x in tensors], 0)


def meshgrid(*tensors: Tensor, indexing: str = "ij") -> tuple:
    """Coordinate grids from 1-d tensors (``indexing`` 'ij', or 'xy' which swaps the first two dims)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be one of 'xy' or 'ij', but received: {indexing}")
    for i, x in enumerate(tensors):
        if x.ndim > 1:
            raise RuntimeError(f"meshgrid: Expected 0D or 1D tensor in the tensor list but got shape "
                               f"{list(x.shape)} at position {i}")
    xs = [reshape(x, (-1,)) for x in tensors]
    shape = tuple(x.shape[0] for x in xs)
    n = len(xs)
    grids = [expand(reshape(x, (1,) * i + (-1,) + (1,) * (n - i - 1)), shape) for i, x in enumerate(xs)]
    if indexing == "xy" and n >= 2:
        grids = [transpose(g, 0, 1) for g in grids]
    return tuple(grids)


# ---- splitting ----
class Split(Op):
    """split(x, sizes, dim): views of consecutive pieces; d/dx = cat(g_i, dim)"""

    is_view = True

    @staticmethod
    def forward(ctx, x, sizes, dim):
        ctx.dim = dim
        bounds = np.cumsum(sizes)[:-1]
        return tuple(np.split(x, bounds, axis=dim))

    @staticmethod
    def backward(ctx, *grads):
        return cat(list(grads), ctx.dim), None, None


def split(x: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or pieces of the given sizes."""
    x = _tensor(x)
    d = canonical_dim(dim, x.ndim)
    if x.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    n = x.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer, Tensor)):
        size = operator.index(split_size_or_sections)
        if size < 0 or (size == 0 and n != 0):
            raise RuntimeError(f"split expects split_size be non-negative and non-zero for a non-empty dim, "
                               f"but got split_size={size}")
        sizes = [size] * (n // size) + ([n % size] if n % size else []) if size else [0]
        if not sizes:
            sizes = [0]
    else:
        sizes = list(_ints(split_size_or_sections))
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at dimension "
                f"{d}), but got split_sizes={sizes}"
            )
    out = Split.apply(x, sizes, d)
    return out if isinstance(out, tuple) else (out,)


def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple:
    """Split into ``chunks`` pieces of ceil(n / chunks) (fewer when that divides evenly into fewer)."""
    chunks = operator.index(chunks)
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = canonical_dim(dim, x.ndim)
    n = x.shape[d]
    size = -(-n // chunks)
    if size == 0:
        return split(x, [0] * chunks if n == 0 else 1, d)
    return split(x, size, d)


class Unbind(Op):
    """unbind(x, dim): the slices along dim, each a view; d/dx = stack(g_i, dim)"""

    is_view = True

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return tuple(np.moveaxis(x, dim, 0))

    @staticmethod
    def backward(ctx, *grads):
        return stack(list(grads), ctx.dim), None


def unbind(x: Tensor, dim: int = 0) -> tuple:
    """The tensors x.select(dim, i) for every i."""
    if x.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = canonical_dim(dim, x.ndim)
    if x.shape[d] == 0:
        return ()
    out = Unbind.apply(x, d)
    return out if isinstance(out, tuple) else (out,)


def narrow(x: Tensor, dim: int, start: int, length: int) -> Tensor:
    """The view x[..., start:start+length, ...] along ``dim``."""
    from .indexing import getitem

    if x.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = canonical_dim(dim, x.ndim)
    n = x.shape[d]
    start, length = operator.index(start), operator.index(length)
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    if start < 0:
        start += n
    if length < 0 or start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return getitem(x, (slice(None),) * d + (slice(start, start + length),))


# ---- repetition ----
class Repeat(Op):
    """repeat(x, reps): tile x reps times per dim; d/dx = sum of g over the copies"""

    @staticmethod
    def forward(ctx, x, reps):
        ctx.in_shape = x.shape
        ctx.reps = reps
        return np.tile(x.reshape((1,) * (len(reps) - x.ndim) + x.shape), reps)

    @staticmethod
    def backward(ctx, g):
        reps = ctx.reps
        shape = (1,) * (len(reps) - len(ctx.in_shape)) + ctx.in_shape
        split_shape = tuple(v for r, s in zip(reps, shape) for v in (r, s))
        target = tuple(v for s in shape for v in (1, s))
        return reshape(sum_to(reshape(g, split_shape), target), ctx.in_shape), None


def repeat(x: Tensor, sizes: Sequence[int]) -> Tensor:
    """Tile ``x`` ``sizes[i]`` times along each dim (``len(sizes) >= x.ndim``)."""
    sizes = _ints(sizes)
    if len(sizes) < x.ndim:
        raise RuntimeError(
            f"Number of dimensions of repeat dims ({len(sizes)}) can not be smaller than number of dimensions of "
            f"tensor ({x.ndim})"
        )
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"Trying to create tensor with negative dimension: repeats {list(sizes)}")
    return Repeat.apply(x, sizes)


def tile(x: Tensor, dims: Sequence[int]) -> Tensor:
    """Like ``repeat``, but fewer ``dims`` than x.ndim are padded with leading 1s."""
    dims = _ints(dims)
    return repeat(x, (1,) * (x.ndim - len(dims)) + dims)


# ---- reordering ----
class Flip(Op):
    """flip(x, dims): reverse the order along dims (a copy); d/dx = flip(g, dims)"""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.flip(x, dims).copy()

    @staticmethod
    def backward(ctx, g):
        return flip(g, ctx.dims), None


def flip(x: Tensor, dims) -> Tensor:
    """Reverse the order of elements along ``dims`` (a copy, as in PyTorch)."""
    dims = _dims(dims, x.ndim)
    return Flip.apply(x, dims if x.ndim else ())


def fliplr(x: Tensor) -> Tensor:
    if x.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(x, (1,))


def flipud(x: Tensor) -> Tensor:
    if x.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(x, (0,))


class Roll(Op):
    """roll(x, shifts, dims): cyclic shift; d/dx = roll(g, -shifts, dims)"""

    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        if dims is None:
            return np.roll(x.reshape(-1), shifts[0]).reshape(x.shape)
        return np.roll(x, shifts, dims)

    @staticmethod
    def backward(ctx, g):
        return Roll.apply(g, tuple(-s for s in ctx.shifts), ctx.dims), None, None


def roll(x: Tensor, shifts, dims=None) -> Tensor:
    """Shift elements cyclically by ``shifts`` along ``dims`` (over the flattened tensor when dims is None)."""
    shifts = _ints(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"roll: shifts {list(shifts)} must have one entry when dims is None")
        return Roll.apply(x, shifts, None)
    dims = tuple(canonical_dim(d, x.ndim) for d in _ints(dims))
    if len(dims) != len(shifts):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims: {len(dims)}")
    return Roll.apply(x, shifts, dims)


# ---- triangles and diagonals ----
class Tril(Op):
    """tril(x, k): zero above the k-th diagonal; d/dx = tril(g, k)"""

    _np = staticmethod(np.tril)

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return type(ctx)._np(x, k)

    @staticmethod
    def backward(ctx, g):
        return type(ctx).apply(g, ctx.k), None


class Triu(Tril):
    """triu(x, k): zero below the k-th diagonal; d/dx = triu(g, k)"""

    _np = staticmethod(np.triu)


def _check_2d(x: Tensor, name: str) -> None:
    if x.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions, got shape {list(x.shape)}")


def tril(x: Tensor, diagonal: int = 0) -> Tensor:
    _check_2d(x, "tril")
    return Tril.apply(x, operator.index(diagonal))


def triu(x: Tensor, diagonal: int = 0) -> Tensor:
    _check_2d(x, "triu")
    return Triu.apply(x, operator.index(diagonal))


class Diagonal(Op):
    """diagonal(x, offset, d1, d2): a view of the diagonal, moved to the last dim; d/dx = g on that diagonal"""

    is_view = True

    @staticmethod
    def forward(ctx, x, offset, dim1, dim2):
        ctx.in_shape, ctx.args = x.shape, (offset, dim1, dim2)
        return _diag_view(x, offset, dim1, dim2)  # writable when x is, as in PyTorch

    @staticmethod
    def backward(ctx, g):
        return DiagonalBackward.apply(g, ctx.in_shape, *ctx.args), None, None, None


class DiagonalBackward(Op):
    """Write g onto the diagonal of zeros(shape); d/dg = diagonal(gg)"""

    @staticmethod
    def forward(ctx, g, shape, offset, dim1, dim2):
        ctx.args = (offset, dim1, dim2)
        z = np.zeros(shape, g.dtype)
        if g.size:
            _diag_view(z, offset, dim1, dim2)[...] = g
        return z

    @staticmethod
    def backward(ctx, gg):
        return Diagonal.apply(gg, *ctx.args), None, None, None, None


def _diag_view(z: np.ndarray, offset: int, dim1: int, dim2: int) -> np.ndarray:
    """A view of z's diagonal, writable when z is (np.diagonal's is always read-only)."""
    d = np.diagonal(z, offset, dim1, dim2)
    if not d.size:
        return d
    start = [0] * z.ndim
    start[dim2 if offset >= 0 else dim1] = builtins.abs(offset)
    base = z[tuple(slice(s, None) for s in start)]
    return np.lib.stride_tricks.as_strided(base, d.shape, d.strides, writeable=True)


def diagonal(x: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of the (dim1, dim2) planes, as the last dim (a view)."""
    d1, d2 = canonical_dim(dim1, x.ndim), canonical_dim(dim2, x.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(x, operator.index(offset), d1, d2)


# ---- padding ----
class ConstantPad(Op):
    """pad(x, pad, 'constant', value): x inside a border of ``value`` (negative pads crop); d/dx = g cropped"""

    @staticmethod
    def forward(ctx, x, pairs, value):
        ctx.pairs = pairs
        ctx.in_shape = x.shape
        crop = tuple(slice(-lo if lo < 0 else 0, n + hi if hi < 0 else n) for (lo, hi), n in zip(pairs, x.shape))
        x = x[crop]
        widths = [(builtins.max(lo, 0), builtins.max(hi, 0)) for lo, hi in pairs]
        return np.pad(x, widths, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, g):
        from .indexing import getitem

        pairs = ctx.pairs
        inner = tuple(slice(builtins.max(lo, 0), g.shape[i] - builtins.max(hi, 0)) for i, (lo, hi) in enumerate(pairs))
        gi = getitem(g, inner)
        if any(lo < 0 or hi < 0 for lo, hi in pairs):  # cropped input parts get zero gradient
            gi = ConstantPad.apply(gi, tuple((-builtins.min(lo, 0), -builtins.min(hi, 0)) for lo, hi in pairs), 0)
        return gi, None, None


_NP_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad(x: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last len(pad)//2 dims; ``pad`` = (last_lo, last_hi, second_last_lo, ...) as in PyTorch.

    Modes: 'constant' (with ``value``; negative pads crop), 'reflect', 'replicate', 'circular'.
    """
    from .indexing import index_select

    x = _tensor(x)
    pad = _ints(pad)
    if len(pad) % 2:
        raise RuntimeError(f"Padding length must be divisible by 2, got pad {list(pad)}")
    k = len(pad) // 2
    if k > x.ndim:
        raise RuntimeError(
            f"Padding length should be less than or equal to two times the input dimension but got padding "
            f"length {len(pad)} and input of dimension {x.ndim}"
        )
    pairs = [(0, 0)] * (x.ndim - k) + [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(k))]
    if mode == "constant":
        for d, (lo, hi) in enumerate(pairs):
            if x.shape[d] + lo + hi < 0:
                raise RuntimeError(
                    f"The input size {x.shape[d]}, plus negative padding {lo} and {hi} resulted in a negative "
                    f"output size, which is invalid. Check dimension {d} of your input of shape {list(x.shape)}."
                )
        return ConstantPad.apply(x, tuple(pairs), 0.0 if value is None else value)
    if mode not in _NP_MODE:
        raise NotImplementedError(f"Unrecognised padding mode {mode!r} (use constant, reflect, replicate, circular)")
    if value not in (None, 0, 0.0):
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    out = x
    for d, (lo, hi) in enumerate(pairs):
        if lo == 0 and hi == 0:
            continue
        n = x.shape[d]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(
                f"Argument #4: Padding size should be less than the corresponding input dimension, but got: "
                f"padding ({lo}, {hi}) at dimension {d} of input {list(x.shape)}"
            )
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError(
                f"Padding value causes wrapping around more than once: padding ({lo}, {hi}) at dimension {d} of "
                f"input {list(x.shape)}"
            )
        if n == 0:
            raise RuntimeError(f"{mode} padding of an empty dimension {d} (input {list(x.shape)})")
        if lo < 0 or hi < 0:
            raise RuntimeError(f"negative padding ({lo}, {hi}) is only supported in constant mode")
        src = np.pad(np.arange(n), (lo, hi), mode=_NP_MODE[mode])
        out = index_select(out, d, _make(src.astype(np.int64)))
    return out
