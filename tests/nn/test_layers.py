"""Layers (Linear, Bilinear, Identity, Flatten, Unflatten, dropouts, Embedding) and the linear-family functionals
against their PyTorch twins: outputs, input and parameter gradients in float64 (weights copied across via
state_dict as numpy), default initialisation, names/state_dict keys/repr, and error messages."""

import math

import numpy as np
import pytest

import autograd
import nn
import nn.functional as F

torch = pytest.importorskip("torch")


def to_ours(tm, om):
    """Copy a torch module's state into ours (as numpy arrays)."""
    om.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})


def compare(tm, om, *xs, tol=1e-12, grad_out_seed=3):
    txs = [torch.tensor(x, requires_grad=x.dtype.kind == "f") for x in xs]
    oxs = [autograd.tensor(x, requires_grad=x.dtype.kind == "f") for x in xs]
    ty, oy = tm(*txs), om(*oxs)
    assert tuple(ty.shape) == oy.shape and oy.dtype == np.dtype(str(ty.dtype).replace("torch.", ""))
    np.testing.assert_allclose(oy.numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
    g = np.random.default_rng(grad_out_seed).standard_normal(tuple(ty.shape)).astype(oy.dtype)
    ty.backward(torch.tensor(g))
    oy.backward(autograd.tensor(g))
    for tx, ox in zip(txs, oxs):
        if tx.requires_grad:
            np.testing.assert_allclose(ox.grad.numpy(), tx.grad.numpy(), rtol=tol, atol=tol)
    tp = dict(tm.named_parameters())
    for n, p in om.named_parameters():
        if p.requires_grad:
            np.testing.assert_allclose(p.grad.numpy(), tp[n].grad.numpy(), rtol=tol, atol=tol, err_msg=n)


def rnd(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 4), (4,), (2, 3, 4)])
def test_linear_matches_torch(bias, shape):
    tm, om = torch.nn.Linear(4, 3, bias=bias).double(), nn.Linear(4, 3, bias=bias).double()
    to_ours(tm, om)
    compare(tm, om, rnd(*shape))
    assert repr(om) == repr(tm)
    assert [n for n, _ in om.named_parameters()] == [n for n, _ in tm.named_parameters()]


def test_linear_float32_and_double_backward():
    tm, om = torch.nn.Linear(4, 3), nn.Linear(4, 3)
    to_ours(tm, om)
    compare(tm, om, rnd(6, 4).astype(np.float32), tol=1e-5)
    om.double()
    x = autograd.tensor(rnd(2, 4), requires_grad=True)
    assert autograd.gradcheck(lambda x, w, b: F.linear(x, w, b), (x, om.weight, om.bias))
    assert autograd.gradgradcheck(lambda x, w, b: F.linear(x, w, b), (x, om.weight, om.bias))


def test_linear_wrong_width_names_layer_and_shapes():
    m = nn.Linear(4, 5)
    with pytest.raises(RuntimeError) as e:
        m(autograd.zeros(2, 3))
    msg = str(e.value)
    assert "Linear(in_features=4, out_features=5, bias=True)" in msg
    assert "last dimension 4" in msg and "(2, 3)" in msg
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"):
        F.linear(autograd.zeros(2, 3), m.weight)


def test_linear_default_init_follows_torch_formula():
    autograd.manual_seed(0)
    m = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    w = m.weight.numpy()
    assert w.dtype == np.float32 and np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    np.testing.assert_allclose(w.std(), bound / math.sqrt(3), rtol=0.02)
    assert np.abs(w.mean()) < 0.01 * bound
    b = m.bias.numpy()
    assert np.abs(b).max() <= bound and b.std() > 0.5 * bound / math.sqrt(3)
    # the same statistics as torch's own initialisation
    tw = torch.nn.Linear(400, 300).weight.detach().numpy()
    np.testing.assert_allclose(w.std(), tw.std(), rtol=0.02)
    # reproducible from the seed; different draws otherwise
    autograd.manual_seed(0)
    np.testing.assert_array_equal(nn.Linear(400, 300).weight.numpy(), w)
    assert not np.array_equal(nn.Linear(400, 300).weight.numpy(), w)
    assert nn.Linear(3, 2, dtype=autograd.float64).weight.dtype == np.float64


