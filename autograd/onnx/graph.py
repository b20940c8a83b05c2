"""``Graph``: the ONNX graph being built from one trace: value names, initializers, nodes, and the helpers the
op translations share (casts, constants, reductions, shapes whose sizes follow the dynamic axes).

A translation is a function ``fn(g, rec) -> list of output names`` registered for an op with ``@translates``;
``rec`` is the trace record (arguments as the op received them, output Tensors, module path) and ``rec.alt`` the
same op in the second trace, run with other input values and other sizes on the dynamic axes: a size that
differs between the two is a dynamic one, and is read from a tensor's shape at run time instead of written as
a constant.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .trace import Record, UnsupportedOperatorError, key

__all__ = ["UnsupportedOperatorError", "translates"]

TRANSLATIONS: dict = {}  # op key ("module.Class" or a no-graph op's name) -> translation


def translates(*ops: str):
    """Register the decorated function as the translation of the ops named ``ops`` (see ``Record.op_key``)."""
    def register(fn):
        for op in ops:
            TRANSLATIONS[op] = fn
        return fn
    return register


def _tensors(args) -> list:
    out = []
    for a in args:
        if isinstance(a, (Tensor, np.ndarray)):
            out.append(a)
        elif isinstance(a, (tuple, list)):
            out.extend(x for x in a if isinstance(x, (Tensor, np.ndarray)))
    return out


class Graph:
    """Nodes, initializers and value names of the ONNX graph of one trace."""

    def __init__(self, onnx, opset: int, params: dict, sources: list, fold: bool) -> None:
        self.onnx = onnx
        self.helper = onnx.helper
        self.opset = opset
        self.params = params  # id(Tensor) -> name, for the model's parameters and buffers
        self.sources = sources  # (input name, shape here, shape in the other trace): where dynamic sizes come from
        self.fold = fold
        self.names: dict = {}  # tensor key -> value name
        self.arrays: dict = {}  # id(ndarray) -> (value name, Tensor, its version): arrays of traced tensors
        self.nodes: list = []
        self.origin: list = []  # the record each node was emitted for
        self.inits: dict = {}  # name -> ndarray
        self.init_origin: dict = {}
        self.rec: Record | None = None
        self.history: list = []  # the records translated so far
        self.count = 0

    # ---- values ----
    def key(self, t: Tensor):
        """The tensor's key when the current op ran."""
        k = self.rec.keys.get(id(t)) if self.rec is not None else None
        return key(t) if k is None else k

    def bind(self, t: Tensor, name: str) -> None:
        self.names[self.key(t)] = name
        self.arrays[id(t._data)] = (name, t, t._version[0])

    def known(self, x) -> str | None:
        """The value name of a traced tensor or array (None for a constant)."""
        if isinstance(x, Tensor):
            name = self.names.get(self.key(x))
            if name is None:  # another Tensor on a traced array (x.detach(), x.data)
                name = self._array_name(x._data)
            if name is None and not self.fold and id(x) in self.params:
                name = self.param(x)
            return name
        if isinstance(x, np.ndarray):
            return self._array_name(x)
        return None

    def _array_name(self, arr: np.ndarray) -> str | None:
        """The value an array holds, unless it was changed in place since (then it is a constant here, and the
        comparison of the two traces tells whether it depended on the input)."""
        entry = self.arrays.get(id(arr))
        if entry is None or entry[1]._version[0] != entry[2]:
            return None
        return entry[0]

    def live(self, rec: Record) -> bool:
        """Whether the op depends on a graph input (else its outputs are constants, folded)."""
        items = _tensors(rec.args) + _tensors(rec.kwargs.values())
        return any(self.known(x) is not None for x in items)

    def param(self, t: Tensor) -> str:
        name = self.params[id(t)]
        if name not in self.inits:
            self.inits[name] = t.numpy()
            self.init_origin[name] = self.rec
        return name

    def const(self, value, dtype=None, name: str | None = None) -> str:
        """An initializer holding ``value`` (cast to ``dtype``)."""
        arr = np.asarray(value, dtype=dtype)
        if name is None:
            name = f"onnx::Constant_{len(self.inits)}"
        self.inits[name] = arr
        self.init_origin[name] = self.rec
        return name

    def ints(self, values) -> str:
        return self.const(np.asarray(list(values), dtype=np.int64))

    def value(self, x, dtype=None) -> str:
        """The value name of an op argument (a traced tensor, a parameter, or a constant), cast to ``dtype``."""
        if dtype is not None:
            dtype = np.dtype(dtype)
        name = self.known(x)
        if name is None:
            if isinstance(x, Tensor):
                if id(x) in self.params:
                    name = self.param(x)
                else:
                    return self.const(x.numpy(), dtype)
            else:
                return self.const(x, dtype)
        have = x.dtype if isinstance(x, (Tensor, np.ndarray)) else None
        if dtype is not None and have is not None and have != dtype:
            return self.cast(name, dtype)
        return name

    # ---- nodes ----
    def node(self, op_type: str, inputs: list, outputs: int = 1, **attrs) -> list:
        """Emit a node; returns its output names."""
        self.count += 1
        path = self.rec.path.replace(".", "/") if self.rec is not None else ""
        base = f"/{path}/{op_type}_{self.count}"
        outs = [f"{base}_output_{i}" for i in range(outputs)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(self.helper.make_node(op_type, inputs, outs, name=base, **attrs))
        self.origin.append(self.rec)
        return outs

    def op(self, op_type: str, *inputs, **attrs) -> str:
        """Emit a one-output node; returns its output name."""
        return self.node(op_type, list(inputs), 1, **attrs)[0]

    def cast(self, name: str, dtype) -> str:
        return self.op("Cast", name, to=self.helper.np_dtype_to_tensor_dtype(np.dtype(dtype)))

    def reduce(self, op_type: str, x: str, axes, keepdims: bool) -> str:
        """A Reduce* node over ``axes`` (an input from opset 18 on, and for ReduceSum from 13)."""
        axes = [int(a) for a in axes]
        if op_type == "ReduceSum" or self.opset >= 18:
            return self.op(op_type, x, self.ints(axes), keepdims=int(keepdims))
        return self.op(op_type, x, axes=axes, keepdims=int(keepdims))

    def unsqueeze(self, x: str, axes) -> str:
        return self.op("Unsqueeze", x, self.ints(axes))

    def squeeze(self, x: str, axes) -> str:
        return self.op("Squeeze", x, self.ints(axes))

    # ---- sizes that follow the dynamic axes ----
    def shape_of(self, target, alt_target, x: Tensor | None = None, x_alt: Tensor | None = None,
                 copy_dims: bool = True, broadcast: bool = False) -> str:
        """A shape input for Reshape / Expand: ``target`` here and ``alt_target`` in the other trace.

        A size equal in both traces is a constant; one that differs is dynamic: Reshape's 0 (copy x's size) when
        x has it at the same position in both traces, else read at run time from the shape of x or of a graph
        input having that size in both traces, else (once) -1. ``broadcast``: Expand's target, where 1 keeps x's
        own size."""
        target, alt_target = tuple(int(s) for s in target), tuple(int(s) for s in alt_target)
        xs = tuple(x.shape) if x is not None else ()
        xa = tuple(x_alt.shape) if x_alt is not None else ()
        xname = self.known(x) if x is not None else None
        parts = []  # ints, or (value name, axis) read at run time
        unknown = []
        for i, (s, sa) in enumerate(zip(target, alt_target)):
            if broadcast:
                j = i - (len(target) - len(xs))
                if 0 <= j < len(xs) and xs[j] == s and xa[j] == sa:
                    parts.append(1)
                    continue
            if s == sa:
                parts.append(s)
                continue
            if copy_dims and not broadcast and i < len(xs) and xs[i] == s and xa[i] == sa:
                parts.append(0)
                continue
            src = None
            if xname is not None:
                for j, (d, da) in enumerate(zip(xs, xa)):
                    if d == s and da == sa:
                        src = (xname, j)
                        break
            if src is None:
                for name, shp, shp_alt in self.sources:
                    for j, (d, da) in enumerate(zip(shp, shp_alt)):
                        if d == s and da == sa:
                            src = (name, j)
                            break
                    if src is not None:
                        break
            if src is None:
                unknown.append(i)
                parts.append(-1)
            else:
                parts.append(src)
        if len(unknown) > 1 or (unknown and broadcast):
            raise UnsupportedOperatorError(
                f"onnx.export: {self.where()} produces the shape {list(target)}, whose sizes at positions "
                f"{unknown} change with the dynamic axes in a way the export cannot express (each must equal a "
                "dynamic size of an input, or be the only one inferred)"
            )
        if all(isinstance(p, int) for p in parts):
            return self.ints(parts)
        pieces = []
        for p in parts:
            if isinstance(p, int):
                pieces.append(self.ints([p]))
            else:
                pieces.append(self.op("Shape", p[0], start=p[1], end=p[1] + 1))
        return self.op("Concat", *pieces, axis=0)

    def where(self) -> str:
        rec = self.rec
        return f"op '{rec.op_name()}' in module '{rec.path}'" if rec is not None else "the model"

    def unsupported(self, why: str) -> UnsupportedOperatorError:
        return UnsupportedOperatorError(f"onnx.export: {self.where()} cannot be exported: {why}")
