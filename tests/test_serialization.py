"""autograd.save / autograd.load: every supported type round-trips with its type, model state dicts give
bit-identical eval outputs, pickles (plain, or inside .npz object arrays) are refused without running any code,
whole objects (a module) save and load only with weights_only=False, the engine loads parameters without
importing nn, and a crash while saving leaves the previous file intact."""

import io
import os
import pathlib
import pickle
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
import nn
from autograd import serialization


def roundtrip(obj):
    buf = io.BytesIO()
    autograd.save(obj, buf)
    buf.seek(0)
    return autograd.load(buf)


def assert_same(a, b):
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, autograd.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape and a.requires_grad == b.requires_grad
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, dict):
        assert list(a.keys()) == list(b.keys())
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b


def test_every_type_round_trips_with_its_type():
    t = autograd.tensor([[1.5, -2.0]], dtype=autograd.float64, requires_grad=True)
    obj = {
        "tensors": [autograd.zeros(2, 3), t, autograd.tensor([1, 2, 3]), autograd.tensor([True, False]),
                    autograd.tensor(3.25)],
        "arrays": (np.arange(6, dtype=np.int32).reshape(2, 3), np.array(["ab", "c"]), np.zeros((0, 4)),
                   np.asfortranarray(np.ones((3, 2)))),
        "scalars": (1, -(2**70), 0.1, float("inf"), float("nan"), -0.0, 1 + 2j, "héllo", b"\x00\xff", True, None),
        "np_scalars": [np.float32(1.5), np.int64(7), np.bool_(True)],
        "dtype": autograd.float64,
        "odict": OrderedDict([("z", 1), ("a", 2)]),
        3: "int key",
        (1, "x"): "tuple key",
        None: [[], (), {}],
        2.5: "float key",
    }
    back = roundtrip(obj)
    assert_same(obj, back)
    assert back["tensors"][1].is_leaf
    assert type(back["odict"]) is OrderedDict and type(back) is dict


def test_parameter_and_shared_references():
    p = nn.Parameter(autograd.ones(2))
    shared = autograd.zeros(3)
    lst = [1, 2]
    back = roundtrip({"p": p, "a": shared, "b": shared, "l1": lst, "l2": lst})
    assert isinstance(back["p"], nn.Parameter) and back["p"].requires_grad
    assert back["a"] is back["b"] and back["l1"] is back["l2"]


json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5)
    | st.binary(max_size=4),
    lambda children: st.lists(children, max_size=3) | st.tuples(children, children)
    | st.dictionaries(st.text(max_size=3) | st.integers(), children, max_size=3),
    max_leaves=12,
)


@given(json_like)
def test_nested_structures_round_trip(obj):
    assert_same(obj, roundtrip(obj))


@given(st.sampled_from(["float32", "float64", "int64", "bool", "int8", "uint8", "float16"]),
       st.lists(st.integers(0, 3), max_size=3))
def test_tensor_dtypes_and_shapes_round_trip(dtype, shape):
    arr = (np.random.default_rng(0).standard_normal(shape) * 10).astype(dtype)
    assert_same([autograd.tensor(arr), arr], roundtrip([autograd.tensor(arr), arr]))


def make_model(seed):
    autograd.manual_seed(seed)
    return nn.Sequential(nn.Embedding(10, 6), nn.Flatten(), nn.Linear(18, 16), nn.GELU(), nn.Dropout(0.3),
                         nn.Linear(16, 3))


def test_model_state_dict_round_trip_bit_identical(tmp_path):
    model = make_model(0)
    model.eval()
    x = autograd.tensor(np.array([[1, 2, 3], [9, 0, 4]]))
    expected = model(x).numpy().copy()
    path = tmp_path / "model.ckpt"
    autograd.save(model.state_dict(), path)
    assert sorted(os.listdir(tmp_path)) == ["model.ckpt"]  # no .npz suffix added, no temp left
    other = make_model(1)
    other.eval()
    assert not np.array_equal(other(x).numpy(), expected)
    params = list(other.parameters())
    res = other.load_state_dict(autograd.load(path))
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert all(a is b for a, b in zip(params, other.parameters()))
    np.testing.assert_array_equal(other(x).numpy(), expected)
    sd = autograd.load(str(path))
    assert type(sd) is OrderedDict and list(sd) == list(model.state_dict())


