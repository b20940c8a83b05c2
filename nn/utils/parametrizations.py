"""``weight_norm`` and ``spectral_norm`` as parametrizations (``torch.nn.utils.parametrizations``), with
PyTorch's formulas and ``state_dict`` keys (``parametrizations.weight.original0`` = g, ``original1`` = v for
weight norm; ``parametrizations.weight.original`` and ``parametrizations.weight.0._u`` / ``._v`` for spectral
norm)."""

from __future__ import annotations

import numpy as np

import autograd
from autograd.graph import increment_version
from autograd.tensor import Tensor

from ..module import Module
from . import parametrize

__all__ = ["weight_norm", "spectral_norm", "norm_except_dim"]


def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:  # noqa: A002
    """The ``pow``-norm of ``v`` over every dimension but ``dim`` (kept, size 1 elsewhere); ``dim=-1``: the
    norm of the whole tensor (0-d)."""
    if dim == -1:
        return (autograd.abs(v) ** pow).sum() ** (1.0 / pow)
    axes = tuple(i for i in range(v.ndim) if i != dim % v.ndim)
    if not axes:
        return autograd.abs(v) if pow else v
    return (autograd.abs(v) ** pow).sum(axes, keepdim=True) ** (1.0 / pow)


class _WeightNorm(Module):
    """w = g * v / ||v|| (norm over every dim but ``dim``)"""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_v * (weight_g / norm_except_dim(weight_v, 2, self.dim))

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrize ``module.<name>`` as magnitude ``g`` times direction ``v / ||v||``."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


def _normalize(x: np.ndarray, eps: float) -> np.ndarray:
    return x / max(float(np.linalg.norm(x)), eps)


class _SpectralNorm(Module):
    """w / sigma, sigma the largest singular value of w (as a matrix over ``dim``) from power iteration; the
    iteration vectors ``_u``, ``_v`` are buffers, updated in training mode only."""

    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError(
                f"Expected n_power_iterations to be positive, but got n_power_iterations={n_power_iterations}"
            )
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            mat = self._matrix(weight).numpy()
            h, w = mat.shape
            for name, size in (("_u", h), ("_v", w)):
                start = _normalize(autograd.randn(size, dtype=weight.dtype).numpy(), eps)
                self.register_buffer(name, autograd.from_numpy(start))
            self._power_method(mat, 15)

    def _matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, mat: np.ndarray, n: int) -> None:
        u, v = self._u.numpy(), self._v.numpy()
        for _ in range(n):
            u[...] = _normalize(mat @ v, self.eps)
            v[...] = _normalize(mat.T @ u, self.eps)
        increment_version((self._u, self._v))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return weight / autograd.clamp((weight * weight).sum().sqrt(), min=self.eps)
        mat = self._matrix(weight)
        if self.training:
            self._power_method(mat.numpy(), self.n_power_iterations)
        u = self._u.clone()
        v = self._v.clone()
        sigma = (u * mat.matmul(v)).sum()
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> Module:
    """Divide ``module.<name>`` by its spectral norm (estimated by power iteration), as for GAN critics."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if type(module).__name__ in ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d") else 0
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
