"""Error messages a newcomer meets (issue 17 item 4, issue 18 item 7): each names what was wrong and says what to
do; silent coercions PyTorch refuses are refused here too."""

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F
import optim


def test_float_class_index_targets_name_the_dtype_and_suggest_long():
    x = autograd.randn(4, 3)
    for fn in (F.cross_entropy, F.nll_loss):
        with pytest.raises(RuntimeError) as e:
            fn(x, autograd.tensor([0.0, 1.0, 2.0, 1.0]))
        msg = str(e.value)
        assert "float32" in msg and ".long()" in msg and "int64" in msg, msg


def test_class_probability_targets_of_the_wrong_shape_still_say_so():
    with pytest.raises(ValueError, match=r"class-probability target of size \[4, 2\] must match the input size \[4, 3\]"):
        F.cross_entropy(autograd.randn(4, 3), autograd.rand(4, 2))


@pytest.mark.parametrize("dtype", [np.int32, np.int16, np.int8, np.uint16])
def test_non_long_integer_targets_are_refused_like_pytorch(dtype):
    x = autograd.randn(4, 3)
    t = autograd.tensor(np.array([0, 1, 2, 1], dtype=dtype))
    for fn in (F.cross_entropy, F.nll_loss):
        with pytest.raises(RuntimeError) as e:
            fn(x, t)
        msg = str(e.value)
        assert np.dtype(dtype).name in msg and ".long()" in msg, msg
    assert F.cross_entropy(x, t.long()).numpy().shape == ()


def test_uint8_targets_are_accepted_like_pytorch():
    x = autograd.randn(4, 3)
    t = np.array([0, 1, 2, 1])
    a = F.cross_entropy(x, autograd.tensor(t.astype(np.uint8))).item()
    b = F.cross_entropy(x, autograd.tensor(t)).item()
    assert a == pytest.approx(b)
    assert F.nll_loss(x, autograd.tensor(t.astype(np.uint8))).item() == pytest.approx(F.nll_loss(x, autograd.tensor(t)).item())


def test_target_dtype_rule_is_pytorchs():
    torch = pytest.importorskip("torch")
    x = torch.randn(4, 3)
    for dtype, accepted in ((torch.int32, False), (torch.int16, False), (torch.float32, False), (torch.uint8, True),
                            (torch.int64, True)):
        t = torch.tensor([0, 1, 2, 1]).to(dtype)
        try:
            torch.nn.functional.cross_entropy(x, t)
            ok = True
        except RuntimeError:
            ok = False
        assert ok == accepted, dtype


def test_item_on_many_elements_hints_tolist_and_sum():
    with pytest.raises(RuntimeError) as e:
        autograd.tensor([1.0, 2.0, 3.0]).item()
    msg = str(e.value)
    assert "3 elements" in msg and ".tolist()" in msg and ".sum()" in msg


def test_load_state_dict_key_mismatch_mentions_strict_false():
    m = nn.Linear(2, 3)
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict({"weight": autograd.zeros(3, 2)})
    msg = str(e.value)
    assert 'Missing key(s) in state_dict: "bias"' in msg and "strict=False" in msg
    with pytest.raises(RuntimeError, match="strict=False"):
        m.load_state_dict({**m.state_dict(), "extra": autograd.zeros(1)})
    missing, unexpected = m.load_state_dict({"weight": autograd.zeros(3, 2)}, strict=False)
    assert missing == ["bias"] and unexpected == []


def test_load_state_dict_size_mismatch_does_not_suggest_strict_false():
    m = nn.Linear(2, 3)
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict({"weight": autograd.zeros(4, 2), "bias": autograd.zeros(3)})
    assert "size mismatch" in str(e.value) and "strict=False" not in str(e.value)


@pytest.mark.parametrize("dtype", [autograd.int64, autograd.float64])
def test_linear_refuses_input_of_another_dtype_naming_both(dtype):
    layer = nn.Linear(2, 3)
    x = autograd.ones(4, 2).to(dtype)
    with pytest.raises(RuntimeError) as e:
        layer(x)
    msg = str(e.value)
    assert f"{np.dtype(dtype).name} (input)" in msg and "float32 (weight)" in msg and "same dtype" in msg
    assert ".to(autograd.float32)" in msg and ("layer with .to(autograd.float64)" in msg) == (dtype == autograd.float64)
    assert layer(x.float()).shape == (4, 3)
    assert layer.to(autograd.float64)(autograd.ones(4, 2, dtype=autograd.float64)).dtype == autograd.float64


def test_linear_dtype_rule_is_pytorchs():
    torch = pytest.importorskip("torch")
    for dtype in (torch.int64, torch.float64):
        with pytest.raises(RuntimeError, match="same dtype"):
            torch.nn.Linear(2, 3)(torch.ones(4, 2, dtype=dtype))


@pytest.mark.parametrize("data", [["a", "b"], [b"x"], np.array(["1.5", "2"]), np.array(["2026-01-01"], dtype="M8[D]")])
def test_tensor_of_strings_or_dates_is_refused(data):
    with pytest.raises(TypeError) as e:
        autograd.tensor(data)
    msg = str(e.value)
    assert "tensor()" in msg and "convert" in msg
    assert any(w in msg for w in ("strings", "bytes", "datetimes")), msg


def _stepped(opt_cls, out_features, **kw):
    m = nn.Linear(3, out_features)
    opt = opt_cls(m.parameters(), **kw)
    m(autograd.randn(4, 3)).sum().backward()
    opt.step()
    return opt


@pytest.mark.parametrize("opt_cls,kw", [(optim.Adam, {}), (optim.SGD, {"lr": 0.1, "momentum": 0.9}),
                                        (optim.RMSprop, {"centered": True}), (optim.Adagrad, {}),
                                        (optim.Adafactor, {})])
def test_optimizer_load_state_dict_checks_state_shapes(opt_cls, kw):
    saved = _stepped(opt_cls, 2, **kw).state_dict()
    other = opt_cls(nn.Linear(3, 4).parameters(), **kw)
    with pytest.raises(ValueError) as e:
        other.load_state_dict(saved)
    msg = str(e.value)
    assert "parameter 0" in msg and "(4, 3)" in msg and "different model" in msg, msg
    same = opt_cls(nn.Linear(3, 2).parameters(), **kw)
    same.load_state_dict(saved)  # the right shapes still load
