"""The library's own checkpoint format: a ``.npz`` archive (``np.savez``) of plain arrays plus a JSON manifest
that describes the structure around them, so that loading data never unpickles anything.

Format (version 1): ``__manifest__.npy`` is a uint8 array holding UTF-8 JSON ``{"format": "autograd.save",
"version": 1, "root": NODE}``, where a NODE is ``{"t": TYPE, ...}``: ``none``; ``bool``/``str`` with ``"v"``;
``int`` with ``"v"`` the decimal string; ``float`` with ``"v"`` its ``float.hex()`` (exact, inf/nan included);
``complex`` with ``"re"``/``"im"`` hex; ``bytes`` with ``"v"`` hex digits; ``dtype`` with ``"v"`` its name;
``list``/``tuple`` with ``"items"``: [NODE...]; ``dict``/``odict`` with ``"items"``: [[KEY NODE, VALUE
NODE]...]; ``tensor``/``parameter`` with ``"k"`` (array entry) and ``"rg"`` (requires_grad); ``ndarray`` and
``npscalar`` with ``"k"``; ``ref`` with ``"id"``: a second reference to the node numbered ``"id"`` (nodes with a
``"k"`` or ``"items"`` are numbered in the order they are written, depth first, by ``"n"``); ``pickle`` with
``"k"``: a whole object that is not plain data (a module), pickled with its tensors and arrays kept out of the
pickle as array entries (loaded only with ``weights_only=False``). ``a0.npy``, ``a1.npy``, ...: the arrays.
"""

from __future__ import annotations

import io
import json
import pickle
from collections import OrderedDict

import numpy as np

from ..tensor import Tensor, _init, _make
from . import _registry
from ._zipsafe import BadFile, SafeZip

FORMAT = "autograd.save"
VERSION = 1
MANIFEST = "__manifest__"
MAX_DEPTH = 100  # containers nested in containers; deeper structures are refused by save and by load
MAX_MANIFEST = 64 << 20  # bytes of JSON
MAX_PICKLE = 256 << 20  # bytes of a pickled whole object


class Unsupported(TypeError):
    """An object that the data format does not store (it is pickled instead)."""


