"""Hostile, damaged and huge-claiming files: `autograd.load` raises ValueError naming what is wrong, allocates
nothing that the file's size does not pay for, and stops at once on `/dev/zero`; nesting is limited the same way
on save and load; a big-endian array loads native. A seeded fuzz of mutated checkpoints (flipped bytes,
truncation, altered shapes and sizes, recompressed members) sees only ValueError, with bounded memory."""

import io
import os
import pickle
import re
import struct
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

import autograd
import nn
from autograd.serialization import MAX_DEPTH


def saved(obj) -> bytes:
    buf = io.BytesIO()
    autograd.save(obj, buf)
    return buf.getvalue()


def load_bytes(data: bytes, **kw):
    return autograd.load(io.BytesIO(data), **kw)


def npy(arr, shape=None, descr=None) -> bytes:
    """``arr`` as .npy bytes, its header declaring ``shape``/``descr`` when given (the data stays ``arr``'s)."""
    buf = io.BytesIO()
    header = np.lib.format.header_data_from_array_1_0(arr)
    if shape is not None:
        header["shape"] = shape
    if descr is not None:
        header["descr"] = descr
    np.lib.format.write_array_header_1_0(buf, header)
    buf.write(arr.tobytes() if not arr.dtype.hasobject else b"")
    return buf.getvalue()


