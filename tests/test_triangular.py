"""linalg_cholesky and linalg_solve_triangular: values and gradients against PyTorch, float64 gradchecks
(first and second order), and their errors."""

import numpy as np
import pytest

import autograd as A
from autograd.ops.triangular import linalg_cholesky, linalg_solve_triangular

torch = pytest.importorskip("torch")


def _spd(rng, shape):
    m = rng.standard_normal(shape)
    return m @ np.swapaxes(m, -1, -2) + shape[-1] * np.eye(shape[-1])


def test_cholesky_matches_torch_with_gradients():
    rng = np.random.default_rng(0)
    s = _spd(rng, (2, 4, 4))
    a, t = A.tensor(s, requires_grad=True), torch.tensor(s, requires_grad=True)
    L, tL = linalg_cholesky(a), torch.linalg.cholesky(t)
    np.testing.assert_allclose(L.numpy(), tL.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(linalg_cholesky(a, upper=True).numpy(), torch.linalg.cholesky(t, upper=True).detach().numpy(), atol=1e-12)
    w = rng.standard_normal(s.shape)
    (L * A.tensor(w)).sum().backward()
    (tL * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-10)
    sym = lambda x: linalg_cholesky((x + x.transpose(-1, -2)) * 0.5)  # noqa: E731 - the symmetric part, as torch tests do
    assert A.gradcheck(sym, (A.tensor(s, requires_grad=True),))
    assert A.gradgradcheck(sym, (A.tensor(s[0], requires_grad=True),))
    with pytest.raises(RuntimeError, match="not positive-definite"):
        linalg_cholesky(A.tensor(-np.eye(2)))


@pytest.mark.parametrize("upper,left", [(False, True), (True, True), (False, False), (True, False)])
def test_solve_triangular_matches_torch_with_gradients(upper, left):
    rng = np.random.default_rng(1)
    m = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    b = rng.standard_normal((3, 2) if left else (2, 3))
    a, t = A.tensor(m, requires_grad=True), torch.tensor(m, requires_grad=True)
    ob, tb = A.tensor(b, requires_grad=True), torch.tensor(b, requires_grad=True)
    x = linalg_solve_triangular(a, ob, upper=upper, left=left)
    tx = torch.linalg.solve_triangular(t, tb, upper=upper, left=left)
    np.testing.assert_allclose(x.numpy(), tx.detach().numpy(), rtol=1e-12)
    x.sum().backward()
    tx.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ob.grad.numpy(), tb.grad.numpy(), rtol=1e-10, atol=1e-12)
    tri = np.triu(m) if upper else np.tril(m)
    assert A.gradcheck(lambda p, q: linalg_solve_triangular(p, q, upper=upper, left=left),
                       (A.tensor(tri, requires_grad=True), A.tensor(b, requires_grad=True)))
    with pytest.raises(RuntimeError, match="square matrices"):
        linalg_solve_triangular(A.zeros(2, 3), A.zeros(2, 1), upper=upper)
