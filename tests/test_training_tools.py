"""testing.assert_close (PyTorch's tolerances and messages), utils.checkpoint (same values and gradients as
without it, dropout replayed), func.functional_call / vmap / grad, and the jit/compile pass-throughs."""

import numpy as np
import pytest

import autograd as A
import nn
from autograd.func import functional_call, grad, vmap
from autograd.testing import assert_close
from autograd.utils.checkpoint import checkpoint, checkpoint_sequential

torch = pytest.importorskip("torch")


# ---- assert_close ----
@pytest.mark.parametrize("dtype,delta,ok", [("float32", 5e-6, True), ("float32", 2e-5, False), ("float64", 5e-8, True),
                                            ("float64", 5e-7, False), ("int64", 0, True), ("int64", 1, False)])
def test_assert_close_default_tolerances_follow_torch(dtype, delta, ok):
    a = np.array([1.0, 2.0, 3.0]).astype(dtype)
    b = a.copy()
    b[1] += delta
    theirs_ok = True
    try:
        torch.testing.assert_close(torch.tensor(b), torch.tensor(a))
    except AssertionError:
        theirs_ok = False
    assert theirs_ok == ok
    if ok:
        assert_close(A.tensor(b), A.tensor(a))
    else:
        with pytest.raises(AssertionError, match=r"Tensor-likes are not close!\n\nMismatched elements: 1 / 3 \(33.3%\)"):
            assert_close(A.tensor(b), A.tensor(a))


def test_assert_close_messages_and_options():
    with pytest.raises(AssertionError, match=r"Greatest absolute difference: 0.5 at index \(1,\)"):
        assert_close(A.tensor([1.0, 2.5]), A.tensor([1.0, 2.0]))
    with pytest.raises(AssertionError, match="attribute 'dtype' do not match"):
        assert_close(A.tensor([1.0]), A.tensor([1.0], dtype=A.float64))
    assert_close(A.tensor([1.0]), A.tensor([1.0], dtype=A.float64), check_dtype=False)
    with pytest.raises(AssertionError, match="attribute 'shape' do not match"):
        assert_close(A.zeros(2), A.zeros(3))
    with pytest.raises(AssertionError, match="Scalars are not close"):
        assert_close(1.0, 1.1)
    with pytest.raises(AssertionError, match="^custom$"):
        assert_close(A.tensor([1.0]), A.tensor([2.0]), msg="custom")
    nan = A.tensor([float("nan")])
    with pytest.raises(AssertionError):
        assert_close(nan, nan)
    assert_close(nan, nan, equal_nan=True)
    assert_close(A.tensor([1.0]), A.tensor([1.05]), rtol=0.1, atol=0.0)
    assert_close({"a": [A.tensor(1.0), 2]}, {"a": [A.tensor(1.0), 2]})
    with pytest.raises(AssertionError, match=r"item \['a'\]\[0\]"):
        assert_close({"a": [A.tensor(1.0)]}, {"a": [A.tensor(2.0)]})
    with pytest.raises(ValueError, match="Both 'rtol' and 'atol'"):
        assert_close(A.zeros(1), A.zeros(1), rtol=1e-3)


# ---- checkpoint ----
def _net():
    A.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Dropout(0.3), nn.Linear(8, 8), nn.GELU(), nn.Linear(8, 2))


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_gives_the_same_values_and_gradients(use_reentrant):
    m = _net()
    x = A.randn(5, 4, requires_grad=True)
    A.manual_seed(1)
    ref = m(x).pow(2).sum()
    ref.backward()
    want = [p.grad.numpy().copy() for p in m.parameters()] + [x.grad.numpy().copy()]
    m.zero_grad()
    x.grad = None
    A.manual_seed(1)
    out = checkpoint(m, x, use_reentrant=use_reentrant).pow(2).sum()
    assert out.item() == ref.item()
    out.backward()
    for w, g in zip(want, [p.grad for p in m.parameters()] + [x.grad]):
        np.testing.assert_allclose(g.numpy(), w, rtol=1e-6, atol=1e-7)
    m.zero_grad()
    A.manual_seed(1)
    checkpoint_sequential(m, 3, x, use_reentrant=False).pow(2).sum().backward()
    for w, p in zip(want, m.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), w, rtol=1e-6, atol=1e-7)


