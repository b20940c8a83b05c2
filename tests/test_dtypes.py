"""PyTorch's dtype rules: float32 default, scalars don't upcast, ints/bools are not differentiable."""

import numpy as np
import pytest

import autograd as A

CASES = [
    (np.float32, 1.5, np.float32),
    (np.float32, 2, np.float32),
    (np.int64, 2, np.int64),
    (np.int64, 1.5, np.float32),
    (np.bool_, 1, np.int64),
    (np.bool_, True, np.bool_),
    (np.float64, 1.5, np.float64),
]


@pytest.mark.parametrize("dtype,scalar,expected", CASES)
def test_python_scalars_do_not_upcast(dtype, scalar, expected):
    t = A.tensor(np.array([1, 0, 1]).astype(dtype))
    assert (t + scalar).dtype == expected
    assert (scalar * t).dtype == expected


@pytest.mark.parametrize(
    "a,b,expected",
    [
        (np.float32, np.float64, np.float64),
        (np.int64, np.float32, np.float32),
        (np.bool_, np.int64, np.int64),
        (np.int32, np.int64, np.int64),
    ],
)
def test_tensor_tensor_promotion(a, b, expected):
    x = A.tensor(np.ones(3, dtype=a))
    y = A.tensor(np.ones(3, dtype=b))
    assert (x + y).dtype == expected
    assert (x * y).dtype == expected


def test_zero_dim_tensor_does_not_upcast_dimensioned_tensor():
    x = A.tensor(np.ones(3, dtype=np.float32))
    s = A.tensor(np.array(2.0, dtype=np.float64))
    assert (x * s).dtype == np.float32
    i = A.tensor(np.ones(3, dtype=np.int64))
    assert (i * s).dtype == np.float64  # the category lifts, to the 0-d tensor's dtype
    assert (i * 2.0).dtype == np.float32  # a Python float lifts to the default dtype


def test_promotion_matches_torch():
    torch = pytest.importorskip("torch")
    dts = [np.float32, np.float64, np.int64, np.int32, np.bool_]
    tmap = {np.float32: torch.float32, np.float64: torch.float64, np.int64: torch.int64, np.int32: torch.int32,
            np.bool_: torch.bool}
    for a in dts:
        for b in dts:
            for shape_b in [(3,), ()]:
                x = A.tensor(np.ones(3, dtype=a))
                y = A.tensor(np.ones(shape_b, dtype=b))
                tx = torch.ones(3, dtype=tmap[a])
                ty = torch.ones(shape_b, dtype=tmap[b])
                if a is np.bool_ and b is np.bool_:
                    continue
                assert (x * y).dtype == (tx * ty).numpy().dtype, (a, b, shape_b)
                assert (x / y).dtype == (tx / ty).numpy().dtype, (a, b, shape_b)


def test_int_ops_that_must_give_floats_give_float32():
    i = A.tensor([1, 2, 3])
    assert i.dtype == np.int64
    assert (i / 2).dtype == np.float32
    assert i.exp().dtype == np.float32
    assert i.sqrt().dtype == np.float32
    assert i.sigmoid().dtype == np.float32
    assert (i // 2).dtype == np.int64


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        A.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        A.tensor([True]).requires_grad_()


def test_int_result_of_float_op_is_not_differentiable():
    x = A.tensor([1.5, 2.5], requires_grad=True)
    assert not (x > 2).requires_grad
    assert not x.long().requires_grad
    assert x.double().requires_grad


def test_creation_dtypes_follow_torch():
    assert A.tensor(1.5).dtype == np.float32
    assert A.tensor(3).dtype == np.int64
    assert A.tensor(True).dtype == np.bool_
    assert A.tensor([1, 2.5]).dtype == np.float32
    assert A.tensor(np.array([1.0])).dtype == np.float64  # numpy keeps its dtype
    assert A.tensor([[1, 2], [3, 4]]).dtype == np.int64
    assert A.zeros(2, 3).dtype == np.float32
    assert A.arange(5).dtype == np.int64
    assert A.arange(0, 1, 0.25).dtype == np.float32
    assert A.full((2,), 7).dtype == np.int64
    assert A.full((2,), 7.0).dtype == np.float32
    assert A.randint(0, 5, (3,)).dtype == np.int64


def test_set_default_dtype():
    A.set_default_dtype(A.float64)
    try:
        assert A.tensor(1.5).dtype == np.float64
        assert A.zeros(2).dtype == np.float64
        assert (A.tensor([1, 2]) / 2).dtype == np.float64
    finally:
        A.set_default_dtype(A.float32)
    with pytest.raises(TypeError):
        A.set_default_dtype(A.int64)


def test_unknown_dtype_is_a_clear_error():
    with pytest.raises(TypeError, match="unknown dtype"):
        A.zeros(2, dtype="float128x")
