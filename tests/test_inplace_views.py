"""Views and the version counter: a view shares its base's memory and version, so an in-place change made
through either one is caught by backward when the other was saved for gradient computation."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as A


def _nonleaf(shape=(2, 3)):
    w = A.tensor(np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape), requires_grad=True)
    return w, w * 1.0


def test_views_share_the_version_counter():
    x = A.zeros(3, 4)
    v = x[1:]
    w = v.t()[1:].unsqueeze(0)  # a view of a view of a view of x
    assert v._version is x._version and w._version is x._version
    x[0, 0] = 1.0
    assert v._version[0] == 1 and w._version[0] == 1
    v[0] = 2.0
    assert x._version[0] == 2
    assert x.numpy()[1].tolist() == [2.0] * 4


def test_modifying_a_saved_tensor_then_backward_raises_naming_the_op():
    w, a = _nonleaf()
    b = a * a  # Mul saves a
    a.add_(1.0)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*MulBackward.*version 1; expected "
                                           r"version 0"):
        b.backward(A.ones(2, 3))


def test_increment_version_marks_a_write_through_numpy():
    """``numpy()`` shares memory, so the engine cannot see a write through it until ``increment_version``."""
    w, a = _nonleaf()
    b = a * a
    a.numpy()[0, 0] = 5.0
    A.graph.increment_version(a)
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*MulBackward"):
        b.backward(A.ones(2, 3))
    x, y = A.zeros(2), A.zeros(3)
    A.graph.increment_version([x, y.detach()])  # an iterable; a detached tensor shares its source's counter
    assert x._version[0] == 1 and y._version[0] == 1


def test_modifying_the_base_invalidates_a_saved_view():
    w, a = _nonleaf()
    v = a.view(6)
    b = v * v  # saves the view
    a[0, 0] = 5.0  # in place through the base (recorded: a is not a leaf)
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*MulBackward"):
        b.backward(A.ones(6))


def test_modifying_a_view_invalidates_the_saved_base():
    w, a = _nonleaf()
    b = a * a  # saves the base
    with A.no_grad():
        a.t()[0, 1] = 3.0  # written through a view, no graph recorded, still bumps the shared version
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*MulBackward"):
        b.backward(A.ones(2, 3))


def test_setitem_on_a_saved_tensor_is_caught():
    w, a = _nonleaf()
    b = a.exp() * a
    a[:, 0] = 0.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        b.backward(A.ones(2, 3))


def test_in_place_through_a_view_with_autograd_rebases_the_base():
    w, a = _nonleaf()
    v = a[0]
    v.mul_(2.0)
    v[0] = w[1, 1] * 2
    assert a.grad_fn.name() == "CopySlicesBackward"
    a.sum().backward()
    assert w.grad is not None
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w[0] = 1.0


def test_unsaved_in_place_changes_are_fine_and_gradients_match_torch():
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(0).standard_normal((3, 4))
    w, tw = A.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    a, ta = w * 2, tw * 2
    a[1] = a[0] * 3  # index_put with a value that depends on a itself
    ta[1] = ta[0] * 3
    a[:, 2] = 0.0
    ta[:, 2] = 0.0
    out, tout = a.exp(), ta.exp()
    seed = np.random.default_rng(1).standard_normal((3, 4))
    out.backward(A.tensor(seed))
    tout.backward(torch.tensor(seed))
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy())
    assert a.grad_fn is not None and a._version[0] == 2


def test_views_see_in_place_changes_of_the_base_and_vice_versa():
    x = A.tensor(np.arange(6.0).reshape(2, 3))
    col = x[:, 1]
    flat = x.view(-1)
    parts = x.split(1, 1)
    x.mul_(10.0)
    assert col.tolist() == [10.0, 40.0]
    assert flat.tolist() == [0.0, 10.0, 20.0, 30.0, 40.0, 50.0]
    assert parts[2].tolist() == [[20.0], [50.0]]
    flat[0] = -1.0
    assert x.numpy()[0, 0] == -1.0


def test_expanded_views_are_read_only():
    x = A.zeros(3)
    e = x.expand(2, 3)
    assert e._base is x
    with pytest.raises(RuntimeError, match="read-only"):
        e[0, 0] = 1.0


def test_copies_do_not_share_the_version():
    x = A.zeros(2, 3)
    for c in (x.flip(0), x[[0, 1]], x[x > -1], A.cat([x, x]), x.repeat(2, 1), x.t().reshape(6)):
        assert c._version is not x._version and c._base is None


def test_detach_of_a_view_shares_the_counter():
    w, a = _nonleaf()
    v = a[0]
    d = v.detach()
    assert d._version is a._version


def test_diagonal_is_a_writable_view():
    x = A.zeros(3, 3)
    with A.no_grad():
        x.diagonal().fill_(2.0)
        x.diagonal(1).add_(1.0)
    assert x.tolist() == [[2.0, 1.0, 0.0], [0.0, 2.0, 1.0], [0.0, 0.0, 2.0]]
    assert x._version[0] == 2


# ---- in place on views while recording (PyTorch's CopySlices) ----
VIEW_CASES = [
    ("index_iadd", lambda lib, x, y: x.__setitem__(0, x[0] + 0) or _iadd_row(x, y)),
    ("slice_mul_", lambda lib, x, y: x[:, 1].mul_(y[0])),
    ("view_add_", lambda lib, x, y: x.view(-1).add_(y.reshape(-1).sum())),
    ("transpose_sub_", lambda lib, x, y: x.t().sub_(y.t() * 2)),
    ("narrow_copy_", lambda lib, x, y: x.narrow(1, 0, 2).copy_(y[:, :2] ** 2)),
    ("chain_of_views", lambda lib, x, y: x[1:][:, 1:].mul_(y[1:, 1:])),
]


def _iadd_row(x, y):
    x[0] += y[1]


@pytest.mark.parametrize("name,edit", VIEW_CASES, ids=[c[0] for c in VIEW_CASES])
def test_inplace_on_view_matches_torch(name, edit):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    wv, yv, gv = rng.standard_normal((3, 3)), rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    results = []
    for lib in (A, torch):
        w = lib.tensor(wv, requires_grad=True)
        y = lib.tensor(yv, requires_grad=True)
        x = w * 1.5  # a non-leaf base
        edit(lib, x, y)
        (x.tanh() * lib.tensor(gv)).sum().backward()
        results.append((x.detach().numpy().copy(), w.grad.numpy().copy(), y.grad.numpy().copy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-14, err_msg=name)


def test_inplace_on_view_of_leaf_is_refused_and_base_without_grad_gets_one():
    w = A.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        w[0].add_(1)
    buf = A.zeros(3)
    v = A.tensor([2.0], requires_grad=True)
    buf[1:2].add_(v * 3)
    assert buf.requires_grad and buf.tolist() == [0.0, 6.0, 0.0]
    buf.sum().backward()
    assert v.grad.tolist() == [3.0]
