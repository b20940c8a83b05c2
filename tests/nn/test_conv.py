"""Convolution layers and functionals against their PyTorch twins (float64: outputs, input and parameter grads),
higher derivatives, error messages, and the conv kernels against their numpy references."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import autograd
import nn
import nn.functional as F
from autograd.kernels import conv as K
from tests.helpers import copy_weights
from tests.helpers import randn as _t

torch = pytest.importorskip("torch")


@pytest.fixture(params=["rows", "cols", "cols-one-gemm"])
def layout(request, monkeypatch):
    """Run a test with every groups == 1 convolution on the row (channels-last) kernels, one image per batch
    block, or none of them (column kernels; their weight grad batched per image, or as one GEMM)."""
    monkeypatch.setattr(K, "ROWS_MIN_CHANNELS", 1 if request.param == "rows" else 10**9)
    monkeypatch.setattr(K, "BLOCK_BYTES", 1)
    if request.param == "cols-one-gemm":
        monkeypatch.setattr(K, "BATCHED_GW_BYTES", 0)
    return request.param


def twin(ours, theirs, x: np.ndarray, *, seed: int = 0, atol: float = 1e-10, train_steps: int = 1, extra=None):
    """Copy ``theirs``' state into ``ours``; run both on ``x`` (float64) and compare outputs and every gradient."""
    copy_weights(ours, theirs)
    rng = np.random.default_rng(seed)
    for _ in range(train_steps):
        xa = autograd.tensor(x, requires_grad=True)
        xt = torch.tensor(x, requires_grad=True)
        ya, yt = ours(xa), theirs(xt)
        if isinstance(yt, tuple):
            np.testing.assert_array_equal(ya[1].numpy(), yt[1].numpy())
            ya, yt = ya[0], yt[0]
        assert tuple(ya.shape) == tuple(yt.shape)
        np.testing.assert_allclose(ya.numpy(), yt.detach().numpy(), atol=atol, rtol=1e-7)
        g = rng.standard_normal(tuple(yt.shape))
        ya.backward(autograd.tensor(g))
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), atol=atol, rtol=1e-7)
        params = dict(theirs.named_parameters())
        for name, p in ours.named_parameters():
            tp = params[name]
            assert (p.grad is None) == (tp.grad is None), name
            if p.grad is not None:
                np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), atol=atol, rtol=1e-7, err_msg=name)
    for name, b in theirs.named_buffers():
        ob = dict(ours.named_buffers())[name]
        np.testing.assert_allclose(np.asarray(ob.numpy()), b.numpy(), atol=atol, rtol=1e-7, err_msg=name)
    return ya


CONV2D = [
    dict(),
    dict(stride=2, padding=1),
    dict(stride=(2, 1), padding=(0, 2), dilation=(2, 1)),
    dict(padding="same", dilation=2),
    dict(padding="valid", groups=2, bias=False),
    dict(groups=4, padding=1),
    dict(padding=1, padding_mode="reflect"),
    dict(padding=(1, 2), padding_mode="replicate"),
    dict(padding=2, padding_mode="circular", stride=2),
]


@pytest.mark.parametrize("kw", CONV2D, ids=str)
def test_conv2d_matches_torch(kw, layout):
    k = (3, 2) if kw.get("padding") != "same" else (2, 3)
    ours = nn.Conv2d(4, 8, k, dtype=autograd.float64, **kw)
    theirs = torch.nn.Conv2d(4, 8, k, dtype=torch.float64, **kw)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(1).standard_normal((2, 4, 7, 6))
    twin(ours, theirs, x)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=2, dilation=2, groups=2),
                                dict(padding="same", bias=False), dict(padding=1, padding_mode="circular")], ids=str)
def test_conv1d_matches_torch(kw, layout):
    ours = nn.Conv1d(4, 6, 3, dtype=autograd.float64, **kw)
    theirs = torch.nn.Conv1d(4, 6, 3, dtype=torch.float64, **kw)
    assert repr(ours) == repr(theirs)
    twin(ours, theirs, np.random.default_rng(2).standard_normal((3, 4, 10)))


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1, output_padding=1),
                                dict(stride=(2, 3), padding=(0, 1), output_padding=(1, 2), groups=2, bias=False),
                                dict(stride=1, dilation=2, output_padding=1, groups=2)], ids=str)
