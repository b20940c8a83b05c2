"""Bounded reading of zip archives from untrusted files: every size is checked against the file before anything
is allocated, members are read piece by piece, and each way a file can be malformed is a ValueError.

Only stored (uncompressed) members are admitted: ``np.savez`` and ``torch.save`` never compress, and a stored
member's bytes are its data, so no member can make the reader allocate more than the file holds.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib

import numpy as np

__all__ = ["BadFile", "SafeZip", "open_source"]

CHUNK = 1 << 20  # bytes read per step when filling an array
MAX_MEMBERS = 1 << 20
MAX_NPY_HEADER = 1 << 16

# what zipfile and zlib raise on damaged input; each becomes a ValueError naming the file
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, struct.error, NotImplementedError, UnicodeDecodeError,
               zipfile.LargeZipFile, OverflowError)


class BadFile(ValueError):
    """A file that cannot be loaded: malformed, truncated, hostile or of an unknown kind."""


def open_source(f) -> tuple[io.BufferedIOBase, str, bool]:
    """``(binary file object, name for messages, whether we opened it)`` for a path or a file object. A file
    object that cannot seek is read into memory (zip archives are read from their end)."""
    if isinstance(f, (str, os.PathLike)):
        return open(f, "rb"), os.fspath(f), True
    if not hasattr(f, "read"):
        raise TypeError(f"load: f must be a path or a binary file object, got {type(f).__name__}")
    name = str(getattr(f, "name", "<file object>"))
    seekable = getattr(f, "seekable", None)
    if seekable is None or not seekable():
        return io.BytesIO(f.read()), name, False
    return f, name, False


def file_size(fh) -> int:
    """The size of the file behind ``fh`` (its position is kept)."""
    pos = fh.tell()
    end = fh.seek(0, os.SEEK_END)
    fh.seek(pos)
    return end


class SafeZip:
    """A zip archive read under limits: ``names``, ``member_size(name)``, ``read_bytes(name, cap)`` and
    ``read_npy(name)``. Errors are ``BadFile`` naming the file and what is wrong."""

    def __init__(self, fh, name: str, kind: str) -> None:
        self.name, self.kind = name, kind
        self.size = file_size(fh)
        try:
            self.zf = zipfile.ZipFile(fh)
        except _ZIP_ERRORS as e:
            if "not a zip file" in str(e):
                raise self.error("it is truncated or incomplete: it starts like a zip archive but its end (the "
                                 "zip directory) is missing; the copy or save that wrote it did not finish") from None
            raise self.error(f"its zip structure is damaged ({e})") from None
        infos = self.zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise self.error(f"it has {len(infos)} zip members, more than the {MAX_MEMBERS} admitted")
        self.infos = {}
        for info in infos:
            if info.header_offset + info.compress_size > self.size:
                raise self.error(f"member {info.filename!r} declares {info.compress_size} bytes at offset "
                                 f"{info.header_offset}, beyond the end of the file ({self.size} bytes): the file is "
                                 "truncated or damaged")
            self.infos[info.filename] = info
        self.names = list(self.infos)

    def error(self, what: str) -> BadFile:
        return BadFile(f"cannot load {self.name}: {what}")

    def close(self) -> None:
        self.zf.close()

    def member_size(self, name: str) -> int:
        return self.infos[name].file_size

    def _open(self, name: str):
        info = self.infos[name]
        if info.compress_type != zipfile.ZIP_STORED:
            raise self.error(f"member {name!r} is compressed (method {info.compress_type}); {self.kind} files store "
                             "members uncompressed, and compressed members are refused")
        if info.file_size != info.compress_size:
            raise self.error(f"member {name!r} declares {info.file_size} bytes but stores {info.compress_size}")
        try:
            return self.zf.open(self.infos[name])
        except _ZIP_ERRORS as e:
            raise self.error(f"member {name!r} is damaged ({e})") from None

    def read_bytes(self, name: str, cap: int, what: str) -> bytes:
        """The whole of a small member (a manifest, a pickle), refused when larger than ``cap``."""
        size = self.member_size(name)
        if size > cap:
            raise self.error(f"its {what} ({name!r}) is {size} bytes, more than the {cap} admitted")
        m = self._open(name)
        try:
            with m:
                data = m.read(size + 1)
        except _ZIP_ERRORS as e:
            raise self.error(f"member {name!r} is damaged ({e})") from None
        if len(data) != size:
            raise self.error(f"member {name!r} is truncated")
        return data

    def read_into(self, name: str, out: np.ndarray) -> None:
        """Fill the contiguous array ``out`` with the whole member ``name`` (its size must be ``out.nbytes``)."""
        if self.member_size(name) != out.nbytes:
            raise self.error(f"member {name!r} holds {self.member_size(name)} bytes where {out.nbytes} are "
                             "declared")
        with self._open(name) as m:
            self._fill(name, m, out)

    def _fill(self, name: str, m, out: np.ndarray) -> None:
        view = memoryview(out.reshape(-1).view(np.uint8)) if out.size else memoryview(b"")
        pos, total = 0, len(view)
        try:
            while pos < total:
                chunk = m.read(min(CHUNK, total - pos))
                if not chunk:
                    raise self.error(f"member {name!r} is truncated")
                view[pos: pos + len(chunk)] = chunk
                pos += len(chunk)
            if m.read(1):  # reading to the end checks the CRC
                raise self.error(f"member {name!r} holds more bytes than its array")
        except _ZIP_ERRORS as e:
            raise self.error(f"member {name!r} is damaged ({e})") from None

    def read_npy(self, name: str) -> np.ndarray:
        """A ``.npy`` member as a native-endian array, its declared shape and dtype checked against the member's
        size before the array is allocated. Object and structured dtypes are refused."""
        size = self.member_size(name)
        m = self._open(name)
        try:
            try:
                version = np.lib.format.read_magic(m)
                reader = {(1, 0): np.lib.format.read_array_header_1_0,
                          (2, 0): np.lib.format.read_array_header_2_0}.get(version)
                if reader is None:
                    raise ValueError(f"unsupported .npy version {version}")
                shape, fortran, dtype = reader(m, max_header_size=MAX_NPY_HEADER)
            except _ZIP_ERRORS as e:
                raise self.error(f"member {name!r} is damaged ({e})") from None
            except Exception as e:  # numpy's header parser raises ValueError, SyntaxError, tokenize errors, ...
                raise self.error(f"array {name!r} has a bad .npy header ({type(e).__name__}: {e})") from None
            if dtype.hasobject or dtype.kind not in "biufcUS" or dtype.fields is not None:
                raise self.error(f"array {name!r} has dtype {dtype}; only numeric, bool and string arrays are "
                                 "loaded (object arrays would need pickle)")
            if any(d < 0 for d in shape):
                raise self.error(f"array {name!r} declares a negative dimension in shape {shape}")
            count = 1
            for d in shape:
                count *= d
            need = count * dtype.itemsize
            have = size - m.tell()
            if need != have:
                raise self.error(f"array {name!r} declares shape {shape} of {dtype} ({need} bytes) but its member "
                                 f"holds {have} bytes")
            out = np.empty(shape[::-1] if fortran else shape, dtype=dtype)
            self._fill(name, m, out)
        finally:
            m.close()
        if fortran:
            out = out.T
        return native(out)


def native(arr: np.ndarray) -> np.ndarray:
    """``arr`` in native byte order (swapped in place when it is not)."""
    if arr.dtype.byteorder not in "=|" and not arr.dtype.isnative:
        arr.byteswap(inplace=True)
        arr = arr.view(arr.dtype.newbyteorder("="))
    return arr
