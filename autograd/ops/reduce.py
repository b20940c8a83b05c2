"""Reductions: sum, mean, var/std, prod, max/min (values and indices), amax/amin, argmax/argmin, all/any,
logsumexp, softmax/log_softmax, cumsum/cumprod and norm.

``dim`` is None (every axis), an int or a tuple of ints (negative counts from the end), as in PyTorch. The
adjoint of a reduction is ``expand_reduced`` (re-insert the reduced axes and broadcast), whose own adjoint is
``sum``: the pair makes every backward here differentiable again. softmax, log_softmax and logsumexp use the
fused kernels of ``autograd.kernels.softmax`` (Numba for contiguous float32/float64, numpy otherwise), forward
and backward; each backward kernel is an op of its own (``SoftmaxBackward``, ``LogSoftmaxBackward``,
``LogSumExpBackward``) whose backward is written in Tensor ops, so gradients of any order run through them.
"""

from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from .. import dtypes
from .. import function as _function
from ..function import Op
from ..kernels import reduce as KR
from ..kernels import softmax as KS
from ..tensor import Tensor, _make
from .elementwise import abs as _abs
from .elementwise import exp as _exp
from .elementwise import maximum, minimum, sign, sqrt
from .shape import canonical_dim

__all__ = [
    "sum", "mean", "var", "std", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "all", "any",
    "logsumexp", "softmax", "log_softmax", "cumsum", "cumprod", "norm", "var_mean", "std_mean",
    "count_nonzero",
]

return_types_max = namedtuple("max", ["values", "indices"])
return_types_min = namedtuple("min", ["values", "indices"])


