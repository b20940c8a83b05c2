"""nn.utils.parametrize / parametrizations against torch: weight_norm and spectral_norm (keys, repr, outputs,
gradients, power-iteration buffers in train and eval), custom parametrizations, assignment through
right_inverse, caching, removal."""

import numpy as np
import pytest

import autograd
import nn
from nn.utils import parametrizations as P
from nn.utils import parametrize

torch = pytest.importorskip("torch")
TP = torch.nn.utils.parametrizations


def copy_state(tm, om):
    om.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})


def fwd_bwd(tm, om, x):
    tx, ox = torch.tensor(x, requires_grad=True), autograd.tensor(x, requires_grad=True)
    ty, oy = tm(tx), om(ox)
    np.testing.assert_allclose(oy.numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = np.random.default_rng(1).standard_normal(tuple(ty.shape))
    ty.backward(torch.tensor(g))
    oy.backward(autograd.tensor(g))
    np.testing.assert_allclose(ox.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    tparams = dict(tm.named_parameters())
    for n, p in om.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tparams[n].grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=n)


@pytest.mark.parametrize("make,dim,shape", [
    (lambda nn_: nn_.Linear(4, 3), 0, (5, 4)),
    (lambda nn_: nn_.Linear(4, 3), None, (5, 4)),
    (lambda nn_: nn_.Linear(4, 3), 1, (5, 4)),
    (lambda nn_: nn_.Conv1d(2, 3, 3), 0, (2, 2, 7)),
])
def test_weight_norm_matches_torch(make, dim, shape):
    tm = TP.weight_norm(make(torch.nn).double(), dim=dim)
    om = P.weight_norm(make(nn).double(), dim=dim)
    assert repr(om) == repr(tm) and type(om).__name__ == type(tm).__name__
    assert [(k, tuple(v.shape)) for k, v in om.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in tm.state_dict().items()]
    assert [n for n, _ in om.named_parameters()] == [n for n, _ in tm.named_parameters()]
    copy_state(tm, om)
    fwd_bwd(tm, om, np.random.default_rng(0).standard_normal(shape))


def test_weight_norm_initial_value_is_the_weight():
    m = nn.Linear(4, 3)
    w = m.weight.numpy().copy()
    P.weight_norm(m)
    np.testing.assert_allclose(m.weight.numpy(), w, rtol=1e-6)
    g = m.parametrizations.weight.original0.numpy()
    np.testing.assert_allclose(g[:, 0], np.linalg.norm(w, axis=1), rtol=1e-6)


@pytest.mark.parametrize("make,shape", [
    (lambda nn_: nn_.Linear(5, 3), (4, 5)),
    (lambda nn_: nn_.Conv2d(2, 3, 3), (1, 2, 5, 5)),
    (lambda nn_: nn_.ConvTranspose2d(2, 3, 3), (1, 2, 4, 4)),
])
def test_spectral_norm_matches_torch(make, shape):
    tm = TP.spectral_norm(make(torch.nn).double())
    om = P.spectral_norm(make(nn).double())
    assert repr(om) == repr(tm)
    assert list(om.state_dict()) == list(tm.state_dict())
    copy_state(tm, om)  # the same weights and power-iteration vectors
    x = np.random.default_rng(0).standard_normal(shape)
    fwd_bwd(tm, om, x)  # training: one power iteration each
    for k, v in tm.state_dict().items():
        np.testing.assert_allclose(om.state_dict()[k].numpy(), v.numpy(), rtol=1e-9, atol=1e-12, err_msg=k)
    tm.eval()
    om.eval()
    u = om.parametrizations.weight[0]._u.numpy().copy()
    with torch.no_grad():
        ty = tm(torch.tensor(x))
    np.testing.assert_allclose(om(autograd.tensor(x)).numpy(), ty.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(om.parametrizations.weight[0]._u.numpy(), u)  # eval: no update


def test_spectral_norm_bounds_singular_value():
    m = P.spectral_norm(nn.Linear(6, 4).double(), n_power_iterations=5)
    for _ in range(20):
        w = m.weight
    assert np.linalg.svd(w.numpy(), compute_uv=False)[0] == pytest.approx(1.0, rel=1e-4)
    with pytest.raises(ValueError, match="n_power_iterations to be positive"):
        P.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)


class Scale(nn.Module):
    def forward(self, X):
        return X * 2

    def right_inverse(self, X):
        return X / 2


def test_custom_parametrizations_chain_assign_remove_match_torch():
    src = '''
class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)

    def right_inverse(self, X):
        return X

class Scale(nn.Module):
    def forward(self, X):
        return X * 2

    def right_inverse(self, X):
        return X / 2
'''
    out = []
    for lib, nnlib, par in ((torch, torch.nn, torch.nn.utils.parametrize), (autograd, nn, parametrize)):
        ns = {"nn": nnlib}
        exec(src, ns)
        m = nnlib.Linear(3, 3).double()
        with (torch.no_grad() if lib is torch else autograd.no_grad()):
            m.weight.copy_(lib.tensor(np.arange(9.0).reshape(3, 3)))
        w_obj = m.weight
        par.register_parametrization(m, "weight", ns["Symmetric"]())
        par.register_parametrization(m, "weight", ns["Scale"]())
        original_is_same = m.parametrizations.weight.original is w_obj
        first = m.weight.detach().numpy().copy()
        m.weight = lib.tensor(np.eye(3) * 4.0)  # through the right_inverses: original = X / 2
        after_assign = (m.weight.detach().numpy().copy(), m.parametrizations.weight.original.detach().numpy().copy())
        keys = list(m.state_dict())
        text = repr(m)
        assert par.is_parametrized(m) and par.is_parametrized(m, "weight") and not par.is_parametrized(m, "bias")
        par.remove_parametrizations(m, "weight")
        out.append((original_is_same, first, after_assign, keys, text, type(m).__name__, m.weight.detach().numpy(),
                    [n for n, _ in m.named_parameters()]))
    t, o = out
    assert o[0] and t[0]  # the original keeps the parameter's identity (optimizers keep working)
    np.testing.assert_array_equal(o[1], t[1])
    np.testing.assert_array_equal(o[2][0], t[2][0])
    np.testing.assert_array_equal(o[2][1], t[2][1])
    assert o[3] == t[3] and o[4] == t[4] and o[5] == t[5] == "Linear"
    np.testing.assert_array_equal(o[6], t[6])
    assert o[7] == t[7]


def test_cached_and_errors():
    m = nn.Linear(3, 3)
    parametrize.register_parametrization(m, "weight", Scale())
    with parametrize.cached():
        a, b = m.weight, m.weight
        assert a is b
    assert m.weight is not m.weight
    s = nn.Linear(3, 3)
    parametrize.register_parametrization(s, "weight", Symmetric())
    with pytest.raises(RuntimeError, match="Symmetric does not implement right_inverse"):
        s.weight = autograd.eye(3)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized element"):
        parametrize.register_parametrization(m, "nope", Scale())
    with pytest.raises(ValueError, match="does not have a parametrization on bias"):
        parametrize.remove_parametrizations(m, "bias")

    class Shrink(nn.Module):
        def forward(self, X):
            return X[:1]

    with pytest.raises(ValueError, match="may not change the shape"):
        parametrize.register_parametrization(nn.Linear(3, 3), "weight", Shrink())


def test_weight_norm_trains_with_optimizer():
    optim = pytest.importorskip("optim")
    import nn.functional as F

    autograd.manual_seed(0)
    m = P.weight_norm(nn.Linear(4, 1))
    opt = optim.SGD(m.parameters(), lr=0.1)
    x = autograd.randn(32, 4)
    y = x.sum(1, keepdim=True)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = F.mse_loss(m(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]
