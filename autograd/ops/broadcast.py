"""Broadcasting and its adjoint: ``broadcast_to`` copies along new/size-1 axes, ``sum_to`` sums them back.

Each is the other's backward, which is how every broadcasting op gets its gradient reduced to its input's
shape (done once, in ``Function._run_backward``).
"""

from __future__ import annotations

import numpy as np

from ..function import Op


def _sum_axes(shape: tuple, target: tuple) -> tuple[tuple, bool]:
    """Axes of ``shape`` to sum so it becomes ``target``; ValueError if ``target`` does not broadcast to it."""
    lead = len(shape) - len(target)
    if lead < 0:
        raise ValueError(f"cannot sum shape {tuple(shape)} to the larger shape {tuple(target)}")
    axes = list(range(lead))
    for i, t in enumerate(target):
        s = shape[lead + i]
        if t == 1 and s != 1:
            axes.append(lead + i)
        elif t != s:
            raise ValueError(f"shape {tuple(target)} does not broadcast to {tuple(shape)}")
    return tuple(axes), lead > 0


class SumTo(Op):
    """sum_to(x, shape): sum x over the axes that broadcasting added; d/dx = broadcast_to(g, x.shape)."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        axes, _ = _sum_axes(x.shape, shape)
        out = np.sum(x, axis=axes, keepdims=True) if axes else x
        return out.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return broadcast_to(g, ctx.in_shape), None


class BroadcastTo(Op):
    """broadcast_to(x, shape): a read-only view repeating x; d/dx = sum_to(g, x.shape)."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        try:
            return np.broadcast_to(x, shape)
        except ValueError:
            raise RuntimeError(
                f"The expanded size of the tensor must match the existing size: cannot broadcast shape "
                f"{tuple(x.shape)} to {tuple(shape)}"
            ) from None

    @staticmethod
    def backward(ctx, g):
        return sum_to(g, ctx.in_shape), None


def sum_to(x, shape: tuple):
    shape = tuple(shape)
    if tuple(x.shape) == shape:
        return x
    return SumTo.apply(x, shape)


def broadcast_to(x, shape: tuple):
    shape = tuple(shape)
    if tuple(x.shape) == shape:
        return x
    return BroadcastTo.apply(x, shape)


def broadcast_shapes(*shapes) -> tuple:
    """The shape operands of these shapes broadcast to; RuntimeError naming them if they do not."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise RuntimeError(
            "shapes " + ", ".join(str(tuple(s)) for s in shapes) + " are not broadcastable"
        ) from None
