"""Generic tests driven by the op table: forward vs PyTorch, float64 gradcheck, gradients vs PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from tests.op_specs import all_specs

SPECS = all_specs()
CASES = [pytest.param(spec, i, id=f"{spec.name}-{i}", marks=spec.marks) for spec in SPECS for i in range(len(spec.cases))]


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


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("spec,case", CASES)
def test_forward_matches_torch(spec, case, dtype):
    torch = pytest.importorskip("torch")
    arrays = spec.inputs(spec.cases[case], dtype)
    _, ours = _ours(spec, arrays, False)
    _, theirs = _theirs(torch, spec, arrays, False)
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        t = t.detach().numpy()
        assert o.shape == t.shape, f"{spec.name}: shape {o.shape} vs torch {t.shape}"
        assert o.dtype == t.dtype, f"{spec.name}: dtype {o.dtype} vs torch {t.dtype}"
        np.testing.assert_allclose(o.numpy(), t, rtol=spec.rtol * (1 if dtype == np.float64 else 10),
                                   atol=spec.atol * (1 if dtype == np.float64 else 10))


GRADCHECK_CASES = [c for c in CASES if c.values[0].gradcheck]


@pytest.mark.parametrize("spec,case", GRADCHECK_CASES)
def test_gradcheck(spec, case):
    arrays = spec.inputs(spec.cases[case], np.float64)
    idx = _grad_idx(spec, arrays)
    if not idx:
        pytest.skip("no differentiable input")
    xs = [autograd.tensor(a, requires_grad=i in idx) for i, a in enumerate(arrays)]
    assert autograd.gradcheck(lambda *t: spec.fn(autograd, *t), xs, eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("spec,case", CASES)
def test_grad_matches_torch(spec, case, dtype):
    torch = pytest.importorskip("torch")
    arrays = spec.inputs(spec.cases[case], dtype)
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
    tol = dict(rtol=spec.rtol * (1 if dtype == np.float64 else 20), atol=spec.atol * (1 if dtype == np.float64 else 20))
    for i in idx:
        g, tg = xs[i].grad, txs[i].grad
        if tg is None:
            assert g is None or np.allclose(g.numpy(), 0), f"{spec.name}: input {i} got a gradient torch does not give"
            continue
        assert g is not None, f"{spec.name}: input {i} got no gradient"
        assert g.dtype == tg.numpy().dtype
        np.testing.assert_allclose(g.numpy(), tg.numpy(), err_msg=f"{spec.name}: gradient of input {i}", **tol)
