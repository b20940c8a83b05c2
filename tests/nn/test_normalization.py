"""Normalization layers against their PyTorch twins (float64 outputs, input/parameter grads, running stats over
several training steps, eval mode), higher derivatives, errors, and the norm kernels against numpy."""

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F
from autograd.kernels import norm as K
from tests.helpers import randn as _t
from tests.nn.test_conv import twin

torch = pytest.importorskip("torch")

BN = [dict(), dict(momentum=None), dict(momentum=0.3, eps=1e-3), dict(affine=False), dict(bias=False),
      dict(track_running_stats=False), dict(track_running_stats=False, affine=False)]


@pytest.mark.parametrize("kw", BN, ids=str)
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5)], ids=str)
def test_batchnorm1d_train_then_eval(kw, shape):
    ours = nn.BatchNorm1d(3, dtype=autograd.float64, **kw)
    theirs = torch.nn.BatchNorm1d(3, dtype=torch.float64, **kw)
    assert repr(ours) == repr(theirs)
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    rng = np.random.default_rng(0)
    if theirs.affine:  # non-trivial affine parameters
        with torch.no_grad():
            theirs.weight.uniform_(0.5, 1.5)
            if theirs.bias is not None:
                theirs.bias.uniform_(-1, 1)
    for step in range(3):  # running stats after several steps (and each step's output and grads)
        twin(ours, theirs, rng.standard_normal(shape) * 2 + 1, seed=step) if step == 0 else _step(ours, theirs, rng, shape)
    if theirs.track_running_stats:
        assert int(ours.num_batches_tracked.item()) == int(theirs.num_batches_tracked) == 3
    ours.eval()
    theirs.eval()
    x = rng.standard_normal(shape)
    twin_eval(ours, theirs, x)


def _step(ours, theirs, rng, shape):
    """One more training step on both, without reloading ``ours`` from ``theirs`` (stats evolve independently)."""
    x = rng.standard_normal(shape) * 2 + 1
    ya, yt = ours(autograd.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_allclose(ya.numpy(), yt.detach().numpy(), atol=1e-10)
    for name, b in theirs.named_buffers():
        np.testing.assert_allclose(dict(ours.named_buffers())[name].numpy(), b.numpy(), rtol=1e-10, err_msg=name)


def twin_eval(ours, theirs, x):
    xa, xt = autograd.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ya, yt = ours(xa), theirs(xt)
    np.testing.assert_allclose(ya.numpy(), yt.detach().numpy(), atol=1e-10)
    g = np.random.default_rng(9).standard_normal(x.shape)
    ya.backward(autograd.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), atol=1e-10)
    for (name, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), atol=1e-10, err_msg=name)


@pytest.mark.parametrize("kw", [dict(), dict(momentum=None), dict(affine=False, track_running_stats=False)], ids=str)
def test_batchnorm2d(kw):
    ours = nn.BatchNorm2d(4, dtype=autograd.float64, **kw)
    theirs = torch.nn.BatchNorm2d(4, dtype=torch.float64, **kw)
    assert repr(ours) == repr(theirs)
    rng = np.random.default_rng(1)
    twin(ours, theirs, rng.standard_normal((3, 4, 5, 6)) * 3 - 1)
    for _ in range(2):
        _step(ours, theirs, rng, (3, 4, 5, 6))
    ours.eval()
    theirs.eval()
    twin_eval(ours, theirs, rng.standard_normal((2, 4, 3, 3)))


def test_batchnorm_float32_default_and_state_dict_keys():
    ours, theirs = nn.BatchNorm2d(3), torch.nn.BatchNorm2d(3)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = np.random.default_rng(0).standard_normal((4, 3, 2, 2)).astype(np.float32)
    y = ours(autograd.tensor(x))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), theirs(torch.tensor(x)).detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), rtol=1e-5)
    assert ours.running_var.dtype == np.float32


@pytest.mark.parametrize("kw", [dict(), dict(elementwise_affine=False), dict(bias=False), dict(eps=1e-2)], ids=str)
@pytest.mark.parametrize("nshape", [(5,), (4, 5)], ids=str)
def test_layernorm(kw, nshape):
    ours = nn.LayerNorm(nshape, dtype=autograd.float64, **kw)
    theirs = torch.nn.LayerNorm(nshape, dtype=torch.float64, **kw)
    assert repr(ours) == repr(theirs)
    if theirs.elementwise_affine:
        with torch.no_grad():
            theirs.weight.uniform_(0.5, 1.5)
            if theirs.bias is not None:
                theirs.bias.uniform_(-1, 1)
    twin(ours, theirs, np.random.default_rng(2).standard_normal((2, 3, 4, 5)))


