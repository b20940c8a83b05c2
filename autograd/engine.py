"""The backward pass: reverse-topological traversal of the graph, without recursion.

1. Walk the graph from the roots once (an explicit stack) and count, for every node, how many edges lead into
   it from nodes reachable from the roots.
2. Start from the roots with their seed gradients. A node runs only when every consumer has delivered its
   gradient (its count has reached zero); its input gradients are summed into the buffers of the nodes its
   edges point to. So each node runs once, after all its consumers: reverse topological order.
3. ``AccumulateGrad`` nodes add into their leaf's ``.grad`` (``backward``) or have their gradient captured
   (``grad``). Nodes free their saved tensors as they go unless ``retain_graph``. A leaf's post-accumulate-grad
   hooks run right after its ``.grad`` is updated.
4. Callbacks queued by hooks (``queue_callback``) run once the whole graph is done (DistributedDataParallel
   waits for its gradient reductions there).

With ``create_graph=True`` the whole pass runs in grad mode, so the backward formulas (written in Tensor ops)
record a graph of their own, and the gradients can be differentiated again.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from . import function as _function
from .function import AccumulateGrad, _edge
from .grad_mode import _mode
from .tensor import Tensor, _make


def _as_tuple(x) -> tuple:
    if x is None:
        return ()
    return tuple(x) if isinstance(x, (list, tuple)) else (x,)


def _seed_grads(outputs, grad_outputs, create_graph: bool) -> list:
    seeds = []
    for i, out in enumerate(outputs):
        g = grad_outputs[i] if i < len(grad_outputs) else None
        if g is None:
            if out._data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; output {i} has shape "
                    f"{tuple(out.shape)}: pass gradient= (or grad_outputs=) explicitly"
                )
            g = _make(np.ones(out._data.shape, out._data.dtype))
        else:
            if not isinstance(g, Tensor):
                g = _make(np.asarray(g, dtype=out._data.dtype))
            if g._data.shape != out._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {tuple(g.shape)} and output[{i}] "
                    f"has a shape of {tuple(out.shape)}."
                )
            if not create_graph:
                g = g.detach()
        seeds.append(g)
    return seeds


def run_backward(outputs: Sequence, grad_outputs: Sequence, retain_graph: bool, create_graph: bool,
                 capture: Sequence | None = None, allow_unused: bool = False):
    """Backpropagate from ``outputs``. With ``capture`` (tensors), return their gradients instead of
    accumulating into leaves' ``.grad``."""
    for i, out in enumerate(outputs):
        if not out._requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn "
                "(did you compute it under no_grad, or from tensors that do not require grad?)"
            )
    seeds = _seed_grads(outputs, grad_outputs, create_graph)
    roots = [_edge(out) for out in outputs]

    targets: dict = {}  # (node, output index) -> position in capture
    leaf_targets: dict = {}  # id(leaf tensor) -> position in capture
    if capture is not None:
        for pos, t in enumerate(capture):
            if not t.requires_grad:
                raise RuntimeError(f"One of the differentiated Tensors (input {pos}) does not require grad")
            if t.grad_fn is None:
                leaf_targets[id(t)] = pos
            else:
                targets[(t.grad_fn, t._out_idx)] = pos
    captured: list = [None] * (len(capture) if capture is not None else 0)

    # 1. dependency counts over the reachable graph
    deps: dict = {}
    stack = []
    for node, _ in roots:
        if node not in deps:
            deps[node] = 0
            stack.append(node)
    while stack:
        node = stack.pop()
        for edge in node.next_functions:
            if edge is None:
                continue
            child = edge[0]
            if child in deps:
                deps[child] += 1
            else:
                deps[child] = 1
                stack.append(child)

    # 2. seed the buffers and run nodes whose consumers are all done
    buffers: dict = {}
    for (node, idx), g in zip(roots, seeds):
        _accumulate(buffers, node, idx, g)
    ready = [node for node in ({n: None for n, _ in roots} if len(roots) > 1 else (roots[0][0],)) if deps[node] == 0]
    check_anomaly = _function._anomaly["enabled"]
    handed_out = {id(g._data) for g in seeds}  # arrays a leaf must copy rather than own

    prev_mode = _mode.enabled
    _mode.enabled = create_graph
    if getattr(_passes, "stack", None) is None:
        _passes.stack = []
    callbacks: list = []
    _passes.stack.append(callbacks)
    try:
        while ready:
            node = ready.pop()
            grads = buffers.pop(node)
            if type(node) is AccumulateGrad:
                _accumulate_leaf(node, grads[0], create_graph, leaf_targets, captured, capture is not None,
                                 handed_out)
                continue
            if node._hooks is not None or node._retained is not None:
                grads = _apply_pre_hooks(node, grads, create_graph)
            if targets:
                for idx, g in enumerate(grads):
                    pos = targets.get((node, idx))
                    if pos is not None:
                        captured[pos] = g
            if grads[0] is not None or any(g is not None for g in grads):
                in_grads = node._run_backward(grads, retain_graph)
                if check_anomaly:
                    _check_finite(node, in_grads)
            else:  # no gradient reached this node
                in_grads = [None] * len(node.next_functions)
            for edge, g in zip(node.next_functions, in_grads):
                if edge is None:
                    continue
                child, idx = edge
                if g is not None:
                    buf = buffers.get(child)
                    if buf is None:
                        buf = buffers[child] = [None] * (1 if type(child) is AccumulateGrad else len(child.out_meta))
                    buf[idx] = g if buf[idx] is None else buf[idx] + g
                deps[child] -= 1
                if deps[child] == 0:
                    if child in buffers:
                        ready.append(child)
                    else:  # every path into it carried None
                        _skip(child, deps, buffers, ready)
        _run_callbacks(callbacks)
    finally:
        _passes.stack.pop()
        _mode.enabled = prev_mode

    if capture is None:
        return None
    for pos, g in enumerate(captured):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"One of the differentiated Tensors (input {pos}) appears to not have been used in the graph. "
                "Set allow_unused=True if this is the desired behavior."
            )
    return tuple(captured)


