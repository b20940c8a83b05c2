"""safetensors files, through the ``safetensors`` package's numpy API (an optional dependency, imported here
only when such a file is written or read).

A safetensors file is a flat ``{name: array}`` mapping plus optional ``__metadata__`` (``{str: str}``). Writing
takes a flat mapping of names to Tensors or arrays (``save(sd, f, format="safetensors", metadata={...})``);
reading returns an ``OrderedDict`` of Tensors whose ``metadata`` attribute holds the file's ``__metadata__``
(a dict of str, or None), as a PyTorch state dict carries its ``_metadata``. bfloat16 is widened to float32
with a warning (numpy has no bfloat16).
"""

from __future__ import annotations

import json
import os
import struct
import warnings
from collections import OrderedDict

import numpy as np

from ..tensor import Tensor, _make
from ._zipsafe import BadFile, file_size, native

MAX_HEADER = 100 << 20  # the limit the safetensors package itself sets

_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
           "I16": np.int16, "I8": np.int8, "U64": np.uint64, "U32": np.uint32, "U16": np.uint16, "U8": np.uint8,
           "BOOL": np.bool_, "C64": np.complex64, "C128": np.complex128}


def _package():
    try:
        import safetensors
        import safetensors.numpy
    except ImportError:
        raise ImportError("safetensors files need the safetensors package: pip install safetensors (or "
                          "pip install 'numbagrad[safetensors]')") from None
    return safetensors


def looks_like(head: bytes) -> bool:
    """Whether the first bytes are a safetensors header: a little-endian u64 length, then a JSON object."""
    if len(head) < 10:
        return False
    (n,) = struct.unpack("<Q", head[:8])
    return 2 <= n <= MAX_HEADER and head[8:9] == b"{"


def to_bytes(obj, metadata) -> bytes:
    """The safetensors encoding of the flat mapping ``obj`` (names to Tensors or arrays)."""
    st = _package()
    if metadata is None:
        metadata = getattr(obj, "metadata", None)
    if metadata is not None:
        if not isinstance(metadata, dict) or not all(type(k) is str and type(v) is str for k, v in metadata.items()):
            raise TypeError("safetensors metadata must be a dict of str to str (convert numbers with str())")
        metadata = dict(metadata)
    if not isinstance(obj, dict):
        raise TypeError(f"safetensors stores a flat dict of names to tensors, got {type(obj).__name__}")
    arrays = {}
    for k, v in obj.items():
        if type(k) is not str:
            raise TypeError(f"safetensors keys are strings, got {type(k).__name__} {k!r}")
        if isinstance(v, Tensor):
            v = v.numpy()
        if not isinstance(v, np.ndarray):
            raise TypeError(f"safetensors stores tensors and arrays only; {k!r} is a {type(v).__name__} (nested "
                            "structures and numbers need the default format, or metadata strings)")
        if v.dtype.type not in {np.dtype(d).type for d in _DTYPES.values()}:
            raise TypeError(f"safetensors cannot store {k!r} of dtype {v.dtype}")
        if not v.dtype.isnative:
            v = native(v.copy())
        arrays[k] = v if v.flags.c_contiguous else v.copy(order="C")  # ascontiguousarray would make 0-d 1-d
    return st.numpy.save(arrays, metadata=metadata)


def read(fh, name: str) -> OrderedDict:
    """The tensors of a safetensors file (a path's open file or a file object), in file order."""
    st = _package()
    start = fh.tell()
    size = file_size(fh) - start
    head = fh.read(8)
    (n,) = struct.unpack("<Q", head)
    if n > MAX_HEADER or 8 + n > size:
        raise BadFile(f"cannot load {name}: its safetensors header declares {n} bytes; the file holds {size}")
    try:
        header = json.loads(fh.read(n))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise BadFile(f"cannot load {name}: its safetensors header is not JSON ({str(e)[:100]})") from None
    if not isinstance(header, dict):
        raise BadFile(f"cannot load {name}: its safetensors header is not a JSON object")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (isinstance(metadata, dict) and all(type(v) is str for v in metadata.values())):
        raise BadFile(f"cannot load {name}: its __metadata__ is not a mapping of strings")
    data_size = size - 8 - n
    for key, info in header.items():  # the checks the reader makes, stated here so the message names the key
        try:
            dtype, shape, (lo, hi) = info["dtype"], info["shape"], info["data_offsets"]
            count = int(np.prod(shape, dtype=object)) if shape else 1
            itemsize = 2 if dtype == "BF16" else np.dtype(_DTYPES[dtype]).itemsize
            ok = all(type(d) is int and d >= 0 for d in shape) and 0 <= lo <= hi <= data_size
            ok = ok and hi - lo == count * itemsize
        except (KeyError, TypeError, ValueError) as e:
            raise BadFile(f"cannot load {name}: tensor {key!r} has a bad header entry ({e!r})") from None
        if not ok:
            raise BadFile(f"cannot load {name}: tensor {key!r} declares {dtype} {shape} at bytes {lo}..{hi} of a "
                          f"data section of {data_size} bytes")
    out: OrderedDict = OrderedDict()
    order = sorted(header, key=lambda k: header[k]["data_offsets"][0])
    path = getattr(fh, "name", None)
    widened = 0
    try:
        if isinstance(path, str) and os.path.isfile(path) and start == 0:
            with st.safe_open(path, framework="np") as sf:
                for key in order:
                    if header[key]["dtype"] == "BF16":
                        out[key] = _bf16(fh, 8 + n, header[key])
                        widened += 1
                    else:
                        out[key] = _make(native(sf.get_tensor(key)))
        else:
            fh.seek(start)
            arrays = st.numpy.load(fh.read(size)) if all(h["dtype"] != "BF16" for h in header.values()) else None
            for key in order:
                if header[key]["dtype"] == "BF16":
                    out[key] = _bf16(fh, start + 8 + n, header[key])
                    widened += 1
                else:
                    out[key] = _make(native(arrays[key]) if arrays is not None else _raw(fh, start + 8 + n,
                                                                                          header[key]))
    except st.SafetensorError as e:
        raise BadFile(f"cannot load {name}: the safetensors reader refuses it ({e})") from None
    if widened:
        warnings.warn(f"{name}: {widened} bfloat16 tensor(s) widened to float32 (numpy has no bfloat16)",
                      stacklevel=3)
    out.metadata = metadata
    return out


def _raw(fh, base: int, info: dict) -> np.ndarray:
    lo, hi = info["data_offsets"]
    fh.seek(base + lo)
    arr = np.frombuffer(fh.read(hi - lo), dtype=np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<"))
    return native(arr.reshape(info["shape"]).copy())


def _bf16(fh, base: int, info: dict) -> Tensor:
    lo, hi = info["data_offsets"]
    fh.seek(base + lo)
    raw = np.frombuffer(fh.read(hi - lo), dtype="<u2").reshape(info["shape"])
    return _make((raw.astype(np.uint32) << 16).view(np.float32))
