"""Elementwise ops: arithmetic, the exp/log family, trigonometry, activations, comparisons, casts.

Forward works on numpy arrays (Python scalars stay Python scalars, so they never upcast a float32 tensor);
each result takes PyTorch's promoted dtype (``autograd.dtypes.promote``). Backward is written in Tensor ops
so it can itself be differentiated; broadcasting is undone by the engine, not here. Where a backward has a
fused kernel (relu, sigmoid, tanh), that kernel is an op of its own (``ReluBackward``, ...) with its own
backward, so ``create_graph=True`` differentiates through the same code that runs without it.
"""

from __future__ import annotations

import builtins

import numpy as np

from .. import dtypes, threads
from .. import function as _function
from ..function import Op
from ..grad_mode import _mode
from ..kernels import elementwise as K
from ..kernels.ufunc import split
from ..tensor import Tensor, _make

_NUMBERS = (float, int)


# ---- helpers ----
def _arr(x):
    return x._data if isinstance(x, Tensor) else x


def _cast_to(x, dtype):
    """Cast an array operand to ``dtype`` (Python scalars are left to numpy's weak-scalar rule)."""
    if isinstance(x, np.ndarray) and x.dtype != dtype:
        return x.astype(dtype)
    return x


def _float_of(dtype: np.dtype) -> np.dtype:
    return dtype if dtype.kind == "f" else dtypes.get_default_dtype()


def _as_float(x: np.ndarray) -> np.ndarray:
    return x if x.dtype.kind == "f" else x.astype(dtypes.get_default_dtype())


def _check_shapes(op: str, a, b) -> None:
    sa, sb = np.shape(a), np.shape(b)
    try:
        np.broadcast_shapes(sa, sb)
    except ValueError:
        raise RuntimeError(
            f"{op}: the size of tensor a {tuple(sa)} must match the size of tensor b {tuple(sb)} "
            "(they are not broadcastable)"
        ) from None


def _binary_forward(name: str, ufunc, a, b, dtype=None):
    """Apply ``ufunc`` after casting array operands to the promoted dtype (``dtype`` overrides it)."""
    if dtype is None and type(a) is np.ndarray and type(b) is np.ndarray and a.dtype is b.dtype:
        try:  # same dtype: nothing to promote
            return split(ufunc, a, b)
        except ValueError:
            _check_shapes(name, a, b)
            raise
    dt = dtype or dtypes.promote(a, b)
    try:
        out = split(ufunc, _cast_to(a, dt), _cast_to(b, dt))
    except ValueError:
        _check_shapes(name, a, b)
        raise
    if not isinstance(out, np.ndarray):
        out = np.asarray(out)
    return out if out.dtype == dt else out.astype(dt)


# ---- arithmetic ----
class Add(Op):
    """a + b; d/da = 1, d/db = 1"""

    symbol = "+"

    @staticmethod
    def forward(ctx, a, b):
        return _binary_forward("add", np.add, a, b)

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Op):
    """a - b; d/da = 1, d/db = -1"""

    symbol = "-"

    @staticmethod
    def forward(ctx, a, b):
        if isinstance(a, np.ndarray) and a.dtype == np.bool_ or isinstance(b, np.ndarray) and b.dtype == np.bool_:
            raise TypeError("Subtraction, the `-` operator, with a bool tensor is not supported; use logical ops")
        return _binary_forward("sub", np.subtract, a, b)

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Op):
    """a * b; d/da = b, d/db = a"""

    symbol = "*"

    @staticmethod
    def forward(ctx, a, b):
        # a Python number stays a number (saved, it would become a float64 tensor that g * b must promote)
        ctx.numbers = bn, an = (b if type(b) in _NUMBERS else None), (a if type(a) in _NUMBERS else None)
        need_a, need_b = ctx.needs_input_grad
        ctx.save_for_backward(b if need_a and bn is None else None, a if need_b and an is None else None)
        return _binary_forward("mul", np.multiply, a, b)

    @staticmethod
    def backward(ctx, g):
        b, a = ctx.saved_tensors
        bn, an = ctx.numbers
        return (mul(g, b if bn is None else bn) if ctx.needs_input_grad[0] else None,
                mul(g, a if an is None else an) if ctx.needs_input_grad[1] else None)