def test_conv_transpose2d_matches_torch(kw, layout):
    ours = nn.ConvTranspose2d(4, 6, (3, 2), dtype=autograd.float64, **kw)
    theirs = torch.nn.ConvTranspose2d(4, 6, (3, 2), dtype=torch.float64, **kw)
    assert repr(ours) == repr(theirs)
    twin(ours, theirs, np.random.default_rng(3).standard_normal((2, 4, 4, 5)))


def test_conv_transpose2d_output_size():
    ours = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, dtype=autograd.float64)
    theirs = torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, dtype=torch.float64)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 4))
    y = ours(autograd.tensor(x), output_size=(8, 8))
    np.testing.assert_allclose(y.numpy(), theirs(torch.tensor(x), output_size=(8, 8)).detach().numpy())
    with pytest.raises(ValueError, match="output size"):
        ours(autograd.tensor(x), output_size=(10, 10))


def test_unbatched_input_and_float32():
    ours, theirs = nn.Conv2d(3, 5, 3, padding=1), torch.nn.Conv2d(3, 5, 3, padding=1)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((3, 6, 6)).astype(np.float32)
    y = ours(autograd.tensor(x))
    assert y.dtype == np.float32 and y.shape == (5, 6, 6)
    np.testing.assert_allclose(y.numpy(), theirs(torch.tensor(x)).detach().numpy(), atol=1e-5)


def test_default_init_matches_torch_statistics():
    autograd.manual_seed(0)
    m = nn.Conv2d(16, 32, 3)
    fan_in = 16 * 9
    bound = 1 / np.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    w, b = m.weight.numpy(), m.bias.numpy()
    assert w.shape == (32, 16, 3, 3) and b.shape == (32,)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(b).max() <= bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.1 * bound
    t = nn.ConvTranspose2d(4, 6, 3, groups=2)
    assert t.weight.shape == (4, 3, 3, 3)
    assert np.abs(t.bias.numpy()).max() <= 1 / np.sqrt(3 * 9)
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]


def test_higher_derivatives(layout):
    rng = np.random.default_rng(0)
    assert autograd.gradgradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, groups=2),
                                  [_t(rng, 1, 4, 5, 4), _t(rng, 4, 2, 3, 2), _t(rng, 4)])
    assert autograd.gradgradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
                                  [_t(rng, 1, 2, 3, 3), _t(rng, 2, 3, 3, 2), _t(rng, 3)])
    assert autograd.gradgradcheck(lambda x, w: F.conv1d(x, w, padding="same", dilation=2),
                                  [_t(rng, 2, 2, 6), _t(rng, 3, 2, 2)])


def test_double_backward_matches_torch(layout):
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((2, 3, 5, 5)), rng.standard_normal((4, 3, 3, 3))
    xa, wa = autograd.tensor(x, requires_grad=True), autograd.tensor(w, requires_grad=True)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    (ga,) = autograd.grad((F.conv2d(xa, wa, padding=1) ** 2).sum(), [xa], create_graph=True)
    (gt,) = torch.autograd.grad((torch.nn.functional.conv2d(xt, wt, padding=1) ** 2).sum(), [xt], create_graph=True)
    (ga * ga).sum().backward()
    (gt * gt).sum().backward()
    np.testing.assert_allclose(wa.grad.numpy(), wt.grad.numpy(), rtol=1e-9)
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-9)