# ---- helpers ----
def _axes(dim, ndim: int) -> tuple:
    """Canonical reduced axes of a ``dim`` argument (None or () -> every axis). A 0-d tensor accepts 0 / -1."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (tuple, list)):
        if len(dim) == 0:
            return tuple(range(ndim))
        axes = tuple(canonical_dim(int(d), ndim) for d in dim)
        for a in axes:
            if axes.count(a) > 1:
                raise RuntimeError(f"dim {a} appears multiple times in the list of dims")
    else:
        axes = (canonical_dim(int(dim), ndim),)
    return axes if ndim else ()


def _reduced_shape(shape: tuple, axes: tuple, keepdim: bool) -> tuple:
    if keepdim:
        return tuple(1 if i in axes else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in axes)


def _numel(shape: tuple, axes: tuple) -> int:
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def _expand_array(g: np.ndarray, shape: tuple, axes: tuple, keepdim: bool) -> np.ndarray:
    if g.ndim == 0:  # a full reduction (a loss): the zero-strided view built directly, skipping broadcast_to's checks
        out = np.ndarray(shape, g.dtype, g, 0, (0,) * len(shape))
        out.setflags(write=False)  # every element aliases one float: an in-place write would change them all
        return out
    if not keepdim and axes:
        g = g.reshape(_reduced_shape(shape, axes, True))
    return np.broadcast_to(g, shape)


def _float_input(x: Tensor, op: str) -> Tensor:
    """Integer/bool inputs of float-valued reductions (softmax, logsumexp, norm) become the default float."""
    if x._data.dtype.kind in "fc":
        return x
    return _make(x._data.astype(dtypes.get_default_dtype()))


def _check_nonempty(x: np.ndarray, axes: tuple, op: str) -> None:
    if x.size == 0:
        for a in axes:
            if x.shape[a] == 0:
                raise IndexError(f"{op}(): Expected reduction dim {a} to have non-zero size (input shape "
                                 f"{tuple(x.shape)}).")


def _mask(arr: np.ndarray, dtype) -> Tensor:
    return _make(np.asarray(arr, dtype=dtype))


# ---- sum and its adjoint ----
class Sum(Op):
    """sum over axes; d/dx = 1 (the gradient is broadcast back over the reduced axes)"""

    @staticmethod
    def forward(ctx, x, axes, keepdim, dtype):
        ctx.in_shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        if dtype is None and x.dtype.kind in "biu":
            dtype = dtypes.int64
        if x.size >= KR.MIN_SIZE and dtype is None and KR.fits(x, axes, keepdim):  # all axes but the channels
            return KR.channel_sums(x, axes, keepdim)
        out = np.add.reduce(x, axis=axes, keepdims=keepdim, dtype=dtype)  # np.sum, without its wrapper
        return np.asarray(out)

    @staticmethod
    def backward(ctx, g):
        return expand_reduced(g, ctx.in_shape, ctx.axes, ctx.keepdim), None, None, None


class ExpandReduced(Op):
    """Re-insert reduced axes (unless keepdim) and broadcast to ``shape``; d/dg = sum over those axes"""

    @staticmethod
    def forward(ctx, g, shape, axes, keepdim):
        ctx.axes, ctx.keepdim = axes, keepdim
        return _expand_array(g, shape, axes, keepdim)

    @staticmethod
    def backward(ctx, g):
        return Sum.apply(g, ctx.axes, ctx.keepdim, None), None, None, None


def expand_reduced(g: Tensor, shape: tuple, axes: tuple, keepdim: bool) -> Tensor:
    """The gradient of a reduction over ``axes`` broadcast back to the input ``shape``."""
    shape = tuple(shape)
    if g._data.shape == shape:
        return g
    return ExpandReduced.apply(g, shape, axes, keepdim)


def sum(input: Tensor, dim=None, keepdim: bool = False, dtype=None) -> Tensor:  # noqa: A001,A002
    """Sum over ``dim`` (None: all); integer and bool inputs sum to int64, as in PyTorch."""
    axes = _axes(dim, input.ndim)
    return Sum.apply(input, axes, keepdim, None if dtype is None else dtypes.as_dtype(dtype))


class Mean(Op):
    """mean over axes; d/dx = 1/n"""

    @staticmethod
    def forward(ctx, x, axes, keepdim, dtype):
        ctx.in_shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        ctx.n = _numel(x.shape, axes)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.add.reduce(x, axis=axes, keepdims=keepdim, dtype=dtype) / (ctx.n or np.nan)
        return np.asarray(out, dtype=dtype or x.dtype)

    @staticmethod
    def backward(ctx, g):
        return expand_reduced(g * (1.0 / builtins.max(ctx.n, 1)), ctx.in_shape, ctx.axes, ctx.keepdim), None, None, None


def mean(input: Tensor, dim=None, keepdim: bool = False, dtype=None) -> Tensor:  # noqa: A002
    """Arithmetic mean over ``dim``; integer inputs need an explicit float ``dtype`` (as in PyTorch)."""
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
    out_dtype = dtype or input.dtype
    if out_dtype.kind not in "fc":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or complex "
            f"dtype. Got: {input.dtype}"
        )
    return Mean.apply(input, _axes(dim, input.ndim), keepdim, dtype)


# ---- variance ----
def _correction(unbiased, correction) -> float:
    if correction is not None:
        if unbiased is not None:
            raise RuntimeError("var/std: cannot specify both unbiased and correction")
        return float(correction)
    return 1.0 if unbiased is None or unbiased else 0.0


class Var(Op):
    """var = sum((x - mean)^2) / (n - correction); d/dx = 2 (x - mean) / (n - correction)"""

    @staticmethod
    def forward(ctx, x, axes, keepdim, correction):
        ctx.in_shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        n = _numel(x.shape, axes)
        ctx.denom = builtins.max(0.0, n - correction)
        ctx.save_for_backward(x)
        with np.errstate(invalid="ignore", divide="ignore"):
            m = np.mean(x, axis=axes, keepdims=True) if n else np.zeros([1] * x.ndim, x.dtype)
            d = x - m
            out = np.sum(d * d, axis=axes, keepdims=keepdim) / np.asarray(ctx.denom, x.dtype)
        return np.asarray(out, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        scale = 2.0 / ctx.denom if ctx.denom else float("nan")  # no degrees of freedom: nan, as the value
        centered = x - mean(x, ctx.axes, keepdim=True)
        return expand_reduced(g, ctx.in_shape, ctx.axes, ctx.keepdim) * centered * scale, None, None, None


def _check_float(x: Tensor, op: str) -> None:
    if x.dtype.kind not in "fc":
        raise RuntimeError(f"{op}: std and var only support floating point and complex dtypes (got {x.dtype})")


def var(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:  # noqa: A002
    """Variance over ``dim`` with Bessel's correction by default (``correction=1``), as in PyTorch."""
    if isinstance(dim, bool):  # var(x, False): the old positional ``unbiased``
        dim, unbiased = None, dim
    _check_float(input, "var")
    return Var.apply(input, _axes(dim, input.ndim), keepdim, _correction(unbiased, correction))


