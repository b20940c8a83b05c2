"""Derivatives of any order of a function written in Tensor ops, by replaying it: ``ReplayVjp``.

An op whose backward is a fused kernel (the recurrent layers' backward ops) still needs a derivative of that
backward. ``vjp_of(fn, wrt, n_in)`` is the Tensor-op function (z, v) -> d<fn(z), v>/dz[wrt]; ``ReplayVjp`` runs
such a function on detached copies of its inputs (so differentiating it never walks the graph that produced
them) and its backward is ``ReplayVjp`` of the function's own vector-Jacobian product, so every order is exact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..creation import zeros_like
from ..engine import grad as _grad
from ..function import Function
from ..grad_mode import enable_grad
from ..tensor import Tensor

__all__: list[str] = []


def _vjp(fn: Callable, wrt: Sequence[int], n_in: int, args: Sequence, create_graph: bool) -> tuple:
    z, v = args[:n_in], args[n_in:]
    outs = fn(*z)
    outs = outs if isinstance(outs, tuple) else (outs,)
    pairs = [(o, g) for o, g in zip(outs, v) if o is not None and g is not None and o.requires_grad]
    targets = [z[i] for i in wrt]
    got = [None] * len(targets)
    if pairs and targets:
        got = _grad([o for o, _ in pairs], targets, [g for _, g in pairs], create_graph=create_graph,
                    allow_unused=True)
    return tuple(zeros_like(t) if g is None else g for t, g in zip(targets, got))


def vjp_of(fn: Callable, wrt: Sequence[int], n_in: int) -> Callable:
    """The function (*z, *v) -> (d<fn(*z), v>/dz[i] for i in wrt), z the first ``n_in`` arguments and v one
    cotangent per output of ``fn``; zeros where an input does not reach the outputs. Differentiable (its graph is
    recorded), so it can itself be replayed. Its ``differentiates`` attribute names the argument positions it (or
    a vjp nested in it) differentiates, which must require grad when it runs."""

    def vjp(*args):  # noqa: ANN202
        return _vjp(fn, wrt, n_in, args, create_graph=True)

    vjp.differentiates = frozenset(wrt) | getattr(fn, "differentiates", frozenset())
    return vjp


class ReplayVjp(Function):
    """d<fn(z), v>/dz[wrt] for a Tensor-op function ``fn`` of the first ``n_in`` inputs z and cotangents v;
    its derivative (w.r.t. z and v, with cotangents u) is ReplayVjp of ``vjp_of(fn, wrt, n_in)``"""

    @staticmethod
    def forward(ctx, *args, fn, wrt, n_in):
        ctx.fn, ctx.wrt, ctx.n_in = fn, tuple(wrt), n_in
        ctx.save_for_backward(*args)
        # the replay's leaves need grad where this vjp or the ones nested in fn differentiate; no others, so the
        # replayed graph has no branch that leads nowhere. The outermost product is not recorded: this op's own
        # backward replays again, one order up.
        leaves = frozenset(ctx.wrt) | getattr(fn, "differentiates", frozenset())
        local = [a.detach().requires_grad_(i in leaves) if isinstance(a, Tensor) else a for i, a in enumerate(args)]
        with enable_grad():
            return _vjp(fn, ctx.wrt, n_in, local, create_graph=False)

    @staticmethod
    def backward(ctx, *us):
        args = ctx.saved_tensors
        need = ctx.needs_input_grad
        wrt = [i for i, (a, n) in enumerate(zip(args, need)) if n and a is not None]
        result = [None] * len(args)
        if wrt:
            got = ReplayVjp.apply(*args, *us, fn=vjp_of(ctx.fn, ctx.wrt, ctx.n_in), wrt=wrt, n_in=len(args))
            for i, g in zip(wrt, got):
                result[i] = g
        return tuple(result)


def replay_vjp(fn: Callable, z: Sequence, v: Sequence, wrt: Sequence[int]) -> tuple:
    """d<fn(*z), v>/dz[i] for i in wrt, differentiable to any order (see ``ReplayVjp``)."""
    return ReplayVjp.apply(*z, *v, fn=fn, wrt=tuple(wrt), n_in=len(z))
