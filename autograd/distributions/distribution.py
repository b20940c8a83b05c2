"""``Distribution``: the base of ``autograd.distributions`` (as ``torch.distributions.Distribution``).

A distribution has a ``batch_shape`` (independent parameter sets) and an ``event_shape`` (the shape of one
draw); ``sample(sample_shape)`` has shape sample_shape + batch_shape + event_shape. ``rsample`` (where
``has_rsample``) is differentiable in the parameters (the reparameterization trick); ``sample`` is not.
"""

from __future__ import annotations

import numpy as np

from ..creation import tensor
from ..dtypes import get_default_dtype
from ..grad_mode import no_grad
from ..ops.elementwise import exp, sqrt
from ..ops.shape import broadcast_to
from ..tensor import Tensor

__all__ = ["Distribution"]


def broadcast_all(*values) -> tuple:
    """Tensors (numbers become default-dtype tensors, like the tensors' dtype if any) broadcast together."""
    dtype = next((v.dtype for v in values if isinstance(v, Tensor) and v.dtype.kind == "f"), get_default_dtype())
    ts = [v if isinstance(v, Tensor) else tensor(np.asarray(v, dtype=dtype)) for v in values]
    shape = np.broadcast_shapes(*(t.shape for t in ts))
    return tuple(t if t.shape == shape else broadcast_to(t, shape) for t in ts)


def check(ok, name: str, constraint: str, value, validate: bool) -> None:
    """Raise PyTorch's ValueError when a parameter (or value) breaks its constraint."""
    if validate and not bool(np.all(ok.numpy() if isinstance(ok, Tensor) else ok)):
        raise ValueError(f"Expected parameter {name} ({type(value).__name__} of shape {tuple(np.shape(value))}) "
                         f"to satisfy the constraint {constraint}, but found invalid values:\n{value}")


class Distribution:
    has_rsample = False
    has_enumerate_support = False
    _validate_default = True

    def __init__(self, batch_shape=(), event_shape=(), validate_args: bool | None = None) -> None:
        self._batch_shape = tuple(batch_shape)
        self._event_shape = tuple(event_shape)
        self._validate_args = self._validate_default if validate_args is None else validate_args

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        Distribution._validate_default = bool(value)

    @property
    def batch_shape(self) -> tuple:
        return self._batch_shape

    @property
    def event_shape(self) -> tuple:
        return self._event_shape

    def _extended_shape(self, sample_shape=()) -> tuple:
        if isinstance(sample_shape, int):
            sample_shape = (sample_shape,)
        return tuple(sample_shape) + self._batch_shape + self._event_shape

    def sample(self, sample_shape=()) -> Tensor:
        """A draw of shape sample_shape + batch_shape + event_shape, outside the graph."""
        with no_grad():
            return self.rsample(sample_shape)

    def sample_n(self, n: int) -> Tensor:
        return self.sample((n,))

    def rsample(self, sample_shape=()) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no reparameterized sampler (rsample); use sample()")

    def log_prob(self, value: Tensor) -> Tensor:
        raise NotImplementedError

    def entropy(self) -> Tensor:
        raise NotImplementedError

    @property
    def mean(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement mean")

    @property
    def variance(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} does not implement variance")

    @property
    def stddev(self) -> Tensor:
        return sqrt(self.variance)

    def perplexity(self) -> Tensor:
        return exp(self.entropy())

    def __repr__(self) -> str:
        params = ", ".join(f"{k}: {tuple(getattr(self, k).shape) if getattr(self, k).numel() > 1 else getattr(self, k)}"
                           for k in self.arg_constraints)
        return f"{type(self).__name__}({params})"

    arg_constraints: tuple = ()