def std(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:  # noqa: A002
    """sqrt(var(...))"""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    _check_float(input, "std")
    return sqrt(var(input, dim, unbiased, keepdim, correction=correction))


def var_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):  # noqa: A002
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def std_mean(input: Tensor, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):  # noqa: A002
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


# ---- product ----
class Prod(Op):
    """prod over axes; d/dx_i = prod_{j != i} x_j (computed without dividing by zero)

    Exact first and second derivatives for any number of zeros: the masks are constants and each zero's
    cofactor is written as a product that still contains the other zeros.
    """

    @staticmethod
    def forward(ctx, x, axes, keepdim, dtype):
        ctx.in_shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        if dtype is None and x.dtype.kind in "biu":
            dtype = dtypes.int64
        out = np.asarray(np.prod(x, axis=axes, keepdims=keepdim, dtype=dtype))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        axes, keepdim, shape = ctx.axes, ctx.keepdim, ctx.in_shape
        ge = expand_reduced(g, shape, axes, keepdim)
        xd = x._data
        zero = xd == 0
        if not zero.any():
            return ge * expand_reduced(out, shape, axes, keepdim) / x, None, None, None
        dt = xd.dtype
        count = np.sum(zero, axis=axes, keepdims=True)
        x_safe = x * _mask(~zero, dt) + _mask(zero, dt)  # zeros replaced by ones (no dependence on them)
        nz_prod = prod(x_safe, axes, keepdim=True)  # product of the non-zero entries of each slice
        x_zero = sum(x * _mask(zero, dt), axes, keepdim=True)  # the zero itself (0), kept for 2nd derivatives
        one, two = np.broadcast_to(count == 1, shape), np.broadcast_to(count == 2, shape)
        # with two zeros, each one's cofactor is the other zero (x_zero - x) times the rest: 0, but not constant
        none = np.broadcast_to(count == 0, shape)
        grad = nz_prod * ((_mask(none, dt) + _mask(one & ~zero, dt) * x_zero) / x_safe + _mask(one & zero, dt)
                          + _mask(two & zero, dt) * (x_zero - x))
        return ge * grad, None, None, None


def prod(input: Tensor, dim=None, keepdim: bool = False, dtype=None) -> Tensor:  # noqa: A002
    """Product over ``dim`` (an int, a tuple, or None for all); integer inputs give int64."""
    return Prod.apply(input, _axes(dim, input.ndim), keepdim, None if dtype is None else dtypes.as_dtype(dtype))


# ---- max / min ----
class _Extreme(Op):
    """amax/amin over axes; the gradient is split evenly among the tied extreme entries"""

    fn = None
    label = ""

    @classmethod
    def forward(cls, ctx, x, axes, keepdim):
        _check_nonempty(x, axes, cls.label)
        out = np.asarray(cls.fn(x, axis=axes, keepdims=keepdim))
        ctx.in_shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        if ctx.needs_input_grad[0]:
            best = _expand_array(out, x.shape, axes, keepdim)
            hit = (x == best) | (np.isnan(x) & np.isnan(best))  # a nan result: the gradient goes to the nans
            ctx.weights = hit / np.sum(hit, axis=axes, keepdims=True)
        return out

    @staticmethod
    def backward(ctx, g):
        w = _mask(ctx.weights, g.dtype)
        return expand_reduced(g, ctx.in_shape, ctx.axes, ctx.keepdim) * w, None, None


class Amax(_Extreme):
    fn = staticmethod(np.amax)
    label = "amax"


class Amin(_Extreme):
    fn = staticmethod(np.amin)
    label = "amin"


def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:  # noqa: A002
    """Maximum over ``dim`` (default: all); ties share the gradient evenly."""
    return Amax.apply(input, _axes(dim, input.ndim), keepdim)


def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:  # noqa: A002
    """Minimum over ``dim`` (default: all); ties share the gradient evenly."""
    return Amin.apply(input, _axes(dim, input.ndim), keepdim)


