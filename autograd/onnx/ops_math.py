"""ONNX translations of the math ops: elementwise arithmetic and functions, comparisons, activations, reductions,
softmax, matmul and linear."""

from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..tensor import Tensor
from .graph import translates

E = "autograd.ops.elementwise."
R = "autograd.ops.reduce."
ACT = "autograd.ops.activation."


def _out_dtype(rec, i: int = 0):
    return rec.outs[i].dtype


def _raw(x):
    return x.numpy() if isinstance(x, Tensor) else x


# ---- arithmetic ----
def _binary(op_type: str):
    def tr(g, rec):
        dt = _out_dtype(rec)
        return [g.op(op_type, g.value(rec.args[0], dt), g.value(rec.args[1], dt))]
    return tr


for _name, _onnx in (("Add", "Add"), ("Sub", "Sub"), ("Mul", "Mul"), ("Div", "Div"), ("Pow", "Pow"),
                     ("Maximum", "Max"), ("Minimum", "Min")):
    translates(E + _name)(_binary(_onnx))


@translates(E + "Remainder")
def _remainder(g, rec):
    dt = _out_dtype(rec)
    a, b = g.value(rec.args[0], dt), g.value(rec.args[1], dt)
    if dt.kind != "f":
        return [g.op("Mod", a, b, fmod=0)]
    # Python's sign-of-divisor remainder: a - floor(a / b) b
    return [g.op("Sub", a, g.op("Mul", g.op("Floor", g.op("Div", a, b)), b))]


def _unary(op_type: str):
    def tr(g, rec):
        return [g.op(op_type, g.value(rec.args[0], _out_dtype(rec)))]
    return tr


for _name, _onnx in (("Neg", "Neg"), ("Exp", "Exp"), ("Log", "Log"), ("Sqrt", "Sqrt"), ("Reciprocal", "Reciprocal"),
                     ("Abs", "Abs"), ("Sin", "Sin"), ("Cos", "Cos"), ("Tan", "Tan"), ("Tanh", "Tanh"),
                     ("Sigmoid", "Sigmoid"), ("Relu", "Relu"), ("Floor", "Floor"), ("Ceil", "Ceil"),
                     ("Sign", "Sign")):
    translates(E + _name)(_unary(_onnx))
translates(E + "Clone")(_unary("Identity"))
translates("autograd.ops.misc.Erf")(_unary("Erf"))
translates("autograd.ops.misc.Acos")(_unary("Acos"))


def _scalar(g, value, dt) -> str:
    return g.const(np.asarray(value, dtype=dt))


@translates(E + "Expm1")
def _expm1(g, rec):
    dt = _out_dtype(rec)
    return [g.op("Sub", g.op("Exp", g.value(rec.args[0], dt)), _scalar(g, 1, dt))]


@translates(E + "Log1p")
def _log1p(g, rec):
    dt = _out_dtype(rec)
    return [g.op("Log", g.op("Add", g.value(rec.args[0], dt), _scalar(g, 1, dt)))]


@translates(E + "Log2", E + "Log10")
def _log_base(g, rec):
    dt = _out_dtype(rec)
    base = 2.0 if rec.op_name() == "Log2" else 10.0
    return [g.op("Div", g.op("Log", g.value(rec.args[0], dt)), _scalar(g, math.log(base), dt))]


@translates(E + "Rsqrt")
def _rsqrt(g, rec):
    return [g.op("Reciprocal", g.op("Sqrt", g.value(rec.args[0], _out_dtype(rec))))]


@translates(E + "Trunc")
def _trunc(g, rec):
    x = g.value(rec.args[0], _out_dtype(rec))
    return [g.op("Mul", g.op("Sign", x), g.op("Floor", g.op("Abs", x)))]


@translates(E + "Round")
def _round(g, rec):
    dt = _out_dtype(rec)
    x = g.value(rec.args[0], dt)
    decimals = int(rec.args[1]) if len(rec.args) > 1 else 0
    if decimals == 0:
        return [g.op("Round", x)]
    scale = _scalar(g, 10.0 ** decimals, dt)
    return [g.op("Div", g.op("Round", g.op("Mul", x, scale)), scale)]


@translates(E + "Clamp")
def _clamp(g, rec):
    x, lo, hi = rec.args
    dt = _out_dtype(rec)
    return [g.op("Clip", g.value(x, dt), "" if lo is None else _scalar(g, lo, dt),
                 "" if hi is None else _scalar(g, hi, dt))]


