"""PyTorch checkpoints written by the real torch.save and read by autograd.load in a subprocess where importing
torch fails: the state dict of every layer type loads into the same `nn` model, an Adam state after some steps
continues the same trajectory, views and shared storages keep their layout and sharing, every dtype loads (bfloat16
widened with a warning), big-endian files load native; crafted pickles calling any other global are refused
without running it."""

import io
import json
import os
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import autograd

torch = pytest.importorskip("torch")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# the subprocess: torch cannot be imported there, and must not be imported by loading
PRELUDE = "import sys; sys.modules['torch'] = None\n"


def run_without_torch(code: str, tmp_path) -> dict:
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    script = tmp_path / "check.py"
    script.write_text(PRELUDE + code + "\nassert sys.modules['torch'] is None\n")
    out = subprocess.run([sys.executable, str(script)], cwd=str(tmp_path), env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def layers(lib):
    return lib.ModuleDict({
        "linear": lib.Linear(3, 4), "bilinear": lib.Bilinear(2, 3, 4), "conv1": lib.Conv1d(2, 3, 3),
        "conv2": lib.Conv2d(2, 3, 3), "convt": lib.ConvTranspose2d(2, 3, 3), "bn1": lib.BatchNorm1d(3),
        "bn2": lib.BatchNorm2d(3), "ln": lib.LayerNorm(4), "gn": lib.GroupNorm(2, 4), "emb": lib.Embedding(5, 3),
        "rnn": lib.RNN(3, 4, num_layers=2, bidirectional=True), "lstm": lib.LSTM(3, 4, batch_first=True),
        "gru": lib.GRU(3, 4), "rnncell": lib.RNNCell(3, 4), "lstmcell": lib.LSTMCell(3, 4),
        "grucell": lib.GRUCell(3, 4), "mha": lib.MultiheadAttention(4, 2), "prelu": lib.PReLU(),
        "enc": lib.TransformerEncoderLayer(4, 2, 8), "dec": lib.TransformerDecoderLayer(4, 2, 8),
        "seq": lib.Sequential(lib.Conv2d(1, 2, 3), lib.BatchNorm2d(2), lib.ReLU(), lib.Flatten(), lib.Linear(8, 2)),
    })


def write_checkpoints(tmp_path):
    torch.manual_seed(0)
    model = layers(torch.nn)
    model.train()
    model["seq"](torch.randn(4, 1, 4, 4))  # running statistics and num_batches_tracked move away from defaults
    model.eval()
    torch.save(model.state_dict(), tmp_path / "layers.pt")
    np.savez(tmp_path / "layers_expected.npz", **{k: v.numpy() for k, v in model.state_dict().items()})
    x = torch.randn(3, 1, 4, 4)
    np.save(tmp_path / "seq_x.npy", x.numpy())
    np.save(tmp_path / "seq_y.npy", model["seq"](x).detach().numpy())

    lin = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(lin.parameters(), lr=0.1, amsgrad=True)
    data = torch.randn(4, 3)
    for _ in range(3):
        opt.zero_grad()
        lin(data).pow(2).sum().backward()
        opt.step()
    torch.save({"model": lin.state_dict(), "opt": opt.state_dict(), "epoch": 3}, tmp_path / "train.pt")
    opt.zero_grad()
    lin(data).pow(2).sum().backward()
    opt.step()
    np.save(tmp_path / "train_x.npy", data.numpy())
    np.save(tmp_path / "train_w.npy", lin.weight.detach().numpy())

    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    views = {"base": base, "row": base[1], "col": base[:, 2], "t": base.t(), "block": base[1:3, 2:5],
             "tail": base.view(-1)[5:], "tied_a": base, "tied_b": base}
    torch.save(views, tmp_path / "views.pt")

    dtypes = {name: (torch.arange(-3, 3) % 2 == 0) if name == "bool" else torch.arange(-3, 3).to(getattr(torch, name))
              for name in ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "bool")}
    dtypes["uint8"] = torch.arange(250, 256, dtype=torch.uint8)
    dtypes["param"] = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    dtypes["nested"] = [({"x": torch.ones(2, dtype=torch.float64)}, None, "s", 1.5, 7, True, b"by")]
    torch.save(dtypes, tmp_path / "dtypes.pt")
    torch.save({"w": torch.tensor([1.5, -2.25, 3.0e38], dtype=torch.bfloat16)}, tmp_path / "bf16.pt")


