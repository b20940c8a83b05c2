"""Tensor basics: attributes, conversions, repr, in-place semantics, data/detach, errors."""

import numpy as np
import pytest

import autograd as A


def test_attributes():
    x = A.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    assert x.shape == (1, 3) and x.ndim == 2 and x.dtype == A.float32
    assert x.size() == (1, 3) and x.size(1) == 3 and x.size(-1) == 3 and x.dim() == 2 and x.numel() == 3
    assert x.is_leaf and x.grad is None and x.grad_fn is None
    y = x * 2
    assert not y.is_leaf and y.grad_fn.name() == "MulBackward"


def test_numpy_shares_memory_and_data_is_detached_view():
    x = A.tensor([1.0, 2.0], requires_grad=True)
    x.numpy()[0] = 5.0
    assert x.tolist() == [5.0, 2.0]
    d = x.data
    assert not d.requires_grad
    d.add_(1.0)
    assert x.tolist() == [6.0, 3.0]
    x.data = A.tensor([0.0, 0.0, 0.0])
    assert x.shape == (3,) and x.requires_grad


def test_from_numpy_shares_memory():
    a = np.arange(3.0)
    t = A.from_numpy(a)
    a[0] = 9
    assert t.numpy()[0] == 9 and t.numpy() is a


def test_detach_shares_memory_and_version():
    x = A.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None
    d.zero_()
    assert y.tolist() == [0.0, 0.0]


def test_item_and_conversions():
    t = A.tensor([2.5])
    assert t.item() == 2.5 and float(t) == 2.5 and int(t) == 2 and bool(t)
    assert f"{A.tensor(3.14159):.2f}" == "3.14"
    with pytest.raises(RuntimeError, match="3 elements cannot be converted"):
        A.tensor([1.0, 2.0, 3.0]).item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(A.tensor([1.0, 2.0]))
    assert [10, 20, 30][A.tensor(1)] == 20
    with pytest.raises(TypeError, match="integer"):
        [1, 2][A.tensor(1.0)]


def test_len_iter():
    t = A.tensor([[1, 2], [3, 4], [5, 6]])
    assert len(t) == 3
    with pytest.raises(TypeError):
        len(A.tensor(1.0))


def test_repr_like_torch():
    assert repr(A.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(A.tensor([1, 2])) == "tensor([1, 2])"
    assert "requires_grad=True" in repr(A.tensor([1.0], requires_grad=True))
    assert "grad_fn=<MulBackward>" in repr(A.tensor([1.0], requires_grad=True) * 2)
    assert "dtype=autograd.float64" in repr(A.tensor(np.array([1.0])))


def test_casts():
    x = A.tensor([1.7, -2.2])
    assert x.long().tolist() == [1, -2]
    assert x.double().dtype == np.float64 and x.float() is x
    assert x.to(A.float64).dtype == np.float64 and x.to("cpu") is x
    assert x.type(A.int64).dtype == np.int64
    assert x.type_as(A.tensor([1])).dtype == np.int64
    assert x.astype(A.float64).dtype == np.float64


def test_clone_is_differentiable_copy():
    x = A.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    c.numpy()[0] = 7
    assert x.tolist() == [1.0, 2.0]
    (c * 3).backward(A.ones(2))
    assert x.grad.tolist() == [3.0, 3.0]


def test_inplace_on_leaf_requiring_grad_raises_but_allowed_under_no_grad():
    w = A.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.add_(1)
    with A.no_grad():
        w.add_(1)
        w.mul_(2)
    assert w.tolist() == [4.0, 6.0]
    w.data.add_(w.data, alpha=-0.5)
    assert w.tolist() == [2.0, 3.0]


def test_inplace_records_graph():
    x = A.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    y.mul_(x)  # y = x * x
    y.add_(x, alpha=2)
    y.backward(A.ones(2))
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.array([1.0, 2.0]) + 2)


def test_inplace_bumps_version():
    x = A.tensor([1.0, 2.0])
    v = x._version[0]
    x.add_(1)
    x.zero_()
    x.fill_(3)
    assert x._version[0] == v + 3


def test_inplace_dtype_errors():
    i = A.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        i.add_(1.5)
    f = A.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        f.add_(A.ones(3, 2))


def test_iadd_is_inplace():
    x = A.tensor([1.0, 2.0])
    y = x
    x += 1
    assert y is x and x.tolist() == [2.0, 3.0]


def test_ndarray_operands_defer_to_tensor():
    x = A.tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0], dtype=np.float32) * x
    assert isinstance(y, A.Tensor) and y.requires_grad
    z = np.float32(2.0) + x
    assert isinstance(z, A.Tensor)


def test_broadcast_error_names_shapes():
    with pytest.raises(RuntimeError, match=r"\(3,\).*\(4,\)"):
        A.ones(3) + A.ones(4)


def test_grad_setter_validates():
    x = A.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="different size"):
        x.grad = A.zeros(3)
    x.grad = A.zeros(2)
    x.grad = None


def test_requires_grad_on_non_leaf_cannot_be_turned_off():
    x = A.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        (x * 2).requires_grad_(False)


def test_comparisons_and_logic():
    x = A.tensor([1.0, 2.0, 3.0])
    assert (x > 1.5).tolist() == [False, True, True]
    assert (x == 2).tolist() == [False, True, False]
    assert ((x > 1) & (x < 3)).tolist() == [False, True, False]
    assert (~(x > 1)).tolist() == [True, False, False]
    assert A.isnan(A.tensor([float("nan"), 1.0])).tolist() == [True, False]
    assert x.allclose(x + 1e-9) and x.equal(x.clone())


def test_division_variants():
    a = A.tensor([7, -7])
    assert (a / 2).tolist() == [3.5, -3.5]
    assert (a // 2).tolist() == [3, -4]
    assert a.div(2, rounding_mode="trunc").tolist() == [3, -3]
    assert (a % 3).tolist() == [1, 2]
    with pytest.raises(ValueError, match="rounding_mode"):
        a.div(2, rounding_mode="up")


class _Sub(A.Tensor):
    __slots__ = ()


def test_as_subclass_shares_memory_and_version_counter():
    x = A.ones(3)
    y = x.as_subclass(_Sub)
    assert type(y) is _Sub and not y.requires_grad and y.is_leaf
    y.numpy()[0] = 5.0
    assert x.tolist() == [5.0, 1.0, 1.0]
    w = A.ones(3, requires_grad=True)
    loss = (w * x).sum()  # Mul saves x
    with A.no_grad():
        y.add_(1.0)  # bumps the counter x and y share
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
    with pytest.raises(TypeError, match="subclass of Tensor"):
        x.as_subclass(int)


def test_as_subclass_of_a_tensor_requiring_grad_stays_in_the_graph():
    w = A.tensor([1.0, 2.0], requires_grad=True)
    s = w.as_subclass(_Sub)
    assert type(s) is _Sub and s.requires_grad and not s.is_leaf
    (s * s).sum().backward()
    assert w.grad.tolist() == [2.0, 4.0]
    with A.no_grad():
        assert not w.as_subclass(_Sub).requires_grad

