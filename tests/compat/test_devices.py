"""Devices as PyTorch has them, on a library that runs on the CPU only: ``autograd.device``, ``Tensor.to`` in all
of PyTorch's forms, ``device=`` on factories, ``Module.to``, ``autograd.cuda``/``backends``/``accelerator``."""

import pickle

import numpy as np
import pytest

import autograd
import nn

CUDA_ERROR = "CUDA is not available: numbagrad runs on the CPU; use device='cpu'"


@pytest.mark.parametrize("spec", ["cpu", "cpu:0", "cuda", "cuda:1", "mps", "meta", ("cuda", 2), ("cpu", None)])
def test_device_objects_match_torch(spec):
    torch = pytest.importorskip("torch")
    args = spec if isinstance(spec, tuple) else (spec,)
    ours, theirs = autograd.device(*args), torch.device(*args)
    assert (ours.type, ours.index, str(ours), repr(ours)) == (theirs.type, theirs.index, str(theirs), repr(theirs))
    assert autograd.device(ours) == ours and hash(autograd.device(*args)) == hash(ours)
    assert pickle.loads(pickle.dumps(ours)) == ours
    assert (ours == str(ours)) == (theirs == str(theirs))  # a device never equals a string in PyTorch


def test_device_equality_and_bad_strings():
    assert autograd.device("cpu") != autograd.device("cpu:0")
    assert autograd.device("cuda:0") == autograd.device("cuda", 0)
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda.*device string: gpu"):
        autograd.device("gpu")
    with pytest.raises(RuntimeError, match="Invalid device string"):
        autograd.device("cuda:x")
    with pytest.raises(ValueError, match="already names an index"):
        autograd.device("cuda:0", 1)


def test_tensor_device_attributes():
    x = autograd.ones(2)
    assert x.device == autograd.device("cpu") and x.device.type == "cpu" and x.device.index is None
    assert x.is_cuda is False and x.is_cpu is True and x.get_device() == -1
    assert x.cpu() is x


def test_to_forms_and_copy():
    torch = pytest.importorskip("torch")
    data = np.arange(6, dtype=np.float32).reshape(2, 3)
    a, t = autograd.tensor(data), torch.tensor(data)
    d64 = autograd.tensor(data.astype(np.float64))
    forms = [
        ((), {}),
        (("cpu",), {}),
        ((autograd.device("cpu"),), {}),
        ((autograd.float64,), {}),
        (("cpu", autograd.float64), {}),
        (("cpu", autograd.float64, False, True), {}),
        ((), {"device": "cpu", "dtype": autograd.float64}),
        ((), {"dtype": autograd.float32, "copy": True}),
        ((), {"device": "cpu", "non_blocking": True}),
        ((autograd.float32,), {"copy": True}),
        ((d64,), {}),
        ((d64,), {"copy": True}),
    ]
    for args, kwargs in forms:
        targs = tuple(torch.float64 if x is autograd.float64 else torch.float32 if x is autograd.float32 else
                      torch.tensor(x.numpy()) if isinstance(x, autograd.Tensor) else
                      torch.device(str(x)) if isinstance(x, autograd.device) else x for x in args)
        tkw = {k: (torch.float64 if v is autograd.float64 else torch.float32 if v is autograd.float32 else v)
               for k, v in kwargs.items()}
        ours, theirs = a.to(*args, **kwargs), t.to(*targs, **tkw)
        assert (ours is a) == (theirs is t), (args, kwargs)
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    copied = a.to(copy=True)
    copied.numpy()[0, 0] = 99.0  # a real copy: the original is untouched
    assert a.numpy()[0, 0] == 0.0


def test_to_copy_keeps_the_graph():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    (x.to(copy=True) * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    y = autograd.tensor([1.0, 2.0], requires_grad=True)
    (y.to("cpu", autograd.float64) ** 2).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [2.0, 4.0])


@pytest.mark.parametrize("use", [
    lambda: autograd.ones(2).cuda(),
    lambda: autograd.ones(2).to("cuda"),
    lambda: autograd.ones(2).to(autograd.device("cuda", 0)),
    lambda: autograd.ones(2).to(device="cuda:1", dtype=autograd.float64),
    lambda: autograd.ones(2).to(0),
    lambda: autograd.zeros(2, device="cuda"),
    lambda: autograd.tensor([1.0], device="cuda"),
    lambda: autograd.randn(2, device="cuda"),
    lambda: autograd.arange(3, device=autograd.device("cuda")),
    lambda: autograd.ones(2).new_zeros(3, device="cuda"),
    lambda: nn.Linear(2, 2).to("cuda"),
    lambda: nn.Linear(2, 2).cuda(),
    lambda: nn.Linear(2, 2).to(autograd.device("cuda"), autograd.float64),
    lambda: autograd.cuda.current_device(),
    lambda: autograd.cuda.synchronize(),
    lambda: autograd.cuda.FloatTensor([1.0]),
    lambda: autograd.cuda.Event(enable_timing=True),
    lambda: autograd.Generator(device="cuda"),
])
def test_every_use_of_cuda_raises_the_one_error(use):
    with pytest.raises(RuntimeError) as info:
        use()
    assert str(info.value) == CUDA_ERROR


