"""A tiny MLP built of scalar ``Value`` s: micrograd's ``nn``, for the scalar-engine benchmark and its tests.

It lives beside its users (``benchmarks/scalar.py``, ``benchmarks/micrograd_compare.py``, ``tests/test_value.py``)
rather than in the ``autograd`` package: the library's layers are ``nn``'s tensor modules, and this is a
teaching/benchmark twin of micrograd's, not library API.

``Neuron`` / ``Layer`` / ``MLP`` follow micrograd (weights uniform in [-1, 1], bias 0, ReLU on every layer but
the last), with ``parameters()`` and ``zero_grad()``. A neuron is one n-ary ``dot`` node by default
(``fused=True``): the same math as micrograd's chain of ``*`` and ``+`` nodes, about 2n times fewer nodes.
The two-moons data comes from ``autograd.data.datasets.make_moons`` (``shuffle=False, dtype=np.float64``).
"""

from __future__ import annotations

import random

from autograd.value import Value, dot

__all__ = ["Neuron", "Layer", "MLP", "svm_loss"]


class _Module:
    def parameters(self) -> list:
        return []

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0


class Neuron(_Module):
    """``act(b + sum(w_i x_i))`` with ``act`` one of "relu", "tanh", "sigmoid" or None (linear)."""

    def __init__(self, nin: int, nonlin: bool = True, activation: str = "relu", fused: bool = True,
                 rng: random.Random | None = None) -> None:
        if activation not in ("relu", "tanh", "sigmoid"):
            raise ValueError(f"Neuron: activation must be 'relu', 'tanh' or 'sigmoid', got {activation!r}")
        uniform = (rng or random).uniform
        self.w = [Value(uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0)
        self.nonlin = nonlin
        self.activation = activation
        self.fused = fused

    def __call__(self, x) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"Neuron expects {len(self.w)} inputs, got {len(x)}")
        if self.fused:
            act = dot(self.w, x, self.b)
        else:
            act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        if not self.nonlin:
            return act
        return getattr(act, self.activation)()

    def parameters(self) -> list:
        return self.w + [self.b]

    def __repr__(self) -> str:
        return f"{self.activation if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(_Module):
    def __init__(self, nin: int, nout: int, **kwargs) -> None:
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x):
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(_Module):
    """``MLP(nin, [h1, h2, ..., nout])``: nonlinear hidden layers, a linear last layer."""

    def __init__(self, nin: int, nouts: list, activation: str = "relu", fused: bool = True,
                 seed: int | None = None) -> None:
        rng = random.Random(seed) if seed is not None else None
        sz = [nin] + list(nouts)
        self.layers = [
            Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1, activation=activation, fused=fused, rng=rng)
            for i in range(len(nouts))
        ]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> list:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"


def svm_loss(model, X, y, alpha: float = 1e-4):
    """micrograd's demo loss: mean max-margin ``relu(1 - y * score)`` (y in {-1, 1}) + ``alpha * sum(p^2)``.

    Returns ``(loss, accuracy)``.
    """
    scores = [model(list(map(float, row))) for row in X]
    losses = [(1.0 - float(yi) * s).relu() for yi, s in zip(y, scores)]
    data_loss = Value.sum(losses) * (1.0 / len(losses))
    params = model.parameters()
    reg_loss = alpha * dot(params, params)
    acc = sum((yi > 0) == (s.data > 0) for yi, s in zip(y, scores)) / len(y)
    return data_loss + reg_loss, acc
