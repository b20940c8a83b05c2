"""Regularisers and weight constraints (beyond PyTorch): ``l1_penalty``, ``l2_penalty``,
``elastic_net_penalty`` return differentiable scalars to add to a loss; ``max_norm_`` is Keras' MaxNorm
constraint applied in place (call it after ``optimizer.step()``).

Which parameters count: given a Module, its *weights*, i.e. every parameter with 2 or more dimensions (the
matrices and kernels of Linear, Conv, Embedding, RNN, attention); biases and the 1-D scales/shifts of
normalisation layers are excluded, as is usual for weight decay. Given an iterable of tensors instead, every
tensor given is used.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

import autograd
from autograd.graph import increment_version
from autograd.tensor import Tensor

from ..module import Module

__all__ = ["regularized_parameters", "l1_penalty", "l2_penalty", "elastic_net_penalty", "max_norm_"]


def regularized_parameters(module_or_params: Module | Iterable[Tensor]) -> list[Tensor]:
    """The tensors the penalties act on: a module's weights (ndim >= 2), or every tensor of an iterable."""
    if isinstance(module_or_params, Module):
        return [p for p in module_or_params.parameters() if p.ndim >= 2]
    if isinstance(module_or_params, Tensor):
        return [module_or_params]
    return list(module_or_params)


def _total(terms: list[Tensor]) -> Tensor:
    if not terms:
        return autograd.zeros(())
    out = terms[0]
    for t in terms[1:]:
        out = out + t
    return out


def l1_penalty(module_or_params: Module | Iterable[Tensor]) -> Tensor:
    """sum |w| over the weights."""
    return _total([autograd.abs(w).sum() for w in regularized_parameters(module_or_params)])


def l2_penalty(module_or_params: Module | Iterable[Tensor]) -> Tensor:
    """sum w^2 over the weights (no 1/2: ``loss + lam * l2_penalty(m)`` is SGD's ``weight_decay = 2 lam``)."""
    return _total([(w * w).sum() for w in regularized_parameters(module_or_params)])


def elastic_net_penalty(module_or_params: Module | Iterable[Tensor], l1_ratio: float = 0.5) -> Tensor:
    """l1_ratio * l1_penalty + (1 - l1_ratio) * l2_penalty."""
    if not 0.0 <= l1_ratio <= 1.0:
        raise ValueError(f"l1_ratio must be in [0, 1], got {l1_ratio}")
    params = regularized_parameters(module_or_params)
    return l1_ratio * l1_penalty(params) + (1.0 - l1_ratio) * l2_penalty(params)


def max_norm_(module_or_params: Module | Iterable[Tensor], max_value: float = 2.0, dim: int = 0,
              norm_type: float = 2.0) -> None:
    """Rescale in place each slice ``w.select(dim, i)`` whose ``norm_type``-norm exceeds ``max_value`` to norm
    ``max_value`` (``torch.renorm``'s rule, factor ``max_value / (norm + 1e-7)``). With the default ``dim=0``
    each output unit's incoming weights (a row of a Linear weight) are constrained, like Keras' ``MaxNorm``."""
    if max_value < 0:
        raise ValueError(f"max_norm_: max_value must be non-negative, got {max_value}")
    for w in regularized_parameters(module_or_params):
        a = w.numpy()
        if a.ndim == 0:
            raise ValueError("max_norm_: cannot renormalise a 0-d tensor")
        d = dim % a.ndim
        axes = tuple(i for i in range(a.ndim) if i != d)
        mag = np.abs(a.astype(np.float64))
        if norm_type == np.inf:
            norms = mag.max(axis=axes, keepdims=True)
        else:
            norms = (mag**norm_type).sum(axis=axes, keepdims=True) ** (1.0 / norm_type)
        scale = np.where(norms > max_value, max_value / (norms + 1e-7), 1.0)
        a *= scale.astype(a.dtype)
        increment_version(w)