def test_errors_name_layer_and_shapes():
    m = nn.Conv2d(3, 16, 3)
    with pytest.raises(RuntimeError, match=r"Conv2d\(3, 16, .*expected input with 3 channels, got input of shape "
                                           r"\(2, 4, 8, 8\)"):
        m(autograd.zeros(2, 4, 8, 8))
    with pytest.raises(RuntimeError, match=r"3-D \(unbatched\) or 4-D .* got input of shape \(8, 8\)"):
        m(autograd.zeros(8, 8))
    with pytest.raises(RuntimeError, match=r"padded input size per channel: \(4 x 4\). Kernel size: \(5 x 5\)"):
        F.conv2d(autograd.zeros(1, 1, 2, 2), autograd.zeros(1, 1, 5, 5), padding=1)
    with pytest.raises(RuntimeError, match=r"expected input\[1, 4, 5, 5\] to have 2 channels, but got 4"):
        F.conv2d(autograd.zeros(1, 4, 5, 5), autograd.zeros(4, 1, 3, 3), groups=2)
    with pytest.raises(RuntimeError, match="bias to be 1-dimensional with 3 elements"):
        F.conv2d(autograd.zeros(1, 1, 5, 5), autograd.zeros(3, 1, 3, 3), autograd.zeros(4))
    with pytest.raises(RuntimeError, match="same floating dtype"):
        F.conv2d(autograd.zeros(1, 1, 5, 5, dtype=autograd.float64), autograd.zeros(3, 1, 3, 3))
    with pytest.raises(ValueError, match="strided convolutions"):
        nn.Conv2d(2, 2, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(3, 4, 3, padding_mode="mirror")
    with pytest.raises(RuntimeError, match="output padding must be smaller than either stride or dilation"):
        F.conv_transpose2d(autograd.zeros(1, 2, 3, 3), autograd.zeros(2, 2, 3, 3), output_padding=1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernels_match_numpy_reference(dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 9, 8)).astype(dtype)
    w = rng.standard_normal((6, 2, 3, 2)).astype(dtype)
    args = ((2, 1), ((1, 2), (0, 1)), (1, 2))
    out_hw = ((9 + 3 - 3) // 2 + 1, (8 + 1 - 3) // 1 + 1)
    y = K.conv2d_forward(x, w, None, *args, out_hw, 2)
    # reference: direct sum over the kernel
    xp = np.pad(x, ((0, 0), (0, 0), (1, 2), (0, 1)))
    ref = np.zeros_like(y)
    for o in range(6):
        g = o // 3
        for i in range(3):
            for j in range(2):
                patch = xp[:, 2 * g:2 * g + 2, i:i + 2 * (out_hw[0] - 1) + 1:2, 2 * j:2 * j + out_hw[1]]
                ref[:, o] += np.einsum("nchw,c->nhw", patch, w[o, :, i, j])
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y, ref, rtol=tol, atol=tol)
    g = rng.standard_normal(y.shape).astype(dtype)
    np.testing.assert_allclose(K.conv2d_backward_input(g, w, x.shape, *args, 2),
                               K.conv2d_backward_input_numpy(g, w, x.shape, *args, 2), rtol=tol, atol=tol)
    # adjoint identity: <conv(x, w), g> = <x, conv^T(g, w)> = <w, corr(x, g)>
    lhs = float((y.astype(np.float64) * g).sum())
    gx = K.conv2d_backward_input(g, w, x.shape, *args, 2)
    gw = K.conv2d_backward_weight(x, g, w.shape, *args, 2)
    assert np.isclose(lhs, float((x.astype(np.float64) * gx).sum()), rtol=tol * 10)
    assert np.isclose(lhs, float((w.astype(np.float64) * gw).sum()), rtol=tol * 10)


@given(h=st.integers(1, 9), w=st.integers(1, 9), k=st.integers(1, 4), s=st.integers(1, 3), p=st.integers(0, 2),
       d=st.integers(1, 2), transposed=st.booleans(), op=st.integers(0, 1))
def test_output_shape_matches_torch(h, w, k, s, p, d, transposed, op):
    x, wt = np.zeros((1, 2, h, w)), np.zeros((2, 2, k, k))
    if transposed:
        run = lambda lib, F_, a, b: F_.conv_transpose2d(a, b, stride=s, padding=p, output_padding=op, dilation=d)  # noqa: E731
    else:
        run = lambda lib, F_, a, b: F_.conv2d(a, b, stride=s, padding=p, dilation=d)  # noqa: E731
    try:
        expected = tuple(run(torch, torch.nn.functional, torch.tensor(x), torch.tensor(wt)).shape)
    except RuntimeError:
        with pytest.raises(RuntimeError):
            run(autograd, F, autograd.tensor(x), autograd.tensor(wt))
        return
    assert run(autograd, F, autograd.tensor(x), autograd.tensor(wt)).shape == expected


def test_module_dtype_conversion():
    m = nn.Conv2d(2, 3, 3).double()
    assert m.weight.dtype == np.float64 and m.bias.dtype == np.float64
    y = m(autograd.zeros(1, 2, 4, 4, dtype=autograd.float64))
    assert y.dtype == np.float64 and y.shape == (1, 3, 2, 2)


GEOMS = st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),  # kh kw sh sw
                  st.integers(0, 2), st.integers(0, 2), st.integers(0, 2), st.integers(0, 2),  # pads t b l r
                  st.integers(1, 2), st.integers(1, 2), st.integers(0, 1), st.integers(0, 1))  # dh dw extra h w


