"""``autograd.linalg``: PyTorch's ``torch.linalg`` names for the linear-algebra ops that have them."""

from __future__ import annotations

from .ops.triangular import linalg_cholesky as cholesky
from .ops.triangular import linalg_solve_triangular as solve_triangular

__all__ = ["cholesky", "solve_triangular"]
