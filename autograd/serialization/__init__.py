"""``save(obj, f)`` / ``load(f)``: checkpoints (state dicts of models and optimizers) in formats whose loading
never executes code from the file.

What ``save`` stores as data: nested ``dict`` / ``OrderedDict`` (keys: str, int, float, bool, None or tuples of
those), ``list`` and ``tuple`` of Tensors (``Parameter`` too), numpy arrays, numpy scalars, numpy dtypes, ``int``,
``float``, ``complex``, ``str``, ``bytes``, ``bool`` and ``None``, at most ``MAX_DEPTH`` containers deep. Each
comes back with its type; an object referenced twice is stored once and comes back as one object. Any other
object (a whole module) is pickled, its tensors kept out of the pickle, and loads only with
``weights_only=False``, as in PyTorch 2.6+.

``load`` recognises by content: this library's format (a ``.npz`` with a JSON manifest, see ``_native``),
PyTorch checkpoints (``torch.save`` zip files, read without PyTorch by an allow-list unpickler, see ``_torch``),
safetensors files (see ``_safetensors``) and, only with ``weights_only=False``, plain pickles.

Untrusted files: nothing in a file is called except the allow-listed tensor rebuild functions; every size is
checked against the file before an array is allocated, so memory stays bounded by the file's size; every
malformed input raises ``ValueError`` naming the file and what is wrong. Saving to a path is atomic (see
``_atomic``).
"""

from __future__ import annotations

import os
import pickle

from . import _native, _safetensors, _torch
from ._atomic import write_atomically
from ._native import MAX_DEPTH
from ._registry import register_parameter_type
from ._zipsafe import BadFile, SafeZip, open_source

__all__ = ["save", "load", "register_parameter_type", "MAX_DEPTH"]

_FORMATS = ("autograd", "safetensors")
_write = _native.write  # the writer ``save`` calls (a module attribute, so tests can interrupt it)


def save(obj, f, format: str | None = None, *, metadata: dict[str, str] | None = None) -> None:
    """Save ``obj`` to ``f``: a path (written atomically: temporary file, fsync, rename, directory fsync) or a
    binary file object. ``format``: ``"autograd"`` (the default) or ``"safetensors"`` (also chosen by a
    ``.safetensors`` path; a flat dict of tensors, with optional ``metadata``, a dict of str to str)."""
    is_path = isinstance(f, (str, os.PathLike))
    if not is_path and not hasattr(f, "write"):
        raise TypeError(f"save: f must be a path or a binary file object, got {type(f).__name__}")
    if format is None:
        format = "safetensors" if is_path and os.fspath(f).endswith(".safetensors") else "autograd"
    if format not in _FORMATS:
        raise ValueError(f"save: format must be one of {_FORMATS}, got {format!r}")
    if format == "safetensors":
        data = _safetensors.to_bytes(obj, metadata)

        def write(fh):
            fh.write(data)
    else:
        if metadata is not None:
            raise TypeError("save: metadata is stored by format='safetensors' only (the default format stores "
                            "any strings inside obj itself)")

        def write(fh):
            _write(obj, fh)
    if is_path:
        write_atomically(f, write)
    else:
        write(f)


def _check_map_location(map_location) -> None:
    """Only the CPU exists: ``None``, ``"cpu"`` (or a device whose str is "cpu"), a dict mapping to those, or a
    callable (not called: every storage already loads onto the CPU) are accepted; other devices are refused."""
    if map_location is None or callable(map_location):
        return
    targets = map_location.values() if isinstance(map_location, dict) else [map_location]
    for t in targets:
        if str(t) != "cpu":
            raise ValueError(f"load: map_location={map_location!r} names a device other than the CPU, the only one "
                             "this library has; pass map_location='cpu' or None (tensors saved on any device load "
                             "onto the CPU)")


def _describe(head: bytes) -> str:
    if head.startswith(b"\x93NUMPY"):
        return "a single .npy array (use numpy.load)"
    if not head:
        return "an empty file"
    return f"of an unknown format (it starts with {head[:8]!r})"


def _looks_pickled(head: bytes) -> bool:
    return head[:1] == b"\x80" or head[:1] in (b"(", b"]", b"}", b"c")


def load(f, map_location=None, weights_only: bool = True):
    """Load a checkpoint from ``f`` (a path or a binary file object): this library's format, a PyTorch
    ``torch.save`` zip checkpoint or a safetensors file, recognised by content. Never runs code from the file
    unless ``weights_only=False``, which admits whole pickled objects (trusted files only). ``map_location``:
    only the CPU exists (see ``_check_map_location``). Malformed, truncated or hostile files raise ValueError."""
    _check_map_location(map_location)
    fh, name, owned = open_source(f)
    try:
        start = fh.tell()
        head = fh.read(16)
        fh.seek(start)
        if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
            zf = SafeZip(fh, name, "checkpoint")
            try:
                if _native.MANIFEST + ".npy" in zf.infos:
                    return _native.read(zf, weights_only)
                if _torch.is_torch_zip(zf):
                    return _torch.read(zf, weights_only)
                raise zf.error("it is a zip archive but neither an autograd.save file (no __manifest__) nor a "
                               "PyTorch checkpoint (no data.pkl)")
            finally:
                zf.close()
        if head.startswith(_torch.LEGACY_MAGIC):
            raise _torch.refuse_legacy(name)
        if _safetensors.looks_like(head):
            return _safetensors.read(fh, name)
        if _looks_pickled(head):
            if weights_only:
                raise BadFile(f"cannot load {name}: it is a Python pickle, and unpickling runs code named in the "
                              "file. If you trust the file, pass weights_only=False")
            return pickle.load(fh)
        raise BadFile(f"cannot load {name}: it is {_describe(head)}, not a checkpoint (autograd.save, torch.save "
                      "or safetensors)")
    finally:
        if owned:
            fh.close()
