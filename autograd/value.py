"""``Value``: a scalar define-by-run reverse-mode engine with micrograd's interface, built for speed.

Each ``Value`` is both a number and its own graph node. A node keeps its inputs (``_a``, ``_b``; never its
consumers, so a graph holds no reference cycle and CPython's cyclic GC has nothing to collect) and the local
derivatives d(out)/d(input) computed in forward (``_da``, ``_db``): backward is one static rule,
``input.grad += local * out.grad``, with no per-node closure. When one operand is a Python number it is not
wrapped in a node: ``_b`` is None and the constant is kept in ``_db`` (for drawing and double backward).
N-ary nodes (``Value.sum``, ``dot``) keep a tuple of inputs in ``_a``, their local derivatives in ``_da`` and
the partner of each input (what the local derivative is, as a Value or a number) in ``_db``.

``backward`` runs in two iterative passes (no recursion, so a graph of any depth backpropagates): pass 1
counts each reachable node's consumers in the node's ``_deps`` slot (0 outside backward), pass 2 runs a node
once its count is back to 0 (Kahn's order: no sort by a creation number and no DFS stack). The
counts live on the nodes, so two threads must not backpropagate through a shared graph at once. Leaves
accumulate into ``.grad`` (as in PyTorch; zero them between steps), intermediate nodes' grads are reset by
each backward, so calling it twice never doubles them. ``backward(create_graph=True)`` computes the gradients
as ``Value`` expressions, so they can be differentiated again (this makes a cycle leaf -> grad -> leaf, as in
PyTorch; plain backward makes none).

The scalar engine keeps its own graph walk instead of sharing ``autograd.engine.run_backward``, because the
shared walk would cost it speed: the tensor engine's nodes are ``Function`` objects reached through edges, its
dependency counts and gradient buffers are dicts keyed by node, and each node passes through hooks,
un-broadcasting, ``retain_graph`` bookkeeping and anomaly checks. Here a node is one float multiply-add, so the
counts and grads sit in the node's own slots and backward is one static rule; going through the shared walk adds
several dict operations and calls per node, which is most of the work of a scalar node (the micrograd demo and
benchmark workload 7 measure this path). The two walks use the same algorithm (consumer counts, Kahn's order).

Non-finite results follow IEEE/PyTorch rather than raising: ``exp(1000)`` is inf, ``log(0)`` is -inf,
``log(-1)``, ``sqrt(-1)`` and ``(-8) ** (1/3)`` are nan, ``1 / 0`` is inf.
"""

from __future__ import annotations

import math
from operator import mul as _mul

import numpy as np

__all__ = ["Value", "dot"]

_new = object.__new__
_NUMBER = (int, float, np.integer, np.floating)
_VALUE_ONLY = frozenset({None})  # set below, once Value exists
_FLOAT_ONLY = frozenset({float})
_inf = math.inf
_nan = math.nan


class _Nary:
    """Marker in ``_b`` of an n-ary node."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NARY"


NARY = _Nary()


def _const(o) -> float:
    if isinstance(o, _NUMBER):
        return float(o)
    raise TypeError(f"unsupported operand type for Value: {type(o).__name__} (expected a Value or a real number)")


def _np_pow(a: float, b: float) -> float:
    """IEEE power (``0 ** -1 = inf``, ``(-8) ** 0.5 = nan``), where Python's ``**`` raises or goes complex."""
    with np.errstate(all="ignore"):
        return float(np.power(np.float64(a), np.float64(b)))


def _pow(a: float, b: float) -> float:
    try:
        r = a**b
    except (ZeroDivisionError, OverflowError):
        return _np_pow(a, b)
    return r if type(r) is float else _np_pow(a, b)


