"""Every activation module and its functional form against PyTorch: outputs and input gradients in float64
(and float32), parameter gradients (PReLU), stability at |x| = 1000, gradcheck of the dedicated ops, repr."""

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F

torch = pytest.importorskip("torch")

# (name, constructor args) — built as getattr(nn, name)(*args) in both libraries
MODULES = [
    ("ReLU", ()), ("LeakyReLU", ()), ("LeakyReLU", (0.2,)), ("PReLU", ()), ("ELU", ()), ("ELU", (0.5,)),
    ("SELU", ()), ("CELU", ()), ("CELU", (2.0,)), ("GELU", ()), ("GELU", ("tanh",)), ("SiLU", ()), ("Mish", ()),
    ("Sigmoid", ()), ("Tanh", ()), ("Softmax", (1,)), ("Softmax", (-1,)), ("LogSoftmax", (1,)), ("Softmin", (0,)),
    ("Softplus", ()), ("Softplus", (2.0, 1.0)), ("Softsign", ()), ("Hardtanh", ()), ("Hardtanh", (-2.0, 0.5)),
    ("Hardsigmoid", ()), ("Hardswish", ()), ("ReLU6", ()), ("Threshold", (0.1, 20.0)), ("LogSigmoid", ()),
    ("Tanhshrink", ()), ("Softshrink", ()), ("Hardshrink", (0.3,)), ("GLU", ()), ("GLU", (0,)),
]