CHECK = r"""
import json, warnings
import numpy as np
import autograd, nn, optim

out = {}
sd = autograd.load("layers.pt")
expected = np.load("layers_expected.npz")
model = nn.ModuleDict(LAYERS)
res = model.load_state_dict(sd)
out["layers_keys"] = [len(res.missing_keys), len(res.unexpected_keys), len(sd), len(expected.files)]
out["layers_equal"] = all(np.array_equal(model.state_dict()[k].numpy(), expected[k])
                          and model.state_dict()[k].numpy().dtype == expected[k].dtype for k in expected.files)
out["param_type"] = type(sd["linear.weight"]).__name__
model.eval()
y = model["seq"](autograd.tensor(np.load("seq_x.npy"))).numpy()
out["seq_err"] = float(np.abs(y - np.load("seq_y.npy")).max())

ck = autograd.load("train.pt", map_location="cpu")
lin = nn.Linear(3, 2)
lin.load_state_dict(ck["model"])
opt = optim.Adam(lin.parameters(), lr=0.1, amsgrad=True)
opt.load_state_dict(ck["opt"])
x = autograd.tensor(np.load("train_x.npy"))
opt.zero_grad()
lin(x).pow(2).sum().backward()
opt.step()
out["train_err"] = float(np.abs(lin.weight.numpy() - np.load("train_w.npy")).max())
out["epoch"] = ck["epoch"]
out["step"] = float(ck["opt"]["state"][0]["step"].item())

v = autograd.load("views.pt")
base = np.arange(24, dtype=np.float32).reshape(4, 6)
arr = {k: t.numpy() for k, t in v.items()}
out["views_equal"] = (np.array_equal(arr["row"], base[1]) and np.array_equal(arr["col"], base[:, 2])
                      and np.array_equal(arr["t"], base.T) and np.array_equal(arr["block"], base[1:3, 2:5])
                      and np.array_equal(arr["tail"], base.reshape(-1)[5:]))
out["views_share"] = all(np.shares_memory(arr["base"], arr[k]) for k in ("row", "col", "t", "block", "tail"))
out["tied_same"] = v["tied_a"] is v["tied_b"]
arr["base"][1, 2] = 100.0  # one storage: a write shows through every view
out["write_through"] = [float(arr["row"][2]), float(arr["col"][1]), float(arr["t"][2, 1]), float(arr["block"][0, 0])]

d = autograd.load("dtypes.pt")
out["dtypes"] = {k: [str(t.numpy().dtype), t.numpy().tolist()] for k, t in d.items() if k not in ("nested", "param")}
out["param"] = [type(d["param"]).__name__, d["param"].requires_grad, d["param"].numpy().tolist()]
nested = d["nested"][0]
out["nested"] = [type(nested).__name__, nested[0]["x"].numpy().tolist(), list(nested[1:4]), nested[4], nested[5],
                 nested[6].decode()]
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    bf = autograd.load("bf16.pt")["w"].numpy()
out["bf16"] = [str(bf.dtype), bf.tolist(), [str(x.message) for x in w]]
print(json.dumps(out))
"""