@given(geom=GEOMS, c=st.integers(1, 5), dtype=st.sampled_from([np.float32, np.float64]))
def test_row_kernels_match_column_kernels(geom, c, dtype):
    """The channels-last (row) kernels equal the channel-major (column) ones for any geometry, incl. windows
    that leave rows unread (``extra``), in batch blocks of one image or all; row2im equals its numpy reference."""
    kh, kw, sh, sw, pt, pb, pl, pr, dh, dw, eh, ew = geom
    rng = np.random.default_rng(0)
    h, wd = 5 + eh, 6 + ew
    ho = (5 + pt + pb - dh * (kh - 1) - 1) // sh + 1
    wo = (6 + pl + pr - dw * (kw - 1) - 1) // sw + 1
    assume(ho >= 1 and wo >= 1)
    x = rng.standard_normal((2, c, h, wd)).astype(dtype)
    w = rng.standard_normal((3, c, kh, kw)).astype(dtype)
    b = rng.standard_normal(3).astype(dtype)
    g = rng.standard_normal((2, 3, ho, wo)).astype(dtype)
    args = ((sh, sw), ((pt, pb), (pl, pr)), (dh, dw))
    tol = 1e-4 if dtype == np.float32 else 1e-12
    rows = K.im2row(x, (kh, kw), *args, (ho, wo))
    drows = rng.standard_normal(rows.shape).astype(dtype)
    np.testing.assert_allclose(K.row2im(drows, x.shape, (kh, kw), *args, (ho, wo)),
                               K.row2im_numpy(drows, x.shape, (kh, kw), *args, (ho, wo)), rtol=tol, atol=tol)
    y_ref = K.conv2d_forward_cols(x, w, b, *args, (ho, wo), 1)
    gx_ref = K.conv2d_backward_input_numpy(g, w, x.shape, *args, 1)
    gw_ref = K.conv2d_backward_weight_cols(x, g, w.shape, *args, 1)
    saved = K.BLOCK_BYTES
    try:
        for block in (1, 1 << 30):  # one image per batch block, and the whole batch in one
            K.BLOCK_BYTES = block
            y = K.conv2d_forward_rows(x, w, b, *args, (ho, wo))
            assert y.flags.c_contiguous and y.dtype == dtype
            np.testing.assert_allclose(y, y_ref, rtol=tol, atol=tol)
            gx = K.conv2d_backward_input_rows(g, w, x.shape, *args)
            assert gx.flags.c_contiguous and gx.shape == x.shape
            np.testing.assert_allclose(gx, gx_ref, rtol=tol, atol=tol)
            gw = K.conv2d_backward_weight_rows(x, g, w.shape, *args)
            np.testing.assert_allclose(gw, gw_ref, rtol=tol, atol=tol)
            if K.use_rows(c, 1):
                np.testing.assert_array_equal(K.conv2d_forward(x, w, b, *args, (ho, wo), 1), y)
                np.testing.assert_array_equal(K.conv2d_backward_weight(x, g, w.shape, *args, 1), gw)
                np.testing.assert_array_equal(K.conv2d_backward_input(g, w, x.shape, *args, 1), gx)
    finally:
        K.BLOCK_BYTES = saved


