"""``parameters_to_vector`` / ``vector_to_parameters``: flatten parameters into one vector and back."""

from __future__ import annotations

from collections.abc import Iterable

import autograd
from autograd.tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """One 1-D tensor: every parameter flattened, concatenated in order (differentiable)."""
    return autograd.cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Make each parameter's data the next slice of ``vec`` (a view of it, as in PyTorch)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected Tensor, but got: {type(vec).__name__}")
    params = list(parameters)
    total = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.numel() != total:
        raise RuntimeError(f"vector_to_parameters: vec of shape {tuple(vec.shape)} does not hold the "
                           f"{total} values of the parameters")
    data = vec.numpy()
    pointer = 0
    for p in params:
        n = p.numel()
        p.data = autograd.from_numpy(data[pointer:pointer + n].reshape(p.shape).astype(p.dtype, copy=False))
        pointer += n