def archive(members: dict, compression=zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def manifest(root: str) -> bytes:
    text = '{"format": "autograd.save", "version": 1, "root": ' + root + "}"
    return npy(np.frombuffer(text.encode(), dtype=np.uint8))


def peak_of(fn) -> int:
    """The most memory ``fn`` held at once beyond what was held before it ran (numpy's buffers included)."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak - base


def test_dev_zero_fails_fast():
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero on this system")
    start = time.monotonic()
    with pytest.raises(ValueError, match="unknown format"):
        autograd.load("/dev/zero")
    assert time.monotonic() - start < 5


def test_lying_shape_refused_before_allocation():
    data = archive({"__manifest__.npy": manifest('{"t": "ndarray", "k": "a0"}'),
                    "a0.npy": npy(np.zeros(2, np.float32), (10**12,))})

    def load():
        with pytest.raises(ValueError, match=r"declares shape \(1000000000000,\).*holds 8 bytes"):
            load_bytes(data)

    assert peak_of(load) < 1 << 20


def test_deflate_bomb_and_recompressed_members_refused():
    bomb = archive({"__manifest__.npy": manifest('{"t": "ndarray", "k": "a0"}'),
                    "a0.npy": npy(np.zeros(50_000_000, np.uint8))}, zipfile.ZIP_DEFLATED)
    assert len(bomb) < 200_000

    def load():
        with pytest.raises(ValueError, match="compressed.*refused"):
            load_bytes(bomb)

    assert peak_of(load) < 2 << 20


def test_bad_crc_and_truncation_named():
    good = saved({"w": autograd.arange(1000, dtype=autograd.float64)})
    pos = good.index(b"a0.npy") + 300  # inside the array's bytes
    bad = good[:pos] + bytes([good[pos] ^ 0xFF]) + good[pos + 1:]
    with pytest.raises(ValueError, match="CRC"):
        load_bytes(bad)
    for cut in (len(good) // 2, len(good) - 30, 10):
        with pytest.raises(ValueError, match="truncated"):
            load_bytes(good[:cut])


def nested(depth, kind):
    obj = autograd.ones(1)
    for _ in range(depth):
        obj = [obj] if kind == "list" else {"k": obj} if kind == "dict" else (obj,)
    return obj


@pytest.mark.parametrize("kind", ["list", "dict", "tuple"])
def test_nesting_limit_is_the_same_for_save_and_load(kind):
    deepest = nested(MAX_DEPTH, kind)
    back = load_bytes(saved(deepest))
    for _ in range(MAX_DEPTH):
        back = back[0] if kind != "dict" else back["k"]
    assert back.numpy().tolist() == [1.0]
    with pytest.raises(ValueError, match=f"deeper than {MAX_DEPTH} levels.*at most {MAX_DEPTH}"):
        saved(nested(MAX_DEPTH + 1, kind))


def test_crafted_deep_manifests_raise_value_error():
    deep_json = '{"t": "list", "items": [' * 100_000 + "]}" * 100_000
    with pytest.raises(ValueError, match="nests deeper"):
        load_bytes(archive({"__manifest__.npy": manifest(deep_json)}))
    medium = '{"t": "list", "items": [' * (MAX_DEPTH + 5) + "]}" * (MAX_DEPTH + 5)
    with pytest.raises(ValueError, match=f"deeper than {MAX_DEPTH}"):
        load_bytes(archive({"__manifest__.npy": manifest(medium)}))


def test_big_endian_arrays_load_native():
    be = np.arange(6, dtype=">f4").reshape(2, 3)
    back = load_bytes(saved({"t": autograd.tensor(be), "a": be.astype(">i8")}))
    assert back["t"].numpy().dtype == np.float32 and back["t"].numpy().dtype.isnative
    np.testing.assert_array_equal(back["t"].numpy(), be)
    assert back["a"].dtype == np.int64 and back["a"].dtype.isnative and back["a"].tolist() == be.tolist()
    np.testing.assert_array_equal((back["t"] @ autograd.ones(3, 1)).numpy(), [[3.0], [12.0]])


def test_manifest_and_member_errors_are_value_errors():
    cases = {
        "missing array 'a7'": archive({"__manifest__.npy": manifest('{"t": "tensor", "k": "a7"}')}),
        "unknown node type 'exec'": archive({"__manifest__.npy": manifest('{"t": "exec", "v": "print(1)"}')}),
        "negative dimension": archive({"__manifest__.npy": manifest('{"t": "ndarray", "k": "a0"}'),
                                       "a0.npy": npy(np.zeros(4, np.uint8), (-2, -2))}),
        "only numeric, bool and string": archive({"__manifest__.npy": manifest('{"t": "ndarray", "k": "a0"}'),
                                                  "a0.npy": npy(np.zeros(2, np.int64), descr="|O")}),
        "bad .npy header": archive({"__manifest__.npy": manifest('{"t": "ndarray", "k": "a0"}'),
                                    "a0.npy": b"\x93NUMPY\x01\x00\x05\x00{'a':"}),
        "neither an autograd.save file": archive({"x.txt": b"hello"}),
        "refers to array 'a0' twice": archive({  # one array read many times would multiply memory
            "__manifest__.npy": manifest('{"t": "list", "items": [' + ", ".join(['{"t": "ndarray", "k": "a0"}'] * 50)
                                         + "]}"),
            "a0.npy": npy(np.zeros(1000))}),
    }
    for message, data in cases.items():
        with pytest.raises(ValueError, match=re.escape(message)):
            load_bytes(data)


def mutations(data: bytes, rng: np.random.Generator):
    """Mutated copies of the zip checkpoint ``data``: one kind after another, with seeded random choices."""
    central = [m.start() for m in re.finditer(rb"PK\x01\x02", data)]
    shapes = [m.start() for m in re.finditer(rb"'shape': \(\d", data)]
    while True:
        kind = int(rng.integers(0, 6))
        if kind == 0:  # flipped bytes
            out = bytearray(data)
            for pos in rng.integers(0, len(data), size=int(rng.integers(1, 5))):
                out[pos] ^= int(rng.integers(1, 256))
            yield "flip", bytes(out)
        elif kind == 1:
            yield "truncate", data[: int(rng.integers(0, len(data)))]
        elif kind == 2 and shapes:  # a declared shape made larger, same length
            pos = int(rng.choice(shapes)) + len("'shape': (")
            yield "shape", data[:pos] + b"9" + data[pos + 1:]
        elif kind == 3 and central:  # a central directory size field set to a random value
            pos = int(rng.choice(central)) + int(rng.choice([20, 24]))
            yield "size", data[:pos] + struct.pack("<I", int(rng.integers(0, 2**32))) + data[pos + 4:]
        elif kind == 4:  # members recompressed
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                members = {i.filename: z.read(i) for i in z.infolist()}
            yield "recompress", archive(members, zipfile.ZIP_DEFLATED)
        elif kind == 5:  # a random bit string inside the first quarter (headers, manifest, pickle)
            pos = int(rng.integers(0, max(1, len(data) // 4)))
            yield "splice", data[:pos] + rng.bytes(8) + data[pos + 8:]


def fuzz_checkpoints(tmp_path):
    autograd.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.Linear(16, 4))
    yield "autograd", saved({"model": model.state_dict(), "step": 3, "names": ["a", "b"], "t": (1.5, None)})
    try:
        import torch
    except ImportError:
        return
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.BatchNorm1d(16), torch.nn.Linear(16, 4))
    buf = io.BytesIO()
    x = torch.arange(12.0)
    torch.save({"model": tm.state_dict(), "view": x[2:7], "x": x, "i": torch.arange(3), "meta": [1, "s", None]}, buf)
    yield "torch", buf.getvalue()


def test_fuzzed_checkpoints_raise_only_value_error_with_bounded_memory(tmp_path):
    rng = np.random.default_rng(12)
    seen = {}
    files = list(fuzz_checkpoints(tmp_path))
    tracemalloc.start()
    try:
        for fmt, data in files:
            load_bytes(data)  # the unmutated file loads
            gen = mutations(data, rng)
            for _ in range(100):
                kind, bad = next(gen)
                tracemalloc.reset_peak()
                base = tracemalloc.get_traced_memory()[0]
                try:
                    load_bytes(bad)
                    outcome = "loaded"
                except ValueError:
                    outcome = "ValueError"
                peak = tracemalloc.get_traced_memory()[1] - base
                assert peak < 20 * len(data) + (1 << 20), (fmt, kind, peak)
                seen[fmt, kind, outcome] = seen.get((fmt, kind, outcome), 0) + 1
    finally:
        tracemalloc.stop()
    assert any(k[2] == "ValueError" and k[1] == "recompress" for k in seen)
    assert sum(v for k, v in seen.items() if k[2] == "ValueError") >= 100


def torch_like(pickled: bytes) -> bytes:
    """A torch.save-shaped zip around ``pickled`` (no storages), built without torch."""
    return archive({"archive/data.pkl": pickled, "archive/byteorder": b"little", "archive/version": b"3\n"})


class Call:
    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return self.fn, self.args


def test_torch_shaped_pickle_calling_os_system_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    for proto in (2, 4):
        data = torch_like(pickle.dumps({"w": Call(os.system, f"touch {marker}")}, protocol=proto))
        with pytest.raises(ValueError, match=r"global (posix|os)\.system"):
            load_bytes(data)
        with pytest.raises(ValueError, match=r"global (posix|os)\.system"):
            load_bytes(data, weights_only=False)
    assert not marker.exists()


def test_shared_structures_cannot_explode_hashing_or_messages():
    tup, lst = (1,), [1]
    for _ in range(80):  # 2**80 leaves when expanded, a few hundred bytes when pickled with its memo
        tup, lst = (tup, tup), [lst, lst]
    body = pickle.dumps(tup, protocol=2)[2:-1]  # the opcodes that push the tuple (no PROTO, no STOP)
    start = time.monotonic()  # the pickles are built by hand: building {tup: 1} here would hash it
    with pytest.raises(ValueError, match="dict key or set element"):
        load_bytes(torch_like(b"\x80\x02}" + body + b"K\x01s."))  # {tup: 1}
    with pytest.raises(ValueError, match="dict key or set element"):
        load_bytes(torch_like(b"\x80\x04\x8f(" + body + b"\x90."))  # {tup}
    reduce_on_list = pickle.dumps(lst, protocol=2)[:-1] + b")R."  # calls the list: refused, named briefly
    with pytest.raises(ValueError, match="not an admitted function") as info:
        load_bytes(torch_like(reduce_on_list))
    assert len(str(info.value)) < 1000 and time.monotonic() - start < 10


def test_pickle_opcodes_that_build_objects_are_refused():
    inst = b"(ios\nsystem\n."  # INST: look up os.system and call it
    with pytest.raises(ValueError, match="INST/OBJ/EXT"):
        load_bytes(torch_like(inst))
    build_tensor = b"\x80\x02ccollections\nOrderedDict\n)R(lb."  # BUILD (set state) on an admitted call's list
    with pytest.raises(ValueError, match="sets the state of a"):
        load_bytes(torch_like(build_tensor.replace(b"(l", b"]")))
    # BUILD of plain attributes on an OrderedDict is admitted: torch's state_dict() carries `_metadata` this way
    od = load_bytes(torch_like(b"\x80\x02ccollections\nOrderedDict\n)R}X\x01\x00\x00\x00aK\x01sb."))
    assert type(od).__name__ == "OrderedDict" and od.a == 1