class TakeAlong(Op):
    """values = x[..., index, ...] along ``axis``; d/dx = the gradient placed at the selected index"""

    @staticmethod
    def forward(ctx, x, index, axis, keepdim):
        ctx.in_shape, ctx.axis, ctx.keepdim, ctx.index = x.shape, axis, keepdim, index
        idx = index if keepdim or x.ndim == 0 else np.expand_dims(index, axis)
        if x.ndim == 0:
            return x.copy()
        out = np.take_along_axis(x, idx, axis)
        return out if keepdim else np.squeeze(out, axis)

    @staticmethod
    def backward(ctx, g):
        if not ctx.in_shape:
            return g, None, None, None
        axis = ctx.axis
        idx = ctx.index if ctx.keepdim else np.expand_dims(ctx.index, axis)
        pos = np.arange(ctx.in_shape[axis]).reshape([-1 if i == axis else 1 for i in range(len(ctx.in_shape))])
        onehot = _mask(pos == idx, g.dtype)
        return expand_reduced(g, ctx.in_shape, (axis,), ctx.keepdim) * onehot, None, None, None


def _extreme_dim(x: Tensor, dim, keepdim: bool, name: str, argfn, result_type):
    axis = canonical_dim(int(dim), x.ndim)
    xd = x._data
    if xd.ndim and xd.shape[axis] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size (input shape "
                         f"{tuple(xd.shape)}).")
    index = np.asarray(argfn(xd, axis=axis, keepdims=True) if xd.ndim else np.zeros((), np.int64), np.int64)
    values = TakeAlong.apply(x, index if keepdim else (np.squeeze(index, axis) if xd.ndim else index), axis, keepdim)
    idx = _make(index if keepdim or not xd.ndim else np.squeeze(index, axis))
    if _function._recorder is not None:  # no graph node: an exported model's trace still needs the op
        _function._recorder("arg" + name, (x, axis, keepdim), {}, (idx,))
    return result_type(values, idx)


def _max_or_min(input: Tensor, dim, keepdim: bool, name: str):  # noqa: A002
    elementwise, whole, argfn, result_type = {
        "max": (maximum, Amax, np.argmax, return_types_max),
        "min": (minimum, Amin, np.argmin, return_types_min),
    }[name]
    if isinstance(dim, Tensor):
        return elementwise(input, dim)
    if dim is None:
        if input._data.size == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                               "Specify the reduction dim with the 'dim' argument.")
        return whole.apply(input, _axes(None, input.ndim), False)
    return _extreme_dim(input, dim, keepdim, name, argfn, result_type)


def max(input: Tensor, dim=None, keepdim: bool = False, *, out=None):  # noqa: A001,A002
    """``max(x)``: the largest element (0-d; ties share the gradient); ``max(x, dim)``: (values, indices);
    ``max(x, other)``: elementwise maximum."""
    return _max_or_min(input, dim, keepdim, "max")


def min(input: Tensor, dim=None, keepdim: bool = False, *, out=None):  # noqa: A001,A002
    """``min(x)``: the smallest element (0-d; ties share the gradient); ``min(x, dim)``: (values, indices);
    ``min(x, other)``: elementwise minimum."""
    return _max_or_min(input, dim, keepdim, "min")


def _arg(x: Tensor, dim, keepdim: bool, fn, name: str) -> Tensor:
    out = _arg_array(x, dim, keepdim, fn, name)
    if _function._recorder is not None:  # no graph node: an exported model's trace still needs the op
        _function._recorder(name, (x, dim, keepdim), {}, (out,))
    return out


def _arg_array(x: Tensor, dim, keepdim: bool, fn, name: str) -> Tensor:
    xd = x._data
    if dim is None:
        if xd.size == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
        out = np.asarray(fn(xd.reshape(-1)), np.int64)
        return _make(out.reshape((1,) * xd.ndim) if keepdim else out)
    axis = canonical_dim(int(dim), xd.ndim)
    if not xd.ndim:
        return _make(np.zeros((), np.int64))
    if xd.shape[axis] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")
    return _make(np.asarray(fn(xd, axis=axis, keepdims=keepdim), np.int64))


def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A002
    """Index of the (first) largest element over ``dim`` (flattened when None); int64, no gradient."""
    return _arg(input, dim, keepdim, np.argmax, "argmax")


def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A002
    """Index of the (first) smallest element over ``dim`` (flattened when None); int64, no gradient."""
    return _arg(input, dim, keepdim, np.argmin, "argmin")


def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001,A002
    """True where every element over ``dim`` is non-zero (bool, no gradient)."""
    d = input._data if isinstance(input, Tensor) else np.asarray(input)
    return _make(np.asarray(np.all(d, axis=_axes(dim, d.ndim), keepdims=keepdim)))


def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001,A002
    """True where some element over ``dim`` is non-zero (bool, no gradient)."""
    d = input._data if isinstance(input, Tensor) else np.asarray(input)
    return _make(np.asarray(np.any(d, axis=_axes(dim, d.ndim), keepdims=keepdim)))