_passes = threading.local()  # .stack: one callback list per backward pass running in this thread


def queue_callback(callback) -> None:
    """Run ``callback()`` once when the backward pass now running in this thread has finished its graph
    (as ``torch.autograd.Variable._execution_engine.queue_callback``); call it from a hook."""
    stack = getattr(_passes, "stack", None)
    if not stack:
        raise RuntimeError("queue_callback can only be called while a backward pass is running (from a hook)")
    stack[-1].append(callback)


def _run_callbacks(callbacks: list) -> None:
    # a callback may queue another; they run in order until none is left
    i = 0
    while i < len(callbacks):
        callbacks[i]()
        i += 1


def _skip(node, deps, buffers, ready) -> None:
    """A node that received no gradient at all: release its children without running it (iteratively)."""
    stack = [node]
    while stack:
        n = stack.pop()
        for edge in n.next_functions:
            if edge is None:
                continue
            child = edge[0]
            deps[child] -= 1
            if deps[child] == 0:
                if child in buffers:
                    ready.append(child)
                else:
                    stack.append(child)


def _accumulate(buffers: dict, node, idx: int, g) -> None:
    buf = buffers.get(node)
    if buf is None:
        n = len(node.out_meta) if type(node) is not AccumulateGrad else 1
        buf = buffers[node] = [None] * n
    buf[idx] = g if buf[idx] is None else buf[idx] + g


def _apply_pre_hooks(node, grads: list, create_graph: bool) -> list:
    if node._hooks:
        for idx, hooks in node._hooks.items():
            if grads[idx] is None:
                continue
            for hook in hooks:
                new = hook(grads[idx])
                if new is not None:
                    grads[idx] = new
    if node._retained:
        for idx, ref in node._retained.items():
            t = ref()
            g = grads[idx]
            if t is not None and g is not None:
                g = g if create_graph else g.detach()
                t.grad = g if t.grad is None else t.grad + g
    return grads


def _accumulate_leaf(node, g, create_graph, leaf_targets, captured, capturing, handed_out: set) -> None:
    """Add ``g`` into the leaf's ``.grad`` (or capture it for ``grad()``), after the leaf's hooks.

    ``.grad`` is later updated in place (accumulation, ``clip_grad_norm_``, ``zero_()``), so a leaf takes
    ownership of a gradient array only if nothing else can see it: an array it owns, writeable, that is not a
    seed gradient and has not been given to another leaf in this pass (``Add`` hands one array to both
    inputs). Anything else is copied."""
    var = node.variable
    if g is None or var is None:  # no gradient, or the leaf itself is gone
        return
    if var._hooks:
        for hook in var._hooks:
            new = hook(g)
            if new is not None:
                g = new
    if capturing:
        pos = leaf_targets.get(id(var))
        if pos is not None:
            captured[pos] = g if captured[pos] is None else captured[pos] + g
        return
    if g._data.shape != var._data.shape:
        from .ops.broadcast import sum_to

        g = sum_to(g, var._data.shape)
    if create_graph:
        var._grad = g if var._grad is None else var._grad + g
    else:
        arr = g._data
        if var._grad is None:
            flags = arr.flags
            if not (flags.owndata and flags.writeable) or id(arr) in handed_out:
                arr = arr.copy()
            handed_out.add(id(arr))
            var._grad = _make(arr)
        else:
            np.add(var._grad._data, arr, out=var._grad._data, casting="unsafe")
            var._grad._version[0] += 1
    if node._post_hooks:
        for hook in tuple(node._post_hooks):
            hook(var)


def _check_finite(node, grads) -> None:
    for i, g in enumerate(grads):
        if g is not None and g._data.dtype.kind == "f" and not np.isfinite(g._data).all():
            what = "nan" if np.isnan(g._data).any() else "inf"
            trace = getattr(node, "_trace", None)
            where = f"\nThe forward call that created it:\n{trace}" if trace else ""
            raise RuntimeError(f"Function '{node.name()}' returned {what} values in its {i}th output.{where}")


def backward(tensors, grad_tensors=None, retain_graph: bool | None = None, create_graph: bool = False) -> None:
    """Accumulate d(tensors)/d(leaf) into every leaf's ``.grad``."""
    tensors = _as_tuple(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    run_backward(tensors, _as_tuple(grad_tensors), retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple:
    """Return d(outputs)/d(inputs), weighted by ``grad_outputs``, without touching any ``.grad``."""
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    if retain_graph is None:
        retain_graph = create_graph
    return run_backward(outputs, _as_tuple(grad_outputs), retain_graph, create_graph, inputs, allow_unused)


class detect_anomaly:
    """Context manager: raise when a backward function produces NaN or Inf, naming the op (and where it was
    created in forward)."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self) -> None:
        self.prev = _function._anomaly["enabled"]
        _function._anomaly["enabled"] = self.check_nan

    def __exit__(self, *exc) -> None:
        _function._anomaly["enabled"] = self.prev


