"""``Categorical(probs=None, logits=None)``: P(k) = probs[..., k], normalized over the last dim."""

from __future__ import annotations

import numpy as np

from ..ops.elementwise import log
from ..ops.indexing import gather
from ..ops.reduce import logsumexp, softmax
from ..random import rng
from ..tensor import Tensor, _make
from .distribution import Distribution, check

__all__ = ["Categorical"]


class Categorical(Distribution):
    arg_constraints = ("probs",)
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.ndim < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            check((probs >= 0), "probs", "Simplex()", probs, validate_args is not False and self._validate_default)
            self.probs = probs / probs.sum(-1, keepdim=True)
            eps = float(np.finfo(self.probs.dtype).eps)
            self.logits = log(self.probs.clamp(eps, 1 - eps))
        else:
            if logits.ndim < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logsumexp(logits, -1, keepdim=True)
            self.probs = softmax(self.logits, -1)
        self._num_events = self.probs.shape[-1]
        super().__init__(self.probs.shape[:-1], (), validate_args)

    @property
    def param_shape(self) -> tuple:
        return self.probs.shape

    @property
    def mean(self) -> Tensor:
        return _make(np.full(self._batch_shape, np.nan, dtype=self.probs.dtype))

    @property
    def variance(self) -> Tensor:
        return _make(np.full(self._batch_shape, np.nan, dtype=self.probs.dtype))

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(-1)

    def sample(self, sample_shape=()) -> Tensor:
        """Indices drawn with probability probs (inverse CDF of one uniform draw each)."""
        shape = self._extended_shape(sample_shape)
        cdf = np.cumsum(self.probs.numpy().astype(np.float64), -1)
        cdf = np.broadcast_to(cdf, shape + (self._num_events,))
        u = rng(None).random(shape)[..., None] * cdf[..., -1:]
        return _make(np.minimum((cdf <= u).sum(-1), self._num_events - 1).astype(np.int64))

    def log_prob(self, value) -> Tensor:
        """logits[..., value] (the normalized log-probability of class ``value``)."""
        v = value.numpy() if isinstance(value, Tensor) else np.asarray(value)
        check((v >= 0) & (v < self._num_events) & (v == np.floor(v)), "value",
              f"IntegerInterval(lower_bound=0, upper_bound={self._num_events - 1}) (the support)", value,
              self._validate_args)
        v = v.astype(np.int64)[..., None]
        shape = np.broadcast_shapes(v.shape[:-1], self.logits.shape[:-1])
        logits = self.logits.expand(shape + (self._num_events,))
        idx = np.broadcast_to(v, shape + (1,)).copy()
        return gather(logits, -1, _make(idx)).squeeze(-1)

    def entropy(self) -> Tensor:
        """-sum_k probs_k logits_k."""
        logits = self.logits.clamp(min=float(np.finfo(self.logits.dtype).min))
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = np.arange(self._num_events, dtype=np.int64).reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = np.broadcast_to(values, (self._num_events,) + self._batch_shape).copy()
        return _make(values)
