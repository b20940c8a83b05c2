"""Layers real PyTorch programs use: F.interpolate / Upsample, InstanceNorm1d/2d, RMSNorm, the padding modules,
EmbeddingBag and the lazy convolutions, each against its PyTorch twin (weights copied with state_dict),
gradients included, with float64 gradchecks of the functional forms."""

import numpy as np
import pytest

import autograd as A
import nn
import nn.functional as F
from tests.helpers import copy_weights as _copy

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _compare(ours_fn, theirs_fn, x, rtol=1e-5, atol=1e-6, grad=True):
    """Forward and input gradient (of a random weighting of the output) of ours vs PyTorch's."""
    ox, tx = A.tensor(x, requires_grad=grad), torch.tensor(x, requires_grad=grad)
    o, t = ours_fn(ox), theirs_fn(tx)
    assert o.shape == tuple(t.shape)
    np.testing.assert_allclose(o.numpy(), t.detach().numpy(), rtol=rtol, atol=atol)
    if grad:
        w = np.random.default_rng(9).standard_normal(tuple(t.shape)).astype(x.dtype)
        (o * A.tensor(w)).sum().backward()
        (t * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(ox.grad.numpy(), tx.grad.numpy(), rtol=rtol, atol=atol)
    return ox, tx


# ---- interpolate / Upsample ----
INTERP = [
    dict(scale_factor=2), dict(size=(4, 9)), dict(scale_factor=(0.5, 2.5), mode="nearest-exact"),
    dict(scale_factor=1.7, mode="bilinear"), dict(size=(3, 11), mode="bilinear", align_corners=True),
    dict(size=(8, 3), mode="bilinear"), dict(scale_factor=2, mode="bilinear", align_corners=False),
    dict(size=(2, 3), mode="area"), dict(size=1, mode="bilinear", align_corners=True),
    dict(scale_factor=1.5, mode="bilinear", recompute_scale_factor=True),
]


@pytest.mark.parametrize("kw", INTERP)
def test_interpolate_2d_matches_torch(kw):
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 7)).astype(np.float32)
    _compare(lambda a: F.interpolate(a, **kw), lambda t: TF.interpolate(t, **kw), x)


@pytest.mark.parametrize("kw", [dict(scale_factor=3), dict(size=11, mode="linear"),
                                dict(size=4, mode="linear", align_corners=True), dict(scale_factor=0.6, mode="linear")])
def test_interpolate_1d_matches_torch(kw):
    x = np.random.default_rng(1).standard_normal((2, 3, 7)).astype(np.float32)
    _compare(lambda a: F.interpolate(a, **kw), lambda t: TF.interpolate(t, **kw), x)


def test_interpolate_gradcheck_and_errors():
    x = A.tensor(np.random.default_rng(2).standard_normal((1, 2, 3, 4)), requires_grad=True)
    assert A.gradcheck(lambda a: F.interpolate(a, size=(5, 6), mode="bilinear"), (x,))
    assert A.gradcheck(lambda a: F.interpolate(a, scale_factor=2, mode="nearest"), (x,))
    with pytest.raises(ValueError, match="only one of them"):
        F.interpolate(x, size=3, scale_factor=2)
    with pytest.raises(NotImplementedError, match="bicubic"):
        F.interpolate(x, scale_factor=2, mode="bicubic")
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        F.interpolate(x, scale_factor=2, align_corners=True)


def test_upsample_modules():
    x = np.random.default_rng(3).standard_normal((1, 2, 3, 3)).astype(np.float32)
    for ours, theirs in [(nn.Upsample(scale_factor=2, mode="bilinear"), torch.nn.Upsample(scale_factor=2, mode="bilinear")),
                         (nn.Upsample(size=(5, 4)), torch.nn.Upsample(size=(5, 4))),
                         (nn.UpsamplingBilinear2d(scale_factor=2), torch.nn.UpsamplingBilinear2d(scale_factor=2)),
                         (nn.UpsamplingNearest2d(size=6), torch.nn.UpsamplingNearest2d(size=6))]:
        _compare(ours, theirs, x)
    assert repr(nn.Upsample(scale_factor=2, mode="bilinear")) == repr(torch.nn.Upsample(scale_factor=2, mode="bilinear"))


