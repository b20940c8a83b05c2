"""Activation checkpointing, as ``torch.utils.checkpoint``: run a segment without keeping its activations and
recompute them during backward.

``checkpoint(fn, *args)`` runs ``fn`` under no_grad and records one graph node. Its backward restores the random
state of the forward (so dropout draws the same masks), runs ``fn`` again with grad enabled, and differentiates
that recomputation: the gradients go to the tensor arguments and to the parameters of ``fn`` when it is a module
or a module's method; leaves that ``fn`` reaches otherwise (a closure) get theirs accumulated into ``.grad``, as
with PyTorch's reentrant variant. A closure called on inputs that need no gradient is run as it is (no
recomputation, and its parameters still get gradients). ``use_reentrant`` is accepted either way and changes
nothing.
"""

from __future__ import annotations

import warnings

from .. import engine
from ..function import AccumulateGrad, Function
from ..grad_mode import enable_grad, is_grad_enabled
from ..random import default_generator
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential"]


def _module_parameters(fn) -> list:
    owner = fn if hasattr(fn, "parameters") else getattr(fn, "__self__", None)
    if owner is None or not hasattr(owner, "parameters"):
        return []
    return [p for p in owner.parameters() if p.requires_grad]


def _leaves(outputs) -> list:
    """The leaf tensors requiring grad that ``outputs`` depend on (their order of discovery)."""
    seen, found, stack = set(), [], [o.grad_fn for o in outputs if o.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, AccumulateGrad):
            v = node.variable
            if v is not None:
                found.append(v)
            continue
        for edge in node.next_functions:
            if edge is not None:
                stack.append(edge[0] if isinstance(edge, tuple) else edge)
    return found


class _Checkpoint(Function):
    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, n_args, kwargs, *inputs):
        ctx.run_function, ctx.kwargs, ctx.n_args = run_function, kwargs, n_args
        ctx.rng_state = default_generator.get_state() if preserve_rng_state else None
        args = inputs[:n_args]
        ctx.save_for_backward(*[a for a in args if isinstance(a, Tensor)])
        ctx.args = [None if isinstance(a, Tensor) else a for a in args]
        ctx.params = inputs[n_args:]
        out = run_function(*args, **kwargs)
        ctx.single = not isinstance(out, tuple)
        return out if ctx.single else tuple(out)

    @staticmethod
    def backward(ctx, *grads):
        saved = iter(ctx.saved_tensors)
        args = [a if a is not None else next(saved) for a in ctx.args]
        args = [a.detach().requires_grad_(a.requires_grad) if isinstance(a, Tensor) else a for a in args]
        outer = default_generator.get_state()
        if ctx.rng_state is not None:
            default_generator.set_state(ctx.rng_state)
        try:
            with enable_grad():
                out = ctx.run_function(*args, **ctx.kwargs)
        finally:
            default_generator.set_state(outer)
        outs = (out,) if ctx.single else tuple(out)
        pairs = [(o, g) for o, g in zip(outs, grads) if isinstance(o, Tensor) and o.requires_grad and g is not None]
        known = [a for a in args if isinstance(a, Tensor) and a.requires_grad] + list(ctx.params)
        ids = {id(t) for t in known}
        others = [leaf for leaf in _leaves([o for o, _ in pairs]) if id(leaf) not in ids]
        if not pairs:
            return (None,) * (4 + ctx.n_args + len(ctx.params))
        targets = known + others
        got = engine.grad([o for o, _ in pairs], targets, [g for _, g in pairs], allow_unused=True,
                          create_graph=is_grad_enabled())
        for leaf, g in zip(others, got[len(known):]):  # a closure's parameters: accumulated, as reentrant
            if g is not None:
                leaf.grad = g.detach() if leaf.grad is None else leaf.grad + g.detach()
        by_id = {id(t): g for t, g in zip(known, got)}
        arg_grads = [by_id.get(id(a)) if isinstance(a, Tensor) else None for a in args]
        return (None, None, None, None, *arg_grads, *(by_id.get(id(p)) for p in ctx.params))


def checkpoint(function, *args, use_reentrant: bool | None = None, context_fn=None, determinism_check="default",
               debug: bool = False, preserve_rng_state: bool = True, **kwargs):
    """``function(*args, **kwargs)``, with its activations recomputed in backward instead of stored."""
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly; both values "
                      "behave the same in numbagrad", stacklevel=2)
    params = _module_parameters(function)
    if not params and not any(isinstance(a, Tensor) and a.requires_grad for a in args):
        # nothing to hang the recomputation on (a closure over parameters, inputs without grad): run it as is,
        # so its parameters still get their gradients
        return function(*args, **kwargs)
    return _Checkpoint.apply(function, preserve_rng_state, len(args), kwargs, *args, *params)


def checkpoint_sequential(functions, segments: int, input, use_reentrant: bool | None = None,  # noqa: A002
                          **kwargs):
    """Run ``functions`` (a Sequential or a list of modules) in ``segments`` checkpointed chunks."""
    fns = list(functions.children()) if hasattr(functions, "children") else list(functions)
    size = max(1, -(-len(fns) // segments))

    def run(chunk):
        def forward(x):
            for f in chunk:
                x = f(x)
            return x
        return forward

    for start in range(0, len(fns), size):
        chunk = fns[start:start + size]
        params = [p for f in chunk if hasattr(f, "parameters") for p in f.parameters() if p.requires_grad]
        input = _Checkpoint.apply(run(chunk), kwargs.get("preserve_rng_state", True), 1, {}, input, *params)
    return input
