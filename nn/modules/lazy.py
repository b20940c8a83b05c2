"""Lazy layers, as ``torch.nn``: ``LazyConv1d``/``LazyConv2d`` take ``in_channels`` and
``LazyBatchNorm1d``/``LazyBatchNorm2d`` ``num_features`` from the first input, then initialise their parameters
(PyTorch's way) and become the plain layer. A lazy convolution loading a state dict takes the loaded shapes."""

from __future__ import annotations

import autograd
from autograd.tensor import Tensor

from .. import init
from ..parameter import Buffer, UninitializedParameter
from .conv import Conv1d, Conv2d
from .normalization import BatchNorm1d, BatchNorm2d

__all__ = ["LazyConv1d", "LazyConv2d", "LazyBatchNorm1d", "LazyBatchNorm2d"]


class _LazyConv:
    cls_to_become: type = Conv2d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1, groups: int = 1,
                 bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None) -> None:
        self.__dict__["_building"] = True
        self.cls_to_become.__init__(self, groups, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                                    padding_mode, dtype=dtype)
        self.in_channels = 0
        self.weight = UninitializedParameter(dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)
        del self.__dict__["_building"]

    def has_uninitialized_params(self) -> bool:
        return any(isinstance(p, UninitializedParameter) for p in self._parameters.values())

    def reset_parameters(self) -> None:
        # the constructor's call (on placeholder shapes) draws nothing, as PyTorch's lazy modules
        if not self.has_uninitialized_params() and self.in_channels != 0 and not self.__dict__.get("_building"):
            self.cls_to_become.reset_parameters(self)

    def initialize_parameters(self, input: Tensor) -> None:  # noqa: A002
        if self.has_uninitialized_params():
            nd = self._nd
            if input.ndim not in (nd + 1, nd + 2):
                raise RuntimeError(f"{type(self).__name__} expected a {nd + 1}-D (unbatched) or {nd + 2}-D "
                                   f"(batched) input, got input of shape {tuple(input.shape)}")
            self.in_channels = input.shape[0] if input.ndim == nd + 1 else input.shape[1]
            if self.in_channels % self.groups:
                raise ValueError("in_channels must be divisible by groups")
            self.weight.materialize((self.out_channels, self.in_channels // self.groups) + self.kernel_size)
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        self.initialize_parameters(input)
        self.__class__ = self.cls_to_become
        return self.forward(input)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs) -> None:
        for name, p in self._parameters.items():
            key = prefix + name
            if isinstance(p, UninitializedParameter) and key in state_dict:
                p.materialize(tuple(state_dict[key].shape))
                if name == "weight":
                    self.in_channels = p.shape[1] * self.groups
        self.cls_to_become._load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                                                 unexpected_keys, error_msgs)


class LazyConv1d(_LazyConv, Conv1d):
    """A ``Conv1d`` whose ``in_channels`` comes from the first input."""

    cls_to_become = Conv1d


class LazyConv2d(_LazyConv, Conv2d):
    """A ``Conv2d`` whose ``in_channels`` comes from the first input."""

    cls_to_become = Conv2d


class _LazyBatchNorm:
    """A batch norm whose ``num_features`` comes from the first input (dim 1), then a ``BatchNorm1d/2d``."""

    cls_to_become: type = BatchNorm2d

    def __init__(self, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None) -> None:
        self.cls_to_become.__init__(self, 1, eps, momentum, affine, track_running_stats, dtype=dtype)
        self.num_features = 0
        self._lazy_dtype = dtype
        for name in ("weight", "bias"):
            if self._parameters.get(name) is not None:
                setattr(self, name, UninitializedParameter(dtype=dtype))

    def has_uninitialized_params(self) -> bool:
        return any(isinstance(p, UninitializedParameter) for p in self._parameters.values())

    def initialize_parameters(self, input: Tensor) -> None:  # noqa: A002
        if self.num_features == 0:
            if input.ndim < 2:
                raise RuntimeError(f"{type(self).__name__} expected an input with a channel dim (N, C, ...), got "
                                   f"shape {tuple(input.shape)}")
            self.num_features = c = input.shape[1]
            if self.affine:
                self.weight.materialize((c,))
                self.bias.materialize((c,))
                init.ones_(self.weight)
                init.zeros_(self.bias)
            if self.track_running_stats:
                self.running_mean = Buffer(autograd.zeros(c, dtype=self._lazy_dtype))
                self.running_var = Buffer(autograd.ones(c, dtype=self._lazy_dtype))

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        self.initialize_parameters(input)
        del self.__dict__["_lazy_dtype"]
        self.__class__ = self.cls_to_become
        return self.forward(input)


class LazyBatchNorm1d(_LazyBatchNorm, BatchNorm1d):
    """A ``BatchNorm1d`` whose ``num_features`` comes from the first input."""

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyBatchNorm, BatchNorm2d):
    """A ``BatchNorm2d`` whose ``num_features`` comes from the first input."""

    cls_to_become = BatchNorm2d
