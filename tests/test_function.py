"""User-defined ops with Function: ctx API, needs_input_grad, multiple outputs, saved-tensor checks."""

import numpy as np
import pytest

import autograd as A


class Cube(A.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x


class ScaleBy(A.Function):
    """Non-tensor argument: one None gradient for it."""

    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return x * k

    @staticmethod
    def backward(ctx, g):
        return g * ctx.k, None


class SplitHalves(A.Function):
    @staticmethod
    def forward(ctx, x):
        n = x.shape[0] // 2
        ctx.n = n
        return x[:n] * 1, x[n:] * 2

    @staticmethod
    def backward(ctx, ga, gb):
        return A.cat([ga, gb * 2])


def test_function_forward_backward_and_gradcheck():
    x = A.tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    y = Cube.apply(x)
    assert y.grad_fn is not None and y.grad_fn.name() == "CubeBackward"
    assert A.gradcheck(Cube.apply, (x,))
    assert A.gradgradcheck(Cube.apply, (x,))


def test_function_with_non_tensor_argument():
    x = A.tensor(np.array([1.0, 2.0]), requires_grad=True)
    ScaleBy.apply(x, 3.0).backward(A.ones(2, dtype=A.float64))
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_needs_input_grad():
    seen = {}

    class Probe(A.Function):
        @staticmethod
        def forward(ctx, a, b):
            seen["needs"] = ctx.needs_input_grad
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g, g

    a = A.tensor(1.0, requires_grad=True)
    b = A.tensor(2.0)
    Probe.apply(a, b)
    assert seen["needs"] == (True, False)


def test_multiple_outputs():
    x = A.tensor(np.arange(4.0), requires_grad=True)
    a, b = SplitHalves.apply(x)
    (a.sum() + b.sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 1, 2, 2])  # the user's backward, not autograd's


def test_wrong_number_of_gradients_is_reported():
    class Bad(A.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return (g,)

    a = A.tensor(1.0, requires_grad=True)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(a, a).backward()


def test_modified_saved_tensor_raises_naming_the_op():
    x = A.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y = h * h  # Mul saves h
    h.add_(1)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*MulBackward"):
        y.backward(A.ones(2))


def test_modified_saved_output_raises():
    x = A.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()  # Exp saves its output
    y.mul_(2)
    with pytest.raises(RuntimeError, match="ExpBackward"):
        y.backward(A.ones(2))
    # ... while the in-place op itself is recorded correctly when nothing stale is used:
    x2 = A.tensor([1.0, 2.0], requires_grad=True)
    z = x2 * 3
    z.mul_(2)
    z.backward(A.ones(2))
    np.testing.assert_array_equal(x2.grad.numpy(), [6.0, 6.0])
