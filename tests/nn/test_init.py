"""nn.init against torch.nn.init: fan computations and gains exactly, deterministic fills exactly
(constant/ones/zeros/eye/dirac), the random ones by their distribution (bounds, moments, KS test) and
orthogonality; in place (identity and version kept), seeded by autograd.manual_seed / generator=."""

import math

import numpy as np
import pytest

import autograd
import nn
from nn import init

torch = pytest.importorskip("torch")

SHAPES = [(3, 4), (5, 2, 3), (8, 4, 3, 3), (2, 3, 1, 2, 2)]


@pytest.mark.parametrize("shape", SHAPES)
def test_fans_match_torch(shape):
    assert init._calculate_fan_in_and_fan_out(autograd.zeros(*shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(*shape))
    for mode in ("fan_in", "fan_out", "FAN_IN"):
        assert init._calculate_correct_fan(autograd.zeros(*shape), mode) == \
            torch.nn.init._calculate_correct_fan(torch.zeros(*shape), mode)


def test_fan_and_mode_errors():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(autograd.zeros(3))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(autograd.zeros(3, 3), mode="fan_avg")


@pytest.mark.parametrize("nl,param", [
    ("linear", None), ("conv2d", None), ("conv_transpose3d", None), ("sigmoid", None), ("tanh", None),
    ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 3), ("selu", None),
    ("leaky_relu", math.sqrt(5)),
])
def test_calculate_gain_matches_torch(nl, param):
    assert init.calculate_gain(nl, param) == torch.nn.init.calculate_gain(nl, param)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", True)


def test_deterministic_fills_exact():
    for shape in [(3, 5), (4, 4), (6, 2)]:
        t = autograd.empty(*shape)
        v = t._version[0]
        assert init.eye_(t) is t and t._version[0] > v
        np.testing.assert_array_equal(t.numpy(), torch.nn.init.eye_(torch.empty(*shape)).numpy())
    for shape, groups in [((4, 4, 3), 1), ((6, 3, 3, 3), 2), ((2, 5, 3, 3, 3), 1)]:
        np.testing.assert_array_equal(init.dirac_(autograd.empty(*shape), groups).numpy(),
                                      torch.nn.init.dirac_(torch.empty(*shape), groups).numpy())
    p = nn.Parameter(autograd.empty(2, 3))
    init.constant_(p, 0.25)
    assert (p.numpy() == 0.25).all() and p.requires_grad and p.is_leaf
    assert (init.ones_(autograd.empty(3)).numpy() == 1).all() and (init.zeros_(p).numpy() == 0).all()
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
        init.eye_(autograd.empty(2, 2, 2))


def _ks(sample, cdf):
    """Kolmogorov-Smirnov statistic of a sample against a CDF."""
    x = np.sort(sample.ravel())
    n = x.size
    c = cdf(x)
    return max((np.arange(1, n + 1) / n - c).max(), (c - np.arange(n) / n).max())


def _normal_cdf(std, mean=0.0):
    from math import erf

    v = np.vectorize(lambda z: 0.5 * (1 + erf((z - mean) / (std * math.sqrt(2)))))
    return v


SHAPE = (256, 128, 3)  # fan_in = 384, fan_out = 768


