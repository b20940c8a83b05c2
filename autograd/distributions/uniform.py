"""``Uniform(low, high)``: density 1 / (high - low) on [low, high)."""

from __future__ import annotations

from ..ops.elementwise import log, where
from ..random import rand
from ..tensor import Tensor
from .distribution import Distribution, broadcast_all, check

__all__ = ["Uniform"]


class Uniform(Distribution):
    has_rsample = True
    arg_constraints = ("low", "high")

    def __init__(self, low, high, validate_args: bool | None = None) -> None:
        self.low, self.high = broadcast_all(low, high)
        super().__init__(self.low.shape, (), validate_args)
        check(self.low < self.high, "low", "LessThan(high)", self.low, self._validate_args)

    @property
    def mean(self) -> Tensor:
        return (self.high + self.low) / 2

    @property
    def stddev(self) -> Tensor:
        return (self.high - self.low) / 12 ** 0.5

    @property
    def variance(self) -> Tensor:
        return (self.high - self.low) ** 2 / 12

    def rsample(self, sample_shape=()) -> Tensor:
        """low + u (high - low), u ~ U[0, 1)."""
        u = rand(self._extended_shape(sample_shape), dtype=self.low.dtype)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value) -> Tensor:
        """-log(high - low) inside [low, high), -inf outside."""
        inside = (self.low <= value) & (self.high > value)
        lp = -log(self.high - self.low)
        return where(inside, lp, lp * 0 - float("inf"))

    def cdf(self, value) -> Tensor:
        return ((value - self.low) / (self.high - self.low)).clamp(0, 1)

    def entropy(self) -> Tensor:
        """log(high - low)."""
        return log(self.high - self.low)
