"""``torch.backends.mps``: Apple's GPUs are not supported; both checks answer False."""

from __future__ import annotations


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False
