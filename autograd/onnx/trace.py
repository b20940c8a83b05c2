"""Running a model once while recording every op applied: the input to the ONNX translation.

Every op goes through ``Function.apply`` (and the few no-graph ops, comparisons and logical not, report
themselves), which calls ``autograd.function._recorder`` while a trace is active. The inputs are marked as
requiring grad and the model runs under ``enable_grad``, so every op that depends on an input takes the recorded
path; ops on constants alone (and on nothing the inputs reach) need no translation: their results are constants.
Forward pre/post hooks on every submodule give each op the module path it sits in, for error messages.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

import numpy as np

from .. import function
from ..grad_mode import enable_grad
from ..tensor import Tensor

__all__: list[str] = []

_lock = threading.RLock()  # one trace at a time: the recorder is process-wide


def _after_fork_in_child() -> None:
    """A child forked during a trace records nothing and may trace a model of its own."""
    global _lock
    function._recorder = None
    _lock = threading.RLock()


os.register_at_fork(after_in_child=_after_fork_in_child)


class UnsupportedOperatorError(RuntimeError):
    """An op of the model has no ONNX translation, or depends on the input in a way a traced graph cannot show
    (the message names the op and the module it ran in)."""


class _Traced(function.Node):
    """The node given, while tracing, to the float results of an op that made none (its inputs needed no grad):
    they then take the recorded path in later ops, and in-place ops treat them as the non-leaves they are."""


@dataclass
class Record:
    """One op applied during the trace: ``op`` (a Function class or a no-graph op's name), its arguments and
    its output tensors, the module path it ran in, and (filled in later) the same op in the other trace."""

    op: object
    args: tuple
    kwargs: dict
    outs: tuple
    path: str
    keys: dict  # id(Tensor) -> its key when the op ran (an in-place op later moves the Tensor to another node)
    alt: Record | None = None

    def op_name(self) -> str:
        return self.op if isinstance(self.op, str) else self.op.__name__

    def op_key(self) -> str:
        return self.op if isinstance(self.op, str) else f"{self.op.__module__}.{self.op.__qualname__}"


@dataclass
class Trace:
    inputs: list  # the Tensors the model received (traced copies of the user's)
    records: list
    outputs: list  # the model's output Tensors, flattened
    keep: list = field(default_factory=list)  # every Tensor met, kept alive so that ids stay unique


def key(t: Tensor):
    """The identity of a tensor's value: its graph position when it has one (an in-place op moves a tensor to a
    new node, and a snapshot taken before the op keeps the old one), else the Tensor object itself."""
    fn = t.grad_fn
    return (id(fn), t._out_idx) if fn is not None else id(t)


def _tensor_args(args) -> list:
    out = []
    for a in args:
        if isinstance(a, (tuple, list)):
            out.extend(a)
        else:
            out.append(a)
    return out


def flatten(obj) -> list:
    """The Tensors of a (nested) tuple / list / dict of outputs, in order."""
    if isinstance(obj, Tensor):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in flatten(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in flatten(o)]
    if obj is None:
        return []
    raise TypeError(f"onnx.export: the model returned a {type(obj).__name__}; only Tensors and (nested) tuples, "
                    "lists or dicts of Tensors can be exported")


def run(model, arrays: list) -> Trace:
    """Run ``model`` on Tensors made from ``arrays``, recording every op."""
    from ..creation import tensor
    from ..ops.elementwise import clone

    records: list = []
    keep: list = []
    stack = [type(model).__name__]
    owner = threading.get_ident()

    def record(op, args, kwargs, outs) -> None:
        if threading.get_ident() != owner:
            return
        node = None
        for i, o in enumerate(outs):  # a float result without a node (a comparison's cast, say): later ops on it
            if o._data.dtype.kind == "f" and not o._requires_grad:  # must be recorded too, and in place as well
                node = node or _Traced()
                o._requires_grad, o.grad_fn, o._out_idx = True, node, i
        keys = {id(t): key(t) for t in _tensor_args(args) + list(outs) if isinstance(t, Tensor)}
        records.append(Record(op, args, dict(kwargs), tuple(outs), stack[-1], keys))
        keep.append(outs)

    with _lock:
        if function._recorder is not None:  # this thread is tracing already: export from inside a model's forward
            raise RuntimeError("onnx.export was called while a model is being exported (from its forward)")
        handles = []
        try:
            def enter(m, a, _name=None) -> None:
                stack.append(_name)

            def leave(m, a, out) -> None:  # returns None: the module's output stays as it is
                stack.pop()

            for name, mod in model.named_modules():
                if name:
                    handles.append(mod.register_forward_pre_hook(lambda m, a, _name=name: enter(m, a, _name)))
                    handles.append(mod.register_forward_hook(leave))
            with enable_grad():
                inputs = []
                for a in arrays:
                    if a.dtype.kind == "f":  # a non-leaf copy: the model may change its input in place
                        leaf = tensor(a.copy(), requires_grad=True)
                        keep.append(leaf)
                        inputs.append(clone(leaf))
                    else:
                        inputs.append(tensor(a.copy()))
                function._recorder = record
                out = model(*inputs)
        finally:
            function._recorder = None
            for h in handles:
                h.remove()
    outputs = flatten(out)
    keep.extend(inputs)
    return Trace(inputs, records, outputs, keep)


def perturbed(arrays: list, sizes: list, seed: int = 0) -> list:
    """Inputs for the second trace: each array resized to ``sizes`` and filled with values drawn from its own
    (floats also scaled by random factors in [0.5, 1.5]), so that they differ but stay in the model's domain.

    A float input holding infinities is an additive mask: its infinities stay where they are (a resized axis
    repeats its last entry), and only its finite entries move, so that no query loses every key it could attend
    to (rows that would take another path in attention)."""
    rng = np.random.default_rng(seed)
    out = []
    for a, shape in zip(arrays, sizes):
        if a.dtype.kind == "f" and a.size and not np.all(np.isfinite(a)):
            b = np.pad(a, [(0, s - n) for n, s in zip(a.shape, shape)], mode="edge")
            out.append(np.where(np.isfinite(b), b + rng.uniform(0.1, 0.5, size=shape), b).astype(a.dtype))
            continue
        flat = a.reshape(-1)
        b = rng.choice(flat, size=shape) if flat.size else np.zeros(shape, a.dtype)
        if a.dtype.kind == "f":
            b = b * rng.uniform(0.5, 1.5, size=shape)
        out.append(np.asarray(b).astype(a.dtype))
    return out


def pair(first: Trace, second: Trace) -> None:
    """Set each record's ``alt`` to the same op in the other trace (both ways); raise where they differ."""
    a, b = first.records, second.records
    for i, (ra, rb) in enumerate(zip(a, b)):
        if ra.op != rb.op:
            raise UnsupportedOperatorError(
                f"onnx.export: the model ran different ops for two different inputs (op {i}: {ra.op_name()} in "
                f"'{ra.path}' vs {rb.op_name()} in '{rb.path}'): its control flow depends on the input's values or "
                "sizes, which a traced ONNX graph cannot express (a Transformer guessing is_causal from a mask's "
                "values: pass is_causal / tgt_is_causal explicitly; a model in training mode: call model.eval())"
            )
        ra.alt, rb.alt = rb, ra
    if len(a) != len(b):
        raise UnsupportedOperatorError(
            f"onnx.export: the model ran {len(a)} ops for one input and {len(b)} for another: its control flow "
            "depends on the input's values or sizes, which a traced ONNX graph cannot express"
        )
