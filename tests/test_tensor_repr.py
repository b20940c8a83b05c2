"""Tensor printing follows PyTorch's rules: integral floats as ``3.``, other floats with 4 decimals each."""

import numpy as np
import pytest

import autograd as A

CASES = [
    [0.75, 3.0, 12.0],
    [0.6587, 1.9432, 4.1387],
    [3.0, -6.0, 12.0],
    [1.0, float("nan"), 2.5],
    [1e-5, 1.0, 250.0],
    [[0.5, -1.25], [2.0, 4.0]],
]


@pytest.mark.parametrize("data", CASES)
def test_float_repr_matches_pytorch(data):
    torch = pytest.importorskip("torch")
    assert repr(A.tensor(data)) == repr(torch.tensor(data))


def test_one_precision_per_tensor():
    assert repr(A.tensor([0.75, 3.0, 12.0])) == "tensor([ 0.7500,  3.0000, 12.0000])"
    assert repr(A.tensor([3.0, -6.0, 12.0])) == "tensor([ 3., -6., 12.])"
    assert repr(A.tensor(np.array([0.5, 2.0]))) == "tensor([0.5000, 2.0000], dtype=autograd.float64)"
