"""``MultivariateNormal(loc, covariance_matrix=None, precision_matrix=None, scale_tril=None)``:
density exp(-0.5 (x - loc)^T Sigma^-1 (x - loc)) / sqrt((2 pi)^n det Sigma), Sigma = L L^T."""

from __future__ import annotations

import math

import numpy as np

from ..ops.elementwise import log
from ..ops.linalg import matmul
from ..ops.shape import diagonal, expand, flip, transpose
from ..ops.triangular import linalg_cholesky, linalg_solve_triangular
from ..random import randn
from ..tensor import Tensor, _make
from .distribution import Distribution

__all__ = ["MultivariateNormal"]


def _mahalanobis(L: Tensor, x: Tensor) -> Tensor:
    """x^T (L L^T)^-1 x over the last dim, batched: |L^-1 x|^2."""
    shape = np.broadcast_shapes(L.shape[:-2], x.shape[:-1])
    n = L.shape[-1]
    Lb = expand(L, shape + (n, n)) if L.shape[:-2] != shape else L
    xb = expand(x, shape + (n,)) if x.shape[:-1] != shape else x
    y = linalg_solve_triangular(Lb, xb.unsqueeze(-1), upper=False).squeeze(-1)
    return (y * y).sum(-1)


def _precision_to_scale_tril(P: Tensor) -> Tensor:
    """L with L L^T = P^-1, from the Cholesky factor of P with its rows and columns reversed (PyTorch's way)."""
    Lf = linalg_cholesky(flip(P, (-2, -1)))
    L_inv = transpose(flip(Lf, (-2, -1)), -2, -1)
    eye = _make(np.broadcast_to(np.eye(P.shape[-1], dtype=P.dtype), P.shape).copy())
    return linalg_solve_triangular(L_inv, eye, upper=False)


class MultivariateNormal(Distribution):
    has_rsample = True
    arg_constraints = ("loc",)

    def __init__(self, loc: Tensor, covariance_matrix: Tensor | None = None, precision_matrix: Tensor | None = None,
                 scale_tril: Tensor | None = None, validate_args: bool | None = None) -> None:
        if loc.ndim < 1:
            raise ValueError("loc must be at least one-dimensional.")
        if sum(m is not None for m in (covariance_matrix, precision_matrix, scale_tril)) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        given = next(m for m in (scale_tril, covariance_matrix, precision_matrix) if m is not None)
        if given.ndim < 2 or given.shape[-1] != given.shape[-2] or given.shape[-1] != loc.shape[-1]:
            raise ValueError(f"the matrix parameter must be at least two-dimensional, square and match loc's event "
                             f"size {loc.shape[-1]}, got shape {tuple(given.shape)}")
        if scale_tril is not None:
            L = scale_tril.tril()
        elif covariance_matrix is not None:
            L = linalg_cholesky(covariance_matrix)
        else:
            L = _precision_to_scale_tril(precision_matrix)
        self._unbroadcasted_scale_tril = L
        batch = np.broadcast_shapes(given.shape[:-2], loc.shape[:-1])
        n = loc.shape[-1]
        self.loc = expand(loc, batch + (n,)) if loc.shape[:-1] != batch else loc
        super().__init__(batch, (n,), validate_args)

    @property
    def scale_tril(self) -> Tensor:
        L = self._unbroadcasted_scale_tril
        return expand(L, self._batch_shape + L.shape[-2:])

    @property
    def covariance_matrix(self) -> Tensor:
        L = self._unbroadcasted_scale_tril
        return expand(matmul(L, transpose(L, -2, -1)), self._batch_shape + self._event_shape * 2)

    @property
    def precision_matrix(self) -> Tensor:
        L = self._unbroadcasted_scale_tril
        n = L.shape[-1]
        eye = _make(np.broadcast_to(np.eye(n, dtype=L.dtype), L.shape).copy())
        L_inv = linalg_solve_triangular(L, eye, upper=False)
        return expand(matmul(transpose(L_inv, -2, -1), L_inv), self._batch_shape + self._event_shape * 2)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        L = self._unbroadcasted_scale_tril
        return expand((L * L).sum(-1), self._batch_shape + self._event_shape)

    def rsample(self, sample_shape=()) -> Tensor:
        """loc + L eps, eps ~ N(0, I)."""
        eps = randn(self._extended_shape(sample_shape), dtype=self.loc.dtype)
        return self.loc + matmul(self._unbroadcasted_scale_tril, eps.unsqueeze(-1)).squeeze(-1)

    def _half_log_det(self) -> Tensor:
        return log(diagonal(self._unbroadcasted_scale_tril, 0, -2, -1)).sum(-1)

    def log_prob(self, value) -> Tensor:
        """-0.5 (n log(2 pi) + mahalanobis(value - loc)) - log det L."""
        diff = value - self.loc
        m = _mahalanobis(self._unbroadcasted_scale_tril, diff)
        n = self._event_shape[0]
        return -0.5 * (n * math.log(2 * math.pi) + m) - self._half_log_det()

    def entropy(self) -> Tensor:
        """0.5 n (1 + log(2 pi)) + log det L."""
        n = self._event_shape[0]
        h = 0.5 * n * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        return expand(h, self._batch_shape) if h.shape != self._batch_shape else h
