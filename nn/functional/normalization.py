"""Normalization: ``batch_norm``, ``layer_norm``, ``group_norm`` (PyTorch's arguments and semantics).

Training-mode batch norm normalizes with the batch's biased variance and updates the running statistics in
place with the unbiased one, as PyTorch does. The differentiable op is ``autograd.ops.norm.Normalize``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from autograd.graph import increment_version
from autograd.ops.norm import Normalize, batch_norm_spec, group_norm_spec, layer_norm_spec
from autograd.tensor import Tensor

__all__ = ["batch_norm", "layer_norm", "group_norm"]


def _check_tensor(fname: str, name: str, t, dtype=None) -> None:
    if t is None:
        return
    if not isinstance(t, Tensor):
        raise TypeError(f"{fname}(): argument '{name}' must be a Tensor, not {type(t).__name__}")
    if dtype is not None and t.dtype != dtype:
        raise RuntimeError(f"{fname}: expected {name} to have dtype {dtype} (the input's), but got {t.dtype}")


def _check_affine(fname: str, x: Tensor, weight, bias, shape: tuple) -> None:
    for name, t in (("weight", weight), ("bias", bias)):
        _check_tensor(fname, name, t, x.dtype)
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"{fname}: expected {name} of shape {list(shape)}, but got {list(t.shape)}")


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Normalize each channel (dim 1) over the batch and spatial dims; see the module docstring."""
    _check_tensor("batch_norm", "input", input)
    if not isinstance(momentum, (int, float)):
        raise TypeError(f"batch_norm(): argument 'momentum' must be float, not {type(momentum).__name__} (the "
                        "modules turn momentum=None into the cumulative-average factor before calling this)")
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected an input with at least 2 dims (N, C, ...), got {list(input.shape)}")
    if input.dtype.kind != "f":
        raise RuntimeError(f"batch_norm: expected a floating point input, but got dtype {input.dtype}")
    c = input.shape[1]
    _check_affine("batch_norm", input, weight, bias, (c,))
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        _check_tensor("batch_norm", name, t)
        if t is not None and tuple(t.shape) != (c,):
            raise RuntimeError(f"batch_norm: expected {name} of shape [{c}] for an input of shape "
                               f"{list(input.shape)}, but got {list(t.shape)}")
    if not training:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var must be given when training=False")
        shape = (1, c) + (1,) * (input.ndim - 2)
        rm = running_mean.to(input.dtype).reshape(shape)
        scale = (running_var.to(input.dtype).reshape(shape) + eps).rsqrt()
        if weight is not None:
            scale = scale * weight.reshape(shape)
        out = (input - rm) * scale
        return out + bias.reshape(shape) if bias is not None else out
    n = input.numel() // c
    if n <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {list(input.shape)}")
    out, mean, var = Normalize.apply(input, weight, bias, batch_norm_spec(tuple(input.shape), eps))
    if running_mean is not None:
        _update(running_mean, mean.numpy(), momentum)
    if running_var is not None:
        _update(running_var, var.numpy() * (n / (n - 1)), momentum)
    return out


def _update(buf: Tensor, value: np.ndarray, momentum: float) -> None:
    """buf = (1 - momentum) buf + momentum value, in place (bumps the version, as an in-place op does)."""
    data = buf.numpy()
    data *= 1 - momentum
    data += (momentum * value).astype(data.dtype, copy=False)
    increment_version(buf)


def layer_norm(input: Tensor, normalized_shape: int | Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalize over the trailing ``normalized_shape`` dims of ``input``."""
    _check_tensor("layer_norm", "input", input)
    shape = (int(normalized_shape),) if isinstance(normalized_shape, (int, np.integer)) else tuple(
        int(s) for s in normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[input.ndim - k:]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape [*, "
                           f"{', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    if input.dtype.kind != "f":
        raise RuntimeError(f"layer_norm: expected a floating point input, but got dtype {input.dtype}")
    _check_affine("layer_norm", input, weight, bias, shape)
    out, _, _ = Normalize.apply(input, weight, bias, layer_norm_spec(tuple(input.shape), shape, eps))
    return out


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalize (N, C, *) over each group of C / num_groups channels and the spatial dims."""
    _check_tensor("group_norm", "input", input)
    if input.ndim < 2:
        raise RuntimeError(f"group_norm: expected an input with at least 2 dims (N, C, ...), got {list(input.shape)}")
    c = input.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(input.shape)} and num_groups={num_groups}")
    if input.dtype.kind != "f":
        raise RuntimeError(f"group_norm: expected a floating point input, but got dtype {input.dtype}")
    _check_affine("group_norm", input, weight, bias, (c,))
    out, _, _ = Normalize.apply(input, weight, bias, group_norm_spec(tuple(input.shape), num_groups, eps))
    return out