def test_bilinear_matches_torch():
    tm, om = torch.nn.Bilinear(3, 4, 2).double(), nn.Bilinear(3, 4, 2).double()
    to_ours(tm, om)
    compare(tm, om, rnd(5, 3), rnd(5, 4, seed=1))
    assert repr(om) == repr(tm)
    bound = 1 / math.sqrt(3)
    assert np.abs(nn.Bilinear(3, 4, 50).weight.numpy()).max() <= bound
    with pytest.raises(RuntimeError, match="Bilinear"):
        om(autograd.zeros(5, 3), autograd.zeros(5, 3))


def test_identity_flatten_unflatten():
    x = rnd(2, 3, 4, 5)
    compare(torch.nn.Flatten(), nn.Flatten(), x)
    compare(torch.nn.Flatten(0, 2), nn.Flatten(0, 2), x)
    compare(torch.nn.Unflatten(1, (3, 1)), nn.Unflatten(1, (3, 1)), x)
    compare(torch.nn.Identity(54, foo=1), nn.Identity(54, foo=1), x)
    for t, o in [(torch.nn.Flatten(), nn.Flatten()), (torch.nn.Unflatten(1, (2, 2)), nn.Unflatten(1, (2, 2))),
                 (torch.nn.Identity(), nn.Identity())]:
        assert repr(o) == repr(t)


def test_dropout_train_eval_and_scaling():
    autograd.manual_seed(1)
    m = nn.Dropout(0.3)
    x = autograd.ones(200, 500, requires_grad=True)
    y = m(x)
    kept = y.numpy() != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(y.numpy()[kept], 1 / 0.7, rtol=1e-6)
    y.backward(autograd.ones_like(y))
    np.testing.assert_array_equal(x.grad.numpy() != 0, kept)  # gradient flows through kept units only
    m.eval()
    assert m(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).numpy(), 0)
    assert repr(m) == repr(torch.nn.Dropout(0.3)) == "Dropout(p=0.3, inplace=False)"
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got"):
            nn.Dropout(bad)
        with pytest.raises(ValueError, match="between 0 and 1"):
            F.dropout(x, bad)
    xi = autograd.ones(4, 4)
    assert F.dropout(xi, 0.5, inplace=True) is xi and (xi.numpy() == 0).any()
    # seeded: the same mask twice
    autograd.manual_seed(5)
    a = nn.Dropout()(autograd.ones(10, 10)).numpy()
    autograd.manual_seed(5)
    np.testing.assert_array_equal(nn.Dropout()(autograd.ones(10, 10)).numpy(), a)


def test_feature_and_alpha_dropout():
    autograd.manual_seed(2)
    y = nn.Dropout2d(0.5)(autograd.ones(8, 16, 3, 3)).numpy()
    per_channel = y.reshape(8, 16, 9)
    assert ((per_channel == 0).all(-1) | (per_channel == 2).all(-1)).all()  # whole channels dropped
    y1 = nn.Dropout1d(0.5)(autograd.ones(4, 6, 5)).numpy()
    assert ((y1 == 0).all(-1) | (y1 == 2).all(-1)).all()
    with pytest.raises(RuntimeError, match="Expected 3D or 4D input"):
        F.dropout2d(autograd.ones(2, 2), 0.5)
    a = nn.AlphaDropout(0.2)
    x = autograd.randn(400, 400)
    y = a(x).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02  # keeps zero mean, unit variance
    a.eval()
    assert a(x) is x
    assert repr(a) == repr(torch.nn.AlphaDropout(0.2))


@pytest.mark.parametrize("padding_idx", [None, 0, -1])
def test_embedding_matches_torch(padding_idx):
    tm = torch.nn.Embedding(10, 3, padding_idx=padding_idx).double()
    om = nn.Embedding(10, 3, padding_idx=padding_idx).double()
    if padding_idx is not None:
        assert not om.weight.numpy()[padding_idx].any()  # the padding row starts at zero
    to_ours(tm, om)
    idx = np.array([[0, 2, 9, 2], [9, 1, 0, 0]])
    compare(tm, om, idx)
    assert repr(om) == repr(tm)


