"""The op table tests itself: every ``Function`` subclass defined under ``autograd/ops`` is reached by a row of
``tests/op_specs`` (its forward node, or a node of the row's backward graph recorded with ``create_graph``), or
is named in ``NOT_IN_TABLE`` below with the reason. A new op without a row fails here."""

from __future__ import annotations

import numpy as np

import autograd
import nn  # noqa: F401  (its functionals build ops too; import them so every subclass exists)
from autograd.function import Function
from tests.op_specs import all_specs

# Ops with no row, each with its reason: internal nodes, and a backward-only node beyond the second order.
NOT_IN_TABLE = {
    # internal: abstract bases and nodes that users never build directly
    "autograd.ops.reduce._AlongAxis": "base class of the reductions along one dim",
    "autograd.ops.reduce._Extreme": "base class of max/min/amax/amin",
    "autograd.ops.elementwise._SlopeOfOutput": "base class of TanhBackward and SigmoidBackward",
    "autograd.ops.elementwise._ZeroGrad": "returns zero gradients for integer-valued ops (sign, round, ...)",
    "autograd.ops.broadcast.BroadcastTo": "used inside backward formulas (broadcast_to is Expand)",
    "autograd.ops.elementwise.Cast": "Tensor.to/type between float dtypes; tests/test_dtypes.py covers it",
    "autograd.ops.elementwise.Clone": "Tensor.clone/contiguous; tests/test_tensor.py covers it",
    # backward-only: third order of max pooling (MaxPoolBackward's backward)
    "autograd.ops.pool.GatherPlanes": "max_pool's second derivative; tests/nn/test_pooling.py gradgradchecks it",
    "autograd.ops.replay.ReplayVjp": "the recurrent backward ops' derivatives; tests/nn/test_rnn.py (third order)",
}


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__name__}"


def _ops_defined() -> set[type]:
    found, stack = set(), [Function]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("autograd.ops."):
                found.add(sub)
    return found


def _node_types(tensors, seen: dict) -> None:
    stack = [t.grad_fn for t in tensors if t.grad_fn is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen[id(node)] = type(node)
        stack.extend(edge[0] for edge in node.next_functions if edge is not None and edge[0] is not None)


def _ops_reached_by_table() -> set[type]:
    """Run each row's first case in float64; collect the node types of its forward graph and of its gradient's
    graph (seeded with a grad_output that requires grad, so backward-only ops are recorded too)."""
    reached: set[type] = set()
    for spec in all_specs():
        arrays = spec.inputs(spec.cases[0], np.float64)
        xs = [autograd.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
        outs = spec.fn(autograd, *xs)
        outs = list(outs) if isinstance(outs, (tuple, list)) else [outs]
        seen: dict = {}
        _node_types(outs, seen)
        diff = [o for o in outs if o.requires_grad]
        ins = [x for x in xs if x.requires_grad]
        if diff and ins:
            seeds = [autograd.ones(o.shape, dtype=o.dtype, requires_grad=True) for o in diff]
            grads = autograd.grad(diff, ins, grad_outputs=seeds, create_graph=True, allow_unused=True)
            _node_types([g for g in grads if g is not None], seen)
        reached |= set(seen.values())
    return reached


def test_every_op_has_a_row_or_a_reason():
    defined = _ops_defined()
    assert len(defined) > 50  # the walk found the ops (a broken import would leave it near empty)
    reached = _ops_reached_by_table()
    missing = sorted(_qualname(c) for c in defined - reached if _qualname(c) not in NOT_IN_TABLE)
    assert not missing, (f"ops without a row in tests/op_specs: {missing}; add a row (or, for an internal or "
                         f"backward-only node, an entry with its reason in NOT_IN_TABLE)")
    names = {_qualname(c) for c in defined}
    stale = sorted(n for n in NOT_IN_TABLE if n not in names)
    assert not stale, f"NOT_IN_TABLE names ops that no longer exist: {stale}"
    now_covered = sorted(_qualname(c) for c in reached if _qualname(c) in NOT_IN_TABLE)
    assert not now_covered, f"these ops have a row now; remove them from NOT_IN_TABLE: {now_covered}"
