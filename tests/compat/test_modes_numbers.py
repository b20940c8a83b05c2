"""Grad modes, legacy constructors, numbers and dtype facts, settings, and the smaller names real programs use."""

import math
import threading

import numpy as np
import pytest

import autograd
import nn


def test_inference_mode_context_and_decorators():
    x = autograd.ones(2, requires_grad=True)
    with autograd.inference_mode():
        assert autograd.is_inference_mode_enabled() and not autograd.is_grad_enabled()
        assert not (x * 2).requires_grad
        with autograd.inference_mode(False):  # as in PyTorch: mode=False changes nothing inside
            assert autograd.is_inference_mode_enabled()
    assert not autograd.is_inference_mode_enabled() and autograd.is_grad_enabled()
    with autograd.inference_mode(False):
        assert not autograd.is_inference_mode_enabled() and (x * 2).requires_grad

    @autograd.inference_mode()
    def f(t):
        return t * 2, autograd.is_inference_mode_enabled()

    @autograd.inference_mode
    def g(t):
        return t * 2

    @autograd.no_grad
    def h(t):
        return t * 2

    @autograd.enable_grad()
    def k(t):
        return t * 2

    @autograd.set_grad_enabled(False)
    def m(t):
        return t * 2

    out, flag = f(x)
    assert flag and not out.requires_grad and not g(x).requires_grad and not h(x).requires_grad
    assert not m(x).requires_grad and autograd.is_grad_enabled()
    with autograd.no_grad():
        assert k(x).requires_grad
    assert f.__name__ == "f" and h.__name__ == "h"


def test_inference_mode_is_thread_local():
    seen = []
    with autograd.inference_mode():
        t = threading.Thread(target=lambda: seen.append(autograd.is_inference_mode_enabled()))
        t.start()
        t.join()
    assert seen == [False]


def test_inference_mode_matches_torch_flags():
    torch = pytest.importorskip("torch")
    with torch.inference_mode():
        theirs = (torch.is_grad_enabled(), torch.is_inference_mode_enabled())
    with autograd.inference_mode():
        ours = (autograd.is_grad_enabled(), autograd.is_inference_mode_enabled())
    assert ours == theirs


def test_variable_returns_the_tensor():
    t = autograd.ones(3)
    v = autograd.Variable(t, requires_grad=True)
    assert v is t and v.requires_grad and isinstance(v, autograd.Tensor)
    with pytest.raises(TypeError, match="Variable data has to be a tensor"):
        autograd.Variable([1.0, 2.0])


@pytest.mark.parametrize("name", ["FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "BoolTensor",
                                  "ByteTensor", "HalfTensor"])
def test_legacy_constructors_match_torch(name):
    torch = pytest.importorskip("torch")
    ours_cls, theirs_cls = getattr(autograd, name), getattr(torch, name)
    for args in (([1, 0, 2],), (2, 3), ((2, 3),), ()):
        if name == "BoolTensor" and args == ([1, 0, 2],):
            args = ([True, False, True],)
        ours, theirs = ours_cls(*args), theirs_cls(*args)
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.").replace("bool", "bool")
        if args and isinstance(args[0], list):
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        assert isinstance(ours, ours_cls) and isinstance(ours, autograd.Tensor)
    assert not isinstance(autograd.ones(1, dtype=autograd.int8), ours_cls)
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        ours_cls([1], device="cuda")


def test_legacy_constructor_refuses_another_dtype_tensor():
    with pytest.raises(TypeError, match="expected LongTensor"):
        autograd.LongTensor(autograd.ones(2))
    assert autograd.LongTensor(autograd.ones(2).long()).dtype == np.int64