# ---- InstanceNorm and RMSNorm ----
@pytest.mark.parametrize("cls,shape", [("InstanceNorm1d", (3, 4, 6)), ("InstanceNorm2d", (2, 4, 3, 5)),
                                       ("InstanceNorm2d", (4, 3, 5))])
@pytest.mark.parametrize("affine,track", [(False, False), (True, False), (True, True), (False, True)])
def test_instance_norm_matches_torch(cls, shape, affine, track):
    theirs = getattr(torch.nn, cls)(4, affine=affine, track_running_stats=track)
    ours = getattr(nn, cls)(4, affine=affine, track_running_stats=track)
    if affine:
        with torch.no_grad():
            theirs.weight.uniform_(0.5, 1.5)
            theirs.bias.uniform_(-0.5, 0.5)
    _copy(ours, theirs)
    rng = np.random.default_rng(4)
    for step in range(2):
        x = (rng.standard_normal(shape) * 2 + 1).astype(np.float32)
        _compare(ours, theirs, x, rtol=1e-4, atol=1e-5)
    for k, v in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[k].numpy(), v.numpy(), rtol=1e-5, atol=1e-6, err_msg=k)
    ours.eval()
    theirs.eval()
    _compare(ours, theirs, rng.standard_normal(shape).astype(np.float32), rtol=1e-4, atol=1e-5)
    if affine:
        for (n, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-4, err_msg=n)
    assert repr(ours) == repr(theirs)


def test_instance_norm_gradcheck():
    x = A.tensor(np.random.default_rng(5).standard_normal((2, 3, 4)), requires_grad=True)
    w = A.tensor(np.random.default_rng(6).standard_normal(3), requires_grad=True)
    assert A.gradcheck(lambda a, b: F.instance_norm(a, weight=b), (x, w))


@pytest.mark.parametrize("shape,norm,eps", [((2, 5, 6), 6, None), ((3, 4, 5), (4, 5), 1e-6)])
def test_rms_norm_matches_torch(shape, norm, eps):
    theirs = torch.nn.RMSNorm(norm, eps=eps)
    with torch.no_grad():
        theirs.weight.uniform_(0.5, 1.5)
    ours = nn.RMSNorm(norm, eps=eps)
    _copy(ours, theirs)
    _compare(ours, theirs, np.random.default_rng(7).standard_normal(shape).astype(np.float32))
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-5, atol=1e-5)
    assert repr(ours) == repr(theirs)
    x = A.tensor(np.random.default_rng(8).standard_normal(shape), requires_grad=True)
    assert A.gradcheck(lambda a: F.rms_norm(a, norm, eps=eps), (x,))


# ---- padding modules ----
PADS = [("ZeroPad1d", (2,)), ("ZeroPad2d", ((1, 2, 0, 3),)), ("ConstantPad1d", ((1, 2), 3.5)),
        ("ConstantPad2d", (1, -1.0)), ("ReflectionPad1d", ((2, 1),)), ("ReflectionPad2d", (1,)),
        ("ReplicationPad1d", (3,)), ("ReplicationPad2d", ((0, 2, 1, 1),)), ("CircularPad1d", (1,)),
        ("CircularPad2d", ((1, 1, 2, 0),))]


@pytest.mark.parametrize("name,args", PADS)
def test_padding_modules_match_torch(name, args):
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    shape = (2, 3, 5) if name.endswith("1d") else (2, 3, 4, 5)
    _compare(ours, theirs, np.random.default_rng(10).standard_normal(shape).astype(np.float32))
    assert repr(ours) == repr(theirs)


