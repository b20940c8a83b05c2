"""Graph nodes: ``Function`` (one op's forward and backward, and its node in the graph) and ``AccumulateGrad``.

Calling ``SomeFunction.apply(*args)`` runs ``forward`` and, when an input requires grad and grad mode is on,
makes the ``ctx`` object passed to ``forward`` the output's ``grad_fn``. The node keeps only:

- ``next_functions``: one edge ``(node, output_index)`` per positional argument (``None`` for arguments that
  are not tensors requiring grad): the inputs, as nodes; a node never refers to its consumers;
- what ``backward`` needs, via ``ctx.save_for_backward`` (outputs are saved as arrays, not as the output
  Tensor, so the graph holds no reference cycle and CPython's cyclic GC never has to run over it);
- each input's shape and dtype, so the gradient returned by ``backward`` is un-broadcast here, in one place.

Two flavours share this machinery: ``Function`` follows PyTorch (forward gets and returns Tensors, run under
``no_grad``), and ``Op``, used by the library's own ops, whose forward gets and returns numpy arrays.
``backward`` always gets and returns Tensors, written in Tensor ops so that it is itself differentiable:
``create_graph=True`` then yields higher derivatives.
"""

from __future__ import annotations

import traceback
import weakref

import numpy as np

from . import grad_mode
from .grad_mode import _mode
from .tensor import Tensor, _make

_anomaly = {"enabled": False}
# While ``autograd.onnx.export`` traces a model: called as ``_recorder(op, args, kwargs, outputs)`` for every op
# applied (``op`` a Function class, or a name for the few no-graph ops that record themselves); else None.
_recorder = None
_NO_GRAD = tuple((False,) * n for n in range(8))


class _SavedOutput:
    """An output saved for backward: its array and version, never the output Tensor itself (no cycle)."""

    __slots__ = ("index", "data", "version_box", "version")

    def __init__(self, index: int, data: np.ndarray) -> None:
        self.index = index
        self.data = data
        self.version_box = None
        self.version = 0


class Node:
    """What every graph node has: edges to its inputs' nodes, hooks, and the metadata drawing needs."""

    next_functions: tuple = ()
    _hooks: dict | None = None  # output index -> [hook(grad) -> grad or None]
    _retained: dict | None = None  # output index -> weakref to a non-leaf Tensor that called retain_grad()
    _freed = False

    def name(self) -> str:
        return type(self).__name__ + "Backward"

    def op_name(self) -> str:
        """The op's name as a user would call it ("Mul", "Matmul", "AccumulateGrad")."""
        return type(self).__name__

    def register_hook(self, index: int, fn) -> None:
        if self._hooks is None:
            self._hooks = {}
        self._hooks.setdefault(index, []).append(fn)

    def retain(self, index: int, tensor) -> None:
        if self._retained is None:
            self._retained = {}
        self._retained[index] = weakref.ref(tensor)