def count_nonzero(input: Tensor, dim=None) -> Tensor:  # noqa: A002
    d = input._data
    return _make(np.asarray(np.count_nonzero(d, axis=_axes(dim, d.ndim)), np.int64))


# ---- logsumexp, softmax, log_softmax ----
class LogSumExp(Op):
    """log(sum(exp(x))) over axes, computed after subtracting the max; d/dx = softmax(x)"""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.in_shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        out = KS.logsumexp(x, axes, keepdim)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        return LogSumExpBackward.apply(g, x, out, ctx.in_shape, ctx.axes, ctx.keepdim), None, None


class LogSumExpBackward(Op):
    """gx = G exp(x - OUT) (fused kernel), G and OUT the gradient g and the result out broadcast back over the
    reduced axes; with p = exp(x - OUT): d/dg = sum(h p), d/dx = h gx, d/dout = -sum(h gx) (sums over the axes)"""

    @staticmethod
    def forward(ctx, g, x, out, shape, axes, keepdim):
        ctx.shape, ctx.axes, ctx.keepdim = shape, axes, keepdim
        ctx.save_for_backward(g, x, out)
        return KS.logsumexp_backward(g, x, out, axes, keepdim)

    @staticmethod
    def backward(ctx, h):
        g, x, out = ctx.saved_tensors
        shape, axes, keepdim = ctx.shape, ctx.axes, ctx.keepdim
        hp = h * _exp(x - expand_reduced(out, shape, axes, keepdim))
        hgx = hp * expand_reduced(g, shape, axes, keepdim)
        gg = sum(hp, axes, keepdim) if ctx.needs_input_grad[0] else None
        gout = -sum(hgx, axes, keepdim) if ctx.needs_input_grad[2] else None
        return gg, hgx, gout, None, None, None


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:  # noqa: A002
    """log(sum(exp(x), dim)), stable for large |x| (the max is subtracted first)."""
    x = _float_input(input, "logsumexp")
    return LogSumExp.apply(x, _axes(dim, x.ndim), keepdim)


class _AlongAxis(Op):
    """An op along one axis with a fused forward kernel; its backward is ``backward_op`` of (g, y)."""

    kernel = backward_op = None

    @classmethod
    def forward(cls, ctx, x, axis):
        ctx.axis = axis
        y = cls.kernel(x, axis)
        ctx.save_for_backward(y)
        return y

    @classmethod
    def backward(cls, ctx, g):
        (y,) = ctx.saved_tensors
        return cls.backward_op.apply(g, y, ctx.axis), None


class SoftmaxBackward(Op):
    """gx = y (g - sum(g y)) (fused kernel); the map g -> gx is self-adjoint, so d/dg is this op of h;
    d/dy = h (g - sum(g y)) - g sum(h y)"""

    @staticmethod
    def forward(ctx, g, y, axis):
        ctx.axis = axis
        ctx.save_for_backward(g if ctx.needs_input_grad[1] else None, y)
        return KS.softmax_backward(g, y, axis)

    @staticmethod
    def backward(ctx, h):
        g, y = ctx.saved_tensors
        axis = ctx.axis
        gg = SoftmaxBackward.apply(h, y, axis) if ctx.needs_input_grad[0] else None
        gy = None
        if ctx.needs_input_grad[1]:
            gy = h * (g - sum(g * y, axis, keepdim=True)) - g * sum(h * y, axis, keepdim=True)
        return gg, gy, None


class LogSoftmaxBackward(Op):
    """gx = g - exp(y) sum(g) (fused kernel); d/dg = h - sum(h exp(y)), d/dy = -h exp(y) sum(g)"""

    @staticmethod
    def forward(ctx, g, y, axis):
        ctx.axis = axis
        ctx.save_for_backward(g if ctx.needs_input_grad[1] else None, y)
        return KS.log_softmax_backward(g, y, axis)

    @staticmethod
    def backward(ctx, h):
        g, y = ctx.saved_tensors
        axis = ctx.axis
        hp = h * _exp(y)
        gg = h - sum(hp, axis, keepdim=True) if ctx.needs_input_grad[0] else None
        gy = -hp * sum(g, axis, keepdim=True) if ctx.needs_input_grad[1] else None
        return gg, gy, None