# ---- EmbeddingBag ----
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("form", ["offsets", "2d", "last_offset", "padding"])
def test_embedding_bag_matches_torch(mode, form):
    rng = np.random.default_rng(11)
    kw = dict(mode=mode)
    if form == "last_offset":
        kw["include_last_offset"] = True
    if form == "padding":
        kw["padding_idx"] = 2
    theirs = torch.nn.EmbeddingBag(10, 4, **kw)
    ours = nn.EmbeddingBag(10, 4, **kw)
    _copy(ours, theirs)
    if form == "2d":
        idx = rng.integers(0, 10, (3, 4))
        args_o, args_t = (A.tensor(idx),), (torch.tensor(idx),)
    else:
        idx = np.array([1, 2, 4, 5, 4, 3, 2, 9, 2, 2])
        offsets = [0, 2, 2, 5] + ([10] if form == "last_offset" else [])
        args_o, args_t = (A.tensor(idx), A.tensor(offsets)), (torch.tensor(idx), torch.tensor(offsets))
    o, t = ours(*args_o), theirs(*args_t)
    np.testing.assert_allclose(o.numpy(), t.detach().numpy(), rtol=1e-6, atol=1e-6)
    w = rng.standard_normal(tuple(t.shape)).astype(np.float32)
    (o * A.tensor(w)).sum().backward()
    (t * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_embedding_bag_per_sample_weights_and_errors():
    theirs = torch.nn.EmbeddingBag(6, 3, mode="sum")
    ours = nn.EmbeddingBag(6, 3, mode="sum")
    _copy(ours, theirs)
    idx, off = np.array([0, 5, 5, 1, 2]), np.array([0, 3])
    psw = np.linspace(0.5, 2, 5).astype(np.float32)
    opsw, tpsw = A.tensor(psw, requires_grad=True), torch.tensor(psw, requires_grad=True)
    o = ours(A.tensor(idx), A.tensor(off), per_sample_weights=opsw)
    t = theirs(torch.tensor(idx), torch.tensor(off), per_sample_weights=tpsw)
    # float32 bag sums in either engine's order: a bag whose terms nearly cancel differs in the last bits
    np.testing.assert_allclose(o.numpy(), t.detach().numpy(), rtol=1e-6, atol=1e-6)
    o.sum().backward()
    t.sum().backward()
    np.testing.assert_allclose(opsw.grad.numpy(), tpsw.grad.numpy(), rtol=1e-5)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-5)
    with pytest.raises(NotImplementedError, match="only supported for mode='sum'"):
        F.embedding_bag(A.tensor(idx), ours.weight, A.tensor(off), mode="mean", per_sample_weights=opsw)
    with pytest.raises(ValueError, match="offsets has to be None"):
        ours(A.tensor([[1, 2]]), A.tensor([0]))
    with pytest.raises(RuntimeError, match=r"offsets\[0\] has to be 0"):
        ours(A.tensor(idx), A.tensor([1, 3]))
    w = A.tensor(np.random.default_rng(12).standard_normal((6, 3)), requires_grad=True)
    assert A.gradcheck(lambda a: F.embedding_bag(A.tensor(idx), a, A.tensor(off), mode="mean"), (w,))


# ---- lazy modules ----
def test_lazy_conv_becomes_conv_and_matches_torch():
    for ours, theirs, shape in [(nn.LazyConv2d(4, 3, padding=1), torch.nn.LazyConv2d(4, 3, padding=1), (2, 3, 5, 5)),
                                (nn.LazyConv1d(2, 2, stride=2), torch.nn.LazyConv1d(2, 2, stride=2), (2, 3, 6))]:
        x = np.random.default_rng(13).standard_normal(shape).astype(np.float32)
        theirs(torch.tensor(x))
        ours(A.tensor(x))
        assert type(ours).__name__ == type(theirs).__name__ and ours.weight.shape == tuple(theirs.weight.shape)
        _copy(ours, theirs)
        _compare(ours, theirs, x, rtol=1e-5, atol=1e-5)
    lazy = nn.LazyConv2d(4, 3)
    lazy.load_state_dict({k: v.detach().numpy() for k, v in torch.nn.Conv2d(2, 4, 3).state_dict().items()})
    assert lazy.in_channels == 2 and lazy.weight.shape == (4, 2, 3, 3)


def test_lazy_batch_norm_matches_torch():
    for ours, theirs, shape in [(nn.LazyBatchNorm2d(), torch.nn.LazyBatchNorm2d(), (4, 3, 5, 5)),
                                (nn.LazyBatchNorm1d(momentum=None), torch.nn.LazyBatchNorm1d(momentum=None), (6, 5))]:
        x = np.random.default_rng(14).standard_normal(shape).astype(np.float32)
        _compare(ours, theirs, x, rtol=1e-4, atol=1e-5)
        assert type(ours).__name__ == type(theirs).__name__
        for k, v in theirs.state_dict().items():
            np.testing.assert_allclose(ours.state_dict()[k].numpy(), v.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_module_compile_is_a_no_op():
    m = nn.Linear(2, 2)
    before = m(A.ones(1, 2)).numpy()
    assert m.compile(mode="reduce-overhead") is None
    np.testing.assert_array_equal(m(A.ones(1, 2)).numpy(), before)