def test_other_accelerators_raise_naming_the_device():
    with pytest.raises(RuntimeError, match="device 'mps' is not available: numbagrad runs on the CPU"):
        autograd.ones(2).to("mps")


FACTORIES = [
    lambda d: autograd.tensor([1, 2], device=d), lambda d: autograd.as_tensor([1.0], device=d),
    lambda d: autograd.zeros(2, device=d), lambda d: autograd.ones(2, 3, device=d),
    lambda d: autograd.empty(2, device=d), lambda d: autograd.full((2,), 1.5, device=d),
    lambda d: autograd.eye(2, device=d), lambda d: autograd.arange(4, device=d),
    lambda d: autograd.linspace(0, 1, 3, device=d), lambda d: autograd.zeros_like(autograd.ones(2), device=d),
    lambda d: autograd.ones_like(autograd.ones(2), device=d), lambda d: autograd.empty_like(autograd.ones(2), device=d),
    lambda d: autograd.full_like(autograd.ones(2), 3, device=d), lambda d: autograd.rand(2, device=d),
    lambda d: autograd.randn(2, device=d), lambda d: autograd.randint(0, 5, (2,), device=d),
    lambda d: autograd.randperm(4, device=d), lambda d: autograd.rand_like(autograd.ones(2), device=d),
    lambda d: autograd.randn_like(autograd.ones(2), device=d),
    lambda d: autograd.ones(2).new_tensor([1.0], device=d), lambda d: autograd.ones(2).new_ones(2, device=d),
    lambda d: autograd.ones(2).new_full((2,), 1.0, device=d), lambda d: autograd.ones(2).new_empty(2, device=d),
]


@pytest.mark.parametrize("make", FACTORIES)
def test_factories_take_device(make):
    for d in ("cpu", autograd.device("cpu"), None):
        assert make(d).device == autograd.device("cpu")
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        make("cuda")


def test_module_to_forms():
    m = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    w = m[0].weight
    assert m.to("cpu") is m and m.to(autograd.device("cpu")) is m and m.cpu() is m
    m.to("cpu", autograd.float64)
    assert m[0].weight is w and w.dtype == np.float64 and m[1].running_mean.dtype == np.float64
    m.to(device="cpu", dtype=autograd.float32, non_blocking=True)
    assert w.dtype == np.float32 and m[1].num_batches_tracked.dtype == np.int64
    m.to(autograd.ones(1, dtype=autograd.float64))
    assert w.dtype == np.float64
    m.to_empty(device="cpu")
    assert m[0].weight.shape == (3, 2)
    assert m(autograd.ones(4, 2, dtype=autograd.float64)).shape == (4, 3)


def test_cuda_module_answers_like_a_cpu_build():
    c = autograd.cuda
    assert c.is_available() is False and c.device_count() == 0 and c.is_initialized() is False
    assert c.manual_seed(0) is None and c.manual_seed_all(0) is None and c.empty_cache() is None
    assert c.memory_allocated() == 0 and c.max_memory_allocated() == 0 and c.memory_reserved() == 0
    assert c.is_bf16_supported() is False
    state = autograd.random.get_rng_state()
    c.manual_seed(123)  # must not touch the CPU generator
    assert autograd.random.get_rng_state() == state


def test_backends_and_accelerator():
    b = autograd.backends
    old = (b.cudnn.benchmark, b.cudnn.deterministic)
    try:
        b.cudnn.benchmark, b.cudnn.deterministic = True, True
        assert b.cudnn.benchmark is True and b.cudnn.deterministic is True
        with b.cudnn.flags(enabled=False, benchmark=False):
            assert b.cudnn.enabled is False and b.cudnn.benchmark is False
        assert b.cudnn.enabled is True and b.cudnn.benchmark is True
    finally:
        b.cudnn.benchmark, b.cudnn.deterministic = old
    assert b.cudnn.is_available() is False and b.cudnn.version() is None
    assert b.mps.is_available() is False and b.mps.is_built() is False and b.cuda.is_built() is False
    b.cuda.matmul.allow_tf32 = False
    with b.cuda.sdp_kernel(enable_flash=False):
        pass
    assert autograd.accelerator.is_available() is False and autograd.accelerator.current_accelerator() is None
    assert autograd.accelerator.device_count() == 0
    with pytest.raises(RuntimeError, match="no accelerator"):
        autograd.accelerator.set_device_index(0)
    autograd.set_default_device("cpu")
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        autograd.set_default_device("cuda")
    assert autograd.get_default_device() == autograd.device("cpu")


def test_the_standard_boilerplate():
    device = autograd.device("cuda" if autograd.cuda.is_available() else "cpu")
    model = nn.Linear(3, 1).to(device)
    x = autograd.randn(4, 3).to(device)
    out = model(x.to(x.device))
    assert out.device == device and out.get_device() == -1