class Softmax(_AlongAxis):
    """y = exp(x - max) / sum(exp(x - max)); d/dx = y * (g - sum(g * y)) (``SoftmaxBackward``)"""

    kernel, backward_op = staticmethod(KS.softmax), SoftmaxBackward


class LogSoftmax(_AlongAxis):
    """y = x - logsumexp(x); d/dx = g - exp(y) * sum(g) (``LogSoftmaxBackward``)"""

    kernel, backward_op = staticmethod(KS.log_softmax), LogSoftmaxBackward


def _softmax_input(x: Tensor, dim, dtype, name: str) -> tuple[Tensor, int]:
    if dim is None:
        raise TypeError(f"{name}() missing the required argument 'dim' (implicit dim choice is not supported)")
    if dtype is not None:
        x = x.to(dtype)
    return _float_input(x, name), canonical_dim(int(dim), x.ndim)


def softmax(input: Tensor, dim=None, dtype=None) -> Tensor:  # noqa: A002
    """exp(x) / sum(exp(x)) along ``dim``, stable (the max is subtracted first)."""
    x, axis = _softmax_input(input, dim, dtype, "softmax")
    return Softmax.apply(x, axis if x.ndim else None)


def log_softmax(input: Tensor, dim=None, dtype=None) -> Tensor:  # noqa: A002
    """x - logsumexp(x) along ``dim``, stable."""
    x, axis = _softmax_input(input, dim, dtype, "log_softmax")
    return LogSoftmax.apply(x, axis if x.ndim else None)


# ---- cumulative sum / product ----
class Cumsum(Op):
    """y_k = sum_{j<=k} x_j along ``axis``; d/dx_i = sum_{k>=i} g_k (a reversed cumsum)"""

    @staticmethod
    def forward(ctx, x, axis, dtype):
        ctx.axis = axis
        if dtype is None and x.dtype.kind in "biu":
            dtype = dtypes.int64
        if x.ndim == 0:
            return x.astype(dtype or x.dtype)
        return np.cumsum(x, axis=axis, dtype=dtype)

    @staticmethod
    def backward(ctx, g):
        return ReverseCumsum.apply(g, ctx.axis), None, None


class ReverseCumsum(Op):
    """y_i = sum_{k>=i} x_k along ``axis`` (the adjoint of cumsum); d/dx = cumsum(g)"""

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        if x.ndim == 0:
            return x.copy()
        return np.flip(np.cumsum(np.flip(x, axis), axis=axis), axis)

    @staticmethod
    def backward(ctx, g):
        return Cumsum.apply(g, ctx.axis, None), None


def cumsum(input: Tensor, dim: int, dtype=None) -> Tensor:  # noqa: A002
    """Running sum along ``dim``; integer inputs give int64."""
    return Cumsum.apply(input, canonical_dim(int(dim), input.ndim), None if dtype is None else dtypes.as_dtype(dtype))


class Cumprod(Op):
    """y_k = prod_{j<=k} x_j along ``axis``; d/dx_i = sum_{k>=i} g_k prod_{j<=k, j!=i} x_j

    Computed without dividing by zero: before the first zero z of a slice, (reversed cumsum of g*y) / x_i;
    at z, y_{z-1} * sum_{k>=z} g_k prod_{z<j<=k} x_j; after z, 0 (written as x_z times its cofactor). All
    masks are constants, so the formula is itself differentiable (create_graph=True); a second zero's cofactor is
    built without it, so second derivatives are exact with any number of zeros.
    """

    @staticmethod
    def forward(ctx, x, axis, dtype):
        ctx.axis = axis
        if dtype is None and x.dtype.kind in "biu":
            dtype = dtypes.int64
        out = x.astype(dtype or x.dtype) if x.ndim == 0 else np.cumprod(x, axis=axis, dtype=dtype)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        axis = ctx.axis
        if x.ndim == 0:
            return g, None, None
        xd = x._data
        dt = xd.dtype
        zero = xd == 0
        if not zero.any():
            return ReverseCumsum.apply(g * y, axis) / x, None, None
        n = xd.shape[axis]
        pos = np.arange(n).reshape([-1 if i == axis else 1 for i in range(xd.ndim)])
        first = np.where(zero.any(axis=axis, keepdims=True), np.argmax(zero, axis=axis, keepdims=True), n)
        before = pos < first
        x_safe = x * _mask(before, dt) + _mask(~before, dt)
        term1 = ReverseCumsum.apply(g * y, axis) / x_safe * _mask(before, dt)
        after = pos > first
        x_after = x * _mask(after, dt) + _mask(~after, dt)  # ones up to and including the zero
        gc = g * cumprod(x_after, axis) * _mask(pos >= first, dt)
        y_prev = sum(y * _mask(pos == first - 1, dt), axis, keepdim=True) + _mask(first == 0, dt)
        term2 = _mask(pos == first, dt) * y_prev * sum(gc, axis, keepdim=True)
        # after z the value is 0, but it is x_z times something: kept so that second derivatives are right
        x_z = sum(x * _mask(pos == first, dt), axis, keepdim=True)
        x_after_safe = x_after * _mask(x_after._data != 0, dt) + _mask(x_after._data == 0, dt)
        later = zero & (pos > first)  # a second zero z2: its cofactor skips it, so is not written as x_z2 times one
        second = np.where(later.any(axis=axis, keepdims=True), np.argmax(later, axis=axis, keepdims=True), n)
        term3 = ReverseCumsum.apply(gc, axis) / x_after_safe * (x_z * y_prev) * _mask(after & (pos != second), dt)
        if not later.any():
            return term1 + term2 + term3, None, None
        x_skip = x_after * _mask(pos != second, dt) + _mask(pos == second, dt)
        gc2 = g * cumprod(x_skip, axis) * _mask(pos >= second, dt)
        term4 = _mask(pos == second, dt) * (x_z * y_prev) * sum(gc2, axis, keepdim=True)
        return term1 + term2 + term3 + term4, None, None


