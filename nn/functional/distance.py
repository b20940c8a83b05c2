"""Norms and distances of ``torch.nn.functional``: ``normalize``, ``cosine_similarity``, ``pairwise_distance``,
compositions of autograd ops."""

from __future__ import annotations

import autograd
from autograd import Tensor

__all__ = ["normalize", "cosine_similarity", "pairwise_distance"]


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:  # noqa: A002
    """x / max(||x||_p, eps) along ``dim``."""
    return input / autograd.clamp(input.norm(p, dim, keepdim=True), min=eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1/max(||x1||, eps) * x2/max(||x2||, eps)) along ``dim`` (inputs broadcast)."""
    n1 = autograd.clamp(x1.norm(2, dim, keepdim=True), min=eps)
    n2 = autograd.clamp(x2.norm(2, dim, keepdim=True), min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dimension."""
    diff = x1 - x2 + eps
    if diff.ndim == 0:
        diff = diff.reshape(1)
    return diff.norm(p, -1, keepdim=keepdim)
