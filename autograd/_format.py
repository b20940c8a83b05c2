"""PyTorch-style ``repr`` of tensors: ``tensor([1., 2.], requires_grad=True)``."""

from __future__ import annotations

import sys

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


def _array2string_options() -> dict:
    out = {"precision": PRECISION, "edgeitems": EDGEITEMS, "max_line_width": LINEWIDTH,
           "threshold": sys.maxsize if THRESHOLD == float("inf") else int(THRESHOLD)}
    if SCI_MODE is not None:
        p, style = PRECISION, ("e" if SCI_MODE else "f")
        out["formatter"] = {"float_kind": lambda x: f"{x:.{p}{style}}"}
    return out


def tensor_repr(t) -> str:
    data = t._data
    prefix = "tensor("
    if data.size == 0:
        body = "[]" if data.ndim == 1 else f"[], size={tuple(data.shape)}"
    else:
        body = np.array2string(
            data, separator=", ", prefix=prefix, floatmode="maxprec_equal" if data.dtype.kind == "f" else "maxprec",
            **_array2string_options(),
        )
    extras = []
    if data.dtype not in (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool) or (
        data.dtype.kind == "f" and data.dtype != dtypes.get_default_dtype()
    ):
        extras.append(f"dtype={dtype_name(data.dtype)}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        extras.append("requires_grad=True")
    return prefix + body + "".join(", " + e for e in extras) + ")"
