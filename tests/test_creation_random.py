"""Creation functions and seeded randomness."""

import numpy as np
import pytest

import autograd as A


def test_creation_shapes_and_values():
    assert A.zeros(2, 3).shape == (2, 3) and A.zeros((2, 3)).shape == (2, 3) and A.zeros([4]).shape == (4,)
    assert A.ones(2).tolist() == [1.0, 1.0]
    assert A.full((2, 2), 3.0).tolist() == [[3.0, 3.0], [3.0, 3.0]]
    assert A.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]] and A.eye(2, 3).shape == (2, 3)
    assert A.arange(5).tolist() == [0, 1, 2, 3, 4] and A.arange(1, 7, 2).tolist() == [1, 3, 5]
    np.testing.assert_allclose(A.linspace(0, 1, 5).numpy(), [0, 0.25, 0.5, 0.75, 1])
    x = A.tensor([[1.0, 2.0]])
    assert A.zeros_like(x).shape == (1, 2) and A.ones_like(x).dtype == x.dtype
    assert A.full_like(x, 7).tolist() == [[7.0, 7.0]] and A.empty(3).shape == (3,)
    assert x.new_zeros(3).dtype == x.dtype and x.new_ones((2, 2)).shape == (2, 2)
    assert x.new_tensor([1, 2]).dtype == x.dtype
    assert A.zeros(2, requires_grad=True).requires_grad


def test_creation_matches_torch():
    torch = pytest.importorskip("torch")
    for ours, theirs in [
        (A.arange(0, 1, 0.1), torch.arange(0, 1, 0.1)),
        (A.arange(-3, 10, 3), torch.arange(-3, 10, 3)),
        (A.linspace(-1, 2, 7), torch.linspace(-1, 2, 7)),
        (A.arange(10.0), torch.arange(10.0)),
    ]:
        assert ours.dtype == theirs.numpy().dtype
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_ragged_list_is_a_clear_error():
    with pytest.raises(ValueError, match="ragged"):
        A.tensor([[1, 2], [3]])


def test_manual_seed_makes_draws_repeatable():
    A.manual_seed(123)
    a = (A.rand(3).numpy(), A.randn(2, 2).numpy(), A.randint(0, 10, (4,)).numpy(), A.randperm(5).numpy())
    A.manual_seed(123)
    b = (A.rand(3).numpy(), A.randn(2, 2).numpy(), A.randint(0, 10, (4,)).numpy(), A.randperm(5).numpy())
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def test_generator_is_independent_of_global_state():
    g = A.Generator().manual_seed(7)
    x = A.randn(4, generator=g)
    A.randn(100)
    g2 = A.Generator().manual_seed(7)
    np.testing.assert_array_equal(A.randn(4, generator=g2).numpy(), x.numpy())
    state = g2.get_state()
    y = A.rand(3, generator=g2)
    g2.set_state(state)
    np.testing.assert_array_equal(A.rand(3, generator=g2).numpy(), y.numpy())


def test_random_distributions():
    A.manual_seed(0)
    u = A.rand(20000)
    assert 0 <= u.numpy().min() and u.numpy().max() < 1 and abs(u.numpy().mean() - 0.5) < 0.01
    n = A.randn(20000)
    assert abs(n.numpy().mean()) < 0.03 and abs(n.numpy().std() - 1) < 0.03
    r = A.randint(3, 6, (1000,))
    assert set(r.tolist()) == {3, 4, 5}
    p = A.randperm(10)
    assert sorted(p.tolist()) == list(range(10))
    b = A.bernoulli(A.full((10000,), 0.3))
    assert abs(b.numpy().mean() - 0.3) < 0.02
    m = A.multinomial(A.tensor([0.0, 1.0, 3.0]), 2000, replacement=True)
    counts = np.bincount(m.numpy(), minlength=3)
    assert counts[0] == 0 and abs(counts[2] / 2000 - 0.75) < 0.04
    assert sorted(A.multinomial(A.tensor([1.0, 1.0, 1.0]), 3).tolist()) == [0, 1, 2]
    nm = A.normal(A.zeros(5000) + 2.0, 0.5)
    assert abs(nm.numpy().mean() - 2) < 0.03
    assert A.normal(0.0, 1.0, size=(3, 2)).shape == (3, 2)


def test_random_errors():
    with pytest.raises(RuntimeError, match="without replacement"):
        A.multinomial(A.tensor([1.0, 1.0]), 3)
    with pytest.raises(RuntimeError, match="from"):
        A.randint(5, 5, (2,))
    with pytest.raises(RuntimeError, match=r"\[0, 1\]"):
        A.bernoulli(A.tensor([1.5]))


def test_inplace_random_fills():
    A.manual_seed(0)
    t = A.empty(1000)
    t.uniform_(-2, 2)
    assert t.numpy().min() >= -2 and t.numpy().max() <= 2
    t.normal_(5.0, 0.1)
    assert abs(t.numpy().mean() - 5) < 0.02
