"""``autograd.compile``: ``torch.compile``'s signature as a documented pass-through.

numbagrad has no graph compiler yet: ``compile(model)`` returns ``model`` itself (a module or function, run
eagerly, with the same results), and ``@compile(...)`` returns the function it decorates.
"""

from __future__ import annotations

__all__ = ["compile"]


def compile(model=None, *, fullgraph: bool = False, dynamic=None, backend="inductor", mode=None,  # noqa: A001
            options=None, disable: bool = False):
    """Return ``model`` unchanged (or, called without it, a decorator that returns the function unchanged)."""
    if model is None:
        return lambda fn: fn
    return model
