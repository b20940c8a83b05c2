"""``save(obj, f)`` / ``load(f)``: checkpoints (state dicts of models and optimizers) in a format that never
executes code when loaded.

What can be saved: nested ``dict`` / ``OrderedDict`` (keys: str, int, float, bool, None or tuples of those),
``list`` and ``tuple`` of Tensors (``Parameter`` too), numpy arrays, numpy scalars, numpy dtypes, ``int``,
``float``, ``complex``, ``str``, ``bytes``, ``bool`` and ``None``. Each comes back with its type: a tuple as a
tuple, a Tensor as a Tensor (with its dtype and ``requires_grad``), an ndarray as an ndarray, an OrderedDict as
an OrderedDict. An object referenced twice is stored once and comes back as one object. Anything else raises
TypeError naming its type and where it sits in ``obj`` (e.g. ``obj['state'][0]``).

Format (version 1): a numpy ``.npz`` archive (a zip of ``.npy`` files, written by ``np.savez``):

- ``__manifest__.npy``: a uint8 array holding UTF-8 JSON ``{"format": "autograd.save", "version": 1,
  "root": NODE}``, where a NODE is ``{"t": TYPE, ...}``: ``none``; ``bool``/``str`` with ``"v"``; ``int`` with
  ``"v"`` the decimal string; ``float`` with ``"v"`` its ``float.hex()`` (exact, inf/nan included); ``complex``
  with ``"re"``/``"im"`` hex; ``bytes`` with ``"v"`` hex digits; ``dtype`` with ``"v"`` its name;
  ``list``/``tuple`` with ``"items"``: [NODE...]; ``dict``/``odict`` with ``"items"``: [[KEY NODE, VALUE
  NODE]...]; ``tensor``/``parameter`` with ``"k"`` (array entry) and ``"rg"`` (requires_grad); ``ndarray`` and
  ``npscalar`` with ``"k"``; ``ref`` with ``"id"``: a second reference to the node numbered ``"id"`` (nodes
  with a ``"k"`` or ``"items"`` are numbered in the order they are written, depth first, by ``"n"``).
- ``a0.npy``, ``a1.npy``, ...: the arrays, plain numeric/bool/string dtypes only (object arrays are refused).

Loading reads the archive with ``np.load(..., allow_pickle=False)`` and rebuilds the structure from the JSON:
no pickle, no code. A file that is not such an archive (a pickle, a PyTorch ``.pt`` file) is refused with a
ValueError saying what it looks like. Saving to a path writes a temporary file in the same directory and
renames it over the target (``os.replace``), so a crash mid-write leaves the previous file intact.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from collections import OrderedDict

import numpy as np

from .tensor import Tensor, _make

__all__ = ["save", "load"]

_FORMAT = "autograd.save"
_VERSION = 1
_MANIFEST = "__manifest__"


# ---- writing ----
class _Writer:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.seen: dict[int, int] = {}  # id(obj) -> node number
        self.keep: list = []  # keeps objects alive so ids stay unique while saving
        self.count = 0

    def _number(self, obj, node: dict) -> dict:
        node["n"] = self.count
        self.seen[id(obj)] = self.count
        self.keep.append(obj)
        self.count += 1
        return node

    def _array(self, arr: np.ndarray, where: str) -> str:
        if arr.dtype.hasobject or arr.dtype.kind == "V":
            raise TypeError(f"cannot save an array of dtype {arr.dtype} at {where}: only numeric, bool and string "
                            "arrays are stored (object arrays would need pickle)")
        key = f"a{len(self.arrays)}"
        self.arrays[key] = arr
        return key

    def node(self, obj, where: str) -> dict:
        if obj is None:
            return {"t": "none"}
        if obj is True or obj is False:
            return {"t": "bool", "v": obj}
        if id(obj) in self.seen and isinstance(obj, (Tensor, np.ndarray, list, dict, tuple)):
            return {"t": "ref", "id": self.seen[id(obj)]}
        if isinstance(obj, Tensor):
            kind = "parameter" if type(obj).__name__ == "Parameter" else "tensor"
            data = obj._data if obj._data.flags.c_contiguous else obj._data.copy(order="C")
            node = {"t": kind, "k": self._array(data, where), "rg": bool(obj.requires_grad)}
            return self._number(obj, node)
        if isinstance(obj, np.ndarray):
            return self._number(obj, {"t": "ndarray", "k": self._array(obj, where)})
        if isinstance(obj, np.generic):
            return {"t": "npscalar", "k": self._array(np.asarray(obj), where)}
        if isinstance(obj, np.dtype):
            return {"t": "dtype", "v": obj.str if obj.kind == "V" else obj.name}
        if type(obj) is int:
            return {"t": "int", "v": str(obj)}
        if type(obj) is float:
            return {"t": "float", "v": obj.hex()}
        if type(obj) is complex:
            return {"t": "complex", "re": obj.real.hex(), "im": obj.imag.hex()}
        if type(obj) is str:
            return {"t": "str", "v": obj}
        if type(obj) is bytes:
            return {"t": "bytes", "v": obj.hex()}
        if type(obj) in (list, tuple):
            node = self._number(obj, {"t": type(obj).__name__})
            node["items"] = [self.node(v, f"{where}[{i}]") for i, v in enumerate(obj)]
            return node
        if type(obj) in (dict, OrderedDict):
            node = self._number(obj, {"t": "odict" if type(obj) is OrderedDict else "dict"})
            items = []
            for k, v in obj.items():
                if not _is_key(k):
                    raise TypeError(f"cannot save a dict key of type {type(k).__name__} at {where}: keys must be "
                                    "str, int, float, bool, None or tuples of those")
                items.append([self.node(k, f"{where} key {k!r}"), self.node(v, f"{where}[{k!r}]")])
            node["items"] = items
            return node
        raise TypeError(
            f"cannot save an object of type {type(obj).__module__}.{type(obj).__qualname__} at {where}: "
            "autograd.save stores dicts, lists, tuples, Tensors, numpy arrays, numbers, strings, bytes, bools "
            "and None (save a model's state_dict(), not the model)"
        )


def _is_key(k) -> bool:
    if k is None or type(k) in (str, int, float, bool):
        return True
    return type(k) is tuple and all(_is_key(x) for x in k)


def _write(obj, fileobj) -> None:
    w = _Writer()
    root = w.node(obj, "obj")
    manifest = json.dumps({"format": _FORMAT, "version": _VERSION, "root": root}, allow_nan=False)
    arrays = {_MANIFEST: np.frombuffer(manifest.encode("utf-8"), dtype=np.uint8)}
    arrays.update(w.arrays)
    np.savez(fileobj, **arrays)


def save(obj, f) -> None:
    """Save ``obj`` (nested dicts/lists/tuples of Tensors, arrays, numbers, strings, None) to ``f``: a path
    (written atomically: temp file in the same directory, then ``os.replace``) or a binary file object."""
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        directory = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "wb") as fh:
                _write(obj, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise
        return
    if not hasattr(f, "write"):
        raise TypeError(f"save: f must be a path or a binary file object, got {type(f).__name__}")
    _write(obj, f)


# ---- reading ----
def _describe(head: bytes) -> str:
    if head[:1] == b"\x80" or head[:1] in (b"(", b"]", b"}", b"c"):
        return "a Python pickle (pickles can run arbitrary code when loaded, so they are refused)"
    if head[:6] == b"\x93NUMPY":
        return "a single .npy array (use numpy.load)"
    if not head:
        return "an empty file"
    return f"an unknown format (starts with {head[:8]!r})"


class _Reader:
    def __init__(self, archive) -> None:
        self.archive = archive
        self.numbered: dict[int, object] = {}

    def array(self, key) -> np.ndarray:
        if not isinstance(key, str) or key not in self.archive.files:
            raise ValueError(f"corrupt autograd.save file: the manifest refers to a missing array {key!r}")
        try:
            return self.archive[key]
        except ValueError as e:  # an object (pickled) array: refused by allow_pickle=False
            raise ValueError(f"refusing to load array {key!r}: it holds pickled Python objects ({e})") from None

    def _keep(self, node: dict, obj):
        if "n" in node:
            self.numbered[node["n"]] = obj
        return obj

    def build(self, node):
        if not isinstance(node, dict) or "t" not in node:
            raise ValueError(f"corrupt autograd.save file: bad manifest node {str(node)[:80]}")
        t = node["t"]
        if t == "none":
            return None
        if t == "bool":
            return bool(node["v"])
        if t == "int":
            return int(node["v"])
        if t == "float":
            return float.fromhex(node["v"])
        if t == "complex":
            return complex(float.fromhex(node["re"]), float.fromhex(node["im"]))
        if t == "str":
            return str(node["v"])
        if t == "bytes":
            return bytes.fromhex(node["v"])
        if t == "dtype":
            return np.dtype(node["v"])
        if t == "ref":
            if node.get("id") not in self.numbered:
                raise ValueError("corrupt autograd.save file: a reference to an unknown object")
            return self.numbered[node["id"]]
        if t in ("tensor", "parameter"):
            arr = self.array(node["k"])
            if t == "parameter":
                from nn.parameter import Parameter

                out = Parameter(_make(arr), requires_grad=bool(node.get("rg", True)))
            else:
                out = _make(arr)
                if node.get("rg"):
                    out.requires_grad_(True)
            return self._keep(node, out)
        if t == "ndarray":
            return self._keep(node, self.array(node["k"]))
        if t == "npscalar":
            return self.array(node["k"])[()]
        if t in ("list", "tuple"):
            if t == "list":
                out = self._keep(node, [])
                out.extend(self.build(v) for v in node["items"])
                return out
            return self._keep(node, tuple(self.build(v) for v in node["items"]))
        if t in ("dict", "odict"):
            out = self._keep(node, OrderedDict() if t == "odict" else {})
            for k, v in node["items"]:
                out[self.build(k)] = self.build(v)
            return out
        raise ValueError(f"corrupt autograd.save file: unknown node type {t!r}")


def load(f, map_location=None, weights_only: bool = True):
    """Load what ``save`` wrote to ``f`` (a path or a binary file object). Never unpickles: a pickle or any
    file not written by ``save`` is refused with a ValueError. ``map_location``/``weights_only`` are accepted
    for PyTorch compatibility and ignored (everything is on the CPU and only data is ever loaded)."""
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            data = fh.read()
        name = os.fspath(f)
    else:
        if not hasattr(f, "read"):
            raise TypeError(f"load: f must be a path or a binary file object, got {type(f).__name__}")
        data = f.read()
        name = getattr(f, "name", "<file object>")
    if not data.startswith(b"PK"):
        raise ValueError(f"{name!s} is not an autograd.save file: it is {_describe(data[:16])}")
    buf = io.BytesIO(data)
    try:
        archive = np.load(buf, allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile) as e:
        raise ValueError(f"{name!s} is not a readable autograd.save file ({e})") from None
    with archive:
        if _MANIFEST not in archive.files:
            hint = " (it looks like a PyTorch checkpoint, which is a pickle inside a zip)" if any(
                n.endswith(".pkl") for n in zipfile.ZipFile(io.BytesIO(data)).namelist()) else ""
            raise ValueError(f"{name!s} is not an autograd.save file: no {_MANIFEST} entry{hint}")
        raw = archive[_MANIFEST]
        if raw.dtype != np.uint8 or raw.ndim != 1:
            raise ValueError(f"corrupt autograd.save file {name!s}: bad manifest")
        try:
            manifest = json.loads(raw.tobytes().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"corrupt autograd.save file {name!s}: manifest is not JSON ({e})") from None
        if not isinstance(manifest, dict) or manifest.get("format") != _FORMAT:
            raise ValueError(f"{name!s} is not an autograd.save file: unknown manifest format")
        if manifest.get("version") != _VERSION:
            raise ValueError(f"{name!s} was written by format version {manifest.get('version')}; "
                             f"this library reads version {_VERSION}")
        try:
            return _Reader(archive).build(manifest["root"])
        except (KeyError, TypeError) as e:
            raise ValueError(f"corrupt autograd.save file {name!s}: {e!r}") from None
