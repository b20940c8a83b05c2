"""Helpers shared by test files: random inputs for both libraries and copying PyTorch weights into ours."""

from __future__ import annotations

import numpy as np

import autograd


def randn(rng: np.random.Generator, *shape: int) -> autograd.Tensor:
    """A float64 standard-normal leaf that requires grad (for gradcheck / gradgradcheck)."""
    return autograd.tensor(rng.standard_normal(shape), requires_grad=True)


def randn_pair(rng: np.random.Generator, shape: tuple, requires_grad: bool = True):
    """The same float64 standard-normal values as ``(ours, torch's)`` tensors."""
    import torch

    a = rng.standard_normal(shape)
    return autograd.tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad)


def copy_weights(dst, src) -> None:
    """Load ``src``'s state_dict into ``dst`` (either library's module), by copy: the two never share memory,
    so a step on one cannot silently move the other."""
    dst.load_state_dict({k: np.array(v.detach().numpy(), copy=True) for k, v in src.state_dict().items()})
