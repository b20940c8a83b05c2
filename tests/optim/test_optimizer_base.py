"""The Optimizer base: param groups, per-group options, zero_grad, add_param_group, errors, state_dict format."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import optim

from ._problem import INIT, ours, run_ours, set_grads_ours

torch = pytest.importorskip("torch")


def test_param_groups_with_per_group_options_match_torch():
    kw = dict(lr=0.01, momentum=0.9)
    mine = ours()
    opt = optim.SGD([{"params": mine[:2]}, {"params": [mine[2]], "lr": 0.1, "nesterov": True}], **kw)
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in INIT]
    topt = torch.optim.SGD([{"params": theirs[:2]}, {"params": [theirs[2]], "lr": 0.1, "nesterov": True}], **kw)
    from ._problem import loss_and_grads

    for _ in range(30):
        set_grads_ours(mine)
        opt.step()
        _, gs = loss_and_grads(*[p.detach().numpy() for p in theirs])
        for p, g in zip(theirs, gs):
            p.grad = torch.from_numpy(g)
        topt.step()
    for p, q in zip(mine, theirs):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-7)
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [g["params"] for g in tsd["param_groups"]] == [[0, 1], [2]]
    assert sd["param_groups"][1]["lr"] == 0.1 and sd["param_groups"][1]["nesterov"] is True


def test_add_param_group_fills_defaults():
    a, b = autograd.zeros(2, requires_grad=True), autograd.zeros(3, requires_grad=True)
    opt = optim.Adam([a], lr=0.1, betas=(0.8, 0.9))
    opt.add_param_group({"params": b, "lr": 0.5})
    g = opt.param_groups[1]
    assert g["params"] == [b] and g["lr"] == 0.5 and g["betas"] == (0.8, 0.9) and g["amsgrad"] is False


def test_zero_grad():
    p = autograd.ones(3, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    p.grad = autograd.ones(3)
    g = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is g and np.all(g.numpy() == 0)
    opt.zero_grad()
    assert p.grad is None


def test_parameters_without_grad_are_skipped():
    a, b = ours()[:2]
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = autograd.ones(a.shape, dtype=autograd.float64)
    before = b.numpy().copy()
    opt.step()
    np.testing.assert_array_equal(b.numpy(), before)
    assert b not in opt.state and a in opt.state


def test_closure_loss_is_returned():
    params = ours()
    opt = optim.Adam(params)
    assert opt.step(lambda: set_grads_ours(params)) == _loss0()


def _loss0():
    from ._problem import loss_and_grads

    return loss_and_grads(*INIT)[0]


def test_errors():
    p = autograd.zeros(2, requires_grad=True)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts, but got Tensor"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors.*parameter 1.*int"):
        optim.SGD([p, 3], lr=0.1)
    with pytest.raises(ValueError, match=r"duplicate parameters \(parameter 1, shape \(2,\)"):
        optim.SGD([p, p], lr=0.1)
    q = autograd.zeros(3, requires_grad=True)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [q, p]}], lr=0.1)
    with pytest.raises(ValueError, match="Invalid learning rate: -0.1"):
        optim.Adam([p], lr=-0.1)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.SGD([{"params": [p], "lr": -1}], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD({"params": {p}}, lr=0.1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        optim.LBFGS([{"params": [p]}, {"params": [q]}])


def test_load_state_dict_errors():
    a, b = ours()[:2]
    opt = optim.Adam([a, b])
    sd = optim.Adam([a]).state_dict()
    with pytest.raises(ValueError, match="group 0 has 1 parameters saved, 2 here"):
        opt.load_state_dict(sd)
    sd2 = optim.Adam([{"params": [a]}, {"params": [b]}]).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict(sd2)


def test_state_is_cast_to_param_dtype_but_step_is_not():
    p = autograd.zeros(3, requires_grad=True)  # float32
    opt = optim.Adam([p])
    p.grad = autograd.ones(3)
    opt.step()
    sd = opt.state_dict()
    sd["state"][0]["exp_avg"] = sd["state"][0]["exp_avg"].numpy().astype(np.float64)
    opt.load_state_dict(sd)
    assert opt.state[p]["exp_avg"].dtype == np.float32
    assert opt.state[p]["step"].dtype == np.float32 and float(opt.state[p]["step"]) == 1.0


def test_state_dict_is_savable_with_autograd_save(tmp_path):
    full, _ = run_ours(optim.Adam, dict(lr=0.01), 20)
    half, opt = run_ours(optim.Adam, dict(lr=0.01), 10)
    autograd.save(opt.state_dict(), tmp_path / "opt.pt")
    params = ours([p.numpy() for p in half])
    opt2 = optim.Adam(params, lr=0.01)
    opt2.load_state_dict(autograd.load(tmp_path / "opt.pt"))
    resumed, _ = run_ours(optim.Adam, dict(lr=0.01), 10, params=params, opt=opt2)
    for p, q in zip(full, resumed):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_repr():
    r = repr(optim.SGD([autograd.zeros(2, requires_grad=True)], lr=0.1))
    assert r.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.1" in r


def test_float32_parameters_stay_float32():
    p = autograd.tensor(INIT[0].astype(np.float32), requires_grad=True)
    for cls in [optim.SGD, optim.Adam, optim.RMSprop, optim.Adagrad, optim.NAdam, optim.RAdam, optim.Adafactor,
                optim.Lion, optim.Rprop, optim.ASGD, optim.Adamax, optim.Adadelta]:
        opt = cls([p], lr=1e-3)
        p.grad = autograd.ones(p.shape)
        opt.step()
        assert p.dtype == np.float32, cls
        assert all(v.dtype == np.float32 for v in opt.state[p].values() if hasattr(v, "dtype")), cls


def test_user_defined_optimizer_in_pytorch_style():
    """A custom optimizer written as for torch (override step, use self.state[p], p.grad, p.data.add_)."""

    class SignSGD(optim.Optimizer):
        def __init__(self, params, lr=0.01):
            super().__init__(params, dict(lr=lr))

        def step(self, closure=None):
            with autograd.no_grad():
                for group in self.param_groups:
                    for p in group["params"]:
                        if p.grad is None:
                            continue
                        state = self.state[p]
                        state["n"] = state.get("n", 0) + 1
                        p.data.add_(p.grad.sign(), alpha=-group["lr"])

    p = autograd.tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    opt = SignSGD([p], lr=0.5)
    p.grad = autograd.tensor(np.array([2.0, -1.0, 0.0]))
    opt.step()
    np.testing.assert_array_equal(p.numpy(), [0.5, -1.5, 3.0])
    assert opt.state_dict()["state"] == {0: {"n": 1}}


def test_named_parameters_input_like_torch():
    import nn

    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 1))
    opt = optim.Adam(model.named_parameters(), lr=0.01)
    topt = torch.optim.Adam(tmodel.named_parameters(), lr=0.01)
    assert opt.param_groups[0]["param_names"] == topt.param_groups[0]["param_names"] == \
        ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == topt.state_dict()["param_groups"][0]["param_names"]
    assert opt.param_groups[0]["params"] == list(model.parameters())
    with pytest.raises(ValueError, match="with/without names"):
        opt.add_param_group({"params": [autograd.zeros(2, requires_grad=True)]})
    with pytest.raises(ValueError, match="Some param names are missing"):
        optim.SGD([("a", autograd.zeros(2, requires_grad=True)), autograd.zeros(2, requires_grad=True)], lr=0.1)