def test_optimizer_shaped_state_dict():
    state = {
        "state": {0: {"step": autograd.tensor(3.0), "exp_avg": autograd.randn(2, 2), "exp_avg_sq": autograd.rand(2, 2)},
                  1: {"step": autograd.tensor(3.0), "momentum_buffer": None}},
        "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0, "amsgrad": False,
                          "params": [0, 1], "maximize": False}],
    }
    assert_same(state, roundtrip(state))


def test_unsupported_objects_are_pickled_and_need_weights_only_false():
    for obj in ({"model": nn.Linear(2, 2)}, [1, {1, 2}], {"a": np.array([object()], dtype=object)}, {frozenset(): 1}):
        buf = io.BytesIO()
        autograd.save(obj, buf)
        buf.seek(0)
        with pytest.raises(ValueError, match="weights_only=False"):
            autograd.load(buf)
    with pytest.raises(TypeError, match=r"function at obj\['f'\].*pickling it failed.*state_dict"):
        roundtrip({"f": lambda x: x})
    with pytest.raises(TypeError, match="path or a binary file"):
        autograd.save({}, 3)
    with pytest.raises(TypeError, match="path or a binary file"):
        autograd.load(3)


class Evil:
    """Unpickling this creates the marker file: the proof that code ran."""

    marker = None

    def __reduce__(self):
        return (open, (Evil.marker, "w"))


def test_plain_pickle_refused_without_running_code(tmp_path):
    marker = tmp_path / "pwned"
    Evil.marker = str(marker)
    for proto in (0, 2, pickle.HIGHEST_PROTOCOL):
        path = tmp_path / f"evil{proto}.pkl"
        path.write_bytes(pickle.dumps({"weights": Evil()}, protocol=proto))
        with pytest.raises(ValueError, match="it is a Python pickle"):
            autograd.load(path)
        with pytest.raises(ValueError, match="it is a Python pickle"):
            autograd.load(io.BytesIO(path.read_bytes()))
    assert not marker.exists()


def test_npz_with_pickled_object_array_refused(tmp_path):
    marker = tmp_path / "pwned"
    Evil.marker = str(marker)
    manifest = b'{"format": "autograd.save", "version": 1, "root": {"t": "ndarray", "k": "a0"}}'
    path = tmp_path / "evil.npz"
    with open(path, "wb") as fh:
        np.savez(fh, __manifest__=np.frombuffer(manifest, dtype=np.uint8), a0=np.array([Evil()], dtype=object))
    with pytest.raises(ValueError, match="dtype object; only numeric, bool and string arrays"):
        autograd.load(path)
    assert not marker.exists()


def test_pytorch_checkpoint_refused_without_running_code(tmp_path):
    torch = pytest.importorskip("torch")
    marker = tmp_path / "pwned"
    Evil.marker = str(marker)
    path = tmp_path / "model.pt"
    torch.save({"w": torch.zeros(2), "evil": Evil()}, path)
    with pytest.raises(ValueError, match=r"global (builtins|io)\.open"):
        autograd.load(path)
    assert not marker.exists()


def test_corrupt_and_foreign_files(tmp_path):
    path = tmp_path / "x"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="empty file"):
        autograd.load(path)
    np.save(tmp_path / "a.npy", np.zeros(2))
    with pytest.raises(ValueError, match=r"\.npy"):
        autograd.load(tmp_path / "a.npy")
    with open(path, "wb") as fh:
        np.savez(fh, __manifest__=np.frombuffer(b'{"format": "autograd.save", "version": 99, "root": {}}', np.uint8))
    with pytest.raises(ValueError, match="version 99"):
        autograd.load(path)
    with open(path, "wb") as fh:
        np.savez(fh, __manifest__=np.frombuffer(b'{"format": "autograd.save", "version": 1, '
                                                 b'"root": {"t": "tensor", "k": "a7"}}', np.uint8))
    with pytest.raises(ValueError, match="missing array 'a7'"):
        autograd.load(path)
    with open(path, "wb") as fh:
        np.savez(fh, __manifest__=np.frombuffer(b'{"format": "autograd.save", "version": 1, '
                                                 b'"root": {"t": "exec", "v": "print(1)"}}', np.uint8))
    with pytest.raises(ValueError, match="unknown node type 'exec'"):
        autograd.load(path)
    path.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(ValueError, match="truncated"):
        autograd.load(path)


