"""nn's one argument normaliser: ints repeat, tuples are checked, and a bad size names the argument."""

import pytest

import autograd
import nn
import nn.functional as F
from nn._utils import _ntuple, _single


def test_ntuple():
    assert _ntuple(3, 2) == (3, 3)
    assert _ntuple([1, 2], 2) == (1, 2)
    assert _ntuple((4,), 2, single_repeats=True) == (4, 4)
    with pytest.raises(ValueError, match="expected stride to be a single int or a tuple of 2 ints"):
        _ntuple((4,), 2, "stride")
    assert _single(5) == (5,) and _single([5]) == (5,)


def test_layers_and_functionals_name_the_bad_argument():
    with pytest.raises(ValueError, match="dilation"):
        nn.Conv2d(1, 1, 3, dilation=(1, 1, 1))
    x = autograd.ones(1, 1, 4, 4)
    with pytest.raises(ValueError, match="stride"):
        F.conv2d(x, autograd.ones(1, 1, 2, 2), stride=(1,))
    with pytest.raises(ValueError, match="padding"):
        F.max_pool2d(x, 2, padding=(0, 0, 0))
    assert F.max_pool2d(x, (2,)).shape == (1, 1, 2, 2)  # a one-entry kernel repeats, as in PyTorch
