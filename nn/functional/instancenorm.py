"""``instance_norm`` and ``rms_norm`` (PyTorch's arguments and semantics).

Instance norm normalizes each (sample, channel) over its spatial dims (a group norm with one channel per
group); with running statistics it updates them with the batch average of the per-instance mean and unbiased
variance, as PyTorch does, and ``use_input_stats=False`` normalizes with them instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

import autograd
from autograd.ops.norm import Normalize, group_norm_spec
from autograd.tensor import Tensor

from .normalization import _check_affine, _check_tensor, _update, batch_norm

__all__ = ["instance_norm", "rms_norm"]


def instance_norm(input: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,  # noqa: A002
                  weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """y = (x - mean) / sqrt(var + eps) * weight + bias, mean/var over the spatial dims of each (n, c)."""
    _check_tensor("instance_norm", "input", input)
    if input.ndim < 3:
        raise ValueError(f"instance_norm: expected an input with at least 3 dims (N, C, *), got {list(input.shape)}")
    if input.dtype.kind != "f":
        raise RuntimeError(f"instance_norm: expected a floating point input, but got dtype {input.dtype}")
    c = input.shape[1]
    _check_affine("instance_norm", input, weight, bias, (c,))
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    spatial = int(np.prod(input.shape[2:]))
    if spatial <= 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {list(input.shape)}")
    out, _, _ = Normalize.apply(input, None, None, group_norm_spec(tuple(input.shape), c, eps))
    shape = (1, c) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    if running_mean is not None or running_var is not None:
        x = input.numpy().reshape(input.shape[0], c, spatial).astype(np.float64)
        if running_mean is not None:
            _update(running_mean, x.mean(2).mean(0), momentum)
        if running_var is not None:
            _update(running_var, x.var(2, ddof=1).mean(0), momentum)
    return out


def rms_norm(input: Tensor, normalized_shape: int | Sequence[int], weight: Tensor | None = None,  # noqa: A002
             eps: float | None = None) -> Tensor:
    """y = x / sqrt(mean(x^2 over the last len(normalized_shape) dims) + eps) * weight; eps defaults to the
    dtype's machine epsilon, as PyTorch's."""
    _check_tensor("rms_norm", "input", input)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(shape):]) != shape or len(shape) > input.ndim:
        raise RuntimeError(f"rms_norm: expected input with shape [*, {', '.join(map(str, shape))}], but got input "
                           f"of size {list(input.shape)}")
    _check_affine("rms_norm", input, weight, None, shape)
    if eps is None:
        eps = float(np.finfo(input.dtype).eps)
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    out = input * autograd.rsqrt((input * input).mean(dim=dims, keepdim=True) + eps)
    return out * weight if weight is not None else out
