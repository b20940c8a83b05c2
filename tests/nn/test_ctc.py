"""CTC loss against PyTorch: padded and concatenated targets, varying lengths, reductions, blank, zero_infinity,
unbatched input, float32; gradcheck through log_softmax; errors."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

RNG = np.random.default_rng(99)
T, N, C = 12, 4, 5


def _log_probs(t=T, n=N, c=C, dtype=np.float64):
    x = RNG.standard_normal((t, n, c) if n else (t, c))
    x = x - np.log(np.exp(x).sum(-1, keepdims=True))
    return x.astype(dtype)


def _targets(lengths, blank=0, c=C, repeats=True):
    rows = []
    for n in lengths:
        labels = [k for k in range(c) if k != blank]
        row = RNG.choice(labels, size=n)
        if repeats and n >= 2:
            row[1] = row[0]  # a repeated label needs a blank between: exercises the s-2 skip rule
        rows.append(row)
    return rows


def _padded(rows, s=None):
    s = s or max(max((len(r) for r in rows), default=0), 1)
    out = np.zeros((len(rows), s), dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, :len(r)] = r
    return out


def compare(lp, targets, in_len, tg_len, rtol=1e-7, atol=1e-9, **kw):
    ours = autograd.tensor(lp, requires_grad=True)
    theirs = torch.tensor(lp, requires_grad=True)
    out = F.ctc_loss(ours, autograd.tensor(targets), autograd.tensor(in_len), autograd.tensor(tg_len), **kw)
    ref = TF.ctc_loss(theirs, torch.tensor(targets), torch.tensor(in_len), torch.tensor(tg_len), **kw)
    assert tuple(out.shape) == tuple(ref.shape)
    assert out.dtype == ref.detach().numpy().dtype
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=rtol, atol=atol)
    g = np.random.default_rng(5).uniform(0.5, 1.5, tuple(ref.shape)).astype(lp.dtype)
    out.backward(autograd.tensor(g))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=rtol, atol=atol)
    return out, ours.grad


LENGTHS = [3, 1, 0, 4]
IN_LEN = np.array([12, 9, 5, 11])


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("layout", ["padded", "concatenated"])
def test_ctc_matches_torch(reduction, layout):
    rows = _targets(LENGTHS)
    targets = _padded(rows, s=6) if layout == "padded" else np.concatenate(rows).astype(np.int64)
    compare(_log_probs(), targets, IN_LEN, np.array(LENGTHS), reduction=reduction)


def test_ctc_nonzero_blank_and_no_repeats():
    rows = _targets([2, 3, 1, 2], blank=3, repeats=False)
    compare(_log_probs(), _padded(rows), np.array([12, 12, 3, 7]), np.array([2, 3, 1, 2]), blank=3, reduction="sum")


@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_impossible_alignment(zero_infinity):
    # sample 1 needs at least 2 * 2 + ... frames: labels (1, 1, 1) need 5 frames, it gets 3 -> infinite loss
    targets = np.array([[1, 2, 3], [1, 1, 1]])
    lp, in_len, tg_len = _log_probs(n=2), np.array([12, 3]), np.array([3, 3])
    if zero_infinity:
        out, grad = compare(lp, targets, in_len, tg_len, reduction="none", zero_infinity=True)
        assert out.numpy()[1] == 0 and (grad.numpy()[:, 1] == 0).all()
    else:  # the infinite loss and its (nan) gradient, as torch gives them
        out, _ = compare(lp, targets, in_len, tg_len, reduction="none")
        assert out.numpy()[1] == np.inf


def test_ctc_zero_input_and_target_lengths():
    targets = np.array([[1, 2], [1, 0], [2, 2]])
    compare(_log_probs(t=5, n=3), targets, np.array([0, 0, 5]), np.array([2, 0, 0]), reduction="none")
    compare(_log_probs(t=5, n=3), targets, np.array([3, 0, 5]), np.array([0, 0, 0]), reduction="mean")


def test_ctc_mean_with_zero_infinity():
    targets = np.array([[1, 2, 3], [1, 1, 1], [2, 0, 0]])
    compare(_log_probs(n=3), targets, np.array([12, 3, 6]), np.array([3, 3, 1]), zero_infinity=True)


def test_ctc_unbatched():
    lp = _log_probs(n=0)
    for reduction in ("none", "mean", "sum"):
        compare(lp, np.array([1, 1, 3]), np.array(10), np.array(3), reduction=reduction)


def test_ctc_lengths_as_tuples_and_float32():
    rows = _targets([2, 3, 1, 4])
    lp = _log_probs(dtype=np.float32)
    ours = F.ctc_loss(autograd.tensor(lp), autograd.tensor(_padded(rows)), (12, 10, 8, 12), (2, 3, 1, 4))
    ref = TF.ctc_loss(torch.tensor(lp), torch.tensor(_padded(rows)), (12, 10, 8, 12), (2, 3, 1, 4))
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-5)
    compare(lp, _padded(rows), np.array([12, 10, 8, 12]), np.array([2, 3, 1, 4]), rtol=1e-4, atol=1e-5)


def test_ctc_module_matches_torch_module():
    rows = _targets([2, 1, 3, 2])
    lp = _log_probs()
    ours = nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True)
    theirs = torch.nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True)
    a = ours(autograd.tensor(lp), autograd.tensor(_padded(rows)), IN_LEN, np.array([2, 1, 3, 2]))
    b = theirs(torch.tensor(lp), torch.tensor(_padded(rows)), torch.tensor(IN_LEN), torch.tensor([2, 1, 3, 2]))
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-7)


def test_ctc_gradcheck_through_log_softmax():
    """PyTorch's CTC gradient is the logits' gradient after log_softmax (it adds exp(log_probs)); through
    log_softmax it is the exact derivative, which gradcheck verifies here."""
    logits = autograd.tensor(RNG.standard_normal((6, 2, 4)), requires_grad=True)
    targets = autograd.tensor(np.array([[1, 1], [2, 3]]))

    def fn(x):
        return F.ctc_loss(x.log_softmax(2), targets, (6, 5), (2, 2), reduction="sum")

    assert autograd.gradcheck(fn, (logits,), eps=1e-6, atol=1e-5, rtol=1e-3)


def test_ctc_double_backward_raises():
    lp = autograd.tensor(_log_probs(n=1), requires_grad=True)
    loss = F.ctc_loss(lp, autograd.tensor(np.array([[1, 2]])), (T,), (2,))
    (g,) = autograd.grad(loss, [lp], create_graph=True)
    with pytest.raises(RuntimeError, match="differentiable once"):
        g.sum().backward()


@pytest.mark.parametrize("kwargs,match", [
    ({"input_lengths": (13, 12, 12, 12)}, r"input_lengths to have values in \[0, 12\].*13"),
    ({"target_lengths": (7, 1, 1, 1)}, r"size at least 7 at dimension 1.*got size 6"),
    ({"input_lengths": (12, 12)}, r"input_lengths \(size 2\).*one entry per batch element \(4\)"),
    ({"blank": 5}, r"blank must be in label range \[0, 4\], got 5"),
    ({"targets": np.full((4, 6), 7)}, r"target labels must be in \[0, 4\].*got 7"),
    ({"targets": np.ones(5, dtype=np.int64)}, r"concatenated targets have 5 labels but target_lengths sum to 4"),
])
def test_ctc_errors(kwargs, match):
    args = {"targets": np.ones((4, 6), dtype=np.int64), "input_lengths": (12,) * 4, "target_lengths": (1,) * 4}
    blank = kwargs.pop("blank", 0)
    args.update(kwargs)
    with pytest.raises(RuntimeError, match=match):
        F.ctc_loss(autograd.tensor(_log_probs()), autograd.tensor(args["targets"]), args["input_lengths"],
                   args["target_lengths"], blank=blank)