@pytest.mark.parametrize("kw", [dict(), dict(affine=False), dict(bias=False)], ids=str)
@pytest.mark.parametrize("shape", [(2, 6), (2, 6, 5), (3, 6, 2, 3)], ids=str)
def test_groupnorm(kw, shape):
    ours = nn.GroupNorm(3, 6, dtype=autograd.float64, **kw)
    theirs = torch.nn.GroupNorm(3, 6, dtype=torch.float64, **kw)
    assert repr(ours) == repr(theirs)
    if theirs.affine:
        with torch.no_grad():
            theirs.weight.uniform_(0.5, 1.5)
            if theirs.bias is not None:
                theirs.bias.uniform_(-1, 1)
    twin(ours, theirs, np.random.default_rng(3).standard_normal(shape))


def test_higher_derivatives():
    rng = np.random.default_rng(0)
    x, w, b = _t(rng, 3, 4, 2), _t(rng, 4), _t(rng, 4)
    assert autograd.gradgradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [x, w, b])
    assert autograd.gradgradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), [x, w, b])
    assert autograd.gradgradcheck(lambda x, w: F.layer_norm(x, (4, 2), w.reshape(4, 1).expand(4, 2)), [x, w])


def test_double_backward_matches_torch():
    x = np.random.default_rng(4).standard_normal((5, 3))
    xa, xt = autograd.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (ga,) = autograd.grad((F.layer_norm(xa, (3,)) ** 3).sum(), [xa], create_graph=True)
    (gt,) = torch.autograd.grad((torch.nn.functional.layer_norm(xt, (3,)) ** 3).sum(), [xt], create_graph=True)
    np.testing.assert_allclose(ga.detach().numpy(), gt.detach().numpy(), atol=1e-10)
    (ga ** 2).sum().backward()
    (gt ** 2).sum().backward()
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), atol=1e-8)