class Function(Node):
    """Base class of every differentiable op; subclass it and call ``.apply``, as in PyTorch.

    ``forward(ctx, *args, **kwargs)`` computes the result and saves what backward needs with
    ``ctx.save_for_backward``; ``backward(ctx, *grad_outputs)`` returns one gradient per positional argument of
    forward (``None`` for arguments without one). The instance passed as ``ctx`` becomes the graph node.
    """

    _array_forward = False  # True for Op: forward works on numpy arrays
    _non_diff: tuple = ()  # outputs marked non-differentiable by forward
    _materialize = True  # missing output grads become zeros before backward
    differentiable = True  # False for ops whose outputs never require grad (argmax, comparisons)
    is_view = False  # True for ops whose outputs may be views of their first tensor argument (reshape, ...)

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError(f"{type(ctx).__name__} must implement forward")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(f"{type(ctx).__name__} must implement backward")

    # ---- ctx API (PyTorch's names) ----
    def save_for_backward(self, *items) -> None:
        self._to_save = items

    def mark_non_differentiable(self, *outputs) -> None:
        self._non_diff = outputs

    def set_materialize_grads(self, value: bool) -> None:
        self._materialize = value

    @property
    def saved_tensors(self) -> tuple:
        saved = self._saved
        if saved is None:
            if self._freed:
                raise RuntimeError(
                    f"Trying to backward through the graph a second time (in {self.name()}), or to directly "
                    "access saved tensors after they have already been freed. Saved intermediate values of the "
                    "graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True "
                    "if you need to backward through the graph a second time or if you need to access saved "
                    "tensors after calling backward."
                )
            return ()
        out = []
        for item, version in zip(saved, self._saved_versions):
            if type(item) is _SavedOutput:
                box = item.version_box
                if box is not None and box[0] != item.version:
                    self._raise_modified(item.index, "output", box[0], item.version)
                t = _make(item.data, True, self)
                t._out_idx = item.index
                out.append(t)
            else:
                if isinstance(item, Tensor) and item._version[0] != version:
                    self._raise_modified(len(out), "input", item._version[0], version)
                out.append(item)
        return tuple(out)

    def _raise_modified(self, index, role, now, expected) -> None:
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an inplace operation: "
            f"the tensor saved by {self.name()} (saved {role} {index}) is at version {now}; expected version "
            f"{expected} instead. Hint: the op that saved it is {self.op_name()}; make the later in-place "
            "change out of place, or clone the tensor before modifying it."
        )

    # ---- building the node ----
    @classmethod
    def apply(cls, *args, **kwargs):
        requires = False
        if _mode.enabled and cls.differentiable:
            for a in args:
                if isinstance(a, Tensor) and a._requires_grad:
                    requires = True
                    break
        ctx = object.__new__(cls)
        ctx._to_save = None
        if requires:  # one pass over the arguments: which need grad, their edges and shapes
            needs, edges, meta = [], [], []
            for a in args:
                if isinstance(a, Tensor):
                    meta.append((a._data.shape, a._data.dtype))
                    if a._requires_grad:
                        needs.append(True)
                        fn = a.grad_fn
                        edges.append((fn, a._out_idx) if fn is not None else a._accum or _edge(a))
                        continue
                else:
                    meta.append(None)
                needs.append(False)
                edges.append(None)
            ctx.needs_input_grad = tuple(needs)
        else:
            ctx.needs_input_grad = _NO_GRAD[len(args)] if len(args) < 8 else (False,) * len(args)

        if cls._array_forward:
            raw = cls.forward(ctx, *[a._data if isinstance(a, Tensor) else a for a in args], **kwargs)
        else:
            with grad_mode.no_grad():
                raw = cls.forward(ctx, *args, **kwargs)

        multi = type(raw) is tuple
        if not multi and type(raw) is np.ndarray:  # the common case: one array out
            if not requires and not cls.is_view and _recorder is None:  # no node to record: just the tensor
                return _make(raw)
            outs = results = (raw,)
        else:
            outs = raw if multi else (raw,)
            results = [o._data if isinstance(o, Tensor) else o if type(o) is np.ndarray else np.asarray(o)
                       for o in outs]

        if not requires:
            wrapped = tuple([_make(o) for o in results])
            if cls.is_view:
                _share_view(args, wrapped)
            if _recorder is not None:
                _recorder(cls, args, kwargs, wrapped)
            return wrapped if multi else wrapped[0]

        ctx.next_functions = tuple(edges)
        ctx._in_meta = tuple(meta)
        non_diff = ctx._non_diff
        if not multi and not non_diff:  # the common case: one differentiable-if-float output
            o = results[0]
            ctx.out_meta = ((o.shape, o.dtype),)
            diff = o.dtype.kind == "f"
            wrapped = [_make(o, diff, ctx if diff else None)]
        else:
            ctx.out_meta = tuple((o.shape, o.dtype) for o in results)
            wrapped = []
            for i, (o, orig) in enumerate(zip(results, outs)):
                diff = o.dtype.kind == "f" and not any(orig is nd or o is _array_of(nd) for nd in non_diff)
                t = _make(o, diff, ctx if diff else None)
                t._out_idx = i
                wrapped.append(t)
        if cls.is_view:
            _share_view(args, wrapped)
        ctx._resolve_saved(args, outs, wrapped)
        if _anomaly["enabled"]:
            ctx._trace = "".join(traceback.format_stack()[:-2])
        if _recorder is not None:
            _recorder(cls, args, kwargs, wrapped)
        return tuple(wrapped) if multi else wrapped[0]

    def _resolve_saved(self, args, outs, wrapped) -> None:
        """Turn what forward saved into Tensors (inputs), _SavedOutput (outputs) or constants."""
        items = self._to_save
        del self._to_save
        if not items:
            self._saved = ()
            self._saved_versions = ()
            return
        saved, versions = [], []
        for item in items:
            entry = None
            if item is None:
                entry = None
            else:
                for a in args:
                    if isinstance(a, Tensor) and (item is a or item is a._data):
                        entry = a
                        break
                else:
                    for i, o in enumerate(outs):
                        if item is o:
                            entry = _SavedOutput(i, wrapped[i]._data)
                            entry.version_box = wrapped[i]._version
                            entry.version = wrapped[i]._version[0]
                            break
                    else:
                        entry = item if isinstance(item, Tensor) else _make(np.asarray(item))
            saved.append(entry)
            versions.append(entry._version[0] if isinstance(entry, Tensor) else 0)
        self._saved = tuple(saved)
        self._saved_versions = tuple(versions)

    # ---- running the node (called by the engine) ----
    def _run_backward(self, grads: list, retain_graph: bool):
        if self._freed:
            self.saved_tensors  # noqa: B018 - raises the "backward a second time" error
        if self._materialize:
            for i, g in enumerate(grads):
                if g is None:
                    shape, dtype = self.out_meta[i]
                    grads[i] = _make(np.zeros(shape, dtype))
        result = type(self).backward(self, *grads)
        if type(result) is not tuple:
            result = (result,)
        nexts = self.next_functions
        if len(result) != len(nexts):
            if len(result) > len(nexts) and all(r is None for r in result[len(nexts):]):
                result = result[: len(nexts)]
            else:
                raise RuntimeError(
                    f"function {self.name()} returned an incorrect number of gradients "
                    f"(expected {len(nexts)}, got {len(result)})"
                )
        out = []
        for g, edge, meta in zip(result, nexts, self._in_meta):
            if g is None or edge is None:
                out.append(None)
                continue
            if not isinstance(g, Tensor):
                g = _make(np.asarray(g))
            shape, dtype = meta
            if g._data.shape != shape:
                g = _reduce_to_shape(g, shape, self)
            if g._data.dtype != dtype:
                g = g.to(dtype)
            out.append(g)
        if not retain_graph:
            self._saved = None
            self._freed = True
        return out


