"""The scheduler's "optimizer.step() before lr_scheduler.step()" warnings, scenario by scenario, against PyTorch:
``Optimizer.step`` counts its own calls (no scheduler patches it), and the warnings fire exactly where PyTorch's do."""

from __future__ import annotations

import types
import warnings

import pytest

import autograd
import optim
from optim import lr_scheduler as ours_lrs

torch = pytest.importorskip("torch")


class _TorchSide:
    def __init__(self) -> None:
        self.p = torch.nn.Parameter(torch.ones(2))
        self.p.grad = torch.ones(2)

    def sgd(self):
        return torch.optim.SGD([self.p], lr=0.1)

    def lbfgs(self):
        return torch.optim.LBFGS([self.p], lr=0.1, max_iter=1)

    def closure(self):
        return (self.p * self.p).sum()

    sched = staticmethod(lambda o: torch.optim.lr_scheduler.StepLR(o, 2))


class _OursSide:
    def __init__(self) -> None:
        self.p = autograd.ones(2, requires_grad=True)
        self.p.grad = autograd.ones(2)

    def sgd(self):
        return optim.SGD([self.p], lr=0.1)

    def lbfgs(self):
        return optim.LBFGS([self.p], lr=0.1, max_iter=1)

    def closure(self):
        return (self.p * self.p).sum()

    sched = staticmethod(lambda o: ours_lrs.StepLR(o, 2))


def _before_first(side):
    o = side.sgd()
    s = side.sched(o)
    s.step()
    o.step()
    s.step()


def _in_order(side):
    o = side.sgd()
    s = side.sched(o)
    for _ in range(3):
        o.step()
        s.step()


def _optimizer_stepped_only_before_the_scheduler(side):
    o = side.sgd()
    o.step()
    s = side.sched(o)
    s.step()


def _step_replaced_after_scheduler(side):
    o = side.sgd()
    s = side.sched(o)
    original = o.step
    o.step = lambda *a, **k: original(*a, **k)
    o.step()
    s.step()


def _step_replaced_before_scheduler(side):
    o = side.sgd()
    original = o.step
    o.step = types.MethodType(lambda self, *a, **k: original(*a, **k), o)  # PyTorch wraps only bound methods
    s = side.sched(o)
    o.step()
    s.step()


def _second_scheduler_after_a_step(side):
    o = side.sgd()
    side.sched(o)
    o.step()
    s2 = side.sched(o)
    s2.step()


def _second_scheduler_before_any_step(side):
    o = side.sgd()
    s1 = side.sched(o)
    s2 = side.sched(o)
    s2.step()
    o.step()
    s1.step()


def _subclass_own_step(side):  # LBFGS defines its own step
    o = side.lbfgs()
    s = side.sched(o)
    o.step(side.closure)
    s.step()


def _subclass_own_step_skipped(side):
    o = side.lbfgs()
    s = side.sched(o)
    s.step()


SCENARIOS = [_before_first, _in_order, _optimizer_stepped_only_before_the_scheduler, _step_replaced_after_scheduler,
             _step_replaced_before_scheduler, _second_scheduler_after_a_step, _second_scheduler_before_any_step,
             _subclass_own_step, _subclass_own_step_skipped]


def _warnings_of(scenario, side) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scenario(side)
    kinds = []
    for w in caught:
        msg = str(w.message)
        if "before `optimizer.step()`" in msg:
            kinds.append("before")
        elif "has been overridden after" in msg:
            kinds.append("overridden")
    return kinds


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__.strip("_"))
def test_warnings_match_torch(scenario):
    assert _warnings_of(scenario, _OursSide()) == _warnings_of(scenario, _TorchSide())


def test_expected_warnings_fire():  # the comparison above is not vacuous
    assert _warnings_of(_before_first, _OursSide()) == ["before"]
    assert _warnings_of(_step_replaced_after_scheduler, _OursSide()) == ["overridden"]
    assert _warnings_of(_in_order, _OursSide()) == []


def test_step_counts_calls_without_patching_the_instance():
    side = _OursSide()
    o = side.sgd()
    ours_lrs.StepLR(o, 2)
    assert "step" not in vars(o)  # the scheduler leaves the optimizer's step alone
    o.step()
    o.step()
    assert o._step_calls == 2

    class MyOpt(optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {"lr": 0.1})

        def step(self, closure=None):
            return None

    m = MyOpt([side.p])
    m.step()
    assert m._step_calls == 1
