"""nn.utils against torch.nn.utils: clip_grad_norm_ (2, 1, inf, fractional norms; returned total; in-place
scaling; non-finite handling), clip_grad_value_, parameters_to_vector / vector_to_parameters; and the
regularisers (values and gradients vs hand formulas/torch, which parameters count) and max_norm_ vs torch.renorm."""

import math

import numpy as np
import pytest

import autograd
import nn

torch = pytest.importorskip("torch")


def twin_params(dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (4,), (2, 3, 2), (5,)]
    data = [rng.standard_normal(s).astype(dtype) * (i + 1) for i, s in enumerate(shapes)]
    grads = [rng.standard_normal(s).astype(dtype) * 3 for s in shapes]
    ours = [nn.Parameter(autograd.tensor(d)) for d in data]
    theirs = [torch.nn.Parameter(torch.tensor(d)) for d in data]
    for o, t, g in zip(ours, theirs, grads):
        o.grad = autograd.tensor(g.copy())
        t.grad = torch.tensor(g.copy())
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf, 3.5, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, dtype):
    ours, theirs = twin_params(dtype)
    t_total = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    o_total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    assert isinstance(o_total, autograd.Tensor) and o_total.shape == () and o_total.dtype == dtype
    tol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(o_total.item(), t_total.item(), rtol=tol)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=tol, atol=tol)
    if max_norm < 1:  # the clipped gradients now have the requested norm
        total_after = nn.utils.get_total_norm([p.grad for p in ours], norm_type).item()
        np.testing.assert_allclose(total_after, max_norm, rtol=1e-4)


def test_clip_grad_norm_edge_cases():
    p = nn.Parameter(autograd.ones(3))
    assert nn.utils.clip_grad_norm_([p], 1.0).item() == 0.0  # no grads: total 0, nothing to do
    p.grad = autograd.tensor([3.0, 4.0, 0.0])
    g = p.grad
    total = nn.utils.clip_grad_norm_(p, 1.0)  # a single tensor is accepted
    assert total.item() == pytest.approx(5.0)
    assert p.grad is g  # scaled in place
    np.testing.assert_allclose(p.grad.numpy(), np.array([3, 4, 0]) / (5 + 1e-6), rtol=1e-6)
    p.grad = autograd.tensor([np.nan, 1.0, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert np.isnan(nn.utils.clip_grad_norm_([p], 1.0).item())


def test_clip_grad_value_matches_torch():
    ours, theirs = twin_params(np.float64)
    torch.nn.utils.clip_grad_value_(theirs, 1.5)
    nn.utils.clip_grad_value_(ours, 1.5)
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o.grad.numpy(), t.grad.numpy())
    assert max(np.abs(o.grad.numpy()).max() for o in ours) == 1.5


def test_parameters_vector_round_trip_matches_torch():
    ours, theirs = twin_params(np.float64)
    v = nn.utils.parameters_to_vector(ours)
    np.testing.assert_array_equal(v.numpy(), torch.nn.utils.parameters_to_vector(theirs).detach().numpy())
    for p in ours:
        p.grad = None
    v.backward(autograd.arange(v.numel(), dtype=autograd.float64))  # differentiable, like torch's
    np.testing.assert_array_equal(ours[0].grad.numpy().reshape(-1), np.arange(12))
    np.testing.assert_array_equal(ours[3].grad.numpy(), np.arange(28, 33))
    new = autograd.tensor(np.arange(v.numel(), dtype=np.float64))
    ids = [id(p) for p in ours]
    nn.utils.vector_to_parameters(new, ours)
    assert [id(p) for p in ours] == ids
    np.testing.assert_array_equal(ours[1].numpy(), np.arange(12, 16))
    np.testing.assert_array_equal(ours[2].numpy(), np.arange(16, 28).reshape(2, 3, 2))
    with pytest.raises(TypeError, match="expected Tensor"):
        nn.utils.vector_to_parameters(np.zeros(3), ours)
    with pytest.raises(RuntimeError, match="does not hold"):
        nn.utils.vector_to_parameters(autograd.zeros(5), ours)


def make_model():
    autograd.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Embedding(5, 2), nn.Linear(3, 2, bias=False)).double()


def test_penalties_values_gradients_and_selection():
    m = make_model()
    weights = [m[0].weight, m[2].weight, m[3].weight]
    assert nn.utils.regularized_parameters(m) == weights  # biases excluded
    l1 = nn.utils.l1_penalty(m)
    l2 = nn.utils.l2_penalty(m)
    np.testing.assert_allclose(l1.item(), sum(np.abs(w.numpy()).sum() for w in weights), rtol=1e-12)
    np.testing.assert_allclose(l2.item(), sum((w.numpy() ** 2).sum() for w in weights), rtol=1e-12)
    en = nn.utils.elastic_net_penalty(m, l1_ratio=0.3)
    np.testing.assert_allclose(en.item(), 0.3 * l1.item() + 0.7 * l2.item(), rtol=1e-12)
    en.backward()
    for w in weights:
        np.testing.assert_allclose(w.grad.numpy(), 0.3 * np.sign(w.numpy()) + 1.4 * w.numpy(), rtol=1e-12)
    assert m[0].bias.grad is None
    # gradient of l2 equals torch's weight-decay convention: d/dw sum w^2 = 2w
    tw = torch.tensor(weights[0].numpy(), requires_grad=True)
    (tw ** 2).sum().backward()
    m.zero_grad()
    nn.utils.l2_penalty([weights[0]]).backward()
    np.testing.assert_allclose(weights[0].grad.numpy(), tw.grad.numpy())
    # an explicit list uses every tensor, biases included
    np.testing.assert_allclose(nn.utils.l1_penalty([m[0].bias]).item(), np.abs(m[0].bias.numpy()).sum())
    assert nn.utils.l1_penalty(nn.ReLU()).item() == 0.0
    with pytest.raises(ValueError, match="l1_ratio"):
        nn.utils.elastic_net_penalty(m, 1.5)


@pytest.mark.parametrize("dim,norm_type", [(0, 2.0), (1, 2.0), (0, 1.0), (0, math.inf)])
def test_max_norm_matches_torch_renorm(dim, norm_type):
    m = make_model()
    for p in m.parameters():
        p.data.mul_(3.0)
    expected = [torch.renorm(torch.tensor(w.numpy()), norm_type, dim, 1.5).numpy() for w in nn.utils.regularized_parameters(m)]
    biases = [m[0].bias.numpy().copy()]
    ids = [id(p) for p in m.parameters()]
    nn.utils.max_norm_(m, 1.5, dim=dim, norm_type=norm_type)
    for w, e in zip(nn.utils.regularized_parameters(m), expected):
        np.testing.assert_allclose(w.numpy(), e, rtol=1e-7)
    np.testing.assert_array_equal(m[0].bias.numpy(), biases[0])  # not a weight: untouched
    assert [id(p) for p in m.parameters()] == ids
    rows = np.linalg.norm(m[0].weight.numpy(), axis=1) if (dim, norm_type) == (0, 2.0) else None
    if rows is not None:
        assert rows.max() <= 1.5 + 1e-6
    with pytest.raises(ValueError, match="non-negative"):
        nn.utils.max_norm_(m, -1)
