"""Numerical gradient checks: ``gradcheck`` and ``gradgradcheck`` (central differences in float64).

For f: R^n -> R^m the analytical Jacobian is built one row at a time by backpropagating each unit output
vector; the numerical one one column at a time by ``(f(x + eps e_j) - f(x - eps e_j)) / (2 eps)``.
"""

from __future__ import annotations

import numpy as np

from .engine import grad as autograd_grad
from .grad_mode import enable_grad
from .tensor import Tensor, _make


def _as_tuple(x) -> tuple:
    return tuple(x) if isinstance(x, (list, tuple)) else (x,)


def _differentiable_inputs(inputs) -> list[int]:
    return [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]


def _outputs(fn, inputs) -> list[Tensor]:
    return [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor)]


def _flat_outputs(fn, inputs) -> np.ndarray:
    outs = [o._data.astype(np.float64).ravel() for o in _outputs(fn, inputs)]
    return np.concatenate(outs) if outs else np.zeros(0)


def _numerical_jacobian(fn, inputs, idx: list[int], eps: float) -> list[np.ndarray]:
    """One (n_in_i, n_out_total) matrix per differentiable input."""
    jacs = []
    with enable_grad():  # fn may itself differentiate (gradgradcheck)
        for i in idx:
            x = inputs[i]._data  # perturbed in place, one element at a time
            cols = []
            for pos in np.ndindex(x.shape):
                orig = x[pos]
                x[pos] = orig + eps
                plus = _flat_outputs(fn, inputs)
                x[pos] = orig - eps
                minus = _flat_outputs(fn, inputs)
                x[pos] = orig
                cols.append((plus - minus) / (2 * eps))
            n_out = cols[0].size if cols else sum(o.numel() for o in _outputs(fn, inputs))
            jacs.append(np.array(cols).reshape(x.size, n_out))
    return jacs


def _analytical_jacobian(fn, inputs, idx: list[int]) -> list[np.ndarray]:
    with enable_grad():
        outs = _outputs(fn, inputs)
    n_out = sum(o.numel() for o in outs)
    jacs = [np.zeros((inputs[i].numel(), n_out)) for i in idx]
    row = 0
    for o in outs:
        for k in range(o.numel()):
            seed = np.zeros(o.shape, dtype=o.dtype)
            seed.reshape(-1)[k] = 1
            if o.requires_grad:
                grads = autograd_grad(o, [inputs[i] for i in idx], grad_outputs=_make(seed), retain_graph=True,
                                      allow_unused=True)
                for j, g in enumerate(grads):
                    if g is not None:
                        jacs[j][:, row] = g._data.astype(np.float64).ravel()
            row += 1
    return jacs


def _compare(name: str, analytical, numerical, inputs, idx, atol, rtol, raise_exception) -> bool:
    for a, n, i in zip(analytical, numerical, idx):
        if a.shape != n.shape:
            msg = f"{name}: Jacobian shape mismatch for input {i}: analytical {a.shape}, numerical {n.shape}"
        else:
            err = np.abs(a - n) - (atol + rtol * np.abs(n))
            if not (err > 0).any() and np.isfinite(a).all() == np.isfinite(n).all():
                continue
            k = np.unravel_index(np.argmax(np.where(np.isnan(err), np.inf, err)), err.shape)
            msg = (
                f"{name}: Jacobian mismatch for output {k[1]} with respect to input {i} (element {k[0]} of shape "
                f"{tuple(inputs[i].shape)}):\n  numerical: {n[k]!r}\n  analytical: {a[k]!r}\n"
                f"  worst |difference| {abs(a[k] - n[k]):.3e} exceeds atol={atol} + rtol={rtol} * |numerical|\n"
                f"numerical Jacobian:\n{n}\nanalytical Jacobian:\n{a}"
            )
        if raise_exception:
            raise RuntimeError(msg)
        return False
    return True


def _check_inputs(inputs, idx) -> None:
    if not idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    for i in idx:
        if inputs[i].dtype != np.float64:
            raise TypeError(
                f"gradcheck: input {i} has dtype {inputs[i].dtype}; use float64 inputs (central differences "
                "in single precision are not accurate enough to check anything)"
            )


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True) -> bool:
    """True when the gradients of ``fn`` at ``inputs`` match central differences; otherwise raise a
    RuntimeError reporting the worst element (or return False with ``raise_exception=False``)."""
    inputs = _as_tuple(inputs)
    idx = _differentiable_inputs(inputs)
    _check_inputs(inputs, idx)
    numerical = _numerical_jacobian(fn, inputs, idx, eps)
    analytical = _analytical_jacobian(fn, inputs, idx)
    return _compare("gradcheck", analytical, numerical, inputs, idx, atol, rtol, raise_exception)


def gradgradcheck(fn, inputs, grad_outputs=None, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  raise_exception: bool = True) -> bool:
    """Check second derivatives: gradcheck of (inputs, v) -> d<fn(inputs), v>/d(inputs), with random ``v``."""
    inputs = _as_tuple(inputs)
    idx = _differentiable_inputs(inputs)
    _check_inputs(inputs, idx)
    with enable_grad():
        outs = _outputs(fn, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [
            _make(rng.standard_normal(o.shape).astype(o.dtype)).requires_grad_(True)
            for o in outs if o.requires_grad
        ]
    grad_outputs = list(_as_tuple(grad_outputs))
    n_in = len(inputs)

    def first_derivative(*args):
        xs, vs = args[:n_in], args[n_in:]
        outs = [o for o in _outputs(fn, xs) if o.requires_grad]
        grads = autograd_grad(outs, [xs[i] for i in idx], grad_outputs=list(vs), create_graph=True,
                              allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivative, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