def test_embedding_scale_grad_max_norm_from_pretrained():
    idx = np.array([1, 1, 2, 5, 1])
    tm, om = torch.nn.Embedding(6, 4, scale_grad_by_freq=True).double(), nn.Embedding(6, 4, scale_grad_by_freq=True)
    om.double()
    to_ours(tm, om)
    compare(tm, om, idx)
    assert repr(om) == repr(tm)
    tm, om = torch.nn.Embedding(6, 4, max_norm=1.0).double(), nn.Embedding(6, 4, max_norm=1.0).double()
    to_ours(tm, om)
    compare(tm, om, idx, tol=1e-7)  # torch renormalises with its own rounding
    np.testing.assert_allclose(om.weight.detach().numpy(), tm.weight.detach().numpy(), rtol=1e-7)
    assert np.linalg.norm(om.weight.numpy()[[1, 2, 5]], axis=1).max() <= 1.0 + 1e-6
    assert repr(om) == repr(tm)
    w = autograd.tensor(rnd(4, 2))
    e = nn.Embedding.from_pretrained(w)
    assert not e.weight.requires_grad and np.shares_memory(e.weight.numpy(), w.numpy())
    np.testing.assert_array_equal(e(autograd.tensor([3, 0])).numpy(), w.numpy()[[3, 0]])
    assert nn.Embedding.from_pretrained(w, freeze=False).weight.requires_grad
    with pytest.raises(RuntimeError, match="integer dtype"):
        e(autograd.tensor([0.5]))
    with pytest.raises(IndexError, match="index 4 is out of range"):
        e(autograd.tensor([4]))
    with pytest.raises(IndexError, match="index -1 is out of range"):  # torch refuses negative indices too
        e(autograd.tensor([-1]))
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(3, 2, padding_idx=3)


def test_embedding_double_backward():
    w = autograd.tensor(rnd(5, 3), requires_grad=True)
    idx = autograd.tensor([[0, 4, 4], [2, 0, 1]])
    assert autograd.gradcheck(lambda w: F.embedding(idx, w) ** 2, (w,))
    # (with padding_idx the padding row gets no gradient by design, so only the backward is checked)
    assert autograd.gradgradcheck(lambda w: F.embedding(idx, w, padding_idx=4) ** 2, (w,))


def test_one_hot_matches_torch():
    idx = np.array([[0, 3], [2, 1]])
    np.testing.assert_array_equal(F.one_hot(autograd.tensor(idx)).numpy(),
                                  torch.nn.functional.one_hot(torch.tensor(idx)).numpy())
    out = F.one_hot(autograd.tensor(idx), 6)
    assert out.dtype == np.int64 and out.shape == (2, 2, 6)
    with pytest.raises(RuntimeError, match="non-negative"):
        F.one_hot(autograd.tensor([-1, 0]))
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(autograd.tensor([3]), 3)


@pytest.mark.parametrize("fn,kw", [
    ("normalize", {}), ("normalize", {"p": 1.0, "dim": 0}), ("cosine_similarity", {}),
    ("cosine_similarity", {"dim": 0}), ("pairwise_distance", {}), ("pairwise_distance", {"p": 1.0, "keepdim": True}),
])
def test_norm_functionals_match_torch(fn, kw):
    a, b = rnd(4, 5), rnd(4, 5, seed=1)
    two = fn != "normalize"
    ta = [torch.tensor(a, requires_grad=True)] + ([torch.tensor(b, requires_grad=True)] if two else [])
    oa = [autograd.tensor(a, requires_grad=True)] + ([autograd.tensor(b, requires_grad=True)] if two else [])
    ty, oy = getattr(torch.nn.functional, fn)(*ta, **kw), getattr(F, fn)(*oa, **kw)
    np.testing.assert_allclose(oy.numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = rnd(*ty.shape, seed=4)
    ty.backward(torch.tensor(g))
    oy.backward(autograd.tensor(g))
    for t, o in zip(ta, oa):
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_pad_reexported():
    x = rnd(2, 3)
    np.testing.assert_array_equal(F.pad(autograd.tensor(x), (1, 2), value=7.0).numpy(),
                                  torch.nn.functional.pad(torch.tensor(x), (1, 2), value=7.0).numpy())


ARCH = '''
class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.fc = nn.Linear(d, d)
        self.act = nn.GELU()
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        return self.drop(self.act(self.fc(x))) + x

class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 8, padding_idx=0)
        self.blocks = nn.ModuleList([Block(8) for _ in range(3)])
        self.head = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 2, bias=False))
        self.flat = nn.Flatten()

    def forward(self, idx):
        h = self.emb(idx)
        for b in self.blocks:
            h = b(h)
        return self.head(h).sum(1)
'''


def test_architecture_names_keys_repr_and_outputs_match_torch():
    mods = []
    for lib in (torch.nn, nn):
        ns = {"nn": lib}
        exec(ARCH, ns)
        mods.append(ns["Model"]())
    tm, om = mods
    tm.double()
    om.double()
    assert [n for n, _ in om.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert list(om.state_dict()) == list(tm.state_dict())
    assert [n for n, _ in om.named_modules()] == [n for n, _ in tm.named_modules()]
    assert repr(om) == repr(tm)
    to_ours(tm, om)
    tm.eval()
    om.eval()
    idx = np.array([[1, 5, 0, 19], [3, 3, 2, 0]])
    compare(tm, om, idx, tol=1e-10)
    seq_t = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Dropout(0.5), torch.nn.Linear(4, 1))
    seq_o = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4, 1))
    assert list(seq_o.state_dict()) == list(seq_t.state_dict()) == ["0.weight", "0.bias", "3.weight", "3.bias"]
    assert repr(seq_o) == repr(seq_t)


