"""Generic tests driven by the op table: forward vs PyTorch, float64 gradcheck and gradgradcheck, first and
second derivatives vs PyTorch. A row's ``big`` cases (above a kernel's size threshold) run the PyTorch
comparisons only."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from tests.op_specs import all_specs

SPECS = all_specs()


def _params(spec, big: bool, extra_marks=()):
    cases = spec.big if big else spec.cases
    tag = "big" if big else ""
    return [pytest.param(spec, case, id=f"{spec.name}-{tag}{i}", marks=[*spec.marks, *extra_marks])
            for i, case in enumerate(cases)]


BIG = [p for spec in SPECS for p in _params(spec, True)]
CASES = [p for spec in SPECS for p in _params(spec, False)] + BIG
GRADCHECK_CASES = [p for spec in SPECS if spec.gradcheck for p in _params(spec, False)]


def _second_order_marks(spec, against_torch=False):
    reason = spec.no_gradgrad or (spec.no_torch_gradgrad if against_torch else "")
    if reason:
        return [pytest.mark.skip(reason=reason)]
    return [pytest.mark.xfail(reason=spec.gradgrad_bug, strict=True)] if spec.gradgrad_bug else []


GRADGRAD_CASES = [p for spec in SPECS if spec.gradcheck for p in _params(spec, False, _second_order_marks(spec))]
SECOND_ORDER_CASES = [p for spec in SPECS for big in (False, True)
                      for p in _params(spec, big, _second_order_marks(spec, against_torch=True))]


def _outputs(x):
    return list(x) if isinstance(x, (tuple, list)) else [x]


def _ours(spec, arrays, requires_grad):
    idx = _grad_idx(spec, arrays)
    xs = [autograd.tensor(a, requires_grad=requires_grad and i in idx) for i, a in enumerate(arrays)]
    return xs, _outputs(spec.fn(autograd, *xs))


def _theirs(torch, spec, arrays, requires_grad):
    idx = _grad_idx(spec, arrays)
    xs = [torch.tensor(a, requires_grad=requires_grad and i in idx) for i, a in enumerate(arrays)]
    return xs, _outputs(spec.fn(torch, *xs))


def _grad_idx(spec, arrays):
    if spec.grad_inputs is not None:
        return set(spec.grad_inputs)
    return {i for i, a in enumerate(arrays) if a.dtype.kind == "f"}


def _tol(spec, dtype, factor):
    scale = 1 if dtype == np.float64 else factor
    return dict(rtol=spec.rtol * scale, atol=spec.atol * scale)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("spec,case", CASES)
def test_forward_matches_torch(spec, case, dtype):
    torch = pytest.importorskip("torch")
    arrays = spec.inputs(case, dtype)
    _, ours = _ours(spec, arrays, False)
    _, theirs = _theirs(torch, spec, arrays, False)
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        t = t.detach().numpy()
        assert o.shape == t.shape, f"{spec.name}: shape {o.shape} vs torch {t.shape}"
        assert o.dtype == t.dtype, f"{spec.name}: dtype {o.dtype} vs torch {t.dtype}"
        np.testing.assert_allclose(o.numpy(), t, **_tol(spec, dtype, 10))


def _float64_inputs(spec, case) -> list:
    """The case's inputs as float64 tensors, the differentiable ones requiring grad."""
    arrays = spec.inputs(case, np.float64)
    idx = _grad_idx(spec, arrays)
    if not idx:
        pytest.skip("no differentiable input")
    return [autograd.tensor(a, requires_grad=i in idx) for i, a in enumerate(arrays)]