def test_torch_checkpoints_load_without_torch(tmp_path):
    write_checkpoints(tmp_path)
    code = CHECK.replace("LAYERS", "{" + ", ".join(
        f"{k!r}: {v}" for k, v in LAYER_EXPRS.items()) + "}")
    out = run_without_torch(code, tmp_path)
    n = len(np.load(tmp_path / "layers_expected.npz").files)
    assert out["layers_keys"] == [0, 0, n, n]
    assert out["layers_equal"] and out["param_type"] == "Tensor"  # state_dict() holds detached tensors
    assert out["param"] == ["Parameter", True, [1.0, 2.0]]
    assert out["seq_err"] < 1e-5
    assert out["train_err"] < 1e-6 and out["epoch"] == 3 and out["step"] == 3.0
    assert out["views_equal"] and out["views_share"] and out["tied_same"]
    assert out["write_through"] == [100.0, 100.0, 100.0, 100.0]
    for name in ("float16", "float32", "float64", "int8", "int16", "int32", "int64"):
        assert out["dtypes"][name] == [name, [-3, -2, -1, 0, 1, 2]], name
    assert out["dtypes"]["bool"] == ["bool", [False, True, False, True, False, True]]
    assert out["dtypes"]["uint8"] == ["uint8", [250, 251, 252, 253, 254, 255]]
    assert out["nested"] == ["tuple", [1.0, 1.0], [None, "s", 1.5], 7, True, "by"]
    dtype, values, warns = out["bf16"]
    assert dtype == "float32" and values == torch.tensor([1.5, -2.25, 3.0e38], dtype=torch.bfloat16).float().tolist()
    assert len(warns) == 1 and "bfloat16" in warns[0] and "float32" in warns[0]


LAYER_EXPRS = {  # the same modules as layers(nn), as source for the subprocess
    "linear": "nn.Linear(3, 4)", "bilinear": "nn.Bilinear(2, 3, 4)", "conv1": "nn.Conv1d(2, 3, 3)",
    "conv2": "nn.Conv2d(2, 3, 3)", "convt": "nn.ConvTranspose2d(2, 3, 3)", "bn1": "nn.BatchNorm1d(3)",
    "bn2": "nn.BatchNorm2d(3)", "ln": "nn.LayerNorm(4)", "gn": "nn.GroupNorm(2, 4)", "emb": "nn.Embedding(5, 3)",
    "rnn": "nn.RNN(3, 4, num_layers=2, bidirectional=True)", "lstm": "nn.LSTM(3, 4, batch_first=True)",
    "gru": "nn.GRU(3, 4)", "rnncell": "nn.RNNCell(3, 4)", "lstmcell": "nn.LSTMCell(3, 4)",
    "grucell": "nn.GRUCell(3, 4)", "mha": "nn.MultiheadAttention(4, 2)", "prelu": "nn.PReLU()",
    "enc": "nn.TransformerEncoderLayer(4, 2, 8)", "dec": "nn.TransformerDecoderLayer(4, 2, 8)",
    "seq": "nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(8, 2))",
}


def test_layer_list_matches_the_subprocess_source():
    import nn

    ours = layers(nn)
    assert list(ours.keys()) == list(LAYER_EXPRS)
    for k, expr in LAYER_EXPRS.items():
        assert repr(eval(expr, {"nn": nn})) == repr(ours[k]), k