def test_distance_modules_match_torch():
    a, b = rnd(4, 5), rnd(4, 5, seed=1)
    compare(torch.nn.CosineSimilarity(dim=1), nn.CosineSimilarity(dim=1), a, b)
    compare(torch.nn.PairwiseDistance(p=1.5, keepdim=True), nn.PairwiseDistance(p=1.5, keepdim=True), a, b,
            tol=1e-10)
    assert repr(nn.CosineSimilarity()) == repr(torch.nn.CosineSimilarity())
    assert repr(nn.PairwiseDistance()) == repr(torch.nn.PairwiseDistance())


def test_feature_alpha_dropout_whole_channels():
    autograd.manual_seed(0)
    m = nn.FeatureAlphaDropout(0.5)
    x = autograd.randn(64, 32, 5)
    y = m(x).numpy()
    a = 1.0 / np.sqrt((1.7580993408473766**2 * 0.5 + 1) * 0.5)
    dropped = np.isclose(y, (0 - 1) * 1.7580993408473766 * a + 1.7580993408473766 * a * 0.5, atol=1e-5).all(-1)
    kept = np.isclose(y, x.numpy() * a + 1.7580993408473766 * a * 0.5, atol=1e-5).all(-1)
    assert (dropped | kept).all() and 0.4 < dropped.mean() < 0.6
    m.eval()
    assert m(x) is x
    assert repr(m) == repr(torch.nn.FeatureAlphaDropout(0.5))


def test_lazy_linear_infers_in_features_like_torch():
    optim = pytest.importorskip("optim")
    om, tm = nn.LazyLinear(3), torch.nn.LazyLinear(3)
    assert repr(om) == repr(tm)
    assert [(n, type(p).__name__) for n, p in om.named_parameters()] == \
        [(n, type(p).__name__) for n, p in tm.named_parameters()]
    opt = optim.SGD(om.parameters(), lr=0.1)  # built before the shapes are known, as in torch
    x = rnd(4, 7).astype(np.float32)
    y = om(autograd.tensor(x))
    tm(torch.tensor(x))
    assert type(om) is nn.Linear and repr(om) == repr(tm) and y.shape == (4, 3)
    assert type(om.weight) is nn.Parameter and om.weight.shape == (3, 7)
    assert np.abs(om.weight.numpy()).max() <= 1 / math.sqrt(7)
    y.backward(autograd.ones(4, 3))
    before = om.weight.numpy().copy()
    opt.step()
    assert opt.param_groups[0]["params"][0] is om.weight and not np.array_equal(before, om.weight.numpy())
    # a state dict materialises the parameters with the loaded shapes
    lazy = nn.LazyLinear(3, bias=False)
    src = torch.nn.Linear(6, 3, bias=False)
    lazy.load_state_dict({k: v.detach().numpy() for k, v in src.state_dict().items()})
    x = rnd(2, 6).astype(np.float32)
    np.testing.assert_allclose(lazy(autograd.tensor(x)).numpy(), src(torch.tensor(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    assert type(lazy) is nn.Linear and lazy.in_features == 6
