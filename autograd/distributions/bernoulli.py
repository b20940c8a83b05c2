"""``Bernoulli(probs=None, logits=None)``: P(1) = probs = sigmoid(logits)."""

from __future__ import annotations

import numpy as np

from ..ops.elementwise import abs as _abs
from ..ops.elementwise import exp, log, log1p, relu, sigmoid
from ..random import rng
from ..tensor import Tensor, _make
from .distribution import Distribution, broadcast_all, check

__all__ = ["Bernoulli"]


def softplus(x: Tensor) -> Tensor:
    """log(1 + e^x), stable for large |x|."""
    return relu(x) + log1p(exp(-_abs(x)))


def bce_with_logits(logits: Tensor, target) -> Tensor:
    """-(target log sigmoid(logits) + (1 - target) log(1 - sigmoid(logits)))."""
    return relu(logits) - logits * target + log1p(exp(-_abs(logits)))


def probs_to_logits(probs: Tensor) -> Tensor:
    eps = float(np.finfo(probs.dtype).eps)
    p = probs.clamp(eps, 1 - eps)
    return log(p) - log1p(-p)


class Bernoulli(Distribution):
    arg_constraints = ("probs",)

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
            self.logits = probs_to_logits(self.probs)
            shape = self.probs.shape
        else:
            (self.logits,) = broadcast_all(logits)
            self.probs = sigmoid(self.logits)
            shape = self.logits.shape
        super().__init__(shape, (), validate_args)
        if probs is not None:
            check((self.probs >= 0) & (self.probs <= 1), "probs", "Interval(lower_bound=0.0, upper_bound=1.0)",
                  self.probs, self._validate_args)

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        p = np.broadcast_to(self.probs.numpy(), shape)
        return _make((rng(None).random(shape) < p).astype(self.probs.dtype))

    def log_prob(self, value) -> Tensor:
        """-BCEWithLogits(logits, value)."""
        v = value.numpy() if isinstance(value, Tensor) else np.asarray(value)
        check((v == 0) | (v == 1), "value", "Boolean() (the support)", value, self._validate_args)
        return -bce_with_logits(self.logits, value)

    def entropy(self) -> Tensor:
        """BCEWithLogits(logits, probs)."""
        return bce_with_logits(self.logits, self.probs)