def test_checkpoint_of_a_closure_with_autograd_grad_and_tuple_outputs():
    w = A.randn(4, 3, requires_grad=True)
    x = A.randn(2, 4, dtype=A.float64, requires_grad=True)

    def f(a, scale=1.0):
        h = (a @ w.double()).tanh()
        return h * scale, h.sum()

    y, s = checkpoint(f, x, use_reentrant=False, scale=2.0)
    (gx,) = A.grad((y.sum() + s), [x], retain_graph=True)
    x2 = x.detach().requires_grad_()
    y2, s2 = f(x2, 2.0)
    (want,) = A.grad((y2.sum() + s2), [x2])
    np.testing.assert_allclose(gx.numpy(), want.numpy(), rtol=1e-12)
    (y.sum() + s).backward()  # the closure's parameter gets its gradient accumulated
    assert w.grad is not None and w.grad.shape == (4, 3)
    w.grad = None
    checkpoint(f, x.detach(), use_reentrant=False)[1].backward()  # no input needs grad: w still gets one
    assert w.grad is not None
    assert A.gradcheck(lambda a: checkpoint(lambda b: (b * b).sin(), a, use_reentrant=False),
                       (A.randn(3, dtype=A.float64, requires_grad=True),))


# ---- func ----
def test_functional_call_matches_torch_and_restores_parameters():
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    ours = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3)).astype(np.float32)
    new = {"0.weight": rng.standard_normal((4, 3)).astype(np.float32), "2.bias": np.ones(2, np.float32)}
    o_params = {k: A.tensor(v, requires_grad=True) for k, v in new.items()}
    t_params = {k: torch.tensor(v, requires_grad=True) for k, v in new.items()}
    o = functional_call(ours, o_params, (A.tensor(x),))
    t = torch.func.functional_call(theirs, t_params, (torch.tensor(x),))
    np.testing.assert_allclose(o.numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)
    o.sum().backward()
    t.sum().backward()
    for k in new:
        np.testing.assert_allclose(o_params[k].grad.numpy(), t_params[k].grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours[0].weight.numpy(), theirs[0].weight.detach().numpy())
    assert ours[0].weight.grad is None
    with pytest.raises(RuntimeError, match="missing keys"):
        functional_call(ours, o_params, (A.tensor(x),), strict=True)


def test_vmap_and_grad_match_torch_func():
    rng = np.random.default_rng(1)
    xs, w = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    ours = vmap(lambda x, m: (x @ m).tanh(), in_dims=(0, None))(A.tensor(xs), A.tensor(w))
    theirs = torch.func.vmap(lambda x, m: (x @ m).tanh(), in_dims=(0, None))(torch.tensor(xs), torch.tensor(w))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    g = grad(lambda x: (x.sin() * x).sum())(A.tensor(xs[0]))
    tg = torch.func.grad(lambda x: (x.sin() * x).sum())(torch.tensor(xs[0]))
    np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-12)
    per_sample = vmap(grad(lambda x: (x ** 3).sum()))(A.tensor(xs))
    np.testing.assert_allclose(per_sample.numpy(), 3 * xs ** 2, rtol=1e-12)


def test_jit_and_compile_are_pass_throughs():
    m = nn.Linear(2, 2)
    assert A.compile(m) is m and A.jit.script(m) is m and A.jit.trace(m, A.zeros(1, 2)) is m

    @A.compile(mode="max-autotune")
    def f(x):
        return x * 2

    assert f(A.tensor(3.0)).item() == 6.0 and not A.jit.is_scripting()
    assert A.jit.ignore(f) is f
    with pytest.raises(NotImplementedError, match="torch.jit.save is not supported by numbagrad"):
        A.jit.save(m, "x.pt")
