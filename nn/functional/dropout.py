"""The dropouts of ``torch.nn.functional``: ``dropout``, ``dropout1d/2d/3d`` (whole channels),
``alpha_dropout`` and ``feature_alpha_dropout`` (for SELU networks). Masks come from the default generator."""

from __future__ import annotations

import numpy as np

import autograd
from autograd import Tensor, dtypes
from autograd.random import rng

from .activation import _maybe_inplace

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _mul_mask(x: Tensor, mask: Tensor) -> Tensor:
    return x * mask


def _dropout_mask(shape: tuple, p: float, dtype) -> Tensor:
    if p == 1.0:
        return autograd.from_numpy(np.zeros(shape, dtype))
    keep = rng().random(shape) >= p
    return autograd.from_numpy((keep / (1.0 - p)).astype(dtype))


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p) when ``training``; identity else."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    mask = _dropout_mask(input.shape, p, input.dtype if input.dtype.kind == "f" else dtypes.get_default_dtype())
    return _maybe_inplace(_mul_mask, input, inplace, mask)


def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool, spatial: int, name: str) -> Tensor:
    _check_p(p)
    if input.ndim not in (spatial + 1, spatial + 2):
        raise RuntimeError(
            f"{name}: Expected {spatial + 1}D or {spatial + 2}D input, but received a {input.ndim}D input "
            f"of shape {tuple(input.shape)}"
        )
    if not training or p == 0.0:
        return input
    lead = input.ndim - spatial
    shape = tuple(input.shape[:lead]) + (1,) * spatial
    return _maybe_inplace(_mul_mask, input, inplace, _dropout_mask(shape, p, input.dtype))


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Zero whole channels of an (N, C, L) or (C, L) input."""
    return _feature_dropout(input, p, training, inplace, 1, "dropout1d")


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Zero whole channels of an (N, C, H, W) or (C, H, W) input."""
    return _feature_dropout(input, p, training, inplace, 2, "dropout2d")


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Zero whole channels of an (N, C, D, H, W) or (C, D, H, W) input."""
    return _feature_dropout(input, p, training, inplace, 3, "dropout3d")


_SELU_ALPHA_PRIME = 1.7580993408473766  # scale * alpha of SELU


def _alpha_dropout(input: Tensor, p: float, training: bool, inplace: bool, mask_shape: tuple) -> Tensor:  # noqa: A002
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    keep = (rng().random(mask_shape) >= p).astype(input.dtype)
    a = 1.0 / np.sqrt((_SELU_ALPHA_PRIME**2 * p + 1) * (1 - p))
    b = (keep - 1) * (_SELU_ALPHA_PRIME * a) + _SELU_ALPHA_PRIME * a * p
    mask, shift = autograd.from_numpy((keep * a).astype(input.dtype)), autograd.from_numpy(b.astype(input.dtype))
    return _maybe_inplace(lambda x: x * mask + shift, input, inplace)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:  # noqa: A002
    """Dropout for SELU networks: dropped units are set to SELU's negative saturation and an affine correction
    keeps mean and variance (PyTorch's formula)."""
    return _alpha_dropout(input, p, training, inplace, input.shape)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,  # noqa: A002
                          inplace: bool = False) -> Tensor:
    """``alpha_dropout`` of whole channels (dim 1) of an (N, C, ...) input."""
    if input.ndim < 2:
        raise RuntimeError(f"feature_alpha_dropout: expected an input with at least 2 dims (N, C, ...), got shape "
                           f"{tuple(input.shape)}")
    return _alpha_dropout(input, p, training, inplace, tuple(input.shape[:2]) + (1,) * (input.ndim - 2))
