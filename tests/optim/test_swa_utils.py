"""optim.swa_utils vs torch.optim.swa_utils: AveragedModel (SWA, EMA, buffers), update_bn; and the lr finder."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import nn
import optim
from optim import swa_utils
from tests.helpers import copy_weights

torch = pytest.importorskip("torch")
tswa = torch.optim.swa_utils


def _models():
    ours = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2)).double()
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(),
                                 torch.nn.Linear(4, 2)).double()
    copy_weights(ours, theirs)
    return ours, theirs


def _perturb(ours, theirs, rng):
    """Give both models the same new weights and buffers (as training would)."""
    sd = {k: (v.detach().numpy() + rng.standard_normal(v.shape)) if v.dtype == torch.float64 else v.detach().numpy()
          for k, v in theirs.state_dict().items()}
    theirs.load_state_dict({k: torch.tensor(v) for k, v in sd.items()})
    ours.load_state_dict(sd)


def _assert_same(avg, tavg):
    sd, tsd = avg.state_dict(), tavg.state_dict()
    assert list(sd) == list(tsd)
    for k in tsd:
        np.testing.assert_allclose(np.asarray(sd[k].numpy()), tsd[k].numpy(), rtol=1e-7, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("kind", ["swa", "ema_multi", "ema_avg_fn", "swa_buffers"])
def test_averaged_model_matches_torch(kind):
    rng = np.random.default_rng(0)
    ours, theirs = _models()
    kw, tkw = {}, {}
    if kind == "ema_multi":
        kw, tkw = dict(multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.9)), dict(multi_avg_fn=tswa.get_ema_multi_avg_fn(0.9))
    elif kind == "ema_avg_fn":
        kw, tkw = dict(avg_fn=swa_utils.get_ema_avg_fn(0.8)), dict(avg_fn=tswa.get_ema_avg_fn(0.8))
    elif kind == "swa_buffers":
        kw = tkw = dict(use_buffers=True)
    avg, tavg = swa_utils.AveragedModel(ours, **kw), tswa.AveragedModel(theirs, **tkw)
    for _ in range(6):
        _perturb(ours, theirs, rng)
        avg.update_parameters(ours)
        tavg.update_parameters(theirs)
        _assert_same(avg, tavg)
    assert int(avg.n_averaged) == 6
    # the average is its own copy: the averaged model does not share memory with the model
    assert not np.shares_memory(avg.module[0].weight.numpy(), ours[0].weight.numpy())
    x = rng.standard_normal((5, 3))
    avg.eval()
    tavg.eval()
    np.testing.assert_allclose(avg(autograd.tensor(x)).numpy(), tavg(torch.tensor(x)).detach().numpy(), rtol=1e-7)


def test_update_bn_matches_torch():
    rng = np.random.default_rng(1)
    ours, theirs = _models()
    data = [rng.standard_normal((8, 3)) * 2 + 1 for _ in range(4)]
    loader = [(autograd.tensor(x), autograd.zeros(8)) for x in data]
    tloader = [(torch.tensor(x), torch.zeros(8)) for x in data]
    ours.eval()
    theirs.eval()
    swa_utils.update_bn(loader, ours)
    tswa.update_bn(tloader, theirs)
    for name in ["running_mean", "running_var", "num_batches_tracked"]:
        np.testing.assert_allclose(getattr(ours[1], name).numpy(), getattr(theirs[1], name).numpy(), rtol=1e-10)
    assert ours[1].momentum == 0.1 and not ours.training


def test_swa_end_to_end_training_matches_torch():
    """SGD + SWALR + AveragedModel + update_bn: the recipe of the PyTorch docs, step for step."""
    rng = np.random.default_rng(2)
    ours, theirs = _models()
    X, Y = rng.standard_normal((32, 3)), rng.standard_normal((32, 2))
    opt = optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    topt = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    avg, tavg = swa_utils.AveragedModel(ours), tswa.AveragedModel(theirs)
    sched = swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=3)
    tsched = tswa.SWALR(topt, swa_lr=0.05, anneal_epochs=3)
    for epoch in range(8):
        for i in range(0, 32, 8):
            x, y = X[i:i + 8], Y[i:i + 8]
            opt.zero_grad()
            loss = ((ours(autograd.tensor(x)) - autograd.tensor(y)) ** 2).mean()
            loss.backward()
            opt.step()
            topt.zero_grad()
            tloss = ((theirs(torch.tensor(x)) - torch.tensor(y)) ** 2).mean()
            tloss.backward()
            topt.step()
        if epoch >= 3:
            avg.update_parameters(ours)
            tavg.update_parameters(theirs)
            sched.step()
            tsched.step()
    assert sched.get_last_lr() == tsched.get_last_lr()
    swa_utils.update_bn([autograd.tensor(X)], avg)
    tswa.update_bn([torch.tensor(X)], tavg)
    _assert_same(avg, tavg)


def test_averaged_model_errors():
    ours, _ = _models()
    with pytest.raises(ValueError, match="Only one of avg_fn and multi_avg_fn"):
        swa_utils.AveragedModel(ours, avg_fn=swa_utils.get_swa_avg_fn(), multi_avg_fn=swa_utils.get_swa_multi_avg_fn())
    with pytest.raises(ValueError, match="Invalid decay value 1.5"):
        swa_utils.get_ema_avg_fn(1.5)
    with pytest.raises(ValueError, match="anneal_strategy must be one of"):
        swa_utils.SWALR(optim.SGD(ours.parameters(), lr=0.1), swa_lr=0.1, anneal_strategy="exp")


def _regression():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((64, 3))
    Y = X @ np.array([[1.0], [-2.0], [0.5]]) + 0.1 * rng.standard_normal((64, 1))
    model = nn.Linear(3, 1).double()
    loader = [(autograd.tensor(X[i:i + 16]), autograd.tensor(Y[i:i + 16])) for i in range(0, 64, 16)]
    return model, loader


def test_lr_finder_sweeps_records_and_restores():
    model, loader = _regression()
    opt = optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
    w0 = model.weight.numpy().copy()
    finder = optim.LRFinder(model, opt, nn.MSELoss())
    hist = finder.range_test(loader, end_lr=10.0, num_iter=60)
    lrs = np.array(hist["lr"])
    # exponential sweep from 1e-4: constant ratio between successive learning rates
    np.testing.assert_allclose(lrs[1:] / lrs[:-1], (10.0 / 1e-4) ** (1 / 59), rtol=1e-12)
    assert lrs[0] == 1e-4 and len(hist["loss"]) == len(lrs)
    # it stopped when the loss diverged (lr 10 is far too large for this problem), before the 60 iterations
    assert len(lrs) < 60 and hist["loss"][-1] > 5 * min(hist["loss"])
    # the loss went down before it went up, and the suggestion is where it fell fastest
    assert min(hist["loss"]) < hist["loss"][0]
    s = finder.suggestion(skip_start=2, skip_end=2)
    assert lrs[2] <= s <= lrs[-3]
    # model and optimizer are back as they were
    np.testing.assert_array_equal(model.weight.numpy(), w0)
    assert opt.param_groups[0]["lr"] == 1e-4 and len(opt.state) == 0
    ax = finder.plot(skip_start=0, skip_end=0)
    assert ax.get_xscale() == "log"


def test_lr_range_test_linear_and_errors():
    p = autograd.tensor(np.array([3.0]), requires_grad=True)
    opt = optim.SGD([p], lr=0.1)

    def step():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        opt.step()
        return loss

    hist = optim.lr_range_test(opt, step, start_lr=0.01, end_lr=0.5, num_iter=11, step_mode="linear", smooth_f=0)
    np.testing.assert_allclose(hist["lr"], np.linspace(0.01, 0.5, 11), rtol=1e-12)
    # with smoothing off, the recorded loss is the loss of that step: p_{k+1} = p_k (1 - 2 lr_k)
    expected, w = [], 3.0
    for lr in hist["lr"]:
        expected.append(w * w)
        w *= 1 - 2 * lr
    np.testing.assert_allclose(hist["loss"], expected, rtol=1e-12)
    with pytest.raises(ValueError, match="step_mode must be 'exp' or 'linear'"):
        optim.lr_range_test(opt, step, step_mode="log")
    with pytest.raises(ValueError, match="start_lr < end_lr"):
        optim.lr_range_test(opt, step, start_lr=1.0, end_lr=0.1)