def test_numbers():
    torch = pytest.importorskip("torch")
    for name in ("inf", "nan", "pi", "e"):
        a, b = getattr(autograd, name), getattr(torch, name)
        assert (math.isnan(a) and math.isnan(b)) or a == b
    assert autograd.is_tensor(autograd.ones(1)) and not autograd.is_tensor([1.0])
    assert autograd.is_floating_point(autograd.ones(1)) and not autograd.is_floating_point(autograd.arange(2))
    assert autograd.numel(autograd.ones(2, 3)) == 6


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", None])
def test_finfo_matches_torch(dtype):
    torch = pytest.importorskip("torch")
    ours = autograd.finfo(getattr(autograd, dtype)) if dtype else autograd.finfo()
    theirs = torch.finfo(getattr(torch, dtype)) if dtype else torch.finfo()
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_matches_torch(dtype):
    torch = pytest.importorskip("torch")
    ours, theirs = autograd.iinfo(getattr(autograd, dtype)), torch.iinfo(getattr(torch, dtype))
    for attr in ("bits", "max", "min", "dtype"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    with pytest.raises(TypeError, match="use finfo"):
        autograd.iinfo(autograd.float32)
    with pytest.raises(TypeError, match="use iinfo"):
        autograd.finfo(autograd.int64)


def test_bfloat16_is_a_name_that_refuses_use():
    assert autograd.bfloat16 != autograd.float32
    with pytest.raises(TypeError, match="bfloat16 .*not supported by numbagrad.*use float32"):
        autograd.zeros(2, dtype=autograd.bfloat16)
    with pytest.raises(TypeError, match="bfloat16"):
        autograd.ones(2).to(autograd.bfloat16)


def test_size():
    s = autograd.Size([2, 3])
    assert s == (2, 3) and s == autograd.ones(2, 3).shape and s.numel() == 6 and isinstance(s, tuple)
    assert repr(s) == "autograd.Size([2, 3])" and isinstance(s[1:], autograd.Size) and s[0] == 2


def test_settings_round_trip():
    torch = pytest.importorskip("torch")
    assert autograd.get_float32_matmul_precision() == torch.get_float32_matmul_precision()
    autograd.set_float32_matmul_precision("high")
    try:
        assert autograd.get_float32_matmul_precision() == "high"
    finally:
        autograd.set_float32_matmul_precision("highest")
    with pytest.raises(RuntimeError, match="expected one of"):
        autograd.set_float32_matmul_precision("fast")
    assert autograd.are_deterministic_algorithms_enabled() is False
    autograd.use_deterministic_algorithms(True, warn_only=True)
    try:
        assert autograd.are_deterministic_algorithms_enabled() and autograd.is_deterministic_algorithms_warn_only_enabled()
    finally:
        autograd.use_deterministic_algorithms(False)


def test_set_printoptions_changes_the_repr():
    import re

    x = autograd.tensor([1.123456, 2.5, 3.0])
    try:
        autograd.set_printoptions(precision=2)
        assert re.findall(r"[\d.]+", repr(x)) == ["1.12", "2.50", "3.00"]
        autograd.set_printoptions(sci_mode=True, precision=1)
        assert re.findall(r"[\d.]+e[+-]\d+", repr(x)) == ["1.1e+00", "2.5e+00", "3.0e+00"]
        autograd.set_printoptions(threshold=5, edgeitems=1, sci_mode=False)
        assert re.fullmatch(r"tensor\(\[0, +\.\.\., 9\]\)", repr(autograd.arange(10)))
        autograd.set_printoptions(profile="full")
        assert "..." not in repr(autograd.arange(2000))
    finally:
        autograd.set_printoptions(profile="default")
    assert re.match(r"tensor\(\[ +0, +1, +2, +\.\.\., 1997, 1998, 1999\]\)", repr(autograd.arange(2000)))
    with pytest.raises(ValueError, match="profile"):
        autograd.set_printoptions(profile="tiny")


def test_small_tensor_methods_match_torch():
    torch = pytest.importorskip("torch")
    data = np.arange(12, dtype=np.float32).reshape(3, 4) - 5
    a, t = autograd.tensor(data), torch.tensor(data)
    for f in (lambda z: z.byte(), lambda z: z.ravel(), lambda z: z.less(1.0), lambda z: z.trace(),
              lambda z: z.unfold(1, 2, 2), lambda z: z.pin_memory() if z is not t else z):
        np.testing.assert_array_equal(np.asarray(f(a).numpy()), f(t).numpy())
    assert a.name is None and t.name is None
    assert a.data_ptr() == a.numpy().ctypes.data and a.data.data_ptr() == a.data_ptr()
    np.testing.assert_array_equal(autograd.isclose(a, a + 1e-9).numpy(), torch.isclose(t, t + 1e-9).numpy())


def test_random_():
    autograd.manual_seed(0)
    x = autograd.zeros(1000).random_(3, 7)
    assert set(np.unique(x.numpy())) == {3.0, 4.0, 5.0, 6.0}
    y = autograd.zeros(1000, dtype=autograd.int64).random_(5)
    assert y.numpy().min() >= 0 and y.numpy().max() <= 4
    z = autograd.zeros(100).random_()
    assert z.numpy().max() <= 2 ** 24 and np.all(z.numpy() == np.round(z.numpy()))
    with pytest.raises(RuntimeError, match="less than 'to'"):
        autograd.zeros(2).random_(5, 5)


@pytest.mark.parametrize("factor,shape", [(2, (2, 8, 3, 3)), (3, (1, 9, 2, 4)), (2, (4, 2, 2))])
def test_pixel_shuffle_matches_torch(factor, shape):
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    a, t = autograd.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    ours, theirs = nn.PixelShuffle(factor)(a), torch.nn.PixelShuffle(factor)(t)
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    back, tback = nn.PixelUnshuffle(factor)(ours), torch.nn.PixelUnshuffle(factor)(theirs)
    np.testing.assert_array_equal(back.detach().numpy(), tback.detach().numpy())
    w = np.random.default_rng(1).standard_normal(ours.shape).astype(np.float32)
    (ours * autograd.tensor(w)).sum().backward()
    (theirs * torch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), t.grad.numpy())
    assert repr(nn.PixelShuffle(2)) == repr(torch.nn.PixelShuffle(2))
    with pytest.raises(RuntimeError, match="divisible"):
        nn.PixelShuffle(2)(autograd.ones(1, 3, 2, 2))


