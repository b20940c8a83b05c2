"""The backward engine: accumulation, graph freeing, hooks, retain_grad, grad(), anomaly detection."""

import threading

import numpy as np
import pytest

import autograd as A


def test_grad_accumulates_across_backward_calls():
    x = A.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).backward(A.ones(2))
    (x * 3).backward(A.ones(2))
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 6.0])


def test_shared_subexpression_gets_full_gradient():
    # micrograd's classic: b = a + a; c = b + b must give dc/da = 4
    a = A.tensor(3.0, requires_grad=True)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad.item() == 4.0


def test_deep_chain_has_no_recursion_limit():
    x = A.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_second_backward_through_freed_graph_raises():
    x = A.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).tanh()
    y.backward(A.ones(2))
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward(A.ones(2))


def test_retain_graph_allows_second_backward():
    x = A.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).tanh()
    y.backward(A.ones(2), retain_graph=True)
    g1 = x.grad.numpy().copy()
    y.backward(A.ones(2))
    np.testing.assert_allclose(x.grad.numpy(), 2 * g1)


def test_non_scalar_backward_needs_gradient():
    x = A.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(2,\)"):
        (x * 2).backward()


def test_gradient_shape_mismatch_is_reported():
    x = A.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Mismatch in shape"):
        (x * 2).backward(A.ones(3))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        A.tensor([1.0]).backward(A.ones(1))


def test_grad_returns_without_touching_dot_grad():
    x = A.tensor(np.array([1.0, 2.0]), requires_grad=True)
    (g,) = A.grad((x * x).tanh(), x, grad_outputs=A.ones(2, dtype=A.float64))
    assert x.grad is None
    np.testing.assert_allclose(g.numpy(), 2 * np.array([1, 2]) * (1 - np.tanh([1.0, 4.0]) ** 2), rtol=1e-6)


def test_grad_allow_unused():
    x = A.tensor(1.0, requires_grad=True)
    z = A.tensor(1.0, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="not have been used"):
        A.grad(y, [x, z], retain_graph=True)
    gx, gz = A.grad(y, [x, z], allow_unused=True)
    assert gx.item() == 2.0 and gz is None


def test_grad_wrt_intermediate():
    x = A.tensor(2.0, requires_grad=True)
    h = x * x
    y = h.exp()
    (gh,) = A.grad(y, h)
    np.testing.assert_allclose(gh.item(), np.exp(4.0), rtol=1e-6)


def test_hessian_vector_product_of_scalar_function():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    xv, vv = rng.standard_normal(4), rng.standard_normal(4)
    x = A.tensor(xv, requires_grad=True)
    y = (x.tanh() * x * x).sum()
    (g,) = A.grad(y, x, create_graph=True)
    (hv,) = A.grad(g, x, grad_outputs=A.tensor(vv))
    xt = torch.tensor(xv, requires_grad=True)
    gt = torch.autograd.grad((xt.tanh() * xt * xt).sum(), xt, create_graph=True)[0]
    hvt = torch.autograd.grad(gt, xt, grad_outputs=torch.tensor(vv))[0]
    np.testing.assert_allclose(hv.numpy(), hvt.numpy(), rtol=1e-10)


def test_third_derivative():
    x = A.tensor(0.3, dtype=A.float64, requires_grad=True)
    y = x ** 4
    (g1,) = A.grad(y, x, create_graph=True)
    (g2,) = A.grad(g1, x, create_graph=True)
    (g3,) = A.grad(g2, x)
    np.testing.assert_allclose(g3.item(), 24 * 0.3)


def test_leaf_hook_sees_total_gradient_and_can_replace_it():
    x = A.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()))
    handle = x.register_hook(lambda g: g * 10)
    y = x * 2 + x * 3
    y.backward(A.ones(2))
    np.testing.assert_array_equal(seen[0], [5.0, 5.0])
    np.testing.assert_array_equal(x.grad.numpy(), [50.0, 50.0])
    handle.remove()
    x.grad = None
    (x * 2 + x * 3).backward(A.ones(2))
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 5.0])


def test_nonleaf_hook_and_retain_grad():
    x = A.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    h.register_hook(lambda g: g * 2)
    (h * h).backward(A.ones(2))
    np.testing.assert_allclose(h.grad.numpy(), 2 * 2 * h.numpy())
    np.testing.assert_allclose(x.grad.numpy(), 2 * 2 * h.numpy() * 2)
    assert h.retains_grad


def test_graph_holds_no_reference_cycles():
    import gc

    x = A.tensor(np.ones(3), requires_grad=True)
    (x * 2).exp().tanh().sigmoid().backward(A.ones(3))  # warm up one-time caches (kernel dispatch)
    gc.collect()
    gc.disable()
    try:
        before = len(gc.get_objects())
        for _ in range(50):
            y = (x * 2).exp().tanh().sigmoid()
            y.backward(A.ones(3))
        del y
        assert gc.collect() == 0, "the graph left garbage only the cyclic GC can free"
        assert len(gc.get_objects()) - before < 200
    finally:
        gc.enable()


def test_detect_anomaly_names_the_op():
    x = A.tensor([0.0, 1.0], requires_grad=True)
    with A.detect_anomaly():
        y = x.sqrt()  # d/dx sqrt at 0 is inf
        with pytest.raises(RuntimeError, match="SqrtBackward.*inf"):
            y.backward(A.ones(2))


def test_create_graph_keeps_grad_differentiable():
    x = A.tensor(1.5, dtype=A.float64, requires_grad=True)
    (x ** 3).backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    (g2,) = A.grad(g, x)
    np.testing.assert_allclose(g2.item(), 6 * 1.5)


def test_grad_mode_is_thread_local():
    seen = {}

    def worker():
        seen["thread"] = A.is_grad_enabled()

    with A.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert not A.is_grad_enabled()
    assert seen["thread"] is True


def test_no_grad_enable_grad_set_grad_enabled():
    x = A.tensor(1.0, requires_grad=True)
    with A.no_grad():
        assert not (x * 2).requires_grad
        with A.enable_grad():
            assert (x * 2).requires_grad
    with A.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad

    @A.no_grad()
    def f():
        return x * 2

    assert not f().requires_grad
    assert A.is_grad_enabled()


def test_leaf_grads_never_alias_each_other_or_the_seed():
    # Add hands one gradient array to both inputs; accumulating in place must not let them share it
    x = A.tensor([1.0, 2.0], requires_grad=True)
    y = A.tensor([3.0, 4.0], requires_grad=True)
    seed = A.tensor([1.0, 1.0])
    (x + y).backward(seed)
    (x + y).backward(seed)
    assert x.grad.tolist() == [2.0, 2.0] and y.grad.tolist() == [2.0, 2.0]
    assert seed.tolist() == [1.0, 1.0]
    x.grad.mul_(10)  # as clip_grad_norm_ does
    assert y.grad.tolist() == [2.0, 2.0]
    w = A.tensor([0.5, 0.5], requires_grad=True)
    v = A.tensor([1.0, 1.0])
    (w + 0).backward(v)
    (w + 0).backward(v)
    assert v.tolist() == [1.0, 1.0] and w.grad.tolist() == [2.0, 2.0]
