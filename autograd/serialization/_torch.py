"""PyTorch checkpoints (the ``torch.save`` zip format) read without PyTorch and without running code.

The archive holds ``<name>/data.pkl`` (a pickle whose tensors are calls of ``torch._utils._rebuild_tensor_v2``
on persistent storage ids), ``<name>/data/<key>`` (each storage's raw bytes) and ``<name>/byteorder``. The pickle
is read by ``RestrictedUnpickler`` with an allow-list implemented here: the rebuild functions, storage types,
dtypes, ``torch.Size``/``torch.device`` and plain containers. Storages are read once each (tensors sharing one
share memory, as views with their offset and strides); bfloat16 is widened to float32 with a warning.
"""

from __future__ import annotations

import io
import warnings

import numpy as np

from . import _registry
from ._unpickler import BASE, Constant, restricted_load, short
from ._zipsafe import BadFile, SafeZip, native

MAX_PICKLE = 64 << 20  # bytes of data.pkl (the structure; the tensors' bytes are separate members)

# the pickled form of torch.save's legacy (pre-1.6) format starts with its magic number
LEGACY_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"


class _StorageType:
    __slots__ = ("name", "dtype")

    def __init__(self, name: str, dtype) -> None:
        self.name, self.dtype = name, np.dtype(dtype)


_BF16 = "bfloat16"
_STORAGES = {
    "Float": np.float32, "Double": np.float64, "Half": np.float16, "BFloat16": _BF16, "Long": np.int64,
    "Int": np.int32, "Short": np.int16, "Char": np.int8, "Byte": np.uint8, "Bool": np.bool_,
    "ComplexFloat": np.complex64, "ComplexDouble": np.complex128,
}
_DTYPES = {
    "float32": np.float32, "float": np.float32, "float64": np.float64, "double": np.float64, "float16": np.float16,
    "half": np.float16, "bfloat16": np.float32, "int64": np.int64, "long": np.int64, "int32": np.int32,
    "int": np.int32, "int16": np.int16, "short": np.int16, "int8": np.int8, "uint8": np.uint8, "bool": np.bool_,
    "complex64": np.complex64, "complex128": np.complex128,
}


def _device(*args):
    if not args or type(args[0]) is not str or len(args) > 2 or (len(args) == 2 and type(args[1]) is not int):
        raise ValueError("torch.device takes a device string and an optional index")
    return args[0] if len(args) == 1 else f"{args[0]}:{args[1]}"


def _size(dims=()):
    dims = tuple(dims)
    if not all(type(d) is int for d in dims):
        raise ValueError("torch.Size holds ints")
    return dims


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                       metadata=None):
    if not isinstance(storage, np.ndarray) or storage.ndim != 1:
        raise ValueError("_rebuild_tensor_v2: the storage is not a storage record")
    size, stride = tuple(size), tuple(stride)
    ints = (storage_offset, *size, *stride)
    if not all(type(v) is int and v >= 0 for v in ints) or len(size) != len(stride):
        raise ValueError(f"_rebuild_tensor_v2: bad offset/size/stride {short(storage_offset)}, {short(size)}, "
                         f"{short(stride)}")
    count = 1
    for d in size:
        count *= d
    if count == 0:
        arr = np.empty(size, dtype=storage.dtype)
    else:
        last = storage_offset + sum((d - 1) * s for d, s in zip(size, stride))
        if last >= storage.size:
            raise ValueError(f"_rebuild_tensor_v2: a tensor of size {short(size)}, stride {short(stride)} at offset "
                             f"{storage_offset} reaches element {last} of a storage of {storage.size}")
        item = storage.dtype.itemsize
        # an expanded tensor (stride 0) aliases its elements: it stays a view, as in torch, but read-only, since
        # torch refuses in-place writes to it and copying it could take more memory than the file holds
        overlapping = any(s == 0 and d > 1 for d, s in zip(size, stride))
        arr = np.lib.stride_tricks.as_strided(storage[storage_offset:], shape=size,
                                              strides=tuple(s * item for s in stride), writeable=not overlapping)
    return _registry.make_tensor(arr, "tensor", bool(requires_grad))


