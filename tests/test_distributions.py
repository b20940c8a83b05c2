"""autograd.distributions against torch.distributions: log_prob, entropy, mean, variance, kl_divergence (every
pair PyTorch registers among these five), gradients through them and through rsample, sample shapes and
moments, and argument validation."""

import numpy as np
import pytest

import autograd as A
import autograd.distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions
rng = np.random.default_rng(0)


def _spd(shape):
    m = rng.standard_normal(shape)
    return m @ np.swapaxes(m, -1, -2) + shape[-1] * np.eye(shape[-1])


def _pairs():
    """(ours, theirs, value) for each distribution, float64 parameters with batch shape (2, 3)."""
    loc, scale = rng.standard_normal((2, 3)), rng.uniform(0.5, 2, (2, 3))
    low = rng.standard_normal((2, 3))
    high = low + rng.uniform(0.5, 2, (2, 3))
    p = rng.uniform(0.1, 0.9, (2, 3))
    logits = rng.standard_normal((2, 3, 4))
    mloc, cov = rng.standard_normal((2, 3)), _spd((2, 3, 3))
    return [
        ("Normal", dict(loc=loc, scale=scale), rng.standard_normal((5, 2, 3))),
        ("Uniform", dict(low=low, high=high), low + (high - low) * rng.uniform(size=(5, 2, 3))),
        ("Bernoulli", dict(probs=p), rng.integers(0, 2, (5, 2, 3)).astype(np.float64)),
        ("Bernoulli", dict(logits=logits[..., 0]), rng.integers(0, 2, (2, 3)).astype(np.float64)),
        ("Categorical", dict(logits=logits), rng.integers(0, 4, (5, 2, 3))),
        ("Categorical", dict(probs=np.exp(logits)), rng.integers(0, 4, (2, 3))),
        ("MultivariateNormal", dict(loc=mloc, covariance_matrix=cov), rng.standard_normal((5, 2, 3))),
        ("MultivariateNormal", dict(loc=mloc, scale_tril=np.linalg.cholesky(cov)), rng.standard_normal((2, 3))),
        ("MultivariateNormal", dict(loc=mloc[0], precision_matrix=cov[0]), rng.standard_normal((4, 3))),
    ]


@pytest.mark.parametrize("name,params,value", _pairs())
def test_log_prob_entropy_moments_and_gradients_match_torch(name, params, value):
    ours_p = {k: A.tensor(v, requires_grad=True) for k, v in params.items()}
    theirs_p = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    ours, theirs = getattr(D, name)(**ours_p), getattr(TD, name)(**theirs_p)
    assert ours.batch_shape == tuple(theirs.batch_shape) and ours.event_shape == tuple(theirs.event_shape)
    lp, tlp = ours.log_prob(A.tensor(value)), theirs.log_prob(torch.tensor(value))
    np.testing.assert_allclose(lp.numpy(), tlp.detach().numpy(), rtol=1e-10, atol=1e-12)
    ent, tent = ours.entropy(), theirs.entropy()
    np.testing.assert_allclose(ent.numpy(), tent.detach().numpy(), rtol=1e-10, atol=1e-12)
    for attr in ("mean", "variance", "stddev"):
        np.testing.assert_allclose(getattr(ours, attr).numpy(), getattr(theirs, attr).detach().numpy(), rtol=1e-10)
    (lp.sum() + ent.sum()).backward()
    (tlp.sum() + tent.sum()).backward()
    for k in params:
        np.testing.assert_allclose(ours_p[k].grad.numpy(), theirs_p[k].grad.numpy(), rtol=1e-8, atol=1e-10, err_msg=k)


def _kl_cases():
    n = lambda: D.Normal(A.tensor(rng.standard_normal(3)), A.tensor(rng.uniform(0.5, 2, 3)))  # noqa: E731
    u = lambda: D.Uniform(A.tensor(rng.uniform(-2, -1, 3)), A.tensor(rng.uniform(1, 2, 3)))  # noqa: E731
    b = lambda: D.Bernoulli(A.tensor(rng.uniform(0.1, 0.9, 3)))  # noqa: E731
    c = lambda: D.Categorical(logits=A.tensor(rng.standard_normal((3, 4))))  # noqa: E731
    m = lambda: D.MultivariateNormal(A.tensor(rng.standard_normal(3)), A.tensor(_spd((3, 3))))  # noqa: E731
    return [(n(), n()), (u(), u()), (b(), b()), (c(), c()), (m(), m()), (u(), n()), (n(), u()),
            (D.Uniform(A.tensor([0.0, -3]), A.tensor([1.0, 3])), D.Uniform(A.tensor([-1.0, -1]), A.tensor([2.0, 1])))]