@translates(E + "Where")
def _where(g, rec):
    cond, a, b = rec.args
    dt = _out_dtype(rec)
    return [g.op("Where", g.value(cond, np.bool_), g.value(a, dt), g.value(b, dt))]


@translates(E + "Cast")
def _cast(g, rec):
    return [g.cast(g.value(rec.args[0]), rec.args[1])]


# ---- comparisons and logic (no-graph ops that record themselves) ----
_COMPARE = {"lt": "Less", "le": "LessOrEqual", "gt": "Greater", "ge": "GreaterOrEqual", "eq": "Equal",
            "logical_and": "And", "logical_or": "Or", "logical_xor": "Xor"}


@translates(*_COMPARE, "ne")
def _compare(g, rec):
    a, b = rec.args
    if rec.op.startswith("logical_"):  # on truth values (a cast to bool: nonzero is True)
        return [g.op(_COMPARE[rec.op], g.value(a, np.bool_), g.value(b, np.bool_))]
    dt = dtypes.promote(_raw(a), _raw(b))  # as the op promoted them (a Python number adapts to the tensor)
    va, vb = g.value(a, dt), g.value(b, dt)
    if rec.op == "ne":
        return [g.op("Not", g.op("Equal", va, vb))]
    return [g.op(_COMPARE[rec.op], va, vb)]


@translates("logical_not", "bitwise_not")
def _not(g, rec):
    x = rec.args[0]
    if rec.op == "bitwise_not" and x.dtype != np.bool_:
        return [g.op("BitwiseNot", g.value(x))]
    return [g.op("Not", g.value(x, np.bool_))]


# ---- activations with their own op ----
@translates(ACT + "Gelu")
def _gelu(g, rec):
    dt = _out_dtype(rec)
    x = g.value(rec.args[0], dt)
    if g.opset >= 20:
        return [g.op("Gelu", x)]
    cdf = g.op("Add", _scalar(g, 1.0, dt), g.op("Erf", g.op("Mul", x, _scalar(g, 1 / math.sqrt(2.0), dt))))
    return [g.op("Mul", g.op("Mul", x, _scalar(g, 0.5, dt)), cdf)]


@translates(ACT + "Silu")
def _silu(g, rec):
    x = g.value(rec.args[0], _out_dtype(rec))
    return [g.op("Mul", x, g.op("Sigmoid", x))]


@translates(ACT + "Softplus")
def _softplus(g, rec):
    x, beta, threshold = rec.args
    dt = _out_dtype(rec)
    x = g.value(x, dt)
    bx = x if beta == 1 else g.op("Mul", x, _scalar(g, beta, dt))
    sp = g.op("Softplus", bx)
    if beta != 1:
        sp = g.op("Div", sp, _scalar(g, beta, dt))
    if math.isinf(threshold):
        return [sp]
    return [g.op("Where", g.op("Greater", bx, _scalar(g, threshold, dt)), x, sp)]


@translates(ACT + "Elu")
def _elu(g, rec):
    x, alpha, scale, input_scale = rec.args
    dt = _out_dtype(rec)
    x = g.value(x, dt)
    neg = g.op("Mul", g.op("Sub", g.op("Exp", g.op("Mul", g.op("Min", x, _scalar(g, 0, dt)),
                                                     _scalar(g, input_scale, dt))), _scalar(g, 1, dt)),
               _scalar(g, alpha, dt))
    y = g.op("Where", g.op("Greater", x, _scalar(g, 0, dt)), x, neg)
    return [y if scale == 1 else g.op("Mul", y, _scalar(g, scale, dt))]


# ---- reductions ----
def _reduce(op_type: str):
    def tr(g, rec):
        x, axes, keepdim = rec.args[:3]
        dt = _out_dtype(rec)
        v = g.value(x, dt if op_type in ("ReduceSum", "ReduceMean", "ReduceProd") else None)
        if not axes:  # a 0-d input: nothing to reduce
            return [g.op("Identity", v)]
        return [g.reduce(op_type, v, axes, keepdim)]
    return tr


for _name, _onnx in (("Sum", "ReduceSum"), ("Mean", "ReduceMean"), ("Prod", "ReduceProd"), ("Amax", "ReduceMax"),
                     ("Amin", "ReduceMin"), ("LogSumExp", "ReduceLogSumExp"), ("Norm2", "ReduceL2")):
    translates(R + _name)(_reduce(_onnx))