def _rebuild_parameter(data, requires_grad=True, backward_hooks=None, state=None):
    if not hasattr(data, "numpy"):
        raise ValueError("_rebuild_parameter: the data is not a tensor")
    return _registry.make_tensor(data.numpy(), "parameter", bool(requires_grad))


def _admitted() -> dict:
    admitted = dict(BASE)
    admitted.update({
        "torch._utils._rebuild_tensor_v2": _rebuild_tensor_v2,
        "torch._utils._rebuild_parameter": _rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": _rebuild_parameter,
        "torch.Size": _size,
        "torch.device": _device,
    })
    admitted.update({f"torch.{k}Storage": Constant(_StorageType(k, np.uint16 if v is _BF16 else v))
                     for k, v in _STORAGES.items()})
    admitted.update({f"torch.{k}": Constant(np.dtype(v)) for k, v in _DTYPES.items()})
    return admitted


_ADMITTED = _admitted()


def is_torch_zip(zf: SafeZip) -> bool:
    return _prefix(zf) is not None


def _prefix(zf: SafeZip) -> str | None:
    found = [n[: -len("/data.pkl")] for n in zf.names if n.endswith("/data.pkl") and n.count("/") == 1]
    return found[0] if len(found) == 1 else None


def read(zf: SafeZip, weights_only: bool):
    """The object a ``torch.save`` zip archive holds, its tensors as Tensors (parameters as parameters)."""
    prefix = _prefix(zf)
    if f"{prefix}/constants.pkl" in zf.infos:
        raise zf.error("it is a TorchScript archive (torch.jit.save), not a checkpoint; save the model's "
                       "state_dict() with torch.save instead")
    big = False
    if f"{prefix}/byteorder" in zf.infos:
        order = zf.read_bytes(f"{prefix}/byteorder", 16, "byte order record")
        if order not in (b"little", b"big"):
            raise zf.error(f"its byte order record is {order[:16]!r}, neither 'little' nor 'big'")
        big = order == b"big"
    storages: dict[str, np.ndarray] = {}
    widened: list[str] = []

    def persistent_load(pid):
        if (type(pid) is not tuple or len(pid) != 5 or pid[0] != "storage" or not isinstance(pid[1], _StorageType)
                or type(pid[2]) is not str or type(pid[4]) is not int or pid[4] < 0):
            raise zf.error(f"its pickle has a malformed storage record {short(pid)}")
        _, stype, key, _location, numel = pid  # every location loads onto the CPU, the only device
        if key in storages:
            return storages[key]
        member = f"{prefix}/data/{key}"
        if member not in zf.infos:
            raise zf.error(f"its pickle refers to a missing storage {short(key)}")
        dtype = stype.dtype.newbyteorder(">") if big else stype.dtype
        if zf.member_size(member) != numel * dtype.itemsize:
            raise zf.error(f"storage {short(key)} declares {numel} elements of {stype.name} ({numel * dtype.itemsize} "
                           f"bytes) but its member holds {zf.member_size(member)} bytes")
        arr = np.empty(numel, dtype=dtype)
        zf.read_into(member, arr)
        arr = native(arr)
        if stype.name == "BFloat16":  # bfloat16 is the upper half of a float32
            arr = (arr.astype(np.uint32) << 16).view(np.float32)
            widened.append(key)
        storages[key] = arr
        return arr

    data = zf.read_bytes(f"{prefix}/data.pkl", MAX_PICKLE, "pickle")
    hint = (". It holds a whole PyTorch object, not a state dict: load it with torch and save its state_dict()"
            if not weights_only else "")
    out = restricted_load(io.BytesIO(data), _ADMITTED, persistent_load, zf.name, hint)
    if widened:
        warnings.warn(f"{zf.name}: {len(widened)} bfloat16 storage(s) widened to float32 (numpy has no bfloat16)",
                      stacklevel=3)
    return out


def refuse_legacy(name: str) -> BadFile:
    return BadFile(f"cannot load {name}: it is a PyTorch checkpoint in the legacy format (torch < 1.6, or "
                   "_use_new_zipfile_serialization=False), which is not read; re-save it with a current torch.save")