def _torch_twin(d):
    if isinstance(d, D.Normal):
        return TD.Normal(torch.tensor(d.loc.numpy()), torch.tensor(d.scale.numpy()))
    if isinstance(d, D.Uniform):
        return TD.Uniform(torch.tensor(d.low.numpy()), torch.tensor(d.high.numpy()))
    if isinstance(d, D.Bernoulli):
        return TD.Bernoulli(torch.tensor(d.probs.numpy()))
    if isinstance(d, D.Categorical):
        return TD.Categorical(logits=torch.tensor(d.logits.numpy()))
    return TD.MultivariateNormal(torch.tensor(d.loc.numpy()), scale_tril=torch.tensor(d.scale_tril.numpy()))


@pytest.mark.parametrize("p,q", _kl_cases())
def test_kl_divergence_matches_torch(p, q):
    ours = D.kl_divergence(p, q)
    theirs = TD.kl_divergence(_torch_twin(p), _torch_twin(q))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)


def test_kl_registry_covers_torchs_pairs_among_these():
    names = {"Normal", "Uniform", "Bernoulli", "Categorical", "MultivariateNormal"}
    theirs = {(p.__name__, q.__name__) for p, q in TD.kl._KL_REGISTRY if p.__name__ in names and q.__name__ in names}
    ours = {(p.__name__, q.__name__) for p, q in D.kl._KL_REGISTRY}
    assert theirs <= ours
    with pytest.raises(NotImplementedError, match="No KL"):
        D.kl_divergence(D.Bernoulli(A.tensor(0.5)), D.Normal(0.0, 1.0))


def test_rsample_gradients_and_sample_statistics():
    loc = A.tensor([1.0, -2.0], dtype=A.float64, requires_grad=True)
    scale = A.tensor([0.5, 2.0], dtype=A.float64, requires_grad=True)
    A.manual_seed(0)
    x = D.Normal(loc, scale).rsample((20000,))
    assert x.shape == (20000, 2)
    np.testing.assert_allclose(x.numpy().mean(0), [1, -2], atol=0.05)
    np.testing.assert_allclose(x.numpy().std(0), [0.5, 2], rtol=0.03)
    x.mean(0).sum().backward()  # d mean(loc + scale eps)/d loc = 1
    np.testing.assert_allclose(loc.grad.numpy(), [1, 1])
    assert not D.Normal(loc, scale).sample((3,)).requires_grad
    cov = A.tensor(_spd((2, 2)))
    mv = D.MultivariateNormal(A.zeros(2, dtype=A.float64), cov).rsample((40000,)).numpy()
    np.testing.assert_allclose(np.cov(mv.T), cov.numpy(), rtol=0.1, atol=0.1)
    c = D.Categorical(probs=A.tensor([0.1, 0.6, 0.3])).sample((30000,)).numpy()
    np.testing.assert_allclose(np.bincount(c, minlength=3) / c.size, [0.1, 0.6, 0.3], atol=0.02)
    b = D.Bernoulli(A.tensor([0.2, 0.9])).sample((30000,)).numpy()
    np.testing.assert_allclose(b.mean(0), [0.2, 0.9], atol=0.02)
    u = D.Uniform(A.tensor(-1.0), A.tensor(3.0)).sample((10,))
    assert u.shape == (10,) and ((u.numpy() >= -1) & (u.numpy() < 3)).all()


def test_validation_errors():
    with pytest.raises(ValueError, match="Expected parameter scale"):
        D.Normal(0.0, -1.0)
    with pytest.raises(ValueError, match="Expected parameter probs"):
        D.Bernoulli(A.tensor(1.5))
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        D.Categorical()
    with pytest.raises(ValueError, match="Exactly one of covariance_matrix"):
        D.MultivariateNormal(A.zeros(2))
    with pytest.raises(ValueError, match="the support"):
        D.Bernoulli(A.tensor(0.5)).log_prob(A.tensor(0.5))
    D.Normal(0.0, -1.0, validate_args=False)
