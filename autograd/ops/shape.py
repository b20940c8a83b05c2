"""Shape ops: views and rearrangements (reshape, transpose, cat, split, pad, ...)."""

from __future__ import annotations

__all__: list[str] = []


def canonical_dim(dim: int, ndim: int) -> int:
    """``dim`` in [0, ndim) (negative counts from the end); IndexError naming the valid range otherwise."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n
