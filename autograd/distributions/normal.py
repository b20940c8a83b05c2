"""``Normal(loc, scale)``: density exp(-(x - loc)^2 / (2 scale^2)) / (scale sqrt(2 pi))."""

from __future__ import annotations

import math

from ..ops.elementwise import log
from ..random import randn
from ..tensor import Tensor
from .distribution import Distribution, broadcast_all, check

__all__ = ["Normal"]


class Normal(Distribution):
    has_rsample = True
    arg_constraints = ("loc", "scale")

    def __init__(self, loc, scale, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, (), validate_args)
        check(self.scale > 0, "scale", "GreaterThan(lower_bound=0.0)", self.scale, self._validate_args)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.scale ** 2

    def rsample(self, sample_shape=()) -> Tensor:
        """loc + scale * eps, eps ~ N(0, 1)."""
        eps = randn(self._extended_shape(sample_shape), dtype=self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value) -> Tensor:
        """-(value - loc)^2 / (2 scale^2) - log(scale) - log(sqrt(2 pi))."""
        var = self.scale ** 2
        return -((value - self.loc) ** 2) / (2 * var) - log(self.scale) - math.log(math.sqrt(2 * math.pi))

    def entropy(self) -> Tensor:
        """0.5 + 0.5 log(2 pi) + log(scale)."""
        return 0.5 + 0.5 * math.log(2 * math.pi) + log(self.scale)
