"""Convolution layers: ``Conv1d``, ``Conv2d``, ``ConvTranspose1d``, ``ConvTranspose2d``, with PyTorch's
constructor arguments, parameter names (``weight``, ``bias``), default initialisation and ``repr``.

Initialisation as PyTorch: weight ~ kaiming_uniform_(a=sqrt(5)), bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), where
fan_in is computed from the weight (for transposed convolutions: weight.shape[1] * kernel area, as PyTorch).
"""

from __future__ import annotations

import autograd
from autograd.tensor import Tensor

from .. import functional as F
from .. import init
from .._utils import _ntuple
from ..module import Module
from ..parameter import Parameter

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    _nd = 2
    _transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride, padding, dilation, output_padding,
                 groups: int, bias: bool, padding_mode: str, dtype) -> None:
        super().__init__()
        nd = self._nd
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        stride = _ntuple(stride, nd, "stride")
        dilation = _ntuple(dilation, nd, "dilation")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        else:
            padding = _ntuple(padding, nd, "padding")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"padding_mode must be one of {set(_PADDING_MODES)}, but got padding_mode='{padding_mode}'"
            )
        if self._transposed and padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _ntuple(kernel_size, nd, "kernel_size")
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = self._transposed
        self.output_padding = _ntuple(output_padding, nd, "output_padding")
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad order (last dim first), for the non-zero padding modes
        if isinstance(padding, str):
            rev = [0, 0] * nd
            if padding == "same":
                for i, (d, k) in enumerate(zip(reversed(dilation), reversed(self.kernel_size))):
                    total = d * (k - 1)
                    rev[2 * i], rev[2 * i + 1] = total // 2, total - total // 2
        else:
            rev = [p for p in reversed(padding) for _ in range(2)]
        self._reversed_padding_repeated_twice = rev
        if self._transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(autograd.empty(shape, dtype=dtype))
        if bias:
            self.bias = Parameter(autograd.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init._default_weight_and_bias_(self.weight, self.bias)

    def extra_repr(self) -> str:
        nd = self._nd
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def _check_input(self, input: Tensor) -> None:
        nd = self._nd
        if not isinstance(input, Tensor):
            raise TypeError(f"{type(self).__name__}.forward expected a Tensor, got {type(input).__name__}")
        if input.ndim not in (nd + 1, nd + 2):
            raise RuntimeError(
                f"{self!r} expected a {nd + 1}-D (unbatched) or {nd + 2}-D (batched) input, got input of shape "
                f"{tuple(input.shape)}"
            )
        channels = input.shape[0] if input.ndim == nd + 1 else input.shape[1]
        if channels != self.in_channels:
            raise RuntimeError(
                f"{self!r} expected input with {self.in_channels} channels, got input of shape {tuple(input.shape)}"
            )


class _Conv(_ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, 0, groups, bias,
                         padding_mode, dtype)

    def _conv_forward(self, input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        fn = F.conv1d if self._nd == 1 else F.conv2d
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return fn(padded, weight, bias, self.stride, 0, self.dilation, self.groups)
        return fn(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        self._check_input(input)
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    """1-D convolution over (N, C_in, L) -> (N, C_out, L_out); weight (C_out, C_in / groups, k)."""

    _nd = 1


class Conv2d(_Conv):
    """2-D convolution over (N, C_in, H, W) -> (N, C_out, H_out, W_out); weight (C_out, C_in / groups, kh, kw)."""

    _nd = 2


class _ConvTranspose(_ConvNd):
    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None) -> None:
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__} does not support string padding, got padding={padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, output_padding, groups,
                         bias, padding_mode, dtype)

    def _output_padding(self, input: Tensor, output_size) -> tuple:
        if output_size is None:
            return self.output_padding
        nd = self._nd
        output_size = tuple(output_size)[-nd:] if len(output_size) > nd else tuple(output_size)
        if len(output_size) != nd:
            raise ValueError(f"{type(self).__name__}: output_size must have {nd} or {nd + 2} elements "
                             f"(got {len(output_size)})")
        res = []
        for d in range(nd):
            lo = ((input.shape[input.ndim - nd + d] - 1) * self.stride[d] - 2 * self.padding[d]
                  + self.dilation[d] * (self.kernel_size[d] - 1) + 1)
            hi = lo + self.stride[d] - 1
            if not lo <= output_size[d] <= hi:
                raise ValueError(f"requested an output size of {list(output_size)}, but valid sizes range from "
                                 f"{lo} to {hi} in dimension {d} (for an input of {list(input.shape[-nd:])})")
            res.append(output_size[d] - lo)
        return tuple(res)

    def forward(self, input: Tensor, output_size=None) -> Tensor:  # noqa: A002
        self._check_input(input)
        fn = F.conv_transpose1d if self._nd == 1 else F.conv_transpose2d
        out_pad = self._output_padding(input, output_size)
        return fn(input, self.weight, self.bias, self.stride, self.padding, out_pad, self.groups, self.dilation)


class ConvTranspose1d(_ConvTranspose):
    """1-D transposed convolution; weight (C_in, C_out / groups, k)."""

    _nd = 1


class ConvTranspose2d(_ConvTranspose):
    """2-D transposed convolution; weight (C_in, C_out / groups, kh, kw)."""

    _nd = 2
