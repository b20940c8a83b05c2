"""RNN, LSTM and GRU over PackedSequence inputs: outputs, final states and gradients equal PyTorch's, for
sorted and unsorted batches, several layers, both directions, given initial states and LSTM projections."""

import numpy as np
import pytest

import autograd as A
import nn
from nn.utils import rnn as U
from tests.helpers import copy_weights as _copy

torch = pytest.importorskip("torch")
TU = torch.nn.utils.rnn


CASES = [
    ("RNN", dict(num_layers=2, bidirectional=True)),
    ("LSTM", dict(num_layers=2, bidirectional=True)),
    ("GRU", dict(num_layers=1, bidirectional=True)),
    ("LSTM", dict(num_layers=1, proj_size=2)),
    ("GRU", dict(num_layers=2, bidirectional=False)),
]


@pytest.mark.parametrize("kind,kw", CASES)
@pytest.mark.parametrize("enforce_sorted,with_hx", [(True, False), (False, True)])
def test_packed_through_recurrent_layers_matches_torch(kind, kw, enforce_sorted, with_hx):
    rng = np.random.default_rng(0)
    lengths = [5, 5, 3, 2, 1] if enforce_sorted else [2, 5, 1, 5, 3]
    B, T, F, H = len(lengths), max(lengths), 3, 4
    x = rng.standard_normal((B, T, F))
    theirs = getattr(torch.nn, kind)(F, H, batch_first=True, dtype=torch.float64, **kw)
    ours = getattr(nn, kind)(F, H, batch_first=True, dtype=A.float64, **kw)
    _copy(ours, theirs)
    D = 2 if kw.get("bidirectional") else 1
    L = kw.get("num_layers", 1)
    hsize = kw.get("proj_size") or H
    h0 = rng.standard_normal((L * D, B, hsize))
    c0 = rng.standard_normal((L * D, B, H))
    tx = torch.tensor(x, requires_grad=True)
    ox = A.tensor(x, requires_grad=True)
    th = [torch.tensor(h0, requires_grad=True)] + ([torch.tensor(c0, requires_grad=True)] if kind == "LSTM" else [])
    oh = [A.tensor(h0, requires_grad=True)] + ([A.tensor(c0, requires_grad=True)] if kind == "LSTM" else [])
    targ = (tuple(th) if kind == "LSTM" else th[0]) if with_hx else None
    oarg = (tuple(oh) if kind == "LSTM" else oh[0]) if with_hx else None

    tp = TU.pack_padded_sequence(tx, torch.tensor(lengths), batch_first=True, enforce_sorted=enforce_sorted)
    op = U.pack_padded_sequence(ox, A.tensor(lengths), batch_first=True, enforce_sorted=enforce_sorted)
    tout, tstate = theirs(tp, targ)
    oout, ostate = ours(op, oarg)
    assert isinstance(oout, U.PackedSequence)
    np.testing.assert_array_equal(oout.batch_sizes.numpy(), tout.batch_sizes.numpy())
    np.testing.assert_allclose(oout.data.numpy(), tout.data.detach().numpy(), rtol=1e-10, atol=1e-12)
    tstates = tstate if kind == "LSTM" else (tstate,)
    ostates = ostate if kind == "LSTM" else (ostate,)
    for o, t in zip(ostates, tstates):
        np.testing.assert_allclose(o.numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-12)

    tpad, tlen = TU.pad_packed_sequence(tout, batch_first=True)
    opad, olen = U.pad_packed_sequence(oout, batch_first=True)
    np.testing.assert_array_equal(olen.numpy(), tlen.numpy())
    w = rng.standard_normal(tuple(tpad.shape))
    ws = [rng.standard_normal(tuple(s.shape)) for s in tstates]
    (tpad * torch.tensor(w)).sum().add(sum((s * torch.tensor(v)).sum() for s, v in zip(tstates, ws))).backward()
    loss = (opad * A.tensor(w)).sum()
    for s, v in zip(ostates, ws):
        loss = loss + (s * A.tensor(v)).sum()
    loss.backward()
    np.testing.assert_allclose(ox.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-11)
    for (name, p), (_, tp_) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp_.grad.numpy(), rtol=1e-9, atol=1e-11, err_msg=name)
    if with_hx:
        for o, t in zip(oh, th):
            np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-11)


def test_pack_sequence_lstm_float32_and_errors():
    torch.manual_seed(0)
    theirs = torch.nn.LSTM(2, 3)
    ours = nn.LSTM(2, 3)
    _copy(ours, theirs)
    seqs = [np.random.default_rng(i).standard_normal((n, 2)).astype(np.float32) for i, n in enumerate([2, 4, 3])]
    tout, (th, tc) = theirs(TU.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False))
    oout, (oh, oc) = ours(U.pack_sequence([A.tensor(s) for s in seqs], enforce_sorted=False))
    np.testing.assert_allclose(oout.data.numpy(), tout.data.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(oh.numpy(), th.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(oc.numpy(), tc.detach().numpy(), rtol=1e-5, atol=1e-6)
    bad = U.pack_sequence([A.tensor(s).double() for s in seqs], enforce_sorted=False)
    with pytest.raises(ValueError, match="input dtype"):
        ours(bad)
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(1, 3, 3\)"):
        ours(U.pack_sequence([A.tensor(s) for s in seqs], enforce_sorted=False), (A.zeros(1, 2, 3), A.zeros(1, 2, 3)))
