"""safetensors both ways through the safetensors package: files written here are read by
`safetensors.numpy.load_file` bit for bit and the other way round, metadata round-trips as strings, the format
is chosen by `format=` or a `.safetensors` path and recognised by content on load."""

import io
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
import nn

safetensors_numpy = pytest.importorskip("safetensors.numpy")

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


def arrays(seed=0):
    rng = np.random.default_rng(seed)
    out = {name: (rng.standard_normal((2, 3)) * 50).astype(name) for name in DTYPES}
    out["nan_inf"] = np.array([np.nan, -np.inf, np.inf, -0.0], dtype=np.float32)
    out["scalar"] = np.array(3.5, dtype=np.float64)
    out["empty"] = np.zeros((0, 4), dtype=np.float32)
    return out


def bits_equal(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def test_ours_read_by_safetensors_bit_for_bit(tmp_path):
    src = arrays()
    sd = {k: autograd.tensor(v) for k, v in src.items()}
    sd["transposed"] = autograd.tensor(np.arange(6.0).reshape(2, 3)).t()  # not contiguous
    autograd.save(sd, tmp_path / "m.safetensors", metadata={"epoch": "3", "name": "héllo"})
    theirs = safetensors_numpy.load_file(str(tmp_path / "m.safetensors"))
    assert set(theirs) == set(sd)
    for k, v in sd.items():
        assert bits_equal(theirs[k], v.numpy().copy(order="C")), k
    from safetensors import safe_open

    with safe_open(str(tmp_path / "m.safetensors"), framework="np") as f:
        assert f.metadata() == {"epoch": "3", "name": "héllo"}


def test_theirs_read_here_bit_for_bit(tmp_path):
    src = arrays(1)
    safetensors_numpy.save_file(src, str(tmp_path / "t.bin"), metadata={"format": "np"})
    for f in (tmp_path / "t.bin", str(tmp_path / "t.bin"), io.BytesIO((tmp_path / "t.bin").read_bytes())):
        sd = autograd.load(f)  # recognised by content, whatever the name
        assert set(sd) == set(src) and sd.metadata == {"format": "np"}
        for k, v in src.items():
            assert isinstance(sd[k], autograd.Tensor) and bits_equal(sd[k].numpy(), v), k


@given(st.sampled_from(DTYPES), st.lists(st.integers(0, 3), max_size=3), st.booleans())
def test_round_trip_through_file_objects(dtype, shape, with_meta):
    arr = np.asarray((np.random.default_rng(0).standard_normal(shape) * 10).astype(dtype))
    buf = io.BytesIO()
    meta = {"k": "v"} if with_meta else None
    autograd.save({"a": arr, "b": autograd.tensor(arr)}, buf, format="safetensors", metadata=meta)
    assert safetensors_numpy.load(buf.getvalue())["a"].tobytes() == arr.tobytes()
    buf.seek(0)
    back = autograd.load(buf)
    assert bits_equal(back["a"].numpy(), arr) and bits_equal(back["b"].numpy(), arr) and back.metadata == meta


def test_model_state_dict_through_safetensors(tmp_path):
    autograd.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    autograd.save(model.state_dict(), tmp_path / "model.safetensors")
    other = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    other.load_state_dict(autograd.load(tmp_path / "model.safetensors"))
    for (k, a), b in zip(model.state_dict().items(), other.state_dict().values()):
        assert bits_equal(a.numpy(), b.numpy()), k


def test_metadata_passes_through_a_load_save_cycle(tmp_path):
    safetensors_numpy.save_file({"w": np.ones(2, np.float32)}, str(tmp_path / "a.safetensors"), metadata={"x": "1"})
    sd = autograd.load(tmp_path / "a.safetensors")
    autograd.save(sd, tmp_path / "b.safetensors")  # the loaded dict's metadata goes with it
    assert autograd.load(tmp_path / "b.safetensors").metadata == {"x": "1"}
    autograd.save({"w": autograd.ones(2)}, tmp_path / "c.safetensors")
    assert autograd.load(tmp_path / "c.safetensors").metadata is None


def test_bfloat16_widened_with_a_warning(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    w = torch.tensor([1.5, -2.25, 3.0e38], dtype=torch.bfloat16)
    save_file({"w": w, "f": torch.ones(2)}, str(tmp_path / "bf.safetensors"))
    for f in (tmp_path / "bf.safetensors", io.BytesIO((tmp_path / "bf.safetensors").read_bytes())):
        with pytest.warns(UserWarning, match="bfloat16.*float32"):
            sd = autograd.load(f)
        assert sd["w"].dtype == np.float32 and sd["w"].numpy().tolist() == w.float().tolist()
        assert sd["f"].numpy().tolist() == [1.0, 1.0]


def test_what_safetensors_cannot_hold_is_refused_clearly(tmp_path):
    with pytest.raises(TypeError, match=r"'nested' is a dict.*default format"):
        autograd.save({"nested": {"a": autograd.ones(1)}}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="metadata must be a dict of str to str"):
        autograd.save({"a": autograd.ones(1)}, tmp_path / "x.safetensors", metadata={"epoch": 3})
    with pytest.raises(TypeError, match="keys are strings"):
        autograd.save({1: autograd.ones(1)}, tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="format='safetensors' only"):
        autograd.save({"a": autograd.ones(1)}, tmp_path / "x.ckpt", metadata={"a": "b"})
    with pytest.raises(ValueError, match="format must be one of"):
        autograd.save({}, tmp_path / "x.ckpt", format="onnx")


def test_damaged_safetensors_files_raise_value_error(tmp_path):
    buf = io.BytesIO()
    autograd.save({"a": autograd.ones(4), "b": autograd.zeros(2, dtype=autograd.int64)}, buf, format="safetensors")
    data = buf.getvalue()
    for bad in (data[:-3], data[:20], data[:8] + b"{" + b"x" * (len(data) - 9),
                data.replace(b'"shape":[4]', b'"shape":[9]'), data.replace(b'"shape":[4]', b'"shape":[-4]')):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(ValueError, match="cannot load"):
                autograd.load(io.BytesIO(bad))