class Op(Function):
    """A library op: ``forward`` takes and returns numpy arrays; ``backward`` works in Tensors."""

    _array_forward = True


class AccumulateGrad(Node):
    """The node of a leaf tensor that requires grad: adds the incoming gradient into ``variable.grad``.

    The leaf keeps its accumulator for life (so it is not rebuilt every step) and the accumulator refers to
    the leaf weakly, so the pair forms no reference cycle.
    """

    _post_hooks: list | None = None  # [hook(leaf)], run after the gradient is added into ``leaf.grad``

    def __init__(self, variable) -> None:
        self._variable = weakref.ref(variable)

    @property
    def variable(self):
        return self._variable()

    def name(self) -> str:
        return "AccumulateGrad"

    def op_name(self) -> str:
        return "AccumulateGrad"


def _share_view(args, outs) -> None:
    """Outputs that really are views of the first tensor argument's memory get its base (``_base``) and share
    its version counter, so an in-place change through either is seen by the other's saved-tensor checks."""
    for a in args:
        if isinstance(a, Tensor):
            base = a._base if a._base is not None else a
            for o in outs:
                if np.may_share_memory(o._data, a._data):
                    o._base = base
                    o._version = a._version
            return


def _array_of(x):
    return getattr(x, "_data", x)


def _edge(t):
    """The edge to ``t`` in the graph: its grad_fn, or the leaf's own AccumulateGrad."""
    fn = t.grad_fn
    if fn is not None:
        return (fn, t._out_idx)
    edge = t._accum
    if edge is None:
        edge = t._accum = (AccumulateGrad(t), 0)
    return edge


def _reduce_to_shape(g, shape, node):
    """Sum a gradient of a broadcast result back to the input's ``shape``."""
    from .ops.broadcast import sum_to

    try:
        return sum_to(g, shape)
    except ValueError:
        raise RuntimeError(
            f"Function {node.name()} returned an invalid gradient: got shape {tuple(g.shape)}, "
            f"expected shape {tuple(shape)}"
        ) from None
