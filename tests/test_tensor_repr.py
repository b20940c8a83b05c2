"""Tensor repr follows PyTorch's printing rules (issue 17 item 7): precision 4, one format per tensor (integer-valued
floats ``1.``, fixed ``0.6587``, scientific ``1.0000e+20``), summarization above 1000 elements, 80-column lines,
dtype and autograd suffixes. Compared character for character with PyTorch's repr."""

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as A

torch = pytest.importorskip("torch")

_TORCH_DTYPES = {np.float32: torch.float32, np.float64: torch.float64, np.int64: torch.int64, np.int32: torch.int32,
                 np.uint8: torch.uint8, np.bool_: torch.bool, np.int16: torch.int16}


_SUFFIX_BREAK = re.compile(r",\s+(?=(?:dtype|requires_grad|grad_fn|size)=)")


def _suffixes_laid_out(text: str) -> None:
    """PyTorch's rule for the suffixes (``_add_suffixes``): one goes on a new line only where it would pass 80
    columns, counting the data's last line two characters longer than it is."""
    lines = text.split("\n")  # (a data line may pass 80 columns, as in PyTorch)
    for i, (before, line) in enumerate(zip(lines, lines[1:]), start=1):
        if _SUFFIX_BREAK.match("," + line):
            suffix = line.strip()[:-1] if i == len(lines) - 1 else line.strip().rstrip(",")  # less the closing ")"
            last = len(before) - 1 + (0 if _SUFFIX_BREAK.match("," + before) else 2)  # less the ","
            assert last + len(suffix) + 2 > 80, text


def _same_repr(a: np.ndarray, requires_grad: bool = False) -> None:
    """The same characters as PyTorch's repr, except where a suffix line breaks: "autograd.float64" is three
    characters longer than "torch.float64", so it can move to a new line where PyTorch's does not."""
    ours = repr(A.tensor(a, requires_grad=requires_grad))
    ref = repr(torch.tensor(a, dtype=_TORCH_DTYPES[a.dtype.type], requires_grad=requires_grad))
    ref = ref.replace("torch.", "autograd.")
    assert _SUFFIX_BREAK.sub(", ", ours) == _SUFFIX_BREAK.sub(", ", ref), (a.dtype, a.shape)
    _suffixes_laid_out(ours)


CASES = [
    [0.6587, 0.75, 3.0], [0.75, 3.0], [1.0, 2.0, 3.0], [1e20, 1.0], [1e-5, 1.0], [0.0, -0.0, 1.5], [0.0, 0.0],
    [np.nan, 1.0], [np.inf, -np.inf, np.nan], [np.inf, 2.0], [1234.5, 0.5], [1e8, 2.0], [1e9], [100.0, 100000.0],
    [-1.0, 0.5, 1001.0], [3.0, 3001.0], [0.00011, 0.1], [1.0, 2.0, np.nan, np.inf], [-7.0], [123456789.0],
    [[1.5, -2.25], [3.0, 4.0]], [[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]],
]


@pytest.mark.parametrize("values", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_repr_like_torch(values, dtype):
    _same_repr(np.array(values, dtype=dtype))


@pytest.mark.parametrize("a", [np.array([1, -20, 300]), np.array([[True, False], [False, True]]),
                               np.array([0, 255], dtype=np.uint8), np.array([7, 8], dtype=np.int32),
                               np.array(5), np.array(2.5, dtype=np.float32), np.array(True),
                               np.array([-3, 4], dtype=np.int16)])
def test_int_bool_and_scalar_repr_like_torch(a):
    _same_repr(a)


@pytest.mark.parametrize("shape", [(0,), (0, 3), (2, 0, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
def test_empty_repr_like_torch(shape, dtype):
    _same_repr(np.zeros(shape, dtype=dtype))


@pytest.mark.parametrize("shape", [(2000,), (40, 30), (3, 20, 20), (1001,), (11, 11, 11), (50,)])
def test_summarized_and_wrapped_repr_like_torch(shape):
    rng = np.random.default_rng(0)
    _same_repr(rng.standard_normal(shape).astype(np.float32))
    _same_repr(rng.integers(-1000, 1000, shape))


def test_requires_grad_suffix_and_line_wrap_like_torch():
    _same_repr(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    _same_repr(np.linspace(-1, 1, 12).astype(np.float64), requires_grad=True)  # the suffixes move to a new line
    _same_repr(np.arange(11, dtype=np.float32) * 1.5, requires_grad=True)


def test_grad_fn_suffix():
    assert repr(A.tensor([1.0, 2.0], requires_grad=True) * 2) == "tensor([2., 4.], grad_fn=<MulBackward>)"


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=1, max_size=30),
       st.sampled_from([np.float32, np.float64]), st.integers(0, 2))
def test_repr_like_torch_hypothesis(values, dtype, ndim):
    a = np.array(values, dtype=dtype)
    if ndim == 2 and a.size % 2 == 0:
        a = a.reshape(2, -1)
    _same_repr(a)