def test_errors():
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3.*expected 2D or 3D input \(got 4D input"):
        nn.BatchNorm1d(3)(autograd.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3.*expected input with 3 channels .* shape \(2, 4, 5, 5\)"):
        nn.BatchNorm2d(3)(autograd.zeros(2, 4, 5, 5))
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, got input size \[1, 3\]"):
        nn.BatchNorm1d(3)(autograd.zeros(1, 3))
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[4\], expected input with shape \[\*, 4\], but got input "
                                           r"of size\[2, 3\]"):
        nn.LayerNorm(4)(autograd.zeros(2, 3))
    with pytest.raises(RuntimeError, match=r"divisible by num_groups, but got input of shape \[2, 6, 4\] and num_groups=4"):
        F.group_norm(autograd.zeros(2, 6, 4), 4)
    with pytest.raises(ValueError, match=r"num_channels \(6\) must be divisible by num_groups \(4\)"):
        nn.GroupNorm(4, 6)
    with pytest.raises(TypeError, match="momentum' must be float, not NoneType"):
        F.batch_norm(autograd.zeros(4, 3), autograd.zeros(3), autograd.ones(3), training=True, momentum=None)
    with pytest.raises(RuntimeError, match=r"expected running_mean of shape \[3\]"):
        F.batch_norm(autograd.zeros(4, 3), autograd.zeros(2), autograd.ones(3), training=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("view", [(4, 3, 10), (1, 7, 12), (1, 1, 5)], ids=str)
def test_kernels_match_numpy(dtype, view):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(view) * 3 + 2).astype(dtype)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for a, b in zip(K.normalize(x, 1e-5), K.normalize_numpy(x, 1e-5)):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    xhat, _, _, invstd = K.normalize_numpy(x, 1e-5)
    gh = rng.standard_normal(view).astype(dtype)
    np.testing.assert_allclose(K.normalize_backward(gh, xhat, invstd), K.normalize_backward_numpy(gh, xhat, invstd),
                               rtol=tol * 10, atol=tol * 10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("affine", [(True, True), (True, False), (False, False)], ids=str)
@pytest.mark.parametrize("shape", [(101, 33), (1, 7), (64, 256)], ids=str)
def test_row_kernels_match_numpy(dtype, affine, shape):
    """The layer-norm row kernels (affine fused, xhat recomputed in the backward) against numpy in float64."""
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(shape) * 3 + 2).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal(shape[1]).astype(dtype) if affine[0] else None
    b = rng.standard_normal(shape[1]).astype(dtype) if affine[1] else None
    tol = 2e-5 if dtype == np.float32 else 1e-12
    x64 = x.astype(np.float64)
    mean = x64.mean(1, keepdims=True)
    var = x64.var(1, keepdims=True)
    xhat = (x64 - mean) / np.sqrt(var + 1e-5)
    w64 = np.ones(shape[1]) if w is None else w.astype(np.float64)
    b64 = np.zeros(shape[1]) if b is None else b.astype(np.float64)
    y, m, v, r = K.normalize_rows(x, w, b, 1e-5)
    assert y.dtype == dtype and m.dtype == r.dtype == np.float64
    np.testing.assert_allclose(y, xhat * w64 + b64, rtol=tol, atol=tol)
    np.testing.assert_allclose(m, mean[:, 0], rtol=tol, atol=tol)
    np.testing.assert_allclose(v, var[:, 0], rtol=tol, atol=tol)
    gh = g.astype(np.float64) * w64
    dx_ref = (gh - gh.mean(1, keepdims=True) - xhat * (gh * xhat).mean(1, keepdims=True)) / np.sqrt(var + 1e-5)
    for need_x in (True, False):
        dx, dw, db = K.normalize_rows_backward(g, x, w, m, r, need_x)
        assert (dx is None) != need_x and dw.dtype == db.dtype == dtype
        if need_x:
            np.testing.assert_allclose(dx, dx_ref, rtol=tol * 10, atol=tol * 10)
        np.testing.assert_allclose(dw, (g * xhat).sum(0), rtol=tol * 10, atol=tol * 10 * shape[0])
        np.testing.assert_allclose(db, g.astype(np.float64).sum(0), rtol=tol * 10, atol=tol * 10 * shape[0])


def test_row_kernels_parallel_equal_serial():
    """Each loop iteration owns its rows (forward) or its block of rows (backward: partial sums of dw, db), so the
    range cut in uneven pieces gives the whole range's bits; 75 rows: blocks of K.ROW_BLOCK and a short last one."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((75, 40)).astype(np.float32)
    g = rng.standard_normal((75, 40)).astype(np.float32)
    w, b = rng.standard_normal(40).astype(np.float32), rng.standard_normal(40).astype(np.float32)
    _, mean, _, invstd = K.normalize_rows(x, w, b, 1e-5)
    blocks = -(-75 // K.ROW_BLOCK)
    for kernel, count, make in ((K._rows_forward_numba, 75,
                                 lambda: (x, w, b, 1e-5, np.empty_like(x), *(np.empty(75) for _ in range(3)))),
                                (K._rows_backward_numba, blocks,
                                 lambda: (g, x, w, mean, invstd, True, np.empty_like(x), np.empty((blocks, 40)),
                                          np.empty((blocks, 40))))):
        a, c = make(), make()
        kernel.fn(0, count, *a)
        for lo, hi in ((0, 1), (1, count // 2), (count // 2, count)):
            kernel.fn(lo, hi, *c)
        for u, v in zip(a, c):
            if isinstance(u, np.ndarray):
                np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_norm_large_against_torch(dtype):
    """layer_norm through the row kernels at a transformer's size: output and all three gradients."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((8, 50, 96)).astype(dtype) * 2 + 1
    w = rng.standard_normal(96).astype(dtype)
    b = rng.standard_normal(96).astype(dtype)
    g = rng.standard_normal((8, 50, 96)).astype(dtype)
    res = []
    for lib, Fn in ((autograd, F), (torch, torch.nn.functional)):
        ts = [lib.tensor(a, requires_grad=True) for a in (x, w, b)]
        y = Fn.layer_norm(ts[0], (96,), ts[1], ts[2], 1e-5)
        y.backward(lib.tensor(g))
        res.append([y.detach().numpy()] + [t.grad.numpy() for t in ts])
    tol = 1e-4 if dtype == np.float32 else 1e-10
    for a, c in zip(*res):
        np.testing.assert_allclose(a, c, rtol=tol, atol=tol)


def test_layer_norm_float32_gradient_through_cancellation():
    """loss = mean(layer_norm(x)^2) hardly depends on x: its gradient is what is left after g w, mean(g w) and
    xhat mean(g w xhat) cancel, which is accurate in float32 only if the backward's xhat are the forward's."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((64, 256)) * 2 + 0.5

    def grad(dt):
        xt = autograd.tensor(x.astype(dt), requires_grad=True)
        F.layer_norm(xt, (256,), autograd.ones(256, dtype=dt), autograd.zeros(256, dtype=dt)).pow(2).mean().backward()
        return xt.grad.numpy().astype(np.float64)

    ref = grad(np.float64)
    assert np.abs(grad(np.float32) - ref).max() < 0.02 * np.abs(ref).max()


def test_nan_propagates_like_torch():
    x = np.random.default_rng(0).standard_normal((4, 3, 5))
    x[1, 0, 2] = np.nan
    for ours, theirs in [(F.batch_norm(autograd.tensor(x), None, None, training=True),
                          torch.nn.functional.batch_norm(torch.tensor(x), None, None, training=True)),
                         (F.layer_norm(autograd.tensor(x), (5,)), torch.nn.functional.layer_norm(torch.tensor(x), (5,)))]:
        np.testing.assert_array_equal(np.isnan(ours.numpy()), np.isnan(theirs.numpy()))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-10)