@pytest.mark.parametrize("spec,case", GRADCHECK_CASES)
def test_gradcheck(spec, case):
    xs = _float64_inputs(spec, case)
    assert autograd.gradcheck(lambda *t: spec.fn(autograd, *t), xs, eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("spec,case", GRADGRAD_CASES)
def test_gradgradcheck(spec, case):
    """Second derivatives (in the inputs and in the upstream gradient) against central differences."""
    xs = _float64_inputs(spec, case)
    assert autograd.gradgradcheck(lambda *t: spec.fn(autograd, *t), xs, eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("spec,case", CASES)
def test_grad_matches_torch(spec, case, dtype):
    _check_grads(spec, case, dtype)


@pytest.mark.parametrize("n", [1, 2])
@pytest.mark.parametrize("spec,case", BIG)
def test_big_grad_matches_torch_on_n_threads(spec, case, n):
    """The fast paths branch on the thread count (conv: per-image GEMMs and batch blocks; RNN: batch split), so
    the big cases run on one and on two threads whatever the machine's default."""
    with autograd.threads.num_threads(n):
        _check_grads(spec, case, np.float32)


def _check_grads(spec, case, dtype):
    torch = pytest.importorskip("torch")
    arrays = spec.inputs(case, dtype)
    idx = sorted(_grad_idx(spec, arrays))
    if not idx:
        pytest.skip("no differentiable input")
    xs, ours = _ours(spec, arrays, True)
    txs, theirs = _theirs(torch, spec, arrays, True)
    rng = np.random.default_rng(1)
    seeds = [rng.standard_normal(o.shape).astype(o.dtype) for o in ours]
    pairs = [(o, t, s) for o, t, s in zip(ours, theirs, seeds) if o.requires_grad]
    if not pairs:
        pytest.skip("no differentiable output")
    autograd.backward([o for o, _, _ in pairs], [autograd.tensor(s) for _, _, s in pairs])
    torch.autograd.backward([t for _, t, _ in pairs], [torch.tensor(s) for _, _, s in pairs])
    tol = _tol(spec, dtype, 20)
    for i in idx:
        g, tg = xs[i].grad, txs[i].grad
        if tg is None:
            assert g is None or np.allclose(g.numpy(), 0), f"{spec.name}: input {i} got a gradient torch does not give"
            continue
        assert g is not None, f"{spec.name}: input {i} got no gradient"
        assert g.dtype == tg.numpy().dtype
        np.testing.assert_allclose(g.numpy(), tg.numpy(), err_msg=f"{spec.name}: gradient of input {i}", **tol)


def _array(t):
    """Either library's tensor as an array (PyTorch's zero tensors, which it returns for some second derivatives,
    convert only with ``force``)."""
    return t.detach().numpy(force=True) if type(t).__module__.startswith("torch") else t.numpy()


def _second_derivatives(lib, grad, xs, outs, idx, seeds, weights):
    """d/d(inputs, seeds) of sum_i <w_i, d<outs, seeds>/d x_i>: one double-backward pass (None: not reached)."""
    first = grad(outs, [xs[i] for i in idx], grad_outputs=seeds, create_graph=True, allow_unused=True)
    terms = [(f * lib.tensor(w)).sum() for f, w in zip(first, weights) if f is not None and f.requires_grad]
    if not terms:
        return None
    wrt = [xs[i] for i in idx] + list(seeds)
    return grad([sum(terms[1:], terms[0])], wrt, allow_unused=True)


@pytest.mark.parametrize("spec,case", SECOND_ORDER_CASES)
def test_second_order_matches_torch(spec, case):
    """Double backward in float64 (through the fused backward ops at the ``big`` sizes) against PyTorch's."""
    torch = pytest.importorskip("torch")
    arrays = spec.inputs(case, np.float64)
    idx = sorted(_grad_idx(spec, arrays))
    if not idx:
        pytest.skip("no differentiable input")
    xs, ours = _ours(spec, arrays, True)
    txs, theirs = _theirs(torch, spec, arrays, True)
    keep = [k for k, o in enumerate(ours) if o.requires_grad]
    if not keep:
        pytest.skip("no differentiable output")
    rng = np.random.default_rng(2)
    seeds = [rng.standard_normal(ours[k].shape) for k in keep]
    weights = [rng.standard_normal(arrays[i].shape) for i in idx]
    ours2 = _second_derivatives(autograd, autograd.grad, xs, [ours[k] for k in keep], idx,
                                [autograd.tensor(s, requires_grad=True) for s in seeds], weights)
    theirs2 = _second_derivatives(torch, torch.autograd.grad, txs, [theirs[k] for k in keep], idx,
                                  [torch.tensor(s, requires_grad=True) for s in seeds], weights)
    if theirs2 is None:
        assert ours2 is None or all(g is None or np.allclose(g.numpy(), 0) for g in ours2), spec.name
        return
    assert ours2 is not None, f"{spec.name}: first derivative does not depend on the inputs or the upstream gradient"
    names = [f"input {i}" for i in idx] + [f"grad_output {k}" for k in keep]
    for name, g, tg in zip(names, ours2, theirs2):
        if tg is None or g is None:
            other = tg if g is None else g
            assert other is None or np.allclose(_array(other), 0), f"{spec.name}: {name} differs in reach"
            continue
        np.testing.assert_allclose(g.numpy(), _array(tg), err_msg=f"{spec.name}: second derivative, {name}",
                                   rtol=spec.rtol, atol=spec.atol)
