"""PyTorch-style ``repr`` of tensors: ``tensor([1., 2.], requires_grad=True)``."""

from __future__ import annotations

import math

import numpy as np

from . import dtypes

_NAMES = {
    dtypes.float32: "torch.float32", dtypes.float64: "torch.float64", dtypes.float16: "torch.float16",
    dtypes.int64: "torch.int64", dtypes.int32: "torch.int32", dtypes.int16: "torch.int16",
    dtypes.int8: "torch.int8", dtypes.uint8: "torch.uint8", dtypes.bool: "torch.bool",
}
_TYPE_NAMES = {
    dtypes.float32: "FloatTensor", dtypes.float64: "DoubleTensor", dtypes.float16: "HalfTensor",
    dtypes.int64: "LongTensor", dtypes.int32: "IntTensor", dtypes.bool: "BoolTensor", dtypes.uint8: "ByteTensor",
}


def dtype_name(dtype: np.dtype) -> str:
    return _NAMES.get(dtype, str(dtype)).replace("torch.", "autograd.")


def type_name(dtype: np.dtype) -> str:
    return "autograd." + _TYPE_NAMES.get(dtype, str(dtype))


# PyTorch's print options (torch.set_printoptions defaults); autograd.set_printoptions sets them.
# SCI_MODE: None decides from the values, True/False forces scientific/fixed notation.
PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH = 4, 1000, 3, 80
SCI_MODE = None


def _summarized(a: np.ndarray) -> np.ndarray:
    """The elements a summarized print shows: ``EDGEITEMS`` at each end of every dim longer than twice that."""
    if a.ndim == 0:
        return a
    if a.shape[0] > 2 * EDGEITEMS:
        a = np.concatenate((a[:EDGEITEMS], a[-EDGEITEMS:]))
    if a.ndim == 1:
        return a
    return np.stack([_summarized(x) for x in a])


class _Formatter:
    """PyTorch's element formatter: one width and one mode (integer-valued floats ``1.``, fixed ``0.1235`` or
    scientific ``1.2346e-05``) for the whole tensor, chosen from its non-zero finite values."""

    def __init__(self, a: np.ndarray) -> None:
        self.floating = a.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.max_width = True, False, 1
        flat = a.reshape(-1)
        if not self.floating:
            self.max_width = max([len(str(v)) for v in flat.tolist()] + [1])
            return
        vals = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if vals.size == 0:
            return
        lo, hi = np.abs(vals).min(), np.abs(vals).max()
        self.int_mode = bool(np.all(vals == np.ceil(vals)))
        if self.int_mode:
            self.sci_mode = (hi / lo > 1000.0 or hi > 1.0e8) if SCI_MODE is None else SCI_MODE
            widths = [len(f"{v:.{PRECISION}e}") if self.sci_mode else len(f"{v:.0f}") + 1 for v in vals.tolist()]
        else:
            self.sci_mode = (hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4) if SCI_MODE is None else SCI_MODE
            fmt = "e" if self.sci_mode else "f"
            widths = [len(f"{v:.{PRECISION}{fmt}}") for v in vals.tolist()]
        self.max_width = max(widths)

    def format(self, value) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.max_width}.{PRECISION}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{PRECISION}f}"
        return " " * (self.max_width - len(text)) + text


def _vector(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    per_line = max(1, (LINEWIDTH - indent) // (fmt.max_width + 2))
    if summarize and a.shape[0] > 2 * EDGEITEMS:
        data = ([fmt.format(v) for v in a[:EDGEITEMS].tolist()] + [" ..."]
                + [fmt.format(v) for v in a[-EDGEITEMS:].tolist()])
    else:
        data = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(a: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector(a, indent, summarize, fmt)
    if summarize and a.shape[0] > 2 * EDGEITEMS:
        slices = ([_nested(a[i], indent + 1, summarize, fmt) for i in range(EDGEITEMS)] + ["..."]
                  + [_nested(a[i], indent + 1, summarize, fmt) for i in range(len(a) - EDGEITEMS, len(a))])
    else:
        slices = [_nested(x, indent + 1, summarize, fmt) for x in a]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _add_suffixes(text: str, suffixes: list, indent: int) -> str:
    """``, suffix`` after the data, on a new line where it would pass the line width (PyTorch's rule)."""
    parts = [text]
    last = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last + len(suffix) + 2 > LINEWIDTH:
            parts.append(",\n" + " " * indent + suffix)
            last = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last += len(suffix) + 2
    return "".join(parts) + ")"


def tensor_repr(t) -> str:
    """PyTorch's printing rules (``torch/_tensor_str.py`` with its default options): precision 4, scientific
    notation when the non-zero magnitudes span more than 1000x, pass 1e8 or go below 1e-4, integer-valued
    floats as ``1.``, more than 1000 elements summarized to 3 at each end, lines of at most 80 characters."""
    data = t._data
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    default = data.dtype in (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool)
    if data.size == 0:
        if data.ndim != 1:
            suffixes.append(f"size={tuple(data.shape)}")
        if data.dtype != dtypes.get_default_dtype():
            suffixes.append(f"dtype={dtype_name(data.dtype)}")
        body = "[]"
    else:
        if not default:
            suffixes.append(f"dtype={dtype_name(data.dtype)}")
        a = data.astype(np.float32) if data.dtype == np.float16 else data
        summarize = a.size > THRESHOLD
        body = _nested(a, indent, summarize, _Formatter(_summarized(a) if summarize else a))
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