# ---- writing ----
class _Writer:
    def __init__(self) -> None:
        self.arrays: dict[str, None] = {}  # the array entries read so far
        self.seen: dict[int, int] = {}  # id(obj) -> node number
        self.keep: list = []  # keeps objects alive so ids stay unique while saving
        self.count = 0

    def _number(self, obj, node: dict) -> dict:
        node["n"] = self.count
        self.seen[id(obj)] = self.count
        self.keep.append(obj)
        self.count += 1
        return node

    def array(self, arr: np.ndarray, where: str) -> str:
        if arr.dtype.hasobject or arr.dtype.kind == "V":
            raise Unsupported(f"cannot save an array of dtype {arr.dtype} at {where}: only numeric, bool and "
                              "string arrays are stored as data")
        key = f"a{len(self.arrays)}"
        self.arrays[key] = arr
        return key

    def node(self, obj, where: str, depth: int = 0) -> dict:
        if obj is None:
            return {"t": "none"}
        if obj is True or obj is False:
            return {"t": "bool", "v": obj}
        if id(obj) in self.seen and isinstance(obj, (Tensor, np.ndarray, list, dict, tuple)):
            return {"t": "ref", "id": self.seen[id(obj)]}
        if isinstance(obj, Tensor):
            kind = _registry.tensor_kind(obj)
            data = obj._data if obj._data.flags.c_contiguous else obj._data.copy(order="C")
            node = {"t": kind, "k": self.array(data, where), "rg": bool(obj.requires_grad)}
            return self._number(obj, node)
        if isinstance(obj, np.ndarray):
            return self._number(obj, {"t": "ndarray", "k": self.array(obj, where)})
        if isinstance(obj, np.generic):
            return {"t": "npscalar", "k": self.array(np.asarray(obj), where)}
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
        if type(obj) in (list, tuple, dict, OrderedDict) and depth >= MAX_DEPTH:
            raise ValueError(f"cannot save: containers nest deeper than {MAX_DEPTH} levels at {where[:200]}; "
                             f"autograd.save stores structures at most {MAX_DEPTH} containers deep")
        if type(obj) in (list, tuple):
            node = self._number(obj, {"t": type(obj).__name__})
            node["items"] = [self.node(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(obj)]
            return node
        if type(obj) in (dict, OrderedDict):
            node = self._number(obj, {"t": "odict" if type(obj) is OrderedDict else "dict"})
            items = []
            for k, v in obj.items():
                if not _is_key(k):
                    raise Unsupported(f"a dict key of type {type(k).__name__} at {where}")
                items.append([self.node(k, f"{where} key {k!r}", depth + 1),
                              self.node(v, f"{where}[{k!r}]", depth + 1)])
            node["items"] = items
            return node
        raise Unsupported(f"an object of type {type(obj).__module__}.{type(obj).__qualname__} at {where}")

    def pickled(self, obj, what: str) -> str:
        """Pickle ``obj`` with every Tensor and numeric array kept out of the pickle as an array entry; ``what``
        names the first object that is not plain data, for the message when pickling fails."""
        buf = io.BytesIO()
        try:
            _ObjectPickler(buf, self).dump(obj)
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as e:
            raise TypeError(f"cannot save {what}: it is not plain data (dicts, lists, tuples, Tensors, arrays, "
                            f"numbers, strings) and pickling it failed ({e}); save a state_dict() "
                            "instead") from None
        return self.array(np.frombuffer(buf.getbuffer(), dtype=np.uint8).copy(), "obj")


class _ObjectPickler(pickle.Pickler):
    def __init__(self, buf, writer: _Writer) -> None:
        super().__init__(buf, protocol=pickle.HIGHEST_PROTOCOL)
        self.writer = writer
        self.ids: dict[int, tuple] = {}

    def persistent_id(self, obj):
        if id(obj) in self.ids:
            return self.ids[id(obj)]
        if isinstance(obj, Tensor):
            cls = type(obj)
            slots = {}
            for c in cls.__mro__:  # slots a subclass adds (e.g. a Buffer's `persistent`)
                if c is Tensor:
                    break
                slots.update({s: getattr(obj, s) for s in c.__dict__.get("__slots__", ()) if hasattr(obj, s)})
            data = obj._data if obj._data.flags.c_contiguous else obj._data.copy(order="C")
            pid = ("tensor", self.writer.array(data, "obj"), None if cls is Tensor else cls,
                   bool(obj.requires_grad), slots)
        elif isinstance(obj, np.ndarray) and not (obj.dtype.hasobject or obj.dtype.kind == "V"):
            pid = ("ndarray", self.writer.array(obj, "obj"))
        else:
            return None
        self.writer.keep.append(obj)
        self.ids[id(obj)] = pid
        return pid


def _is_key(k) -> bool:
    if k is None or type(k) in (str, int, float, bool):
        return True
    return type(k) is tuple and all(_is_key(x) for x in k)


def write(obj, fileobj) -> None:
    """Write ``obj`` to the binary file ``fileobj`` as data when it is plain data, else as a pickle node."""
    w = _Writer()
    try:
        root = w.node(obj, "obj")
    except Unsupported as e:
        w = _Writer()
        root = {"t": "pickle", "k": w.pickled(obj, str(e))}
    manifest = json.dumps({"format": FORMAT, "version": VERSION, "root": root}, allow_nan=False).encode("utf-8")
    if len(manifest) > MAX_MANIFEST:
        raise ValueError(f"cannot save: the structure's description takes {len(manifest)} bytes, more than the "
                         f"{MAX_MANIFEST} that load admits; store many small values as one array")
    arrays = {MANIFEST: np.frombuffer(manifest, dtype=np.uint8)}
    arrays.update(w.arrays)
    np.savez(fileobj, **arrays)


# ---- reading ----
class _Reader:
    def __init__(self, zf: SafeZip, weights_only: bool) -> None:
        self.zf = zf
        self.weights_only = weights_only
        self.numbered: dict[int, object] = {}
        self.arrays: dict[str, None] = {}  # the array entries read so far

    def corrupt(self, what: str) -> BadFile:
        return self.zf.error(f"corrupt autograd.save file: {what}")

    def array(self, key) -> np.ndarray:
        member = f"{key}.npy" if isinstance(key, str) else None
        if member is None or member not in self.zf.infos or key == MANIFEST:
            raise self.corrupt(f"the manifest refers to a missing array {str(key)[:40]!r}")
        if key in self.arrays:  # save writes each array once; reading one many times would multiply memory
            raise self.corrupt(f"the manifest refers to array {key!r} twice")
        self.arrays[key] = None
        return self.zf.read_npy(member)

    def _keep(self, node: dict, obj):
        if "n" in node:
            self.numbered[node["n"]] = obj
        return obj

    def build(self, node, depth: int = 0):
        if not isinstance(node, dict) or "t" not in node:
            raise self.corrupt(f"bad manifest node {str(node)[:80]}")
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
                raise self.corrupt("a reference to an unknown object")
            return self.numbered[node["id"]]
        if t in ("tensor", "parameter"):
            return self._keep(node, _registry.make_tensor(self.array(node["k"]), t, bool(node.get("rg", t ==
                                                                                              "parameter"))))
        if t == "ndarray":
            return self._keep(node, self.array(node["k"]))
        if t == "npscalar":
            return self.array(node["k"])[()]
        if t == "pickle":
            return self.unpickle(node["k"])
        if t not in ("list", "tuple", "dict", "odict"):
            raise self.corrupt(f"unknown node type {t!r}")
        if depth >= MAX_DEPTH:
            raise self.corrupt(f"containers nest deeper than {MAX_DEPTH} levels (the most autograd.save writes)")
        items = node["items"]
        if not isinstance(items, list):
            raise self.corrupt("bad container items")
        if t == "list":
            out = self._keep(node, [])
            for v in items:
                out.append(self.build(v, depth + 1))
            return out
        if t == "tuple":
            return self._keep(node, tuple([self.build(v, depth + 1) for v in items]))
        out = self._keep(node, OrderedDict() if t == "odict" else {})
        for k, v in items:
            out[self.build(k, depth + 1)] = self.build(v, depth + 1)
        return out

    def unpickle(self, key):
        if self.weights_only:
            raise self.zf.error(
                "it holds a whole pickled Python object (e.g. a module saved with autograd.save(model)), and "
                "loading one runs code named in the file. If you trust the file, pass weights_only=False; "
                "otherwise ask for a state_dict() checkpoint")
        raw = self.array(key)
        if raw.dtype != np.uint8 or raw.ndim != 1 or raw.size > MAX_PICKLE:
            raise self.corrupt("bad pickle entry")
        return _ObjectUnpickler(io.BytesIO(raw.tobytes()), self).load()


class _ObjectUnpickler(pickle.Unpickler):
    """The trusted path (``weights_only=False``): a full unpickler whose tensors come from the array entries."""

    def __init__(self, fh, reader: _Reader) -> None:
        super().__init__(fh)
        self.reader = reader
        self.cache: dict[str, object] = {}

    def persistent_load(self, pid):
        key = pid[1]
        if key in self.cache:
            return self.cache[key]
        arr = self.reader.array(key)
        if pid[0] == "ndarray":
            out = arr
        else:
            _, _, cls, rg, slots = pid
            if cls is None:
                out = _make(arr)
            else:
                out = cls.__new__(cls)
                _init(out, arr, False, None)
                for name, value in slots.items():
                    object.__setattr__(out, name, value)
            if rg:
                out.requires_grad_(True)
        self.cache[key] = out
        return out


def read(zf: SafeZip, weights_only: bool):
    """Rebuild what ``write`` stored, from an archive that holds a manifest."""
    if zf.member_size(MANIFEST + ".npy") > MAX_MANIFEST + 4096:  # the JSON plus its .npy header
        raise zf.error(f"its manifest is larger than the {MAX_MANIFEST} bytes admitted")
    raw = zf.read_npy(MANIFEST + ".npy")
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise zf.error("corrupt autograd.save file: bad manifest")
    try:
        manifest = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise zf.error(f"corrupt autograd.save file: manifest is not JSON ({e})") from None
    except RecursionError:
        raise zf.error(f"corrupt autograd.save file: its manifest nests deeper than this reader admits (save "
                       f"writes at most {MAX_DEPTH} levels)") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise zf.error("it is not an autograd.save file: unknown manifest format")
    if manifest.get("version") != VERSION:
        raise zf.error(f"it was written by format version {manifest.get('version')}; this library reads "
                       f"version {VERSION}")
    reader = _Reader(zf, weights_only)
    try:
        return reader.build(manifest.get("root"))
    except (KeyError, TypeError, ValueError, OverflowError) as e:
        if isinstance(e, BadFile):
            raise
        raise zf.error(f"corrupt autograd.save file: {e!r}") from None