@pytest.mark.parametrize("fn,kwargs,kind,scale", [
    (init.xavier_uniform_, {}, "uniform", math.sqrt(6 / (384 + 768))),
    (init.xavier_uniform_, {"gain": 2.0}, "uniform", 2 * math.sqrt(6 / (384 + 768))),
    (init.xavier_normal_, {}, "normal", math.sqrt(2 / (384 + 768))),
    (init.kaiming_uniform_, {}, "uniform", math.sqrt(2) * math.sqrt(3 / 384)),  # a=0: gain sqrt(2)
    (init.kaiming_uniform_, {"a": math.sqrt(5)}, "uniform", 1 / math.sqrt(384)),
    (init.kaiming_uniform_, {"mode": "fan_out", "nonlinearity": "relu"}, "uniform", math.sqrt(2) * math.sqrt(3 / 768)),
    (init.kaiming_normal_, {"nonlinearity": "relu"}, "normal", math.sqrt(2) / math.sqrt(384)),
    (init.kaiming_normal_, {"mode": "fan_out", "nonlinearity": "tanh"}, "normal", (5 / 3) / math.sqrt(768)),
    (init.uniform_, {"a": -0.3, "b": 0.3}, "uniform", 0.3),
    (init.normal_, {"std": 0.02}, "normal", 0.02),
])
def test_random_inits_follow_torch_formula(fn, kwargs, kind, scale):
    autograd.manual_seed(0)
    t = autograd.empty(*SHAPE)
    fn(t, **kwargs)
    x = t.numpy().astype(np.float64)
    # torch, same call: the same distribution (its scale is the formula above)
    tt = fn.__name__
    ref = getattr(torch.nn.init, tt)(torch.empty(*SHAPE), **kwargs).numpy()
    if kind == "uniform":
        assert np.abs(x).max() <= scale * (1 + 1e-6) and np.abs(x).max() > 0.999 * scale
        assert _ks(x[:, :16], lambda z: np.clip((z + scale) / (2 * scale), 0, 1)) < 0.02
        np.testing.assert_allclose(np.abs(ref).max(), scale, rtol=1e-3)
    else:
        np.testing.assert_allclose(x.std(), scale, rtol=0.01)
        np.testing.assert_allclose(ref.std(), scale, rtol=0.01)
        assert _ks(x[:, :8], _normal_cdf(scale)) < 0.02
    assert abs(x.mean()) < 0.01 * scale


def test_trunc_normal_bounds_and_moments():
    t = init.trunc_normal_(autograd.empty(200, 300), mean=0.5, std=1.0, a=-0.5, b=2.0)
    x = t.numpy().astype(np.float64)
    assert x.min() >= -0.5 and x.max() <= 2.0
    ref = torch.nn.init.trunc_normal_(torch.empty(200, 300, dtype=torch.float64), mean=0.5, std=1.0, a=-0.5, b=2.0)
    np.testing.assert_allclose(x.mean(), ref.mean().item(), atol=0.01)
    np.testing.assert_allclose(x.std(), ref.std().item(), atol=0.01)
    # the common use: std 0.02 within +-2 std
    y = init.trunc_normal_(autograd.empty(1000), std=0.02, a=-0.04, b=0.04).numpy()
    assert np.abs(y).max() <= 0.04
    with pytest.raises(ValueError, match="must be less than"):
        init.trunc_normal_(autograd.empty(3), a=1.0, b=0.0)


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (5, 2, 3), (3, 3)])
def test_orthogonal(shape):
    t = init.orthogonal_(autograd.empty(*shape, dtype=autograd.float64), gain=2.0)
    w = t.numpy().reshape(shape[0], -1)
    rows, cols = w.shape
    if rows <= cols:
        np.testing.assert_allclose(w @ w.T, 4 * np.eye(rows), atol=1e-10)
    else:
        np.testing.assert_allclose(w.T @ w, 4 * np.eye(cols), atol=1e-10)
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(autograd.empty(3))


def test_seeding_and_generator():
    autograd.manual_seed(3)
    a = init.xavier_normal_(autograd.empty(4, 5)).numpy().copy()
    autograd.manual_seed(3)
    np.testing.assert_array_equal(init.xavier_normal_(autograd.empty(4, 5)).numpy(), a)
    g1 = autograd.Generator().manual_seed(7)
    g2 = autograd.Generator().manual_seed(7)
    np.testing.assert_array_equal(init.kaiming_uniform_(autograd.empty(3, 3), generator=g1).numpy(),
                                  init.kaiming_uniform_(autograd.empty(3, 3), generator=g2).numpy())
    np.testing.assert_array_equal(init.orthogonal_(autograd.empty(3, 3), generator=autograd.Generator().manual_seed(1)).numpy(),
                                  init.orthogonal_(autograd.empty(3, 3), generator=autograd.Generator().manual_seed(1)).numpy())


def test_init_in_place_on_parameter_keeps_identity_and_dtype():
    m = nn.Linear(3, 4).double()
    w = m.weight
    init.xavier_uniform_(m.weight)
    assert m.weight is w and w.dtype == np.float64 and w.requires_grad
    m.apply(lambda mod: init.zeros_(mod.bias) if isinstance(mod, nn.Linear) else None)
    assert not m.bias.numpy().any()
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(autograd.empty(0, 3))
    np.testing.assert_array_equal(init.sparse_(autograd.empty(10, 4), 0.3).numpy().__eq__(0).sum(0), [3, 3, 3, 3])
