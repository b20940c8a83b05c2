"""nn.utils.rnn against torch.nn.utils.rnn: pad/unpad, pack/unpack (sorted and unsorted, batch_first),
PackedSequence fields, gradients through packing and padding, and errors."""

import numpy as np
import pytest

import autograd
import nn
from nn.utils import rnn

torch = pytest.importorskip("torch")
trnn = torch.nn.utils.rnn

LENGTHS = [[5, 3, 3, 1], [2, 4, 1, 3], [3]]


def seqs(lengths, feat=(2,), seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((n,) + feat) for n in lengths]


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_matches_torch(batch_first, side):
    xs = seqs([3, 5, 1])
    out = rnn.pad_sequence([autograd.tensor(x) for x in xs], batch_first=batch_first, padding_value=-1.0,
                           padding_side=side)
    ref = trnn.pad_sequence([torch.tensor(x) for x in xs], batch_first=batch_first, padding_value=-1.0,
                            padding_side=side)
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    back = rnn.unpad_sequence(out, [3, 5, 1], batch_first=batch_first) if side == "right" else None
    if back is not None:
        for b, x in zip(back, xs):
            np.testing.assert_array_equal(b.numpy(), x)


@pytest.mark.parametrize("lengths", LENGTHS)
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_pad_round_trip_matches_torch(lengths, batch_first):
    sorted_ = all(a >= b for a, b in zip(lengths, lengths[1:]))
    xs = seqs(lengths)
    tpad = trnn.pad_sequence([torch.tensor(x) for x in xs], batch_first=batch_first).requires_grad_(True)
    opad = autograd.tensor(tpad.detach().numpy(), requires_grad=True)
    tp = trnn.pack_padded_sequence(tpad, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=sorted_)
    op = rnn.pack_padded_sequence(opad, lengths, batch_first=batch_first, enforce_sorted=sorted_)
    np.testing.assert_array_equal(op.data.numpy(), tp.data.detach().numpy())
    np.testing.assert_array_equal(op.batch_sizes.numpy(), tp.batch_sizes.numpy())
    for a, b in [(op.sorted_indices, tp.sorted_indices), (op.unsorted_indices, tp.unsorted_indices)]:
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    tout, tlen = trnn.pad_packed_sequence(tp, batch_first=batch_first, padding_value=9.0, total_length=6)
    oout, olen = rnn.pad_packed_sequence(op, batch_first=batch_first, padding_value=9.0, total_length=6)
    np.testing.assert_array_equal(oout.numpy(), tout.detach().numpy())
    np.testing.assert_array_equal(olen.numpy(), tlen.numpy())
    assert olen.dtype == np.int64
    g = np.random.default_rng(3).standard_normal(tuple(tout.shape))
    tout.backward(torch.tensor(g))
    oout.backward(autograd.tensor(g))
    np.testing.assert_array_equal(opad.grad.numpy(), tpad.grad.numpy())


def test_pack_sequence_and_unpack():
    xs = seqs([2, 4, 1])
    op = rnn.pack_sequence([autograd.tensor(x) for x in xs], enforce_sorted=False)
    tp = trnn.pack_sequence([torch.tensor(x) for x in xs], enforce_sorted=False)
    np.testing.assert_array_equal(op.data.numpy(), tp.data.numpy())
    back = rnn.unpack_sequence(op)
    for b, x in zip(back, xs):
        np.testing.assert_array_equal(b.numpy(), x)
    assert isinstance(op, rnn.PackedSequence) and op._fields == tp._fields
    assert op.to(autograd.float32).data.dtype == np.float32


def test_errors():
    x = autograd.zeros(4, 2, 3)
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        rnn.pack_padded_sequence(x, [1, 3])
    with pytest.raises(RuntimeError, match="batch_size"):
        rnn.pack_padded_sequence(x, [3, 2, 1])
    with pytest.raises(RuntimeError, match="greater than 0"):
        rnn.pack_padded_sequence(x, [3, 0])
    with pytest.raises(RuntimeError, match="exceeds"):
        rnn.pack_padded_sequence(x, [5, 1])
    p = rnn.pack_padded_sequence(x, [3, 1])
    with pytest.raises(ValueError, match="total_length"):
        rnn.pad_packed_sequence(p, total_length=2)
    with pytest.raises(RuntimeError, match="trailing shape"):
        rnn.pad_sequence([autograd.zeros(2, 3), autograd.zeros(2, 4)])
    assert nn.utils.rnn is rnn
