"""``linalg_cholesky`` and ``linalg_solve_triangular`` (as ``torch.linalg.cholesky`` / ``solve_triangular``),
batched over leading dims, with backward in Tensor ops (so twice differentiable).

solve: X = A^-1 B; dB = A^-T dX, dA = -dB X^T restricted to A's triangle.
cholesky: A = L L^T; dA = sym(L^-T Phi(L^T dL) L^-1), Phi = lower triangle with the diagonal halved.
"""

from __future__ import annotations

import numpy as np

from ..function import Op
from ..tensor import Tensor
from .elementwise import mul, neg
from .linalg import matmul
from .shape import transpose, tril, triu

__all__: list[str] = ["linalg_cholesky", "linalg_solve_triangular"]


def _mT(x: Tensor) -> Tensor:
    return transpose(x, -2, -1)


class SolveTriangular(Op):
    """X = A^-1 B for triangular A (``upper``); see the module docstring for the gradients"""

    @staticmethod
    def forward(ctx, a, b, upper):
        tri = np.triu(a) if upper else np.tril(a)
        x = np.linalg.solve(tri, b)
        ctx.upper = upper
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        gb = linalg_solve_triangular(_mT(a), g, upper=not ctx.upper)
        ga = None
        if ctx.needs_input_grad[0]:
            full = neg(matmul(gb, _mT(x)))
            ga = triu(full) if ctx.upper else tril(full)
        return ga, gb, None


class Cholesky(Op):
    """L (lower) with A = L L^T; see the module docstring for the gradient"""

    @staticmethod
    def forward(ctx, a):
        try:
            L = np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            raise RuntimeError("linalg.cholesky: The factorization could not be completed because the input is not "
                               "positive-definite") from None
        ctx.save_for_backward(L)
        return L

    @staticmethod
    def backward(ctx, g):
        (L,) = ctx.saved_tensors
        phi = tril(matmul(_mT(L), tril(g)))
        n = L.shape[-1]
        half = np.ones((n, n), dtype=L.dtype) - 0.5 * np.eye(n, dtype=L.dtype)
        phi = mul(phi, Tensor(half))
        # L^-T phi L^-1 = solve(L^T, (solve(L^T, phi^T))^T)
        inner = _mT(linalg_solve_triangular(_mT(L), _mT(phi), upper=True))
        ga = linalg_solve_triangular(_mT(L), inner, upper=True)
        return mul(ga + _mT(ga), Tensor(np.asarray(0.5, L.dtype)))


def _check_square(name: str, a: Tensor) -> None:
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"linalg.{name}: A must be batches of square matrices, but they are "
                           f"{' by '.join(map(str, a.shape[-2:]))} matrices (shape {list(a.shape)})")
    if a.dtype.kind != "f":
        raise RuntimeError(f"linalg.{name}: expected a floating point tensor, got dtype {a.dtype}")


def linalg_cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """The lower-triangular L with A = L L^T (or U = L^T with ``upper=True``) of symmetric positive-definite A."""
    _check_square("cholesky", A)
    L = Cholesky.apply(A)
    return _mT(L) if upper else L


def linalg_solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True,
                            unitriangular: bool = False) -> Tensor:
    """X with A X = B (``left=False``: X A = B) for triangular A, reading only A's ``upper``/lower triangle."""
    _check_square("solve_triangular", A)
    if unitriangular:
        n = A.shape[-1]
        keep = np.ones((n, n), dtype=A.dtype) - np.eye(n, dtype=A.dtype)
        A = mul(A, Tensor(keep)) + Tensor(np.eye(n, dtype=A.dtype))
    if not left:  # X A = B  <=>  A^T X^T = B^T
        return _mT(linalg_solve_triangular(_mT(A), _mT(B), upper=not upper))
    if B.ndim < 2 or B.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"linalg.solve_triangular: incompatible shapes of A {list(A.shape)} and B "
                           f"{list(B.shape)}")
    return SolveTriangular.apply(A, B, upper)
