"""Convolutions: ``conv1d``, ``conv2d``, ``conv_transpose1d``, ``conv_transpose2d`` (PyTorch's arguments).

Argument checking and output-size arithmetic live here; the differentiable ops are in ``autograd.ops.conv``.
"""

from __future__ import annotations

from autograd.ops.conv import Conv, ConvBackwardInput, ConvGeom
from autograd.tensor import Tensor

from .._utils import _ntuple

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]


def _check_operands(fname: str, x, w, b, nd: int, transposed: bool, groups: int) -> bool:
    """Validate ranks, dtypes and channel counts; True when ``x`` is unbatched (needs a batch dim added)."""
    for name, t in (("input", x), ("weight", w)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{fname}(): argument '{name}' must be a Tensor, not {type(t).__name__}")
    if w.ndim != nd + 2:
        raise RuntimeError(
            f"{fname}: expected weight to be {nd + 2}-dimensional, but got weight of size {list(w.shape)}"
        )
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {fname}, but got input of size: "
            f"{list(x.shape)}"
        )
    if x.dtype.kind != "f" or x.dtype != w.dtype or (b is not None and b.dtype != x.dtype):
        got = f"input {x.dtype}, weight {w.dtype}" + (f", bias {b.dtype}" if b is not None else "")
        raise RuntimeError(f"{fname}: expected input, weight and bias of the same floating dtype, but got {got}")
    if groups <= 0:
        raise RuntimeError(f"{fname}: non-positive groups is not supported (got groups={groups})")
    channels = x.shape[0] if x.ndim == nd + 1 else x.shape[1]
    if transposed:
        if w.shape[0] != channels:
            raise RuntimeError(
                f"Given transposed=1, weight of size {list(w.shape)}, expected input{list(x.shape)} to have "
                f"{w.shape[0]} channels, but got {channels} channels instead"
            )
        if w.shape[0] % groups:
            raise RuntimeError(
                f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got "
                f"weight of size {list(w.shape)} instead"
            )
        n_out = w.shape[1] * groups
    else:
        if w.shape[0] % groups:
            raise RuntimeError(
                f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got "
                f"weight of size {list(w.shape)} instead"
            )
        if w.shape[1] * groups != channels:
            raise RuntimeError(
                f"Given groups={groups}, weight of size {list(w.shape)}, expected input{list(x.shape)} to have "
                f"{w.shape[1] * groups} channels, but got {channels} channels instead"
            )
        n_out = w.shape[0]
    if b is not None and (b.ndim != 1 or b.shape[0] != n_out):
        raise RuntimeError(
            f"Given weight of size {list(w.shape)}, expected bias to be 1-dimensional with {n_out} elements, but "
            f"got bias of size {list(b.shape)} instead"
        )
    return x.ndim == nd + 1


def _padding_pairs(padding, k_sp, dilation, stride, nd: int) -> tuple:
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            pairs = []
            for k, d in zip(k_sp, dilation):
                total = d * (k - 1)
                pairs.append((total // 2, total - total // 2))
            return tuple(pairs)
        raise ValueError(f"Invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
    pads = _ntuple(padding, nd, "padding")
    if any(p < 0 for p in pads):
        raise RuntimeError(f"negative padding is not supported (got padding={pads})")
    return tuple((p, p) for p in pads)


def _convnd(nd: int, fname: str, input, weight, bias, stride, padding, dilation, groups) -> Tensor:
    unbatched = _check_operands(fname, input, weight, bias, nd, False, groups)
    if unbatched:
        input = input.unsqueeze(0)
    stride = _ntuple(stride, nd, "stride")
    dilation = _ntuple(dilation, nd, "dilation")
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"{fname}: non-positive stride is not supported (got stride={stride})")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"{fname}: dilation should be greater than zero (got dilation={dilation})")
    k_sp = tuple(weight.shape[2:])
    in_sp = tuple(input.shape[2:])
    pads = _padding_pairs(padding, k_sp, dilation, stride, nd)
    padded = tuple(i + lo + hi for i, (lo, hi) in zip(in_sp, pads))
    eff_k = tuple(d * (k - 1) + 1 for k, d in zip(k_sp, dilation))
    if any(p < k for p, k in zip(padded, eff_k)):
        raise RuntimeError(
            f"{fname}: Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
            f"Kernel size: ({' x '.join(map(str, eff_k))}). Kernel size can't be greater than actual input size"
        )
    out_sp = tuple((p - k) // s + 1 for p, k, s in zip(padded, eff_k, stride))
    geom = ConvGeom(nd, stride, pads, dilation, groups, in_sp, k_sp, out_sp)
    out = Conv.apply(input, weight, bias, geom)
    return out.squeeze(0) if unbatched else out


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """1-D cross-correlation of ``input`` (N, C, L) with ``weight`` (O, C/groups, k)."""
    return _convnd(1, "conv1d", input, weight, bias, stride, padding, dilation, groups)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """2-D cross-correlation of ``input`` (N, C, H, W) with ``weight`` (O, C/groups, kh, kw)."""
    return _convnd(2, "conv2d", input, weight, bias, stride, padding, dilation, groups)


def _conv_transposend(nd: int, fname: str, input, weight, bias, stride, padding, output_padding, groups,
                      dilation) -> Tensor:
    unbatched = _check_operands(fname, input, weight, bias, nd, True, groups)
    if unbatched:
        input = input.unsqueeze(0)
    stride = _ntuple(stride, nd, "stride")
    dilation = _ntuple(dilation, nd, "dilation")
    if isinstance(padding, str):
        raise ValueError(f"{fname}: padding must be an int or a tuple of ints, not {padding!r}")
    pads = _ntuple(padding, nd, "padding")
    out_pad = _ntuple(output_padding, nd, "output_padding")
    if any(s <= 0 for s in stride) or any(d <= 0 for d in dilation) or any(p < 0 for p in pads):
        raise RuntimeError(f"{fname}: stride and dilation must be positive and padding non-negative "
                           f"(got stride={stride}, dilation={dilation}, padding={pads})")
    for op, s, d in zip(out_pad, stride, dilation):
        if op < 0 or (op >= s and op >= d):
            raise RuntimeError(
                f"{fname}: output padding must be smaller than either stride or dilation, but got "
                f"output_padding={out_pad}, stride={stride}, dilation={dilation}"
            )
    k_sp = tuple(weight.shape[2:])
    in_sp = tuple(input.shape[2:])
    out_sp = tuple((i - 1) * s - 2 * p + d * (k - 1) + op + 1
                   for i, s, p, d, k, op in zip(in_sp, stride, pads, dilation, k_sp, out_pad))
    if any(o <= 0 for o in out_sp):
        raise RuntimeError(f"{fname}: given input of size {list(input.shape)}, the calculated output size "
                           f"{list(out_sp)} is too small")
    # the transposed convolution is the adjoint of a convolution whose input has the output's size
    geom = ConvGeom(nd, stride, tuple((p, p) for p in pads), dilation, groups, out_sp, k_sp, in_sp)
    out = ConvBackwardInput.apply(input, weight, bias, geom)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """1-D transposed convolution; ``weight`` is (C_in, C_out/groups, k)."""
    return _conv_transposend(1, "conv_transpose1d", input, weight, bias, stride, padding, output_padding, groups,
                             dilation)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """2-D transposed convolution; ``weight`` is (C_in, C_out/groups, kh, kw)."""
    return _conv_transposend(2, "conv_transpose2d", input, weight, bias, stride, padding, output_padding, groups,
                             dilation)

