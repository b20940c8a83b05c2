"""One ``RemovableHandle`` for tensor hooks and module hooks, removable by ``remove()`` or as a context."""

import numpy as np

import autograd
import nn
from autograd.utils.hooks import RemovableHandle


def test_tensor_and_module_hooks_return_the_same_handle_class():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    h_leaf = x.register_hook(lambda g: g)
    h_node = (x * 2).register_hook(lambda g: g)
    h_mod = nn.Linear(2, 1).register_forward_hook(lambda m, i, o: None)
    assert type(h_leaf) is type(h_node) is type(h_mod) is RemovableHandle
    assert nn.module.RemovableHandle is RemovableHandle


def test_every_tensor_hook_registration_returns_the_handle():
    names = [n for n in dir(autograd.Tensor) if n.startswith("register_") and n.endswith("hook")]
    assert "register_hook" in names
    for name in names:  # a leaf accepts every kind of tensor hook
        x = autograd.tensor([1.0, 2.0], requires_grad=True)
        assert type(getattr(x, name)(lambda *a: None)) is RemovableHandle, name


def test_tensor_hook_handle_removes_only_its_own_hook_and_works_as_context():
    x = autograd.tensor([1.0, 2.0], requires_grad=True)
    calls = []

    def hook(g):
        calls.append(1)
        return g * 10

    first = x.register_hook(hook)
    with x.register_hook(hook):  # the same function registered twice: two hooks, two handles
        (x * 1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [100.0, 100.0])
    assert len(calls) == 2
    x.grad = None
    (x * 1).sum().backward()  # the context removed one of the two
    np.testing.assert_allclose(x.grad.numpy(), [10.0, 10.0])
    first.remove()
    first.remove()  # removing twice is harmless
    x.grad = None
    (x * 1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])


def test_module_hook_handle_as_context():
    m = nn.Linear(2, 1)
    seen = []
    with m.register_forward_hook(lambda mod, i, o: seen.append(o.shape)):
        m(autograd.ones(3, 2))
    m(autograd.ones(3, 2))
    assert seen == [(3, 1)]
