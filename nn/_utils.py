"""Argument normalisation shared by nn's layers and functionals (PyTorch's ``nn.modules.utils``)."""

from __future__ import annotations


def _ntuple(value, n: int, name: str = "argument", single_repeats: bool = False) -> tuple:
    """``value`` as an n-tuple of ints: an int repeats n times; a tuple/list needs n entries (or one, repeated,
    where ``single_repeats``: pooling accepts ``kernel_size=(3,)`` as PyTorch does)."""
    if isinstance(value, (tuple, list)):
        if single_repeats and len(value) == 1:
            return (int(value[0]),) * n
        if len(value) != n:
            raise ValueError(f"expected {name} to be a single int or a tuple of {n} ints, got {value}")
        return tuple(int(v) for v in value)
    return (int(value),) * n


def _single(value) -> tuple:
    """``value`` as a tuple, unchecked (PyTorch's ``_single``: the 1-D layers keep their arguments so)."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)
