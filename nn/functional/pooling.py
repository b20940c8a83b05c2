"""Pooling: ``max_pool1d/2d``, ``avg_pool1d/2d``, ``adaptive_avg_pool1d/2d`` (PyTorch's arguments and sizes).

Argument checking and output-size arithmetic live here; the differentiable ops are in ``autograd.ops.pool``.
"""

from __future__ import annotations

from autograd.ops.pool import MaxPool, PoolGeom, adaptive_avg_pool, avg_pool
from autograd.tensor import Tensor

from .._utils import _ntuple

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d"]


def pool_output_size(size: int, k: int, pad: int, stride: int, dilation: int, ceil_mode: bool) -> int:
    """PyTorch's ``pooling_output_shape``: the last window must start inside the input or its left padding."""
    span = size + 2 * pad - dilation * (k - 1) - 1 + (stride - 1 if ceil_mode else 0)
    out = span // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _check_input(x, nd: int, fname: str) -> bool:
    """True when ``x`` is unbatched."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{fname}(): argument 'input' must be a Tensor, not {type(x).__name__}")
    if x.ndim not in (nd + 1, nd + 2) or x.numel() == 0:
        raise RuntimeError(
            f"{fname}: non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input, but got input of "
            f"size {list(x.shape)}"
        )
    if x.dtype.kind != "f":
        raise RuntimeError(f"{fname}: expected a floating point input, but got dtype {x.dtype}")
    return x.ndim == nd + 1


def _geometry(x, nd, fname, kernel_size, stride, padding, dilation, ceil_mode) -> PoolGeom:
    k = _ntuple(kernel_size, nd, "kernel_size", single_repeats=True)
    s = k if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) else _ntuple(
        stride, nd, "stride", single_repeats=True)
    p = _ntuple(padding, nd, "padding", single_repeats=True)
    d = _ntuple(dilation, nd, "dilation", single_repeats=True)
    if any(v <= 0 for v in k) or any(v <= 0 for v in s) or any(v <= 0 for v in d):
        raise RuntimeError(f"{fname}: kernel_size, stride and dilation must be greater than zero, but got "
                           f"kernel_size={k}, stride={s}, dilation={d}")
    for pp, kk in zip(p, k):
        if pp < 0 or pp > kk // 2:
            raise RuntimeError(f"{fname}: pad should be at most half of kernel size, but got pad={pp} and "
                               f"kernel_size={kk}")
    in_sp = x.shape[-nd:]
    out = tuple(pool_output_size(i, kk, pp, ss, dd, ceil_mode) for i, kk, pp, ss, dd in zip(in_sp, k, p, s, d))
    if any(o < 1 for o in out):
        c = x.shape[-nd - 1]
        raise RuntimeError(f"{fname}: Given input size: ({'x'.join(map(str, (c,) + in_sp))}). Calculated output "
                           f"size: ({'x'.join(map(str, (c,) + out))}). Output size is too small")
    if nd == 1:
        return PoolGeom(1, (1,) + k, (1,) + s, (0,) + p, (1,) + d, (1,) + out)
    return PoolGeom(2, k, s, p, d, out)


def _max_pool(nd, fname, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    unbatched = _check_input(input, nd, fname)
    if unbatched:
        input = input.unsqueeze(0)
    geom = _geometry(input, nd, fname, kernel_size, stride, padding, dilation, ceil_mode)
    if not return_indices:
        out = MaxPool.apply(input, geom)
        return out.squeeze(0) if unbatched else out
    out, idx = MaxPool.apply(input, geom, return_indices=True)
    return (out.squeeze(0), idx.squeeze(0)) if unbatched else (out, idx)


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Max over sliding windows of (N, C, L); with ``return_indices`` also the argmax positions in L."""
    return _max_pool(1, "max_pool1d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Max over sliding windows of (N, C, H, W); with ``return_indices`` also the flat argmax in each H x W."""
    return _max_pool(2, "max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def _avg_pool(nd, fname, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    unbatched = _check_input(input, nd, fname)
    if unbatched:
        input = input.unsqueeze(0)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError(f"{fname}: divisor must be not zero")
    geom = _geometry(input, nd, fname, kernel_size, stride, padding, 1, ceil_mode)
    out = avg_pool(input, geom, count_include_pad, divisor_override)
    return out.squeeze(0) if unbatched else out


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """Mean over sliding windows of (N, C, L)."""
    return _avg_pool(1, "avg_pool1d", input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Mean over sliding windows of (N, C, H, W) (``divisor_override`` replaces the window size)."""
    return _avg_pool(2, "avg_pool2d", input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


def _adaptive(nd, fname, input, output_size):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fname}(): argument 'input' must be a Tensor, not {type(input).__name__}")
    if input.ndim not in (nd + 1, nd + 2) or any(s == 0 for s in input.shape[-nd:]):
        raise RuntimeError(f"{fname}(): Expected {nd + 1}D or {nd + 2}D tensor with non-zero spatial sizes, but "
                           f"got {list(input.shape)}")
    if input.dtype.kind != "f":
        raise RuntimeError(f"{fname}: expected a floating point input, but got dtype {input.dtype}")
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * nd
    if len(sizes) != nd:
        raise ValueError(f"{fname}: output_size must be an int or a tuple of {nd}, got {output_size}")
    in_sp = input.shape[-nd:]
    sizes = tuple(i if o is None else int(o) for o, i in zip(sizes, in_sp))
    if any(o <= 0 for o in sizes):
        raise RuntimeError(f"{fname}: elements of output_size must be greater than or equal to 1, got {sizes}")
    return adaptive_avg_pool(input, sizes)


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average pooling of (N, C, L) to ``output_size`` windows that tile L as evenly as possible."""
    return _adaptive(1, "adaptive_avg_pool1d", input, output_size)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling of (N, C, H, W) to ``output_size`` (an int, a pair, None keeps that size)."""
    return _adaptive(2, "adaptive_avg_pool2d", input, output_size)
