"""Linear algebra beyond the op table: PyTorch's error messages, dtypes, the create_graph (einsum) backward of
matmul agreeing with the BLAS one, second derivatives, and einsum's parser (ellipses, implicit output,
diagonals, errors)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd

torch = pytest.importorskip("torch")


def _t(*shape, dtype=np.float64, seed=0, requires_grad=True):
    return autograd.tensor(np.random.default_rng(seed).standard_normal(shape).astype(dtype), requires_grad=requires_grad)


# ---- errors ----
@pytest.mark.parametrize("fn,shapes,message", [
    (lambda a, b: a @ b, ((2, 3), (4, 5)), r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
    (lambda a, b: autograd.mm(a, b), ((2, 3), (4, 5)), r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
    (lambda a, b: a @ b, ((2, 2, 3), (2, 4, 5)), r"cannot be multiplied \(2x3 and 4x5\).*\(2, 2, 3\) and \(2, 4, 5\)"),
    (lambda a, b: a @ b, ((3,), (4,)), r"inconsistent tensor size, expected tensor \[3\] and src \[4\]"),
    (lambda a, b: a @ b, ((3,), (4, 2)), r"cannot be multiplied \(1x3 and 4x2\)"),
    (lambda a, b: a @ b, ((2, 2, 3), (3, 3, 5)), r"size of tensor a \(2\) must match the size of tensor b \(3\) at "
                                                 r"non-singleton dimension 0"),
    (lambda a, b: a @ b, ((), (3,)), r"both arguments to matmul need to be at least 1D, but they are 0D and 1D"),
    (lambda a, b: autograd.mm(a, b), ((2, 3), (3,)), r"mat2 must be a matrix"),
    (lambda a, b: autograd.mm(a, b), ((2, 2, 3), (3, 2)), r"self must be a matrix"),
    (lambda a, b: autograd.bmm(a, b), ((2, 3), (3, 3, 5)), r"batch1 must be a 3D tensor"),
    (lambda a, b: autograd.bmm(a, b), ((2, 2, 3), (3, 5)), r"batch2 must be a 3D tensor"),
    (lambda a, b: autograd.bmm(a, b), ((2, 2, 3), (3, 3, 5)),
     r"Expected size for first two dimensions of batch2 tensor to be: \[2, 3\] but got: \[3, 3\]"),
    (lambda a, b: autograd.dot(a, b), ((3,), (4,)), r"inconsistent tensor size"),
    (lambda a, b: autograd.dot(a, b), ((3, 1), (3,)), r"1D tensors expected, but got 2D and 1D tensors"),
    (lambda a, b: autograd.outer(a, b), ((3, 1), (2,)), r"outer: Expected 1-D argument self, but got 2-D"),
    (lambda a, b: autograd.einsum("ij,jk->ik", a, b), ((2, 3), (4, 5)),
     r"einsum\(\): subscript j has size 4 for operand 1 which does not broadcast with previously seen size 3"),
    (lambda a, b: autograd.einsum("ijk,jk->ik", a, b), ((2, 3), (3, 5)),
     r"number of subscripts in the equation \(3\) does not match the number of dimensions \(2\) for operand 0"),
    (lambda a, b: autograd.einsum("ij->", a, b), ((2, 3), (3, 5)), r"more operands were provided"),
    (lambda a, b: autograd.einsum("ij,jk,kl->il", a, b), ((2, 3), (3, 5)), r"fewer operands were provided"),
    (lambda a, b: autograd.einsum("ij,jk->iik", a, b), ((2, 3), (3, 5)), r"output subscript i appears more than once"),
    (lambda a, b: autograd.einsum("ij,jk->iz", a, b), ((2, 3), (3, 5)), r"output subscript z does not appear"),
    (lambda a, b: autograd.einsum("i1,jk->ik", a, b), ((2, 3), (3, 5)), r"subscripts must be in \[a-zA-Z\]"),
])
def test_errors_name_shapes_like_torch(fn, shapes, message):
    a, b = (autograd.zeros(*s) for s in shapes)
    with pytest.raises(RuntimeError, match=message):
        fn(a, b)


def test_dtype_mismatch_is_an_error_like_torch():
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype, but got: float64 != float32"):
        autograd.zeros(2, 3, dtype=autograd.float64) @ autograd.zeros(3, 4)
    with pytest.raises(RuntimeError, match="einsum\\(\\): expected all operands to have the same dtype"):
        autograd.einsum("ij,jk", autograd.zeros(2, 3, dtype=autograd.float64), autograd.zeros(3, 4))


# ---- dtypes and operands ----
def test_matmul_keeps_float32_and_integers():
    a = autograd.randn(8, 16)
    assert (a @ autograd.randn(16, 4)).dtype == np.float32
    ints = autograd.tensor([[1, 2, 3], [4, 5, 6]])
    out = ints @ autograd.tensor([1, 0, 2])
    assert out.dtype == np.int64 and out.tolist() == [7, 16]


def test_matmul_with_numpy_and_list_operands():
    a = autograd.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    m = np.eye(2, dtype=np.float32)
    np.testing.assert_array_equal((m @ a).numpy(), a.numpy())
    np.testing.assert_array_equal((a @ m).numpy(), a.numpy())
    np.testing.assert_array_equal(autograd.matmul(a, [[1.0, 0.0], [0.0, 1.0]]).numpy(), a.numpy())


def test_empty_contraction_gives_zeros_and_zero_grads():
    a = autograd.zeros(3, 0, requires_grad=True)
    b = autograd.zeros(0, 2, requires_grad=True)
    out = a @ b
    assert out.shape == (3, 2) and (out.numpy() == 0).all()
    out.sum().backward()
    assert a.grad.shape == (3, 0) and b.grad.shape == (0, 2)


# ---- the two backward paths of matmul ----
CASES = [((3, 4), (4, 5)), ((4,), (4,)), ((4,), (4, 5)), ((3, 4), (4,)), ((2, 3, 4), (4, 5)), ((4, 5), (2, 5, 3)),
         ((2, 1, 3, 4), (5, 4, 2)), ((4,), (2, 4, 3)), ((2, 3, 4), (4,))]


@pytest.mark.parametrize("sa,sb", CASES)
def test_matmul_create_graph_backward_equals_blas_backward_and_torch(sa, sb):
    a, b = _t(*sa, seed=1), _t(*sb, seed=2)
    out = a @ b
    seed = autograd.tensor(np.random.default_rng(3).standard_normal(out.shape))
    fast = autograd.grad(out, (a, b), seed, retain_graph=True)
    graph = autograd.grad(out, (a, b), seed, create_graph=True)
    ta, tb = torch.tensor(a.numpy(), requires_grad=True), torch.tensor(b.numpy(), requires_grad=True)
    theirs = torch.autograd.grad(ta @ tb, (ta, tb), torch.tensor(seed.numpy()))
    for f, g, t, x in zip(fast, graph, theirs, (a, b)):
        assert f.shape == g.shape == x.shape
        np.testing.assert_allclose(f.numpy(), t.numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(g.detach().numpy(), t.numpy(), rtol=1e-12, atol=1e-12)
        assert g.requires_grad


@pytest.mark.parametrize("sa,sb", CASES[:6] + [((2, 1, 2, 3), (3, 3, 2))])
def test_matmul_second_derivatives(sa, sb):
    a, b = _t(*sa, seed=4), _t(*sb, seed=5)
    assert autograd.gradgradcheck(lambda x, y: (x @ y).tanh(), (a, b))


@pytest.mark.parametrize("fn,shapes", [
    (lambda a, b: autograd.bmm(a, b), ((2, 2, 3), (2, 3, 2))),
    (lambda a, b: autograd.outer(a, b), ((3,), (2,))),
    (lambda a, b: autograd.dot(a, b) ** 2, ((3,), (3,))),
    (lambda a, b: autograd.einsum("ij,jk->ik", a, b) ** 2, ((2, 3), (3, 2))),
    (lambda a, b: autograd.einsum("ii,i->", a, b) ** 2, ((3, 3), (3,))),
    (lambda a, b: autograd.einsum("bi,bj->bij", a, b).sin(), ((2, 3), (2, 2))),
])
def test_other_linalg_second_derivatives(fn, shapes):
    xs = [_t(*s, seed=i) for i, s in enumerate(shapes)]
    assert autograd.gradgradcheck(fn, xs)


def test_float32_matmul_grads_match_torch():
    a, b = _t(16, 32, dtype=np.float32, seed=1), _t(32, 8, dtype=np.float32, seed=2)
    (a @ b).tanh().sum().backward()
    ta, tb = torch.tensor(a.numpy(), requires_grad=True), torch.tensor(b.numpy(), requires_grad=True)
    (ta @ tb).tanh().sum().backward()
    assert a.grad.dtype == np.float32
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-4, atol=1e-5)


# ---- einsum parsing ----
@pytest.mark.parametrize("eq,shapes", [
    ("ij,jk", ((2, 3), (3, 4))),
    ("ba,ca", ((2, 3), (4, 3))),  # implicit output: letters seen once, sorted -> "bc"
    ("ii", ((3, 3),)),  # implicit trace
    ("i,i", ((3,), (3,))),
    ("...ij,...jk", ((2, 3, 4), (4, 5))),
    ("...i,i...->...", ((2, 3), (3, 2))),
    ("b...,b...->b", ((2, 3, 4), (2, 3, 4))),
    ("i j , j k -> i k", ((2, 3), (3, 4))),  # spaces
    ("bij,bjk->bik", ((1, 2, 3), (4, 3, 2))),  # size-1 broadcasting of a labelled dimension
    ("iij->ij", ((3, 3, 2),)),
    ("ij->", ((0, 3),)),
])
def test_einsum_matches_torch_values_and_grads(eq, shapes):
    xs = [_t(*s, seed=i) for i, s in enumerate(shapes)]
    ts = [torch.tensor(x.numpy(), requires_grad=True) for x in xs]
    out, tout = autograd.einsum(eq, *xs), torch.einsum(eq, *ts)
    assert out.shape == tuple(tout.shape)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    seed = np.random.default_rng(9).standard_normal(out.shape)
    out.backward(autograd.tensor(seed))
    tout.backward(torch.tensor(seed))
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_einsum_uses_blas_path_for_large_operands():
    a, b = _t(64, 128, dtype=np.float32), _t(128, 32, dtype=np.float32, seed=1)
    np.testing.assert_allclose(autograd.einsum("ij,jk->ik", a, b).numpy(), (a @ b).numpy(), rtol=1e-4, atol=1e-4)


def test_module_level_functions_exist():
    for name in ["matmul", "mm", "bmm", "dot", "outer", "einsum"]:
        assert callable(getattr(autograd, name)), name


@pytest.mark.parametrize("sa,sb", [((2, 3, 4), (4, 5)), ((3, 4), (4, 5)), ((2, 2, 3, 4), (4, 2)), ((4,), (4, 5))])
def test_matmul_backward_from_a_sum_and_the_flattened_batch_path(sa, sb):
    """sum's gradient is a zero-strided broadcast view; (..., k) @ (k, n) takes flat GEMMs: both vs torch."""
    a, b = _t(*sa, seed=1), _t(*sb, seed=2)
    (a @ b).sum().backward()
    ta, tb = torch.tensor(a.numpy(), requires_grad=True), torch.tensor(b.numpy(), requires_grad=True)
    (ta @ tb).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose((a @ b).detach().numpy(), (ta @ tb).detach().numpy(), rtol=1e-12)