def test_row_input_grad_numpy_fallback(monkeypatch):
    """Without Numba (non-float32/64 arrays) the blocked input grad scatters with numpy's strided adds."""
    rng = np.random.default_rng(1)
    x_shape, w, g = (3, 5, 6, 7), rng.standard_normal((4, 5, 3, 2)), rng.standard_normal((3, 4, 3, 6))
    args = ((2, 1), ((1, 1), (0, 0)), (1, 1))
    ref = K.conv2d_backward_input_rows(g, w, x_shape, *args)
    monkeypatch.setattr(K, "_numba_ok", lambda *a: False)
    monkeypatch.setattr(K, "BLOCK_BYTES", 1)
    np.testing.assert_allclose(K.conv2d_backward_input_rows(g, w, x_shape, *args), ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ref, K.conv2d_backward_input_numpy(g, w, x_shape, *args, 1), rtol=1e-12, atol=1e-12)




def test_row_forward_and_weight_grad_numpy_fallback(monkeypatch):
    """Without Numba the padded channels-last copy and the transposing copy with the bias run on numpy: the same
    values as the Numba copies."""
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((3, 5, 6, 7)), rng.standard_normal((4, 5, 3, 2)), rng.standard_normal(4)
    g = rng.standard_normal((3, 4, 3, 6))
    args = ((2, 1), ((1, 1), (0, 0)), (1, 1))
    y = K.conv2d_forward_rows(x, w, b, *args, (3, 6))
    gw = K.conv2d_backward_weight_rows(x, g, w.shape, *args)
    monkeypatch.setattr(K, "_numba_ok", lambda *a: False)
    np.testing.assert_allclose(K.conv2d_forward_rows(x, w, b, *args, (3, 6)), y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(K.conv2d_backward_weight_rows(x, g, w.shape, *args), gw, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(y, K.conv2d_forward_cols(x, w, b, *args, (3, 6), 1), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_and_col_kernels_round_within_their_bound(dtype, monkeypatch):
    """Both forward kernels against the float64 result: an n-term dot product of random signs rounds to within
    about sqrt(n) * eps * sum(|x w|) (n * eps is the worst case); twice that is the tolerance."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((7, 5, 9, 8)).astype(dtype)
    w = rng.standard_normal((6, 5, 3, 2)).astype(dtype)
    b = rng.standard_normal(6).astype(dtype)
    args = ((2, 1), ((1, 2), (0, 1)), (1, 2))
    out_hw = ((9 + 3 - 3) // 2 + 1, (8 + 1 - 2 - 1) + 1)
    monkeypatch.setattr(K, "BLOCK_BYTES", 1)  # one image per block
    exact = K.conv2d_forward_cols(*(a.astype(np.float64) for a in (x, w, b)), *args, out_hw, 1)
    bound = K.conv2d_forward_cols(*(np.abs(a).astype(np.float64) for a in (x, w, b)), *args, out_hw, 1)
    tol = 2 * np.sqrt(w[0].size + 1) * np.finfo(dtype).eps * bound
    for got in (K.conv2d_forward_rows(x, w, b, *args, out_hw), K.conv2d_forward_cols(x, w, b, *args, out_hw, 1)):
        assert np.all(np.abs(got.astype(np.float64) - exact) <= tol)


@pytest.mark.parametrize("n_threads", [1, 2])  # batch blocks on one thread, whole-batch GEMMs on more
@pytest.mark.parametrize("c_in", [1, 8])  # column and row layouts
def test_empty_batch_gives_empty_output_and_zero_parameter_grads(c_in, n_threads):
    from autograd.threads import num_threads

    m = nn.Conv2d(c_in, 4, 3, padding=1)
    x = autograd.tensor(np.zeros((0, c_in, 5, 5), np.float32), requires_grad=True)
    with num_threads(n_threads):
        y = m(x)
        assert tuple(y.shape) == (0, 4, 5, 5)
        y.sum().backward()
    np.testing.assert_array_equal(m.weight.grad.numpy(), np.zeros((4, c_in, 3, 3), np.float32))
    np.testing.assert_array_equal(m.bias.grad.numpy(), np.zeros(4, np.float32))
    assert tuple(x.grad.shape) == (0, c_in, 5, 5)