def cumprod(input: Tensor, dim: int, dtype=None) -> Tensor:  # noqa: A002
    """Running product along ``dim``; the gradient is exact with zeros in the input."""
    return Cumprod.apply(input, canonical_dim(int(dim), input.ndim), None if dtype is None else dtypes.as_dtype(dtype))


# ---- norms ----
class Norm2(Op):
    """sqrt(sum(x^2)) over axes; d/dx = x / norm (0 where the norm is 0, as in PyTorch)"""

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.in_shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        out = np.sqrt(np.sum(x * x, axis=axes, keepdims=keepdim))
        out = np.asarray(out, dtype=x.dtype)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        shape, axes, keepdim = ctx.in_shape, ctx.axes, ctx.keepdim
        zero = _mask(out._data == 0, out.dtype)
        safe = out + zero  # 1 where the norm is 0; masked, as x may be tiny but nonzero (its square underflowed)
        return expand_reduced(g / safe * (1 - zero), shape, axes, keepdim) * x, None, None


class NormP(Op):
    """(sum |x|^p)^(1/p) over axes; d/dx = sign(x) |x|^(p-1) / norm^(p-1) (0 where the norm is 0)"""

    @staticmethod
    def forward(ctx, x, p, axes, keepdim):
        ctx.in_shape, ctx.axes, ctx.keepdim, ctx.p = x.shape, axes, keepdim, p
        out = np.asarray(np.sum(np.abs(x) ** p, axis=axes, keepdims=keepdim) ** (1.0 / p), dtype=x.dtype)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        p, shape, axes, keepdim = ctx.p, ctx.in_shape, ctx.axes, ctx.keepdim
        zero = _mask(out._data == 0, out.dtype)
        scale = g / (out + zero) ** (p - 1) * (1 - zero)
        return expand_reduced(scale, shape, axes, keepdim) * sign(x) * _abs(x) ** (p - 1), None, None, None


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:  # noqa: A002
    """Vector norm over ``dim`` (all elements when None): p = 'fro' (= 2), a number, inf or -inf."""
    x = _float_input(input if dtype is None else input.to(dtype), "norm")
    axes = _axes(dim, x.ndim)
    if p is None or p == "fro":
        p = 2
    if isinstance(p, str):
        raise ValueError(f"norm: unsupported norm type {p!r} (supported: 'fro', a number, inf, -inf)")
    p = float(p)
    if p == 2:
        return Norm2.apply(x, axes, keepdim)
    if p == float("inf"):
        return amax(_abs(x), axes, keepdim)
    if p == float("-inf"):
        return amin(_abs(x), axes, keepdim)
    if p == 0:
        return _make(np.asarray(np.sum(x._data != 0, axis=axes, keepdims=keepdim), dtype=x.dtype))
    if p == 1:
        return sum(_abs(x), axes, keepdim)
    return NormP.apply(x, p, axes, keepdim)
