"""Second (and third) derivatives against PyTorch: tanh, x**3, softmax family, a 2-layer tanh MLP's
Hessian-vector product; gradgradcheck on a set of ops; autograd.grad's allow_unused and retain_graph rules."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd.ops.activation import elu, gelu
from autograd.ops.embedding import embedding
from autograd.ops.linear import linear

torch = pytest.importorskip("torch")


def _both(a):
    return autograd.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _second(f_ours, f_torch, a, v):
    """d/dx <d f(x)/dx, v> for both libraries (f returns a scalar)."""
    x, t = _both(a)
    (g,) = autograd.grad(f_ours(x), x, create_graph=True)
    (h,) = autograd.grad((g * autograd.tensor(v)).sum(), x)
    (tg,) = torch.autograd.grad(f_torch(t), t, create_graph=True)
    (th,) = torch.autograd.grad((tg * torch.tensor(v)).sum(), t)
    return g.detach().numpy(), h.numpy(), tg.detach().numpy(), th.numpy()


RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 4))
V = RNG.standard_normal((3, 4))
W = RNG.standard_normal((3, 4))


@pytest.mark.parametrize("name,f", [
    ("tanh", lambda lib, x: lib.tanh(x).sum()),
    ("cube", lambda lib, x: (x ** 3).sum()),
    ("softmax", lambda lib, x: (lib.softmax(x, 1) * lib.tensor(W)).sum()),
    ("softmax_dim0", lambda lib, x: (lib.softmax(x, 0) * lib.tensor(W)).sum()),
    ("log_softmax", lambda lib, x: (lib.log_softmax(x, -1) * lib.tensor(W)).sum()),
    ("logsumexp", lambda lib, x: (lib.logsumexp(x, 1) * lib.tensor(W[:, 0])).sum()),
    ("sigmoid", lambda lib, x: (lib.sigmoid(x) * lib.tensor(W)).sum()),
    ("var", lambda lib, x: (x.var(1) * lib.tensor(W[:, 0])).sum()),
    ("norm", lambda lib, x: x.norm(dim=1).sum()),
    ("amax", lambda lib, x: (x * x).amax(1).sum()),
    ("cumprod", lambda lib, x: (x.cumprod(1) * lib.tensor(W)).sum()),
])
def test_second_derivatives_match_torch(name, f):
    g, h, tg, th = _second(lambda x: f(autograd, x), lambda t: f(torch, t), A, V)
    np.testing.assert_allclose(g, tg, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h, th, rtol=1e-9, atol=1e-11)


def test_third_derivative_of_cube_and_tanh():
    for f in (lambda v: v ** 3, lambda v: v.tanh()):
        x, t = _both(np.array([0.3, -1.2, 2.0]))
        (g1,) = autograd.grad(f(x).sum(), x, create_graph=True)
        (g2,) = autograd.grad(g1.sum(), x, create_graph=True)
        (g3,) = autograd.grad(g2.sum(), x)
        (t1,) = torch.autograd.grad(f(t).sum(), t, create_graph=True)
        (t2,) = torch.autograd.grad(t1.sum(), t, create_graph=True)
        (t3,) = torch.autograd.grad(t2.sum(), t)
        np.testing.assert_allclose(g3.numpy(), t3.numpy(), rtol=1e-10)
    x = autograd.tensor([0.3, -1.2, 2.0], requires_grad=True)
    (g1,) = autograd.grad((x ** 3).sum(), x, create_graph=True)
    (g2,) = autograd.grad(g1.sum(), x, create_graph=True)
    np.testing.assert_allclose(autograd.grad(g2.sum(), x)[0].numpy(), np.full(3, 6.0))


def _mlp(lib, params, x, y):
    w1, b1, w2, b2 = params
    h = lib.tanh(x @ w1 + b1)
    out = h @ w2 + b2
    return ((out - y) ** 2).mean()


def test_mlp_hessian_vector_product_matches_torch():
    rng = np.random.default_rng(1)
    shapes = [(3, 5), (5,), (5, 2), (2,)]
    params = [rng.standard_normal(s) * 0.7 for s in shapes]
    vecs = [rng.standard_normal(s) for s in shapes]
    x, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 2))

    ps = [autograd.tensor(p, requires_grad=True) for p in params]
    grads = autograd.grad(_mlp(autograd, ps, autograd.tensor(x), autograd.tensor(y)), ps, create_graph=True)
    dot = sum((g * autograd.tensor(v)).sum() for g, v in zip(grads, vecs))
    hv = autograd.grad(dot, ps)

    tx, ty = torch.tensor(x), torch.tensor(y)
    loss, thv = torch.autograd.functional.hvp(lambda *p: _mlp(torch, p, tx, ty), tuple(torch.tensor(p) for p in params),
                                               tuple(torch.tensor(v) for v in vecs))
    for ours, theirs, s in zip(hv, thv, shapes):
        assert ours.shape == s
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-9, atol=1e-12)
    # and the gradient itself, with the graph kept
    tps = [torch.tensor(p, requires_grad=True) for p in params]
    tgrads = torch.autograd.grad(_mlp(torch, tps, tx, ty), tps)
    for g, tg in zip(grads, tgrads):
        np.testing.assert_allclose(g.detach().numpy(), tg.numpy(), rtol=1e-10, atol=1e-12)
    assert np.isclose(loss.item(), _mlp(autograd, ps, autograd.tensor(x), autograd.tensor(y)).item())


@pytest.mark.parametrize("name,fn,shapes", [
    ("sum_mean", lambda x: x.sum(1) * x.mean(), [(3, 4)]),
    ("softmax", lambda x: x.softmax(-1), [(2, 5)]),
    ("log_softmax", lambda x: x.log_softmax(0), [(3, 4)]),
    ("logsumexp", lambda x: x.logsumexp((0, 1)), [(2, 3)]),
    ("var_std", lambda x: x.var(0) + x.std(1).sum(), [(3, 4)]),
    ("prod", lambda x: x.prod(1), [(2, 4)]),
    ("cumsum", lambda x: (x.cumsum(1) ** 2), [(2, 4)]),
    ("norm_p3", lambda x: x.norm(3, dim=1), [(2, 4)]),
    ("max_dim", lambda x: x.max(1).values ** 2, [(3, 4)]),
    ("matmul_batched", lambda a, b: (a @ b).sigmoid(), [(2, 3, 4), (4, 2)]),
    ("div_exp_log", lambda a, b: (a.exp() / (b * b + 1)).log1p(), [(3,), (2, 3)]),
    ("einsum", lambda a, b: autograd.einsum("bi,ij->bj", a, b).tanh(), [(2, 3), (3, 4)]),
    ("linear_3d", lambda x, w, b: linear(x, w, b).tanh(), [(2, 3, 4), (5, 4), (5,)]),
    ("linear_1d_scalar_bias", lambda x, w, b: linear(x, w, b).tanh(), [(4,), (3, 4), ()]),
    ("linear_nobias", lambda x, w: linear(x * x, w).sigmoid(), [(2, 4), (3, 4)]),
    ("gelu_elu", lambda x: gelu(x) * elu(x - 1, 0.7, 1.1, 1.3), [(3, 4)]),
    ("embedding", lambda w: embedding(w, np.array([[0, 2], [2, 1]]), padding_idx=1).tanh(), [(3, 4)]),
])
def test_gradgradcheck(name, fn, shapes):
    rng = np.random.default_rng(2)
    xs = [autograd.tensor(rng.uniform(0.3, 1.5, s), requires_grad=True) for s in shapes]
    assert autograd.gradgradcheck(fn, xs)


# ---- autograd.grad rules ----
def test_grad_allow_unused():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    unused = autograd.tensor([3.0], requires_grad=True)
    y = (x * x).sum()
    with pytest.raises(RuntimeError, match=r"input 1\) appears to not have been used in the graph.*allow_unused=True"):
        autograd.grad(y, (x, unused), retain_graph=True)
    gx, gu = autograd.grad(y, (x, unused), allow_unused=True)
    assert gu is None
    np.testing.assert_array_equal(gx.numpy(), [2.0, 4.0])
    t = torch.tensor([1.0, 2.0], requires_grad=True)
    assert torch.autograd.grad((t * t).sum(), (t, torch.tensor([3.0], requires_grad=True)), allow_unused=True)[1] is None


def test_grad_of_input_not_requiring_grad_is_an_error():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    c = autograd.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        autograd.grad((x * c).sum(), (x, c))


def test_second_backward_without_retain_graph_is_an_error():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    y = (x.softmax(0) * x.exp()).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time.*retain_graph=True"):
        y.backward()
    x.grad = None
    z = (x.tanh() * x).sum()
    z.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    z.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)


def test_create_graph_keeps_graph_for_a_second_grad_call():
    x = autograd.tensor([0.5, -1.0], requires_grad=True)
    y = (x ** 3).sum()
    (g,) = autograd.grad(y, x, create_graph=True)
    assert g.requires_grad and g.grad_fn is not None
    (h1,) = autograd.grad(g.sum(), x, retain_graph=True)
    (h2,) = autograd.grad(g.sum(), x)
    np.testing.assert_allclose(h1.numpy(), 6 * x.detach().numpy())
    np.testing.assert_allclose(h2.numpy(), h1.numpy())


@pytest.mark.parametrize("name", ["gelu", "elu", "linear"])
def test_third_derivative_through_fused_backward_ops(name):
    """d^3/dx^3 through ops whose backward is an op of its own (GeluBackward, EluBackward, LinearBackward)."""
    rng = np.random.default_rng(5)
    a, wa = rng.uniform(-1.5, 1.5, (3, 4)), rng.standard_normal((2, 4))
    fns = {
        "gelu": (lambda lib, x, w: gelu(x) if lib is autograd else torch.nn.functional.gelu(x)),
        "elu": (lambda lib, x, w: elu(x, 0.7) if lib is autograd else torch.nn.functional.elu(x, 0.7)),
        "linear": (lambda lib, x, w: (linear(x, w) if lib is autograd else torch.nn.functional.linear(x, w)) ** 3),
    }
    results = []
    for lib in (autograd, torch):
        x = lib.tensor(a, requires_grad=True)
        w = lib.tensor(wa, requires_grad=True)
        g = lib.autograd.grad if lib is torch else autograd.grad
        (g1,) = g(fns[name](lib, x, w).sum(), x, create_graph=True)
        (g2,) = g((g1 * g1).sum(), x, create_graph=True)
        g3 = g((g2 * g1).sum(), [x, w] if name == "linear" else [x])
        results.append([t.detach().numpy() for t in g3])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