def _inputs(dtype, shape=(4, 6)):
    rng = np.random.default_rng(1)
    x = rng.uniform(-4, 4, size=shape)
    # keep away from kinks (0, +-0.5, +-3, thresholds) where the one-sided derivative is a convention
    x = np.where(np.abs(x) < 0.05, 0.3, x)
    return x.astype(dtype)


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-10), (np.float32, 1e-5)])
@pytest.mark.parametrize("name,args", MODULES, ids=[f"{n}{a}" for n, a in MODULES])
def test_module_matches_torch(name, args, dtype, tol):
    if name in ("Hardsigmoid", "Hardswish") and dtype == np.float64:
        tol = 1e-7  # torch's backward multiplies by a float32 constant 1/6, even in float64
    x = _inputs(dtype)
    tm = getattr(torch.nn, name)(*args).to(torch.float64 if dtype == np.float64 else torch.float32)
    om = getattr(nn, name)(*args).to(dtype)
    om.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    assert repr(om) == repr(tm)
    tx = torch.tensor(x, requires_grad=True)
    ox = autograd.tensor(x, requires_grad=True)
    ty, oy = tm(tx), om(ox)
    assert oy.dtype == dtype and oy.shape == tuple(ty.shape)
    np.testing.assert_allclose(oy.numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
    gy = np.random.default_rng(2).standard_normal(tuple(ty.shape)).astype(dtype)
    ty.backward(torch.tensor(gy))
    oy.backward(autograd.tensor(gy))
    np.testing.assert_allclose(ox.grad.numpy(), tx.grad.numpy(), rtol=tol, atol=tol)
    for (n, op), (_, tp) in zip(om.named_parameters(), tm.named_parameters()):
        np.testing.assert_allclose(op.grad.numpy(), tp.grad.numpy(), rtol=tol, atol=tol, err_msg=n)


def test_prelu_per_channel_matches_torch():
    x = _inputs(np.float64, (3, 4, 5))
    tm, om = torch.nn.PReLU(4, init=0.1).double(), nn.PReLU(4, init=0.1).double()
    with torch.no_grad():
        tm.weight.uniform_(-1, 1)
    om.load_state_dict({"weight": tm.weight.detach().numpy()})
    tx, ox = torch.tensor(x, requires_grad=True), autograd.tensor(x, requires_grad=True)
    ty, oy = tm(tx), om(ox)
    np.testing.assert_allclose(oy.numpy(), ty.detach().numpy(), rtol=1e-12)
    ty.backward(torch.ones_like(ty))
    oy.backward(autograd.ones_like(oy))
    np.testing.assert_allclose(om.weight.grad.numpy(), tm.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ox.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError, match="parameter numbers = 4 and channel size = 3"):
        om(autograd.zeros(2, 3))


@pytest.mark.parametrize("fname,kwargs", [
    ("relu", {}), ("elu", {}), ("selu", {}), ("celu", {"alpha": 0.7}), ("gelu", {}), ("gelu", {"approximate": "tanh"}),
    ("silu", {}), ("mish", {}), ("softplus", {}), ("softplus", {"beta": 3.0, "threshold": 5.0}), ("logsigmoid", {}),
    ("sigmoid", {}), ("tanh", {}), ("softsign", {}), ("hardswish", {}), ("hardsigmoid", {}), ("leaky_relu", {}),
    ("tanhshrink", {}),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_functional_stable_at_1000(fname, kwargs, dtype):
    x = np.array([-1000.0, -30.0, -1.5, 0.7, 30.0, 1000.0], dtype=dtype)
    tx, ox = torch.tensor(x, requires_grad=True), autograd.tensor(x, requires_grad=True)
    ty = getattr(torch.nn.functional, fname)(tx, **kwargs)
    oy = getattr(F, fname)(ox, **kwargs)
    ty.sum().backward()
    oy.backward(autograd.ones_like(oy))
    assert np.isfinite(oy.numpy()).all() and np.isfinite(ox.grad.numpy()).all()
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(oy.numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
    if fname in ("hardsigmoid", "hardswish", "celu") and dtype == np.float64:
        tol = 1e-7  # torch's backward uses float32 constants (1/6, 1/alpha) even in float64
    np.testing.assert_allclose(ox.grad.numpy(), tx.grad.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("fn", [
    lambda x: F.gelu(x), lambda x: F.elu(x, 0.7), lambda x: F.selu(x), lambda x: F.celu(x, 1.3),
    lambda x: F.softplus(x, 2.0, 3.0), lambda x: F.erf(x), lambda x: F.mish(x), lambda x: F.logsigmoid(x),
    lambda x: F.silu(x),
], ids=["gelu", "elu", "selu", "celu", "softplus", "erf", "mish", "logsigmoid", "silu"])
def test_dedicated_ops_gradcheck_and_gradgradcheck(fn):
    x = autograd.tensor(_inputs(np.float64, (3, 4)) / 2, requires_grad=True)
    assert autograd.gradcheck(fn, (x,))
    assert autograd.gradgradcheck(fn, (x,))


def test_celu_gradient_exact_in_float64():
    x = autograd.tensor(np.array([-1.5, -0.2]), requires_grad=True)
    F.celu(x, 0.7).backward(autograd.ones(2, dtype=autograd.float64))
    np.testing.assert_allclose(x.grad.numpy(), np.exp(np.array([-1.5, -0.2]) / 0.7), rtol=1e-15)


def test_erf_matches_torch():
    x = np.linspace(-6, 6, 101)
    np.testing.assert_allclose(F.erf(autograd.tensor(x)).numpy(), torch.erf(torch.tensor(x)).numpy(), atol=1e-15)
    x32 = x.astype(np.float32)
    assert F.erf(autograd.tensor(x32)).dtype == np.float32


def test_inplace_variants_write_into_input():
    for fn, kw in [(F.relu, {}), (F.elu, {}), (F.leaky_relu, {}), (F.hardtanh, {}), (F.silu, {}), (F.selu, {}),
                   (F.hardswish, {}), (F.threshold, {"threshold": 0.0, "value": -1.0})]:
        x = autograd.tensor(_inputs(np.float64))
        expected = fn(autograd.tensor(x.numpy().copy()), **kw).numpy()
        out = fn(x, **kw, inplace=True)
        assert out is x
        np.testing.assert_allclose(x.numpy(), expected)
    # in place on a non-leaf keeps the gradient correct
    a = autograd.tensor(_inputs(np.float64), requires_grad=True)
    b = a * 2
    F.elu(b, inplace=True)
    b.backward(autograd.ones_like(b))
    ta = torch.tensor(_inputs(np.float64), requires_grad=True)
    tb = ta * 2
    torch.nn.functional.elu(tb, inplace=True)
    tb.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy())
    for fn in (F.relu_, F.elu_, F.selu_, F.celu_, F.leaky_relu_, F.hardtanh_, F.rrelu_):
        x = autograd.tensor(_inputs(np.float64))
        assert fn(x) is x
        tx = torch.tensor(_inputs(np.float64))
        getattr(torch.nn.functional, fn.__name__)(tx)
        np.testing.assert_allclose(x.numpy(), tx.numpy(), rtol=1e-12)
    m = nn.ReLU(inplace=True)
    assert repr(m) == "ReLU(inplace=True)"


def test_swish_alias_and_errors():
    assert nn.Swish is nn.SiLU
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(autograd.zeros(2), approximate="x")
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1 is size 3"):
        F.glu(autograd.zeros(2, 3))
    with pytest.raises(AssertionError, match="max_val"):
        nn.Hardtanh(1.0, -1.0)
    with pytest.raises(ValueError, match="3D or 4D"):
        nn.Softmax2d()(autograd.zeros(2, 3))


def test_softmax_implicit_dim_warns_like_torch():
    x = _inputs(np.float64, (2, 3))
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        y = F.softmax(autograd.tensor(x))
    with pytest.warns(UserWarning):
        ty = torch.nn.functional.softmax(torch.tensor(x))
    np.testing.assert_allclose(y.numpy(), ty.numpy())
    y = nn.Softmax2d()(autograd.tensor(_inputs(np.float64, (2, 3, 4, 5))))
    ty = torch.nn.Softmax2d()(torch.tensor(_inputs(np.float64, (2, 3, 4, 5))))
    np.testing.assert_allclose(y.numpy(), ty.numpy(), rtol=1e-12)


def test_rrelu_eval_is_mean_slope_and_train_in_range():
    x = autograd.tensor(_inputs(np.float64))
    m = nn.RReLU(0.1, 0.3)
    m.eval()
    np.testing.assert_allclose(m(x).numpy(), np.where(x.numpy() >= 0, x.numpy(), 0.2 * x.numpy()))
    m.train()
    y = m(x).numpy()
    neg = x.numpy() < 0
    ratio = y[neg] / x.numpy()[neg]
    assert ((ratio >= 0.1) & (ratio <= 0.3)).all() and np.array_equal(y[~neg], x.numpy()[~neg])
    assert repr(m) == repr(torch.nn.RReLU(0.1, 0.3))


def test_gumbel_softmax_soft_hard_and_distribution():
    logits = autograd.tensor(np.log(np.array([[0.1, 0.2, 0.7]] * 20000)), requires_grad=True)
    autograd.manual_seed(0)
    soft = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.numpy().sum(1), 1.0, rtol=1e-6)
    autograd.manual_seed(0)
    hard = F.gumbel_softmax(logits, tau=0.5, hard=True)
    h = hard.numpy()
    assert set(np.unique(h)) == {0.0, 1.0} and (h.sum(1) == 1).all()
    assert (h.argmax(1) == soft.numpy().argmax(1)).all()  # same draws: the hard sample is the soft one's argmax
    # Gumbel-max: argmax frequencies follow softmax(logits)
    np.testing.assert_allclose(h.mean(0), [0.1, 0.2, 0.7], atol=0.01)
    # straight-through: the hard sample's gradient is the soft sample's
    g = np.random.default_rng(0).standard_normal(h.shape)
    hard.backward(autograd.tensor(g))
    gh = logits.grad.numpy().copy()
    logits.grad = None
    soft.backward(autograd.tensor(g))
    np.testing.assert_allclose(gh, logits.grad.numpy(), rtol=1e-10)
    # torch's hard output has the same structure
    th = torch.nn.functional.gumbel_softmax(torch.tensor(logits.numpy()), tau=0.5, hard=True)
    assert th.shape == hard.shape and (th.sum(1) == 1).all()