def test_data_parallel_calls_the_module_and_keeps_torch_keys():
    torch = pytest.importorskip("torch")
    inner = nn.Linear(3, 2)
    dp = nn.DataParallel(inner)
    x = autograd.randn(4, 3)
    np.testing.assert_array_equal(dp(x).detach().numpy(), inner(x).detach().numpy())
    assert list(dp.state_dict()) == list(torch.nn.DataParallel(torch.nn.Linear(3, 2)).state_dict())
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        nn.DataParallel(inner, device_ids=[0])


def test_sdpa_kernel():
    from nn.attention import SDPBackend, sdpa_kernel

    with sdpa_kernel([SDPBackend.MATH, SDPBackend.FLASH_ATTENTION]):
        pass
    with sdpa_kernel(SDPBackend.MATH):
        pass
    with pytest.raises(RuntimeError, match="only SDPBackend.MATH"), sdpa_kernel(SDPBackend.FLASH_ATTENTION):
        pass


def _square_into(i, queue):
    queue.put((i, (autograd.ones(2) * i).sum().item()))


def _fail(i):
    if i == 1:
        raise ValueError("worker one fails")


def test_multiprocessing_spawn():
    import autograd.multiprocessing as mp

    ctx = mp.get_context("fork")
    queue = ctx.SimpleQueue()
    mp.spawn(_square_into, args=(queue,), nprocs=2)
    assert sorted(queue.get() for _ in range(2)) == [(0, 0.0), (1, 2.0)]
    with pytest.raises(mp.ProcessRaisedException, match="(?s)Process 1 terminated.*worker one fails"):
        mp.spawn(_fail, nprocs=2)


def test_version_module():
    import autograd.version

    assert autograd.version.cuda is None and autograd.version.__version__ == autograd.__version__