@translates(R + "Var")
def _var(g, rec):
    x, axes, keepdim, correction = rec.args
    dt = _out_dtype(rec)
    v = g.value(x, dt)
    n = int(np.prod([x.shape[a] for a in axes])) if axes else 1
    dev = g.op("Sub", v, g.reduce("ReduceMean", v, axes, True))
    ss = g.reduce("ReduceSum", g.op("Mul", dev, dev), axes, keepdim)
    return [g.op("Div", ss, _scalar(g, max(0.0, n - correction), dt))]


@translates(R + "Softmax", R + "LogSoftmax")
def _softmax(g, rec):
    x, axis = rec.args
    return [g.op(rec.op_name(), g.value(x, _out_dtype(rec)), axis=int(axis))]


@translates(R + "Cumsum")
def _cumsum(g, rec):
    x, axis = rec.args[:2]
    return [g.op("CumSum", g.value(x, _out_dtype(rec)), g.const(np.asarray(axis, np.int64)))]


# ---- products ----
@translates("autograd.ops.linalg.Matmul")
def _matmul(g, rec):
    dt = _out_dtype(rec)
    return [g.op("MatMul", g.value(rec.args[0], dt), g.value(rec.args[1], dt))]


@translates("autograd.ops.linalg.Outer")
def _outer(g, rec):
    dt = _out_dtype(rec)
    a, b = g.value(rec.args[0], dt), g.value(rec.args[1], dt)
    return [g.op("Mul", g.unsqueeze(a, [1]), g.unsqueeze(b, [0]))]


@translates("autograd.ops.linalg.Einsum")
def _einsum(g, rec):
    subs, out = rec.kwargs["parsed"][:2]
    dt = _out_dtype(rec)
    return [g.op("Einsum", *[g.value(x, dt) for x in rec.args], equation=",".join(subs) + "->" + out)]


@translates("autograd.ops.linear.Linear")
def _linear(g, rec):
    x, w, b = rec.args
    dt = _out_dtype(rec)
    xv, wv = g.value(x, dt), g.value(w, dt)
    bv = g.value(b, dt) if b is not None else None
    if x.ndim == 2:
        return [g.op("Gemm", xv, wv, *([bv] if bv is not None else []), transB=1)]
    y = g.op("MatMul", xv, g.op("Transpose", wv, perm=[1, 0]))
    return [g.op("Add", y, bv) if bv is not None else y]


@translates(R + "NormP")
def _norm_p(g, rec):
    x, p, axes, keepdim = rec.args
    dt = _out_dtype(rec)
    a = g.op("Abs", g.value(x, dt))
    if p == 1:
        return [g.reduce("ReduceL1", a, axes, keepdim)]
    if math.isinf(p):
        return [g.reduce("ReduceMax" if p > 0 else "ReduceMin", a, axes, keepdim)]
    if p == 0:
        return [g.reduce("ReduceSum", g.cast(g.op("Not", g.op("Equal", a, _scalar(g, 0, dt))), dt), axes, keepdim)]
    s = g.reduce("ReduceSum", g.op("Pow", a, _scalar(g, p, dt)), axes, keepdim)
    return [g.op("Pow", s, _scalar(g, 1.0 / p, dt))]


@translates(R + "TakeAlong")
def _take_along(g, rec):
    """max / min along a dim (the values; the indices are argmax / argmin)."""
    x, _, axis, keepdim = rec.args
    is_max = np.array_equal(np.max(x.numpy(), axis=axis, keepdims=keepdim), rec.outs[0].numpy(), equal_nan=True)
    return [g.reduce("ReduceMax" if is_max else "ReduceMin", g.value(x), [axis], keepdim)]


@translates("argmax", "argmin")
def _argmax(g, rec):
    x, dim, keepdim = rec.args
    op_type = "ArgMax" if rec.op == "argmax" else "ArgMin"
    v = g.value(x)
    if x.ndim == 0:
        return [g.op("Cast", g.op("Mul", v, _scalar(g, 0, x.dtype)), to=7)]
    if dim is None:  # over the flattened input
        y = g.op(op_type, g.op("Reshape", v, g.ints([-1])), axis=0, keepdims=0)
        return [g.op("Reshape", y, g.ints([1] * x.ndim)) if keepdim else y]
    return [g.op(op_type, v, axis=int(dim), keepdims=int(keepdim))]
