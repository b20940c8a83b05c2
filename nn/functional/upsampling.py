"""``interpolate`` (and ``upsample``): resize the spatial dims of (N, C, L) or (N, C, H, W) input, as PyTorch.

Modes: 'nearest' (source index floor(dst * scale)), 'nearest-exact' (floor((dst + 0.5) * scale)), 'linear' /
'bilinear' (src = (dst + 0.5) * scale - 0.5 clamped at 0, or dst * (in - 1) / (out - 1) with
``align_corners=True``), and 'area' (adaptive average pooling). ``scale`` is in/out, or 1/scale_factor when a
scale factor is given and ``recompute_scale_factor`` is not True. Every mode is index_select and arithmetic,
so gradients flow; bilinear is linear along W then along H, PyTorch's order of operations.
"""

from __future__ import annotations

import math

import numpy as np

import autograd
from autograd.tensor import Tensor

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear"]

_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "area")


def _sizes(x: Tensor, size, scale_factor, recompute: bool | None) -> tuple[list[int], list[float | None]]:
    k = x.ndim - 2
    if (size is None) == (scale_factor is None):
        raise ValueError("either size or scale_factor should be defined, and only one of them")
    if size is not None:
        sizes = [int(size)] * k if not isinstance(size, (tuple, list)) else [int(s) for s in size]
        if len(sizes) != k:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input "
                             f"with spatial dimensions of {list(x.shape[2:])} and output size of {sizes}. Please "
                             f"provide input tensor in (N, C, d1, d2, ...,dK) format and output size in "
                             f"(o1, o2, ...,oK) format.")
        return sizes, [None] * k
    factors = [float(scale_factor)] * k if not isinstance(scale_factor, (tuple, list)) else \
        [float(s) for s in scale_factor]
    if len(factors) != k:
        raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got input "
                         f"with spatial dimensions of {list(x.shape[2:])} and scale_factor of shape {factors}.")
    sizes = [int(math.floor(n * f)) for n, f in zip(x.shape[2:], factors)]
    return sizes, ([None] * k if recompute else factors)


def _scale(n_in: int, n_out: int, factor: float | None, align_corners: bool) -> float:
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1.0 / factor if factor is not None and factor > 0 else n_in / n_out


def _nearest(x: Tensor, d: int, n_out: int, factor, exact: bool) -> Tensor:
    n_in = x.shape[d]
    scale = _scale(n_in, n_out, factor, False)
    dst = np.arange(n_out, dtype=np.float32)
    src = np.floor((dst + 0.5) * np.float32(scale)) if exact else np.floor(dst * np.float32(scale))
    idx = np.minimum(src.astype(np.int64), n_in - 1)
    return x.index_select(d, autograd.tensor(idx))


def _linear(x: Tensor, d: int, n_out: int, factor, align_corners: bool) -> Tensor:
    n_in = x.shape[d]
    # index arithmetic in the input's precision (float32 for float32), as PyTorch's kernels do
    op = np.float64 if x.dtype == np.float64 else np.float32
    scale = op(_scale(n_in, n_out, factor, align_corners))
    dst = np.arange(n_out).astype(op)
    src = dst * scale if align_corners else np.maximum(scale * (dst + op(0.5)) - op(0.5), op(0))
    i0 = np.minimum(src.astype(np.int64), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    lam1 = np.clip(src - i0.astype(op), 0, 1).astype(op)
    lam0 = (op(1) - lam1).astype(x.dtype)
    lam1 = lam1.astype(x.dtype)
    shape = [1] * x.ndim
    shape[d] = n_out
    l0, l1 = autograd.tensor(lam0.reshape(shape)), autograd.tensor(lam1.reshape(shape))
    return x.index_select(d, autograd.tensor(i0)) * l0 + x.index_select(d, autograd.tensor(i1)) * l1


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",  # noqa: A002
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize the spatial dims of ``input`` to ``size`` or by ``scale_factor`` with ``mode`` (see module doc)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate(): argument 'input' must be a Tensor, not {type(input).__name__}")
    if mode not in _MODES:
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported by numbagrad (supported: "
                                  f"{', '.join(_MODES)})")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported by numbagrad")
    if input.ndim not in (3, 4):
        raise NotImplementedError(f"interpolate: expected a 3-D (N, C, L) or 4-D (N, C, H, W) input, got "
                                  f"{input.ndim}-D input of shape {list(input.shape)}")
    linear = mode in ("linear", "bilinear")
    if linear and mode != ("linear" if input.ndim == 3 else "bilinear"):
        want = "linear" if input.ndim == 3 else "bilinear"
        raise NotImplementedError(f"interpolate: got {input.ndim}D input, but {mode} mode needs "
                                  f"{'3D' if mode == 'linear' else '4D'} input (use mode={want!r})")
    if align_corners is not None and not linear:
        raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear | "
                         "bicubic | trilinear")
    sizes, factors = _sizes(input, size, scale_factor, recompute_scale_factor)
    if any(s <= 0 for s in sizes):
        raise ValueError(f"interpolate: the output size {sizes} must be positive (input shape "
                         f"{list(input.shape)})")
    if mode == "area":
        from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d

        pool = adaptive_avg_pool1d if input.ndim == 3 else adaptive_avg_pool2d
        return pool(input, sizes[0] if input.ndim == 3 else tuple(sizes))
    if input.dtype.kind != "f" and linear:
        raise RuntimeError(f"interpolate: {mode} mode needs a floating point input, got dtype {input.dtype}")
    out = input
    for d in reversed(range(2, input.ndim)):  # last spatial dim first (PyTorch's order of operations)
        n_out, f = sizes[d - 2], factors[d - 2]
        if linear:
            out = _linear(out, d, n_out, f, bool(align_corners))
        else:
            out = _nearest(out, d, n_out, f, mode == "nearest-exact")
    return out


def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest",  # noqa: A002
             align_corners: bool | None = None) -> Tensor:
    """The deprecated name of ``interpolate``."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:  # noqa: A002
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:  # noqa: A002
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
