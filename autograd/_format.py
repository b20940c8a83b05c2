"""PyTorch-style ``repr`` of tensors: ``tensor([1., 2.], requires_grad=True)``."""

from __future__ import annotations

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


def _floatmode(data: np.ndarray) -> str:
    """PyTorch's rule: integral floats print as ``3.``, any other float tensor with 4 decimals for every element."""
    if data.dtype.kind != "f":
        return "maxprec"
    finite = data[np.isfinite(data)]
    return "maxprec_equal" if np.all(finite == np.round(finite)) else "fixed"


def tensor_repr(t) -> str:
    data = t._data
    prefix = "tensor("
    if data.size == 0:
        body = "[]" if data.ndim == 1 else f"[], size={tuple(data.shape)}"
    else:
        body = np.array2string(
            data, separator=", ", prefix=prefix, threshold=1000, edgeitems=3, precision=4,
            floatmode=_floatmode(data),
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
