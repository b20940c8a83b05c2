"""Functional forms of the linear layers of ``torch.nn.functional``: ``linear``, ``bilinear``, ``identity``.

``linear`` checks its arguments here and runs as one op, ``autograd.ops.linear``.
"""

from __future__ import annotations

import numpy as np

from autograd import Tensor
from autograd.ops import linear as ops

__all__ = ["linear", "bilinear", "identity"]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """x W^T + b for ``weight`` of shape (out_features, in_features) and any number of leading dims of x."""
    if weight.ndim != 2:
        raise RuntimeError(f"linear: weight must be 2-D (out_features, in_features), got shape {tuple(weight.shape)}")
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        rows = int(np.prod(input.shape[:-1])) if input.ndim else 1
        cols = input.shape[-1] if input.ndim else 1
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{cols} and {weight.shape[1]}x{weight.shape[0]}): "
            f"input of shape {tuple(input.shape)}, weight of shape {tuple(weight.shape)}"
        )
    if input.dtype != weight.dtype:
        # PyTorch refuses mixed dtypes here as `float32 @ float64` does; casting silently would hide the mistake
        layer = f", or the layer with .to(autograd.{input.dtype})" if input.dtype.kind == "f" else ""
        raise RuntimeError(
            f"mat1 and mat2 must have the same dtype, but got {input.dtype} (input) and {weight.dtype} (weight); "
            f"convert the input with .to(autograd.{weight.dtype}){layer}"
        )
    if bias is not None and bias.shape not in ((weight.shape[0],), ()):
        raise RuntimeError(f"linear: bias of shape {tuple(bias.shape)} does not match weight {tuple(weight.shape)}")
    return ops.linear(input, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y_k = x1^T A_k x2 + b_k for ``weight`` A of shape (out, in1, in2)."""
    out_f, in1, in2 = weight.shape
    if input1.shape[-1] != in1 or input2.shape[-1] != in2 or input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(
            f"bilinear: input1 {tuple(input1.shape)} and input2 {tuple(input2.shape)} do not match weight "
            f"{tuple(weight.shape)} (expected last dims {in1} and {in2} and equal leading dims)"
        )
    t = input1.matmul(weight.permute(1, 0, 2).reshape(in1, out_f * in2))
    t = t.reshape(*input1.shape[:-1], out_f, in2)
    y = (t * input2.unsqueeze(-2)).sum(-1)
    return y if bias is None else y + bias


def identity(input: Tensor) -> Tensor:  # noqa: A002
    return input
