"""Gradient clipping: ``clip_grad_norm_``, ``clip_grad_value_`` (and ``get_total_norm``,
``clip_grads_with_norm_``), with PyTorch's formulas: the total norm is the ``norm_type``-norm of the
per-parameter gradient norms, and gradients are scaled by ``min(1, max_norm / (total_norm + 1e-6))``."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

import autograd
from autograd.graph import increment_version
from autograd.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]


def _as_list(parameters) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)


def _vector_norm(a: np.ndarray, p: float) -> np.ndarray:
    a = np.abs(a.reshape(-1))
    if a.size == 0:
        return np.zeros((), a.dtype)
    if p == math.inf:
        return a.max()
    if p == -math.inf:
        return a.min()
    if p == 0:
        return np.asarray((a != 0).sum(), dtype=a.dtype)
    if p == 1:
        return a.sum()
    if p == 2:
        return np.sqrt(np.dot(a, a))
    return (a**p).sum() ** (1.0 / p)


def get_total_norm(tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """The ``norm_type``-norm of the norms of ``tensors`` (as if they were concatenated into one vector)."""
    arrays = [t.numpy() for t in _as_list(tensors) if t is not None]
    norm_type = float(norm_type)
    if not arrays:
        return autograd.from_numpy(np.zeros((), np.float32))
    dtype = np.result_type(*arrays)
    norms = np.stack([_vector_norm(a, norm_type).astype(dtype) for a in arrays])
    total = _vector_norm(norms, norm_type).astype(dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`"
        )
    return autograd.from_numpy(np.asarray(total))


def clip_grads_with_norm_(parameters, max_norm: float, total_norm: Tensor, foreach=None) -> None:
    """Scale every gradient in place by ``min(1, max_norm / (total_norm + 1e-6))``."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    total = float(total_norm.item() if isinstance(total_norm, Tensor) else total_norm)
    coef = min(float(max_norm) / (total + 1e-6), 1.0) if not math.isnan(total) else math.nan
    for g in grads:
        a = g.numpy()
        a *= a.dtype.type(coef)
        increment_version(g)


def clip_grad_norm_(parameters: Iterable[Tensor] | Tensor, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Scale the gradients of ``parameters`` in place so that their total ``norm_type``-norm is at most
    ``max_norm`` (``norm_type`` may be ``inf``). Returns the total norm before clipping, as a Tensor."""
    params = _as_list(parameters)
    grads = [p.grad for p in params if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    if grads:
        clip_grads_with_norm_(params, max_norm, total)
    return total


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float, foreach=None) -> None:
    """Clamp every gradient in place to [-clip_value, clip_value]."""
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        if p.grad is not None:
            a = p.grad.numpy()
            np.clip(a, -clip_value, clip_value, out=a)
            increment_version(p.grad)
