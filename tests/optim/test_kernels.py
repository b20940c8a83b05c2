"""The fused Numba optimizer kernels are bit-identical to the numpy rules they replace."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
import optim
from optim import _kernels

CASES = [
    (optim.Adam, dict(lr=0.01)),
    (optim.Adam, dict(lr=0.01, betas=(0.3, 0.99), amsgrad=True, weight_decay=0.1, maximize=True)),
    (optim.AdamW, dict(lr=0.01, amsgrad=True)),
    (optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.2, weight_decay=0.01)),
    (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, maximize=True)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.01, weight_decay=0.01)),
    (optim.Adagrad, dict(lr=0.1, initial_accumulator_value=0.1, maximize=True)),
    (optim.RMSprop, dict(lr=0.01)),
    (optim.RMSprop, dict(lr=0.01, centered=True, momentum=0.9, weight_decay=0.01)),
    (optim.RMSprop, dict(lr=0.01, alpha=0.3, centered=True, maximize=True)),
    (optim.RMSprop, dict(lr=0.01, momentum=0.5)),
    (optim.NAdam, dict(lr=0.01, weight_decay=0.1)),
    (optim.NAdam, dict(lr=0.01, betas=(0.3, 0.9), decoupled_weight_decay=True, weight_decay=0.1, maximize=True)),
    (optim.RAdam, dict(lr=0.01, weight_decay=0.1)),
    (optim.RAdam, dict(lr=0.01, betas=(0.3, 0.9), decoupled_weight_decay=True, weight_decay=0.1, maximize=True)),
    (optim.Adamax, dict(lr=0.01, weight_decay=0.1)),
    (optim.Adamax, dict(lr=0.01, betas=(0.2, 0.9), maximize=True)),
    (optim.Adadelta, dict(weight_decay=0.1)),
    (optim.Adadelta, dict(lr=0.5, rho=0.3, maximize=True)),
    (optim.ASGD, dict(lr=0.05, t0=5, weight_decay=0.01)),
    (optim.ASGD, dict(lr=0.05, maximize=True)),
    (optim.Lion, dict(lr=0.01, weight_decay=0.1)),
    (optim.Lion, dict(lr=0.01, maximize=True)),
    (optim.Momentum, dict(lr=0.1, weight_decay=0.01)),
    (optim.NAG, dict(lr=0.05, momentum=0.8, weight_decay=0.01)),
    (optim.Rprop, dict(lr=0.01)),
    (optim.Rprop, dict(lr=0.001, etas=(0.3, 1.5), step_sizes=(1e-4, 0.02), maximize=True)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls,kw", CASES, ids=[f"{c.__name__}-{i}" for i, (c, _) in enumerate(CASES)])
def test_kernel_path_equals_numpy_path(cls, kw, dtype):
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((6, 5)).astype(dtype)
    fast = autograd.tensor(w0.copy(), requires_grad=True)  # C-contiguous: the kernel
    slow_base = np.asfortranarray(w0.copy())
    slow = autograd.from_numpy(slow_base).requires_grad_()  # Fortran order: the numpy rule
    assert _kernels.fits(fast.numpy()) and not _kernels.fits(slow.numpy(), slow.numpy().T.copy().T)
    opt_fast, opt_slow = cls([fast], **kw), cls([slow], **kw)
    for _ in range(15):
        g = rng.standard_normal((6, 5)).astype(dtype)
        fast.grad = autograd.tensor(g)
        slow.grad = autograd.from_numpy(np.asfortranarray(g))
        opt_fast.step()
        opt_slow.step()
    np.testing.assert_array_equal(fast.numpy(), slow.numpy())
    for k, v in opt_fast.state[fast].items():
        np.testing.assert_array_equal(v.numpy(), opt_slow.state[slow][k].numpy(), err_msg=k)


def test_float32_adam_close_to_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    w0 = rng.standard_normal(1000).astype(np.float32)
    p = autograd.tensor(w0.copy(), requires_grad=True)
    tp = torch.tensor(w0.copy(), requires_grad=True)
    opt, topt = optim.Adam([p], lr=0.01), torch.optim.Adam([tp], lr=0.01)
    for _ in range(20):
        g = rng.standard_normal(1000).astype(np.float32)
        p.grad = autograd.tensor(g)
        tp.grad = torch.from_numpy(g.copy())
        opt.step()
        topt.step()
    np.testing.assert_allclose(p.numpy(), tp.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_fits():
    a = np.zeros(4, np.float32)
    assert _kernels.fits(a, a.copy())
    assert not _kernels.fits(a, a.astype(np.float64))
    assert not _kernels.fits(np.zeros(4, np.int64))
    assert not _kernels.fits(np.zeros(0, np.float32))
    assert not _kernels.fits(np.zeros((4, 4), np.float32)[:, ::2])