def test_crash_mid_write_leaves_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    autograd.save({"version": 1, "w": autograd.ones(3)}, path)
    before = path.read_bytes()
    real_write = serialization._write

    def crashing_write(obj, fh):
        real_write(obj, fh)  # write the whole new archive into the temp file...
        fh.flush()
        raise KeyboardInterrupt("power cut")  # ...and die before the rename

    monkeypatch.setattr(serialization, "_write", crashing_write)
    with pytest.raises(KeyboardInterrupt):
        autograd.save({"version": 2, "w": autograd.zeros(3)}, path)
    assert path.read_bytes() == before
    assert autograd.load(path)["version"] == 1
    assert os.listdir(tmp_path) == ["ckpt.npz"]  # the temp file was removed

    def half_write(obj, fh):
        fh.write(b"PK\x03\x04partial")
        raise OSError("disk full")

    monkeypatch.setattr(serialization, "_write", half_write)
    with pytest.raises(OSError, match="disk full"):
        autograd.save({"version": 3}, pathlib.Path(path))
    assert autograd.load(path)["version"] == 1 and os.listdir(tmp_path) == ["ckpt.npz"]
    monkeypatch.undo()
    autograd.save({"version": 4}, path)
    assert autograd.load(path)["version"] == 4


def test_resume_training_from_checkpoint_is_bit_identical(tmp_path):
    optim = pytest.importorskip("optim")
    import nn.functional as F

    X = autograd.tensor(np.random.default_rng(0).standard_normal((16, 3)).astype(np.float32))
    y = autograd.tensor(np.random.default_rng(1).integers(0, 2, 16))

    def steps(model, opt, n):
        for _ in range(n):
            opt.zero_grad()
            F.cross_entropy(model(X), y).backward()
            opt.step()

    def fresh():
        autograd.manual_seed(0)
        m = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))
        return m, optim.Adam(m.parameters(), lr=0.05, amsgrad=True)

    model, opt = fresh()
    steps(model, opt, 3)
    autograd.save({"model": model.state_dict(), "opt": opt.state_dict(), "epoch": 3}, tmp_path / "ck")
    steps(model, opt, 3)
    model2, opt2 = fresh()
    ck = autograd.load(tmp_path / "ck")
    model2.load_state_dict(ck["model"])
    opt2.load_state_dict(ck["opt"])
    assert ck["epoch"] == 3
    steps(model2, opt2, 3)
    for (n, a), b in zip(model.state_dict().items(), model2.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=n)


def test_whole_module_needs_weights_only_false(tmp_path):
    autograd.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 2))
    model.eval()
    x = autograd.randn(5, 3)
    autograd.save(model, tmp_path / "model.ckpt")
    with pytest.raises(ValueError, match="whole pickled Python object.*pass weights_only=False"):
        autograd.load(tmp_path / "model.ckpt")
    back = autograd.load(tmp_path / "model.ckpt", weights_only=False)
    assert type(back) is nn.Sequential and repr(back) == repr(model)
    np.testing.assert_array_equal(back(x).numpy(), model(x).numpy())
    assert all(type(p) is nn.Parameter and p.requires_grad for p in back.parameters())
    assert [n for n, _ in back.named_buffers()] == [n for n, _ in model.named_buffers()]


def test_tied_weights_stay_tied_in_a_saved_module():
    emb, head = nn.Embedding(5, 3), nn.Linear(3, 5, bias=False)
    head.weight = emb.weight
    model = nn.ModuleList([emb, head])
    buf = io.BytesIO()
    autograd.save(model, buf)
    buf.seek(0)
    back = autograd.load(buf, weights_only=False)
    assert back[0].weight is back[1].weight


def test_plain_pickle_loads_only_when_trusted(tmp_path):
    path = tmp_path / "plain.pkl"
    path.write_bytes(pickle.dumps({"a": [1, 2]}))
    with pytest.raises(ValueError, match="weights_only=False"):
        autograd.load(path)
    assert autograd.load(path, weights_only=False) == {"a": [1, 2]}


def test_engine_does_not_import_nn(tmp_path):
    """Loading parameters without `nn` imported gives Tensors that require grad; `nn` registers Parameter."""
    import subprocess
    import sys

    autograd.save({"p": nn.Parameter(autograd.ones(2)), "t": autograd.zeros(1)}, tmp_path / "p.ckpt")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = ("import sys, autograd; sd = autograd.load(sys.argv[1]); assert 'nn' not in sys.modules; "
            "assert type(sd['p']) is autograd.Tensor and sd['p'].requires_grad and not sd['t'].requires_grad; "
            "import nn; assert type(autograd.load(sys.argv[1])['p']) is nn.Parameter; print('ok')")
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "p.ckpt")], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.stdout.strip() == "ok", out.stderr[-2000:]