class Div(Op):
    """a / b; d/da = 1/b, d/db = -(a/b)/b (not -a/b^2: b^2 and g*a overflow where the quotient does not)"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)
        dt = _float_of(dtypes.promote(a, b))
        with np.errstate(divide="ignore", invalid="ignore"):
            return _binary_forward("div", np.true_divide, a, b, dt)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g / b if ctx.needs_input_grad[0] else None
        gb = -g * ((a / b) / b) if ctx.needs_input_grad[1] else None
        return ga, gb


class Pow(Op):
    """a ** b; d/da = b a^(b-1), d/db = a^b ln a (0 where a == 0 and b >= 0)"""

    @staticmethod
    def forward(ctx, a, b):
        dt = dtypes.promote(a, b)
        if dt.kind in "iu" and np.any(np.asarray(b) < 0):
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = _binary_forward("pow", np.power, a, b, dt)
        ctx.save_for_backward(a, b, out if ctx.needs_input_grad[1] else None)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        ga = gb = None
        if ctx.needs_input_grad[0]:
            if isinstance(b, Tensor) and b.ndim == 0 and b.grad_fn is None and not b.requires_grad and b.item() == 0:
                ga = g * 0
            else:
                ga = g * b * pow(a, b - 1)
        if ctx.needs_input_grad[1]:
            a_t = a if isinstance(a, Tensor) else _make(np.asarray(a, dtype=out.dtype))
            gb = g * where(logical_and(a_t == 0, b >= 0), 0.0, out * log(a_t))
        return ga, gb


class Remainder(Op):
    """a mod b (sign of b, as Python); d/da = 1, d/db = -floor(a / b)"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b if ctx.needs_input_grad[1] else None)
        return _binary_forward("remainder", np.mod, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g, (-g * floor(a / b) if ctx.needs_input_grad[1] else None)


class Neg(Op):
    """-x; d/dx = -1"""

    @staticmethod
    def forward(ctx, x):
        if x.dtype == np.bool_:
            raise TypeError("Negation, the `-` operator, on a bool tensor is not supported; use logical_not")
        return np.negative(x)

    @staticmethod
    def backward(ctx, g):
        return -g


# The no-graph fast path of add/sub/mul; the profiler turns it off so that every op goes through ``apply``.
_fast_path = True


def _arithmetic(ufunc, op, name: str, scaled: bool):
    """The entry function of ``op`` (``Tensor.__add__`` and friends call it). Where no graph is recorded and the
    operands need no promotion (two float tensors of one dtype, or a float tensor and a Python number), it
    applies ``ufunc`` to the arrays inline, with no node and no promotion table; otherwise ``op.apply``. With
    ``scaled`` it takes ``alpha``: a op (alpha * b)."""
    mode = _mode
    big = threads.THRESHOLDS

    def entry(a, b, alpha=1):
        if type(b) is Tensor:
            if type(a) is Tensor and alpha == 1 and _fast_path:
                ad, bd = a._data, b._data
                if (ad.dtype is bd.dtype and ad.dtype.kind == "f"
                        and not ((a._requires_grad or b._requires_grad) and mode.enabled)):
                    try:
                        out = ufunc(ad, bd) if ad.size < big["elementwise"] else split(ufunc, ad, bd)
                    except ValueError:  # not broadcastable: op.apply raises the library's message
                        return op.apply(a, b)
                    return _make(out if type(out) is np.ndarray else np.asarray(out))  # 0-d: an ndarray
        elif (type(b) is float or type(b) is int) and type(a) is Tensor and alpha == 1 and _fast_path:
            ad = a._data
            if ad.dtype.kind == "f" and not (a._requires_grad and mode.enabled):
                out = ufunc(ad, b)
                return _make(out if type(out) is np.ndarray else np.asarray(out))
        if alpha != 1:
            if not scaled:
                raise TypeError(f"{name}() got an unexpected keyword argument 'alpha'")
            return entry(a, mul(b, alpha))
        return op.apply(a, b)

    entry.__name__ = entry.__qualname__ = name
    entry.__doc__ = f"a {op.symbol} alpha * b" if scaled else f"a {op.symbol} b"
    return entry


add = _arithmetic(np.add, Add, "add", scaled=True)
sub = _arithmetic(np.subtract, Sub, "sub", scaled=True)
mul = _arithmetic(np.multiply, Mul, "mul", scaled=False)


def div(a, b, rounding_mode=None):
    """a / b, true division (ints give floats); ``rounding_mode`` 'trunc' or 'floor' rounds (no gradient)."""
    if rounding_mode is None:
        return Div.apply(a, b)
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(
            f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'"
        )
    ad, bd = _arr(a), _arr(b)
    dt = dtypes.promote(ad, bd)
    if dt.kind in "iu" and np.any(np.asarray(bd) == 0):
        raise ZeroDivisionError("div: integer division by zero")
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.true_divide(_cast_to(ad, dt), _cast_to(bd, dt))
        q = np.trunc(q) if rounding_mode == "trunc" else np.floor(q)
    return _make(np.asarray(q).astype(dt))


def floor_divide(a, b):
    return div(a, b, rounding_mode="floor")


def remainder(a, b):
    return Remainder.apply(a, b)


def pow(a, b):  # noqa: A001
    return Pow.apply(a, b)


def neg(x):
    return Neg.apply(x)


def square(x):
    return Pow.apply(x, 2)


# ---- unary math ----
class Exp(Op):
    """d/dx exp(x) = exp(x)"""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(over="ignore"):
            y = np.exp(_as_float(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


class Expm1(Op):
    """d/dx (exp(x) - 1) = exp(x)"""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(over="ignore"):
            y = np.expm1(_as_float(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (y + 1)


class Log(Op):
    """d/dx ln x = 1/x  (log2 and log10 are this with ``scale`` = ln 2, ln 10: d/dx log_b x = 1/(x ln b))"""

    ufunc = staticmethod(np.log)
    scale = 1.0

    @classmethod
    def forward(cls, ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return cls.ufunc(_as_float(x))

    @classmethod
    def backward(cls, ctx, g):
        (x,) = ctx.saved_tensors
        return g / x if cls.scale == 1.0 else g / (x * cls.scale)


class Log2(Log):
    ufunc = staticmethod(np.log2)
    scale = float(np.log(2.0))


class Log10(Log):
    ufunc = staticmethod(np.log10)
    scale = float(np.log(10.0))


class Log1p(Op):
    """d/dx ln(1 + x) = 1/(1 + x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log1p(_as_float(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x + 1)


class Sqrt(Op):
    """d/dx sqrt(x) = 1 / (2 sqrt(x))"""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(invalid="ignore"):
            y = np.sqrt(_as_float(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g / (y * 2)


class Rsqrt(Op):
    """d/dx x^(-1/2) = -x^(-3/2) / 2"""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(divide="ignore", invalid="ignore"):
            y = 1 / np.sqrt(_as_float(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y * y * y * -0.5


class Reciprocal(Op):
    """d/dx 1/x = -1/x^2"""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(divide="ignore"):
            y = np.reciprocal(_as_float(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return -g * y * y


class Abs(Op):
    """d/dx |x| = sign(x) (0 at 0)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * sign(x)


class Sin(Op):
    """d/dx sin x = cos x"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(_as_float(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * cos(x)


class Cos(Op):
    """d/dx cos x = -sin x"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(_as_float(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g * sin(x)


class Tan(Op):
    """d/dx tan x = 1 + tan(x)^2"""

    @staticmethod
    def forward(ctx, x):
        y = np.tan(_as_float(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (y * y + 1)


class Tanh(Op):
    """d/dx tanh(x) = 1 - tanh(x)^2"""

    @staticmethod
    def forward(ctx, x):
        y = np.tanh(_as_float(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return TanhBackward.apply(g, y)


class _SlopeOfOutput(Op):
    """gx = g s(y), the backward of an activation whose slope s is a function of its output y (fused kernel);
    linear in g, so d/dg is this op applied to h; d/dy = h g s'(y)."""

    kernel = None

    @classmethod
    def forward(cls, ctx, g, y):
        ctx.save_for_backward(g if ctx.needs_input_grad[1] else None, y)
        return cls.kernel(g, y)

    @classmethod
    def backward(cls, ctx, h):
        g, y = ctx.saved_tensors
        return (cls.apply(h, y) if ctx.needs_input_grad[0] else None,
                h * g * cls.slope_derivative(y) if ctx.needs_input_grad[1] else None)


class TanhBackward(_SlopeOfOutput):
    """gx = g (1 - y^2); d/dg = 1 - y^2, d/dy = -2 g y"""

    kernel = staticmethod(K.tanh_backward)

    @staticmethod
    def slope_derivative(y):
        return y * -2


class Sigmoid(Op):
    """d/dx sigmoid(x) = sigmoid(x) (1 - sigmoid(x))"""

    @staticmethod
    def forward(ctx, x):
        y = K.sigmoid(_as_float(x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return SigmoidBackward.apply(g, y)


class SigmoidBackward(_SlopeOfOutput):
    """gx = g y (1 - y); d/dg = y (1 - y), d/dy = g (1 - 2 y)"""

    kernel = staticmethod(K.sigmoid_backward)

    @staticmethod
    def slope_derivative(y):
        return 1 - 2 * y


class Relu(Op):
    """d/dx max(x, 0) = 1 where x > 0, else 0"""

    @staticmethod
    def forward(ctx, x):
        y = split(np.maximum, x, 0)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return ReluBackward.apply(g, y)


class ReluBackward(Op):
    """gx = g where y > 0, else 0 (PyTorch's threshold_backward); linear in g, so d/dg is this op again;
    piecewise constant in y, so d/dy = 0"""

    @staticmethod
    def forward(ctx, g, y):
        ctx.save_for_backward(y)
        return K.relu_backward(g, y)

    @staticmethod
    def backward(ctx, h):
        (y,) = ctx.saved_tensors
        return ReluBackward.apply(h, y), None


class _ZeroGrad(Op):
    """Piecewise-constant functions (floor, ceil, round, trunc, sign): the gradient is 0 almost everywhere."""

    fn = None

    @classmethod
    def forward(cls, ctx, x, *args):
        return np.asarray(cls.fn(x, *args)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        return g * 0, None


class Floor(_ZeroGrad):
    fn = staticmethod(np.floor)


class Ceil(_ZeroGrad):
    fn = staticmethod(np.ceil)


class Trunc(_ZeroGrad):
    fn = staticmethod(np.trunc)


class Round(_ZeroGrad):
    fn = staticmethod(lambda x, decimals=0: np.round(x, decimals))


class Sign(_ZeroGrad):
    fn = staticmethod(np.sign)


def exp(x): return Exp.apply(x)
def expm1(x): return Expm1.apply(x)
def log(x): return Log.apply(x)
def log2(x): return Log2.apply(x)
def log10(x): return Log10.apply(x)
def log1p(x): return Log1p.apply(x)
def sqrt(x): return Sqrt.apply(x)
def rsqrt(x): return Rsqrt.apply(x)
def reciprocal(x): return Reciprocal.apply(x)
def abs(x): return Abs.apply(x)  # noqa: A001
def sin(x): return Sin.apply(x)
def cos(x): return Cos.apply(x)
def tan(x): return Tan.apply(x)
def tanh(x): return Tanh.apply(x)
def sigmoid(x): return Sigmoid.apply(x)
def relu(x): return Relu.apply(x)
def floor(x): return Floor.apply(x)
def ceil(x): return Ceil.apply(x)
def trunc(x): return Trunc.apply(x)
def round(x, decimals=0): return Round.apply(x, decimals)  # noqa: A001
def sign(x): return Sign.apply(x)


# ---- selection ----
class Clamp(Op):
    """clamp(x, lo, hi) with number bounds; d/dx = 1 where lo <= x <= hi, else 0"""

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        out = x
        if lo is not None:
            out = np.maximum(out, np.asarray(lo, dtype=x.dtype) if x.dtype.kind == "f" else lo)
        if hi is not None:
            out = np.minimum(out, np.asarray(hi, dtype=x.dtype) if x.dtype.kind == "f" else hi)
        return out if out is not x else x.copy()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        mask = np.ones(x.shape, dtype=bool)
        if ctx.lo is not None:
            mask &= x._data >= ctx.lo
        if ctx.hi is not None:
            mask &= x._data <= ctx.hi
        return g * _make(mask.astype(g.dtype)), None, None


def clamp(x, min=None, max=None):  # noqa: A002
    """Limit ``x`` to [min, max]; bounds may be numbers or tensors (broadcast)."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = x
        if min is not None:
            out = maximum(out, min)
        if max is not None:
            out = minimum(out, max)
        return out
    return Clamp.apply(x, min, max)


clip = clamp


class Maximum(Op):
    """max(a, b) elementwise; the gradient goes to the larger input, split in half on ties"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _binary_forward("maximum", np.maximum, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _split_grad(g, a, b)


class Minimum(Op):
    """min(a, b) elementwise; the gradient goes to the smaller input, split in half on ties"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _binary_forward("minimum", np.minimum, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _split_grad(g, b, a)


def _split_grad(g, winner, loser):
    """Gradients of max(winner, loser): g where winner > loser, g/2 on ties, 0 elsewhere (and vice versa)."""
    w, l_ = _arr(winner), _arr(loser)
    to_w = np.where(w > l_, 1.0, np.where(w == l_, 0.5, 0.0)).astype(g.dtype)
    return g * _make(to_w), g * _make((1 - to_w).astype(g.dtype))


def maximum(a, b):
    return Maximum.apply(a, b)


def minimum(a, b):
    return Minimum.apply(a, b)


class Where(Op):
    """where(c, a, b) = a where c else b; d/da = c, d/db = not c"""

    @staticmethod
    def forward(ctx, cond, a, b):
        if cond.dtype != np.bool_:
            raise TypeError(f"where expected condition to be a boolean tensor, but got dtype {cond.dtype}")
        ctx.cond = cond
        dt = dtypes.promote(a, b)
        try:
            out = np.where(cond, _cast_to(a, dt), _cast_to(b, dt))
        except ValueError:
            raise RuntimeError(
                f"where: shapes of condition {tuple(np.shape(cond))}, input {tuple(np.shape(a))} and "
                f"other {tuple(np.shape(b))} are not broadcastable"
            ) from None
        return out.astype(dt, copy=False)

    @staticmethod
    def backward(ctx, g):
        c = _make(ctx.cond)
        zero = _make(np.zeros((), g.dtype))
        ga = where(c, g, zero) if ctx.needs_input_grad[1] else None
        gb = where(c, zero, g) if ctx.needs_input_grad[2] else None
        return None, ga, gb


def where(condition, input=None, other=None):  # noqa: A002
    """``where(cond, a, b)`` picks elementwise; ``where(cond)`` is ``nonzero(cond, as_tuple=True)``."""
    if input is None and other is None:
        from .indexing import nonzero

        return nonzero(condition, as_tuple=True)
    cond = condition if isinstance(condition, Tensor) else _make(np.asarray(condition))
    return Where.apply(cond, input, other)


def lerp(start, end, weight):
    """start + weight * (end - start)"""
    return add(start, mul(weight, sub(end, start)))


def addcmul(x, t1, t2, value=1):
    """x + value * t1 * t2"""
    return add(x, mul(mul(t1, t2), value))


def addcdiv(x, t1, t2, value=1):
    """x + value * t1 / t2"""
    return add(x, mul(div(t1, t2), value))


# ---- dtype and copies ----
class Cast(Op):
    """x.to(dtype); d/dx = 1 (cast back)"""

    @staticmethod
    def forward(ctx, x, dtype):
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g, None


class Clone(Op):
    """A copy; d/dx = 1"""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g


def cast(x: Tensor, dtype) -> Tensor:
    dtype = dtypes.as_dtype(dtype)
    if x._data.dtype == dtype:
        return x
    return Cast.apply(x, dtype)


def clone(x: Tensor) -> Tensor:
    return Clone.apply(x)


# ---- comparisons and logic (no gradient) ----
def _compare(ufunc, name):
    def compare(a, b) -> Tensor:
        ad, bd = _arr(a), _arr(b)
        dt = dtypes.promote(ad, bd)
        try:
            out = _make(np.asarray(ufunc(_cast_to(ad, dt), _cast_to(bd, dt))))
        except ValueError:
            _check_shapes(name, ad, bd)
            raise
        if _function._recorder is not None:  # no graph node: an exported model's trace still needs the op
            _function._recorder(name, (a, b), {}, (out,))
        return out

    compare.__name__ = name
    compare.__doc__ = f"Elementwise ``{name}`` as a bool tensor (no gradient)."
    return compare


lt = _compare(np.less, "lt")
le = _compare(np.less_equal, "le")
gt = _compare(np.greater, "gt")
ge = _compare(np.greater_equal, "ge")
eq = _compare(np.equal, "eq")
ne = _compare(np.not_equal, "ne")
logical_and = _compare(np.logical_and, "logical_and")
logical_or = _compare(np.logical_or, "logical_or")
logical_xor = _compare(np.logical_xor, "logical_xor")


def logical_not(x) -> Tensor:
    out = _make(np.logical_not(_arr(x)))
    if _function._recorder is not None:
        _function._recorder("logical_not", (x,), {}, (out,))
    return out


def bitwise_not(x) -> Tensor:
    d = _arr(x)
    if d.dtype.kind == "f":
        raise TypeError("bitwise_not (~) is only defined for integer and bool tensors")
    out = _make(np.invert(d))
    if _function._recorder is not None:
        _function._recorder("bitwise_not", (x,), {}, (out,))
    return out


def isnan(x) -> Tensor:
    return _make(np.isnan(_arr(x)))


def isinf(x) -> Tensor:
    return _make(np.isinf(_arr(x)))


def isfinite(x) -> Tensor:
    return _make(np.isfinite(_arr(x)))


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return builtins.bool(np.allclose(_arr(a), _arr(b), rtol=rtol, atol=atol, equal_nan=equal_nan))