def rewrite(path, out, change):
    """Copy the zip ``path`` to ``out`` with ``change(name, data) -> data`` applied to each member (stored)."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, change(info.filename, src.read(info.filename)))


def test_big_endian_checkpoint_loads_native(tmp_path):
    x = torch.tensor([[1.5, -2.0, 3.25]], dtype=torch.float64)
    torch.save({"x": x, "i": torch.tensor([1, 2, -3], dtype=torch.int32)}, tmp_path / "le.pt")

    def to_big(name, data):
        if name.endswith("/byteorder"):
            return b"big"
        if "/data/" in name and not name.endswith("serialization_id"):
            item = 8 if name.endswith("/0") else 4
            return np.frombuffer(data, dtype=f"<u{item}").astype(f">u{item}").tobytes()
        return data

    rewrite(tmp_path / "le.pt", tmp_path / "be.pt", to_big)
    sd = autograd.load(tmp_path / "be.pt")
    assert sd["x"].dtype == np.float64 and sd["x"].numpy().dtype.isnative
    np.testing.assert_array_equal(sd["x"].numpy(), x.numpy())
    assert sd["i"].numpy().dtype.isnative and sd["i"].numpy().tolist() == [1, 2, -3]
    assert (sd["x"] @ autograd.ones(3, 1, dtype=autograd.float64)).item() == 2.75


class Call:
    """Pickles as a call of ``fn(*args)``: the payload of a hostile checkpoint."""

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return self.fn, self.args


@pytest.mark.parametrize("payload", ["system", "eval", "getattr", "rebuild_of_call"])
def test_crafted_pickle_is_refused_and_never_runs(tmp_path, payload):
    marker = tmp_path / "pwned"
    torch.save({"w": torch.zeros(2)}, tmp_path / "good.pt")
    evil = {
        "system": Call(os.system, f"touch {marker}"),
        "eval": Call(eval, f"open({str(marker)!r}, 'w')"),
        "getattr": Call(getattr, Call(__import__, "os"), "system"),
        "rebuild_of_call": Call(torch._utils._rebuild_tensor_v2, Call(os.system, f"touch {marker}"), 0, (1,), (1,),
                                False, None),
    }[payload]
    data = pickle.dumps({"w": evil}, protocol=2)
    rewrite(tmp_path / "good.pt", tmp_path / "evil.pt", lambda n, d: data if n.endswith("data.pkl") else d)
    names = {"system": "posix.system", "eval": "(__builtin__|builtins).eval", "getattr": "(__builtin__|builtins).getattr",
             "rebuild_of_call": "posix.system"}
    with pytest.raises(ValueError, match=f"global {names[payload]}"):
        autograd.load(tmp_path / "evil.pt")
    with pytest.raises(ValueError, match=f"global {names[payload]}"):
        autograd.load(tmp_path / "evil.pt", weights_only=False)  # torch files never run code
    assert not marker.exists()


def test_whole_torch_module_is_refused_with_advice(tmp_path):
    torch.save(torch.nn.Linear(2, 2), tmp_path / "module.pt")
    with pytest.raises(ValueError, match=r"global torch\.nn\.modules\.linear\.Linear"):
        autograd.load(tmp_path / "module.pt")
    with pytest.raises(ValueError, match="state_dict"):
        autograd.load(tmp_path / "module.pt", weights_only=False)


def test_map_location(tmp_path):
    torch.save({"w": torch.ones(2)}, tmp_path / "w.pt")
    for ok in (None, "cpu", {"cuda:0": "cpu"}, lambda storage, loc: storage):
        assert autograd.load(tmp_path / "w.pt", map_location=ok)["w"].numpy().tolist() == [1.0, 1.0]
    for bad in ("cuda", "cuda:0", {"cpu": "cuda:1"}):
        with pytest.raises(ValueError, match="only one this library has; pass map_location='cpu'"):
            autograd.load(tmp_path / "w.pt", map_location=bad)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_legacy_and_torchscript_files_are_refused_clearly(tmp_path):
    torch.save({"w": torch.ones(2)}, tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(ValueError, match="legacy format"):
        autograd.load(tmp_path / "legacy.pt")
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), tmp_path / "script.pt")
    with pytest.raises(ValueError, match="TorchScript"):
        autograd.load(tmp_path / "script.pt")


def test_torch_file_objects_and_bytes(tmp_path):
    buf = io.BytesIO()
    torch.save({"w": torch.arange(3)}, buf)
    buf.seek(0)
    assert autograd.load(buf)["w"].numpy().tolist() == [0, 1, 2]


def test_expanded_tensor_loads_as_a_read_only_view(tmp_path):
    big = torch.tensor([2.5]).expand(10**7)  # one stored element seen 10**7 times
    torch.save({"e": big, "col": torch.arange(3.0).view(3, 1).expand(3, 4)}, tmp_path / "e.pt")
    assert os.path.getsize(tmp_path / "e.pt") < 10_000
    sd = autograd.load(tmp_path / "e.pt")
    e = sd["e"].numpy()
    assert e.shape == (10**7,) and e.strides == (0,) and not e.flags.writeable and e[12345] == 2.5
    np.testing.assert_array_equal(sd["col"].numpy(), np.arange(3.0).reshape(3, 1).repeat(4, axis=1))
    assert float(sd["e"][:4].sum().item()) == 10.0
