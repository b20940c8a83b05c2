"""``kl_divergence(p, q)`` = E_p[log p(x) - log q(x)], by the closed form registered for (type(p), type(q)),
as ``torch.distributions.kl``: ``register_kl(P, Q)`` adds one; the most specific registered pair is used."""

from __future__ import annotations

import math

import numpy as np

from ..ops.elementwise import log, where
from ..ops.shape import diagonal, expand
from ..ops.triangular import linalg_solve_triangular
from ..tensor import Tensor, _make
from .bernoulli import Bernoulli, softplus
from .categorical import Categorical
from .distribution import Distribution
from .multivariate_normal import MultivariateNormal, _mahalanobis
from .normal import Normal
from .uniform import Uniform

__all__ = ["kl_divergence", "register_kl"]

_KL_REGISTRY: dict = {}


def register_kl(type_p: type, type_q: type):
    """Decorator: ``@register_kl(P, Q) def kl(p, q): ...`` registers the KL divergence of a P from a Q."""
    def decorator(fn):
        _KL_REGISTRY[type_p, type_q] = fn
        return fn
    return decorator


def _lookup(type_p: type, type_q: type):
    matches = [(p, q) for p, q in _KL_REGISTRY if issubclass(type_p, p) and issubclass(type_q, q)]
    if not matches:
        return None
    best = min(matches, key=lambda pq: (type_p.__mro__.index(pq[0]), type_q.__mro__.index(pq[1])))
    return _KL_REGISTRY[best]


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """KL(p || q), batched over the distributions' batch shapes."""
    fn = _lookup(type(p), type(q))
    if fn is None:
        raise NotImplementedError(f"No KL(p || q) is implemented for p = {type(p).__name__}, q = "
                                  f"{type(q).__name__}")
    return fn(p, q)


def _inf_where(mask: np.ndarray, t: Tensor) -> Tensor:
    return where(_make(np.broadcast_to(mask, t.shape).copy()), _make(np.asarray(np.inf, t.dtype)), t)


def _zero_where(mask: np.ndarray, t: Tensor) -> Tensor:
    return where(_make(np.broadcast_to(mask, t.shape).copy()), _make(np.asarray(0, t.dtype)), t)


@register_kl(Normal, Normal)
def _kl_normal_normal(p: Normal, q: Normal) -> Tensor:
    """0.5 (s_p^2 / s_q^2 + (m_p - m_q)^2 / s_q^2 - 1 - log(s_p^2 / s_q^2))."""
    var_ratio = (p.scale / q.scale) ** 2
    t1 = ((p.loc - q.loc) / q.scale) ** 2
    return 0.5 * (var_ratio + t1 - 1 - log(var_ratio))


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli) -> Tensor:
    """p log(p / q) + (1 - p) log((1 - p) / (1 - q)), in logits."""
    pp, qp = p.probs.numpy(), q.probs.numpy()
    t1 = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    t1 = _zero_where(pp == 0, _inf_where(qp == 0, t1))
    t2 = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    t2 = _zero_where(pp == 1, _inf_where(qp == 1, t2))
    return t1 + t2


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p: Categorical, q: Categorical) -> Tensor:
    """sum_k p_k (log p_k - log q_k)."""
    t = p.probs * (p.logits - q.logits)
    t = _zero_where(p.probs.numpy() == 0, _inf_where(q.probs.numpy() == 0, t))
    return t.sum(-1)


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p: Uniform, q: Uniform) -> Tensor:
    """log((h_q - l_q) / (h_p - l_p)), infinite unless [l_p, h_p] lies inside [l_q, h_q]."""
    result = log((q.high - q.low) / (p.high - p.low))
    outside = (q.low.numpy() > p.low.numpy()) | (q.high.numpy() < p.high.numpy())
    return _inf_where(outside, result)


@register_kl(Uniform, Normal)
def _kl_uniform_normal(p: Uniform, q: Normal) -> Tensor:
    common = p.high - p.low
    t1 = log(math.sqrt(math.pi * 2) * q.scale / common)
    t2 = common ** 2 / 12
    t3 = ((p.high + p.low - 2 * q.loc) / 2) ** 2
    return t1 + 0.5 * (t2 + t3) / q.scale ** 2


@register_kl(Normal, Uniform)
def _kl_normal_uniform(p: Normal, q: Uniform) -> Tensor:
    """Infinite: a normal puts mass outside any interval."""
    return _make(np.full(np.broadcast_shapes(p.loc.shape, q.low.shape), np.inf, dtype=p.loc.dtype))


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p: MultivariateNormal, q: MultivariateNormal) -> Tensor:
    """0.5 (tr(S_q^-1 S_p) + mahalanobis_q(m_q - m_p) - n + log det S_q - log det S_p)."""
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two Multivariate Normals with different event shapes cannot be "
                         "computed")
    Lp, Lq = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    half_term1 = log(diagonal(Lq, 0, -2, -1)).sum(-1) - log(diagonal(Lp, 0, -2, -1)).sum(-1)
    shape = np.broadcast_shapes(Lp.shape[:-2], Lq.shape[:-2])
    n = p.event_shape[0]
    A = linalg_solve_triangular(expand(Lq, shape + (n, n)), expand(Lp, shape + (n, n)), upper=False)
    term2 = (A * A).sum((-2, -1))
    term3 = _mahalanobis(Lq, q.loc - p.loc)
    out = half_term1 + 0.5 * (term2 + term3 - n)
    return out