def _div(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        with np.errstate(all="ignore"):
            return float(np.float64(a) / np.float64(b))


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return _inf


def _log(x: float) -> float:
    if x > 0.0:
        return math.log(x)
    return -_inf if x == 0.0 else _nan


class Value:
    """A scalar and the node that produced it: ``Value(data)``, ``.data``, ``.grad``, ``.backward()``.

    Supports ``+ - * / **`` (with Python numbers on either side, and a Value exponent), unary ``-``,
    ``relu tanh exp log sigmoid sin cos abs sqrt``, ``max``/``min`` (no comparisons needed), and the n-ary
    ``Value.sum(values)`` and ``dot(ws, xs, bias)``. ``_prev`` and ``_op`` are micrograd's introspection names.
    """

    __slots__ = ("data", "grad", "_a", "_b", "_da", "_db", "_op", "_deps", "_label")
    __array_ufunc__ = None  # numpy scalars defer to our reflected operators

    def __init__(self, data, _children=(), _op: str = "", label: str = "") -> None:
        self.data = float(data)
        self.grad = 0.0
        # a user-built node (micrograd's signature): inputs are recorded for drawing, without a backward rule
        self._a = None
        self._b = None
        ch = tuple(_children)
        for c in ch:
            if type(c) is not Value:
                raise TypeError(f"Value: _children must be Values, got {type(c).__name__}")
        if ch:
            self._a = ch
            self._b = NARY
            self._da = (0.0,) * len(ch)
            self._db = self._da
        else:
            self._da = self._db = 0.0
        self._op = _op
        self._deps = 0
        self._label = label

    # ---- introspection ----
    @property
    def label(self) -> str:
        try:
            return self._label
        except AttributeError:
            return ""

    @label.setter
    def label(self, value: str) -> None:
        self._label = value

    @property
    def _prev(self) -> set:
        """The Value inputs of this node (micrograd's name)."""
        return set(self.inputs())

    def inputs(self) -> tuple:
        """The Value inputs of this node, in argument order (empty for a leaf)."""
        a = self._a
        if a is None:
            return ()
        b = self._b
        if b is NARY:
            return a
        return (a,) if b is None else (a, b)

    def is_leaf(self) -> bool:
        return self._a is None

    def op_name(self) -> str:
        """The op's readable name ("Add", "Mul", "Tanh"...); "" for a leaf."""
        return _OP_NAMES.get(self._op, self._op)

    def constant(self):
        """For a node with one number operand: ``(position, number)``; else None."""
        if self._a is None or self._b is not None or self._op not in _BINARY:
            return None
        return (0 if self._op.startswith("r") else 1), self._db

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    # ---- arithmetic ----
    def __add__(self, other):
        v = _new(Value)
        if type(other) is Value:
            v.data = self.data + other.data
            v._b = other
            v._db = 1.0
            v._deps = 0
        else:
            c = other if type(other) is float else _const(other)
            v.data = self.data + c
            v._b = None
            v._db = c
            v._deps = 0
        v.grad = 0.0
        v._a = self
        v._da = 1.0
        v._op = "+"
        return v

    __radd__ = __add__

    def __sub__(self, other):
        v = _new(Value)
        if type(other) is Value:
            v.data = self.data - other.data
            v._b = other
            v._db = -1.0
        else:
            c = other if type(other) is float else _const(other)
            v.data = self.data - c
            v._b = None
            v._db = c
        v.grad = 0.0
        v._a = self
        v._da = 1.0
        v._op = "-"
        v._deps = 0
        return v

    def __rsub__(self, other):
        c = other if type(other) is float else _const(other)
        v = _new(Value)
        v.data = c - self.data
        v.grad = 0.0
        v._a = self
        v._b = None
        v._da = -1.0
        v._db = c
        v._op = "r-"
        v._deps = 0
        return v

    def __mul__(self, other):
        v = _new(Value)
        if type(other) is Value:
            b = other.data
            v.data = self.data * b
            v._b = other
            v._da = b
            v._db = self.data
        else:
            c = other if type(other) is float else _const(other)
            v.data = self.data * c
            v._b = None
            v._da = c
            v._db = c
        v.grad = 0.0
        v._a = self
        v._op = "*"
        v._deps = 0
        return v

    __rmul__ = __mul__

    def __truediv__(self, other):
        v = _new(Value)
        a = self.data
        if type(other) is Value:
            b = other.data
            try:
                v.data = out = a / b
                v._da = 1.0 / b
                v._db = -out / b
            except ZeroDivisionError:
                v.data = out = _div(a, b)
                v._da = _div(1.0, b)
                v._db = -_div(out, b)
            v._b = other
        else:
            c = other if type(other) is float else _const(other)
            v.data = _div(a, c)
            v._da = _div(1.0, c)
            v._b = None
            v._db = c
        v.grad = 0.0
        v._a = self
        v._op = "/"
        v._deps = 0
        return v

    def __rtruediv__(self, other):
        c = other if type(other) is float else _const(other)
        a = self.data
        v = _new(Value)
        v.data = out = _div(c, a)
        v.grad = 0.0
        v._a = self
        v._b = None
        v._da = -_div(out, a)
        v._db = c
        v._op = "r/"
        v._deps = 0
        return v

    def __pow__(self, other):
        a = self.data
        v = _new(Value)
        if type(other) is Value:
            b = other.data
            v.data = out = _pow(a, b)
            v._b = other
            v._da = 0.0 if b == 0.0 else b * _pow(a, b - 1.0)
            v._db = out * _log(a) if a != 0.0 else 0.0  # PyTorch: d/db a**b at a = 0 is taken as 0
        else:
            c = other if type(other) is float else _const(other)
            if c == 2.0:
                v.data = a * a
                v._da = 2.0 * a
            else:
                v.data = _pow(a, c)
                v._da = 0.0 if c == 0.0 else c * _pow(a, c - 1.0)
            v._b = None
            v._db = c
        v.grad = 0.0
        v._a = self
        v._op = "**"
        v._deps = 0
        return v

    def __rpow__(self, other):
        c = other if type(other) is float else _const(other)
        v = _new(Value)
        v.data = out = _pow(c, self.data)
        v.grad = 0.0
        v._a = self
        v._b = None
        v._da = out * _log(c) if c != 0.0 else 0.0
        v._db = c
        v._op = "r**"
        v._deps = 0
        return v

    def __neg__(self):
        v = _new(Value)
        v.data = -self.data
        v.grad = 0.0
        v._a = self
        v._b = None
        v._da = -1.0
        v._db = 0.0
        v._op = "neg"
        v._deps = 0
        return v

    def __pos__(self):
        return self

    def __abs__(self):
        return self.abs()

    # ---- unary functions (local derivative computed from the input x and the output y) ----
    def _unary(self, out: float, local: float, op: str):
        v = _new(Value)
        v.data = out
        v.grad = 0.0
        v._a = self
        v._b = None
        v._da = local
        v._db = 0.0
        v._op = op
        v._deps = 0
        return v

    def relu(self):
        """d/dx relu(x) = 1 if x > 0 else 0"""
        x = self.data
        v = _new(Value)
        if x > 0.0:
            v.data = x
            v._da = 1.0
        else:
            v.data = x if x != x else 0.0  # nan stays nan
            v._da = 0.0
        v.grad = 0.0
        v._a = self
        v._b = None
        v._db = 0.0
        v._op = "ReLU"
        v._deps = 0
        return v

    def tanh(self):
        """d/dx tanh(x) = 1 - tanh(x)^2"""
        y = math.tanh(self.data)
        v = _new(Value)
        v.data = y
        v.grad = 0.0
        v._a = self
        v._b = None
        v._da = 1.0 - y * y
        v._db = 0.0
        v._op = "tanh"
        v._deps = 0
        return v

    def sigmoid(self):
        """d/dx sigmoid(x) = s (1 - s); evaluated without overflow for any x"""
        x = self.data
        if x >= 0.0:
            y = 1.0 / (1.0 + math.exp(-x))
        else:
            e = _exp(x)
            y = e / (1.0 + e)
        return self._unary(y, y * (1.0 - y), "sigmoid")

    def exp(self):
        """d/dx exp(x) = exp(x)"""
        y = _exp(self.data)
        return self._unary(y, y, "exp")

    def log(self):
        """d/dx log(x) = 1 / x"""
        x = self.data
        return self._unary(_log(x), _div(1.0, x), "log")

    def sin(self):
        """d/dx sin(x) = cos(x)"""
        x = self.data
        return self._unary(math.sin(x), math.cos(x), "sin")

    def cos(self):
        """d/dx cos(x) = -sin(x)"""
        x = self.data
        return self._unary(math.cos(x), -math.sin(x), "cos")

    def abs(self):
        """d/dx |x| = sign(x) (0 at 0, as in PyTorch)"""
        x = self.data
        return self._unary(abs(x), 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0), "abs")

    def sqrt(self):
        """d/dx sqrt(x) = 1 / (2 sqrt(x))"""
        x = self.data
        y = math.sqrt(x) if x >= 0.0 else _nan
        return self._unary(y, _div(0.5, y), "sqrt")

    def _select(self, other, take_self: bool, tie: bool, op: str):
        v = _new(Value)
        v.grad = 0.0
        v._a = self
        v._op = op
        v._deps = 0
        w = 0.5 if tie else (1.0 if take_self else 0.0)  # PyTorch splits the gradient evenly at a tie
        if type(other) is Value:
            v.data = self.data if take_self else other.data
            v._b = other
            v._da = w
            v._db = 0.5 if tie else 1.0 - w
        else:
            c = other if type(other) is float else _const(other)
            v.data = self.data if take_self else c
            v._b = None
            v._da = w
            v._db = c
        return v

    def max(self, other):
        """max(x, y), elementwise as ``torch.maximum``: the gradient goes to the larger (half each on a tie)"""
        x = self.data
        y = other.data if type(other) is Value else _const(other)
        return self._select(other, x >= y, x == y, "max")

    def min(self, other):
        """min(x, y), as ``torch.minimum``: the gradient goes to the smaller (half each on a tie)"""
        x = self.data
        y = other.data if type(other) is Value else _const(other)
        return self._select(other, x <= y, x == y, "min")

    @staticmethod
    def sum(values, start=0.0):
        """One n-ary node for ``start + values[0] + values[1] + ...`` (numbers in ``values`` are folded into data)."""
        ins, total = [], float(start) if not isinstance(start, Value) else 0.0
        if isinstance(start, Value):
            ins.append(start)
        for x in values:
            if type(x) is Value:
                ins.append(x)
            else:
                total += _const(x)
        total += math.fsum([x.data for x in ins]) if len(ins) > 64 else sum([x.data for x in ins])
        ones = (1.0,) * len(ins)
        return _nary(total, tuple(ins), ones, ones, "sum")

    # ---- backward ----
    def backward(self, gradient=None, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``; intermediate grads are set afresh.

        ``gradient`` seeds ``self.grad`` (default 1). With ``create_graph=True`` the gradients are ``Value``
        expressions of the graph's nodes, so they can be differentiated again (``x.grad.backward()``).
        """
        g = 1.0 if gradient is None else gradient
        if type(g) is not Value:
            g = _const(g)
        if self._a is None:  # a leaf: d(self)/d(self)
            self.grad = g if _is_zero(self.grad) else self.grad + g
            return
        try:
            _count_consumers(self)
            self.grad = g
            if create_graph:
                _backward_graph(self)
            else:
                _backward_floats(self)
        except BaseException:
            _reset_counts(self)
            raise


def dot(ws, xs, bias=None) -> Value:
    """One n-ary node for ``bias + w[0] * x[0] + w[1] * x[1] + ...`` (sequences of Values or numbers, summed in
    that order, as micrograd's neuron does): a neuron in one node instead of 2n."""
    n = len(ws)
    if len(xs) != n:
        raise ValueError(f"dot: ws and xs must have the same length, got {n} and {len(xs)}")
    bv = type(bias) is Value
    start = bias.data if bv else (0.0 if bias is None else _const(bias))
    wtypes = set(map(type, ws))
    xtypes = set(map(type, xs))
    if wtypes == _VALUE_ONLY and (xtypes == _VALUE_ONLY or not xtypes & _VALUE_ONLY):
        wd = [w.data for w in ws]
        if xtypes == _VALUE_ONLY:  # a hidden layer's Values
            xd = [x.data for x in xs]
            ins, loc, partners = list(ws) + list(xs), xd + wd, list(xs) + list(ws)
        else:  # numbers, e.g. the input layer
            xd = [float(x) if type(x) is not float else x for x in xs] if xtypes != _FLOAT_ONLY else list(xs)
            ins, loc, partners = list(ws), xd, xd
        total = sum(map(_mul, wd, xd), start)
    else:  # mixed: one element at a time
        ins, loc, partners = [], [], []
        total = start
        for w, x in zip(ws, xs):
            wv = type(w) is Value
            xv = type(x) is Value
            wd = w.data if wv else _const(w)
            xd = x.data if xv else _const(x)
            total += wd * xd
            if wv:
                ins.append(w)
                loc.append(xd)
                partners.append(x)
            if xv:
                ins.append(x)
                loc.append(wd)
                partners.append(w)
    if bv:
        ins.append(bias)
        loc.append(1.0)
        partners.append(1.0)
    return _nary(total, tuple(ins), tuple(loc), tuple(partners), "dot")


def _nary(data: float, ins: tuple, local: tuple, partners: tuple, op: str) -> Value:
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    if ins:
        v._a = ins
        v._b = NARY
    else:
        v._a = None
        v._b = None
    v._da = local
    v._db = partners
    v._op = op
    v._deps = 0
    return v


def _is_zero(g) -> bool:
    return type(g) is not Value and g == 0


def _count_consumers(root: Value) -> None:
    """Pass 1 (iterative): for every non-leaf node reachable from ``root``, count the edges into it from
    reachable nodes (in ``_deps``, which is 0 outside backward) and zero its grad."""
    stack = [root]
    pop = stack.pop
    push = stack.append
    while stack:
        v = pop()
        a = v._a
        b = v._b
        if b is NARY:
            for c in a:
                if c._a is not None:
                    d = c._deps
                    if d == 0:
                        c.grad = 0.0
                        push(c)
                    c._deps = d + 1
            continue
        if a._a is not None:
            d = a._deps
            if d == 0:
                a.grad = 0.0
                push(a)
            a._deps = d + 1
        if b is not None and b._a is not None:
            d = b._deps
            if d == 0:
                b.grad = 0.0
                push(b)
            b._deps = d + 1


def _reset_counts(root: Value) -> None:
    """After a backward that raised: put every reachable node's count back to 0."""
    stack = [root]
    seen = {root}
    while stack:
        v = stack.pop()
        v._deps = 0
        for c in v.inputs():
            if type(c) is Value and c not in seen:
                seen.add(c)
                stack.append(c)


def _backward_floats(root: Value) -> None:
    """Pass 2: run a node once all its consumers have run (its count is back to 0): input.grad += local * grad."""
    ready = [root]
    pop = ready.pop
    push = ready.append
    while ready:
        v = pop()
        a = v._a
        g = v.grad
        b = v._b
        if b is NARY:
            for c, d in zip(a, v._da):
                c.grad += d * g
                if c._a is not None:
                    n = c._deps - 1
                    c._deps = n
                    if n == 0:
                        push(c)
            continue
        a.grad += v._da * g
        if a._a is not None:
            n = a._deps - 1
            a._deps = n
            if n == 0:
                push(a)
        if b is not None:
            b.grad += v._db * g
            if b._a is not None:
                n = b._deps - 1
                b._deps = n
                if n == 0:
                    push(b)


# ---- double backward: each op's input gradients as Value expressions ----
def _sign(x: float) -> float:
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)


def _grad_rules(v: Value, g):
    """d(v)/d(inputs) * g for node ``v``, written in Value ops (so it records a graph)."""
    op, a, b = v._op, v._a, v._b
    if b is NARY:
        return [g * p for p in v._db]
    const = b is None
    if op == "+":
        return [g] if const else [g, g]
    if op == "-":
        return [g] if const else [g, -g]
    if op == "r-":
        return [-g]
    if op == "*":
        return [g * v._db] if const else [g * b, g * a]
    if op == "/":
        return [g / v._db] if const else [g / b, -g * v / b]
    if op == "r/":
        return [-g * v / a]
    if op == "**":
        if const:
            c = v._db
            return [g * 0.0] if c == 0.0 else [g * c * a ** (c - 1.0)]
        ga = g * 0.0 if b.data == 0.0 else g * b * a ** (b - 1.0)
        gb = g * 0.0 if a.data == 0.0 else g * v * a.log()
        return [ga, gb]
    if op == "r**":
        return [g * v * _log(v._db)]
    if op == "neg":
        return [-g]
    if op == "tanh":
        return [g * (1.0 - v * v)]
    if op == "sigmoid":
        return [g * v * (1.0 - v)]
    if op == "exp":
        return [g * v]
    if op == "log":
        return [g / a]
    if op == "sin":
        return [g * a.cos()]
    if op == "cos":
        return [-g * a.sin()]
    if op == "sqrt":
        return [g * 0.5 / v]
    if op in ("ReLU", "abs", "max", "min"):  # piecewise linear: the local derivative is a constant
        return [g * v._da] if const else [g * v._da, g * v._db]
    raise RuntimeError(f"Value op {op!r} has no double-backward rule (a node built by Value(data, _children))")


def _backward_graph(root: Value) -> None:
    """Pass 2 with ``create_graph``: the same order, the gradients computed by Value ops."""
    ready = [root]
    while ready:
        v = ready.pop()
        g = v.grad
        ins = v.inputs()
        grads = _grad_rules(v, g) if not _is_zero(g) else (None,) * len(ins)
        for c, gc in zip(ins, grads):
            if gc is not None:
                c.grad = gc if _is_zero(c.grad) else c.grad + gc
            if c._a is not None:
                n = c._deps - 1
                c._deps = n
                if n == 0:
                    ready.append(c)


_OP_NAMES = {
    "+": "Add", "-": "Sub", "r-": "Sub", "*": "Mul", "/": "Div", "r/": "Div", "**": "Pow", "r**": "Pow",
    "neg": "Neg", "ReLU": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "exp": "Exp", "log": "Log",
    "sin": "Sin", "cos": "Cos", "abs": "Abs", "sqrt": "Sqrt", "max": "Maximum", "min": "Minimum",
    "sum": "Sum", "dot": "Dot",
}
_VALUE_ONLY = frozenset({Value})
_BINARY = frozenset({"+", "-", "r-", "*", "/", "r/", "**", "r**", "max", "min"})
