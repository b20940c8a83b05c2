"""Every scheduler against PyTorch's: 60 steps give the same ``get_last_lr()`` sequence, float for float
(and the same momentum/beta1 where the scheduler cycles it); a state_dict round trip mid-run continues
identically."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import autograd
import optim
from optim import lr_scheduler as ours_lrs

torch = pytest.importorskip("torch")
tlrs = torch.optim.lr_scheduler

STEPS = 60
METRICS = [1.0 / (1 + 0.1 * i) + 0.05 * np.sin(i) for i in range(STEPS)]  # falls, then plateaus with noise


def _lambda(e):
    return 0.95**e


def _mult(e):
    return 0.97 if e % 2 else 1.0


CASES = {
    "LambdaLR-0": lambda m, o: m.LambdaLR(o, _lambda),
    "LambdaLR-1": lambda m, o: m.LambdaLR(o, [_lambda, lambda e: 1 / (1 + e)]),
    "MultiplicativeLR-0": lambda m, o: m.MultiplicativeLR(o, _mult),
    "MultiplicativeLR-1": lambda m, o: m.MultiplicativeLR(o, [_mult, lambda e: 0.9]),
    "StepLR-0": lambda m, o: m.StepLR(o, step_size=7, gamma=0.5),
    "StepLR-1": lambda m, o: m.StepLR(o, step_size=3),
    "MultiStepLR-0": lambda m, o: m.MultiStepLR(o, milestones=[5, 20, 20, 40], gamma=0.3),
    "MultiStepLR-1": lambda m, o: m.MultiStepLR(o, milestones=[1, 59]),
    "ConstantLR-0": lambda m, o: m.ConstantLR(o),
    "ConstantLR-1": lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=10),
    "LinearLR-0": lambda m, o: m.LinearLR(o),
    "LinearLR-1": lambda m, o: m.LinearLR(o, start_factor=0.1, end_factor=0.8, total_iters=30),
    "ExponentialLR-0": lambda m, o: m.ExponentialLR(o, gamma=0.95),
    "ExponentialLR-1": lambda m, o: m.ExponentialLR(o, gamma=1.02),
    "PolynomialLR-0": lambda m, o: m.PolynomialLR(o),
    "PolynomialLR-1": lambda m, o: m.PolynomialLR(o, total_iters=40, power=2.0),
    "CosineAnnealingLR-0": lambda m, o: m.CosineAnnealingLR(o, T_max=20, eta_min=0.001),
    "CosineAnnealingLR-1": lambda m, o: m.CosineAnnealingLR(o, T_max=50),
    "CosineAnnealingWarmRestarts-0": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=10),
    "CosineAnnealingWarmRestarts-1": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=1e-3),
    "CyclicLR-0": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=7),
    "CyclicLR-1": lambda m, o: m.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=4, step_size_down=6,
                                          mode="triangular2", base_momentum=0.7, max_momentum=0.95),
    "CyclicLR-2": lambda m, o: m.CyclicLR(o, base_lr=0.001, max_lr=0.01, step_size_up=5, mode="exp_range",
                                          gamma=0.97, cycle_momentum=False),
    "OneCycleLR-0": lambda m, o: m.OneCycleLR(o, max_lr=0.1, total_steps=70),
    "OneCycleLR-1": lambda m, o: m.OneCycleLR(o, max_lr=[0.1, 0.2], epochs=6, steps_per_epoch=10,
                                              anneal_strategy="linear", three_phase=True, pct_start=0.25),
    "OneCycleLR-2": lambda m, o: m.OneCycleLR(o, max_lr=0.05, total_steps=60, cycle_momentum=False, div_factor=10.0,
                                              final_div_factor=100.0),
    "ReduceLROnPlateau-0": lambda m, o: m.ReduceLROnPlateau(o, patience=3, factor=0.5),
    "ReduceLROnPlateau-1": lambda m, o: m.ReduceLROnPlateau(o, mode="max", threshold_mode="abs", threshold=0.01,
                                                            cooldown=2, patience=1, min_lr=[0.001, 0.002]),
    "ReduceLROnPlateau-2": lambda m, o: m.ReduceLROnPlateau(o, threshold=0.1, patience=0, min_lr=0.004, eps=1e-3),
    "SequentialLR-0": lambda m, o: m.SequentialLR(o, [m.ConstantLR(o, factor=0.1, total_iters=2),
                                                      m.ExponentialLR(o, gamma=0.9)], milestones=[2]),
    "SequentialLR-1": lambda m, o: m.SequentialLR(o, [m.LinearLR(o, start_factor=0.2, total_iters=5),
                                                      m.CosineAnnealingLR(o, T_max=30),
                                                      m.StepLR(o, step_size=4, gamma=0.7)], milestones=[5, 35]),
    "ChainedScheduler-0": lambda m, o: m.ChainedScheduler([m.ConstantLR(o, factor=0.1, total_iters=2),
                                                           m.ExponentialLR(o, gamma=0.9)]),
    "ChainedScheduler-1": lambda m, o: m.ChainedScheduler([m.StepLR(o, step_size=5, gamma=0.8),
                                                           m.LinearLR(o, start_factor=0.3, total_iters=12)],
                                                          optimizer=o),
}


def _opt(lib, use_adam: bool):
    mod = torch if lib == "torch" else autograd
    p1 = mod.zeros(2, requires_grad=True)
    p2 = mod.zeros(3, requires_grad=True)
    opt_mod = torch.optim if lib == "torch" else optim
    groups = [{"params": [p1]}, {"params": [p2], "lr": 0.05}]
    return opt_mod.Adam(groups, lr=0.1) if use_adam else opt_mod.SGD(groups, lr=0.1, momentum=0.9)


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


def _run(lib, name, steps, use_adam, start=0, state=None):
    m = tlrs if lib == "torch" else ours_lrs
    opt = _opt(lib, use_adam)
    sched = CASES[name](m, opt)
    if state is not None:
        opt.load_state_dict(state[0])
        sched.load_state_dict(state[1])
    lrs, moms = [sched.get_last_lr()], [_momenta(opt)]
    for i in range(start, start + steps):
        opt.step()
        if name.startswith("ReduceLROnPlateau"):
            sched.step(METRICS[i])
        else:
            sched.step()
        lrs.append(sched.get_last_lr())
        moms.append(_momenta(opt))
    return lrs, moms, opt, sched


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("use_adam", [False, True], ids=["SGD", "Adam"])
def test_lr_sequence_matches_torch(name, use_adam):
    lrs, moms, _, _ = _run("ours", name, STEPS, use_adam)
    tl, tm, _, _ = _run("torch", name, STEPS, use_adam)
    assert lrs == tl
    assert moms == tm
    assert len({lr[0] for lr in lrs}) > 1  # the schedule does move within the 60 steps


def _plain(sd):
    """A scheduler state dict as it is checkpointed: through autograd.save / autograd.load."""
    import io

    buf = io.BytesIO()
    autograd.save(sd, buf)
    buf.seek(0)
    return autograd.load(buf)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_round_trip(name):
    full, fmoms, _, _ = _run("ours", name, STEPS, True)
    half, _, opt, sched = _run("ours", name, STEPS // 2, True)
    from optim.optimizer import _copy_value

    state = (_copy_value(opt.state_dict()), _plain(sched.state_dict()))
    rest, rmoms, _, _ = _run("ours", name, STEPS - STEPS // 2, True, start=STEPS // 2, state=state)
    assert half[:-1] + rest == full
    assert rmoms[1:] == fmoms[STEPS // 2 + 1:]
    # same keys as torch's state dict
    _, _, topt, tsched = _run("torch", name, 3, True)
    assert set(sched.state_dict()) == set(tsched.state_dict())


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("anneal_epochs,strategy", [(5, "cos"), (10, "linear"), (0, "cos")])
def test_swalr_matches_torch(anneal_epochs, strategy):
    from torch.optim import swa_utils as tswa

    from optim import swa_utils

    seqs = []
    for lib, mod in (("ours", swa_utils), ("torch", tswa)):
        opt = _opt(lib, False)
        s = mod.SWALR(opt, swa_lr=[0.05, 0.01], anneal_epochs=anneal_epochs, anneal_strategy=strategy)
        seq = [s.get_last_lr()]
        for i in range(STEPS):
            opt.step()
            s.step()
            seq.append(s.get_last_lr())
            if i == 30 and lib == "ours":  # round trip
                sd = copy.deepcopy(s.state_dict())
                s2 = mod.SWALR(_opt(lib, False), swa_lr=0.3)
                s2.load_state_dict(sd)
                assert s2.anneal_epochs == anneal_epochs and s2._anneal_strategy == strategy
        seqs.append(seq)
    assert seqs[0] == seqs[1]


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_two_schedulers_on_one_optimizer_chain():
    seqs = []
    for lib, m in (("ours", ours_lrs), ("torch", tlrs)):
        opt = _opt(lib, False)
        a, b = m.ExponentialLR(opt, gamma=0.9), m.MultiStepLR(opt, milestones=[10, 30], gamma=0.1)
        seq = []
        for _ in range(STEPS):
            opt.step()
            a.step()
            b.step()
            seq.append(b.get_last_lr())
        seqs.append(seq)
    assert seqs[0] == seqs[1]


def test_scheduler_errors():
    opt = _opt("ours", False)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        ours_lrs.StepLR(object(), 3)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        ours_lrs.LambdaLR(opt, [_lambda])
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        ours_lrs.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ValueError, match="Expected positive integer T_0"):
        ours_lrs.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="total_steps OR"):
        ours_lrs.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(KeyError, match="initial_lr"):
        ours_lrs.StepLR(_opt("ours", False), 3, last_epoch=5)
    s = ours_lrs.OneCycleLR(opt, max_lr=0.1, total_steps=2)
    s.step()
    s.step()
    with pytest.raises(ValueError, match="Tried to step 3 times"):
        s.step()


def test_warns_when_scheduler_steps_before_optimizer():
    opt = _opt("ours", False)
    s = ours_lrs.StepLR(opt, 3)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        s.step()


def test_plot_script_draws_every_scheduler(tmp_path):
    """benchmarks/plot_schedules.py covers every scheduler of the contract and writes a PNG."""
    pytest.importorskip("matplotlib")
    import importlib.util
    import os

    path = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", "plot_schedules.py")
    spec = importlib.util.spec_from_file_location("plot_schedules", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    names = " ".join(mod.SCHEDULES)
    for cls in ours_lrs.__all__:
        if cls != "LRScheduler":
            assert cls in names, cls
    for make in mod.SCHEDULES.values():  # every curve computes and moves
        lrs, _ = mod.curve(make)
        assert len(lrs) == mod.STEPS and len(set(lrs)) > 1
    out = tmp_path / "s.png"
    mod.main(str(out), dpi=30, only=list(mod.SCHEDULES)[:2])  # drawing all 19 panels is matplotlib's slow part
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
