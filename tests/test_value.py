"""The scalar engine ``autograd.Value``: every op's value and gradient against PyTorch (float64), micrograd's own
test expressions, double backward, numerical edge cases, deep graphs, no reference cycles, the Value MLP."""

import gc
import math
import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd.data.datasets import make_moons as _make_moons
from autograd.value import Value, dot
from benchmarks.value_nn import MLP, Layer, Neuron, svm_loss

torch = pytest.importorskip("torch")


def _t(x):
    return torch.tensor(float(x), dtype=torch.float64, requires_grad=True)


def _vmax(a, b):
    if isinstance(a, Value):
        return a.max(b)
    return torch.maximum(a, b if isinstance(b, torch.Tensor) else torch.tensor(float(b), dtype=torch.float64))


def _vmin(a, b):
    if isinstance(a, Value):
        return a.min(b)
    return torch.minimum(a, b if isinstance(b, torch.Tensor) else torch.tensor(float(b), dtype=torch.float64))


def _close(a, b, tol=1e-10):
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= tol * (1 + abs(b))


def _check(fn, *xs):
    """Build ``fn`` on Values and on float64 torch scalars; compare the result and every input's gradient."""
    vs = [Value(x) for x in xs]
    ts = [_t(x) for x in xs]
    out_v = fn(*vs)
    out_t = fn(*ts)
    assert _close(out_v.data, out_t.item()), (out_v.data, out_t.item())
    out_v.backward()
    out_t.backward()
    for v, t in zip(vs, ts):
        tg = 0.0 if t.grad is None else t.grad.item()
        assert _close(v.grad, tg), (v.grad, tg)
    return out_v


UNARY = {
    "neg": (lambda x: -x, [-1.5, 0.3]),
    "relu": (lambda x: x.relu(), [-1.5, 0.0, 2.5]),
    "tanh": (lambda x: x.tanh(), [-2.0, 0.0, 0.7]),
    "exp": (lambda x: x.exp(), [-3.0, 0.0, 1.2]),
    "log": (lambda x: x.log(), [0.1, 1.0, 7.5]),
    "sigmoid": (lambda x: x.sigmoid(), [-4.0, 0.0, 3.0]),
    "sin": (lambda x: x.sin(), [-2.0, 0.0, 1.1]),
    "cos": (lambda x: x.cos(), [-2.0, 0.0, 1.1]),
    "abs": (lambda x: x.abs(), [-2.0, 0.0, 1.1]),
    "builtin_abs": (lambda x: abs(x), [-2.0, 3.0]),
    "sqrt": (lambda x: x.sqrt(), [0.25, 2.0]),
    "pos": (lambda x: +x * 3, [1.5]),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_vs_torch(name):
    fn, points = UNARY[name]
    for x in points:
        _check(fn, x)


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
    "max": _vmax,
    "min": _vmin,
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("pair", [(1.5, 2.5), (2.5, -0.75), (0.8, 0.8)])
def test_binary_vs_torch(name, pair):
    fn = BINARY[name]
    a, b = pair
    if name == "pow":
        a = abs(a)
    _check(fn, a, b)  # Value op Value
    _check(lambda x: fn(x, b), a)  # Value op number
    if name not in ("max", "min"):
        _check(lambda y: fn(a, y), b)  # number op Value (reflected)


@pytest.mark.parametrize("exponent", [2, 3, 0, -1, 0.5, -2.5, 2.0])
def test_pow_constant_exponents(exponent):
    for x in (0.7, 2.0):
        _check(lambda v: v**exponent, x)
    if float(exponent).is_integer():
        _check(lambda v: v**exponent, -1.3)


def test_same_input_twice_and_reuse():
    _check(lambda a: a * a, 3.0)
    _check(lambda a: a + a, 3.0)
    _check(lambda a: a / a, 3.0)
    _check(lambda a: a**a, 1.7)
    _check(lambda a: _vmax(a, a), 1.7)

    def f(a):  # micrograd's classic pitfall: b = a + a; c = b + b
        b = a + a
        c = b + b
        return c * b

    _check(f, 1.5)


def test_micrograd_sanity_check():
    def f(x):
        z = 2 * x + 2 + x
        q = z.relu() + z * x
        h = (z * z).relu()
        return h + q + q * x

    out = _check(f, -4.0)
    assert out.data == -20.0


def test_micrograd_more_ops():
    def f(a, b):
        c = a + b
        d = a * b + b**3
        c = c + c + 1
        c = c + 1 + c + (-a)
        d = d + d * 2 + (b + a).relu()
        d = d + 3 * d + (b - a).relu()
        e = c - d
        f_ = e**2
        g = f_ / 2.0
        return g + 10.0 / f_

    out = _check(f, -4.0, 2.0)
    assert abs(out.data - 24.70408163265306) < 1e-12


def test_composite_expression_all_ops():
    def f(a, b, c):
        x = (a * b).tanh() + (c.exp() / (1 + b * b)).log() - (a - c).sigmoid()
        y = (x.sin() * a.cos() + (b * b + 1).sqrt()) ** 1.5 + _vmax(a, c) * _vmin(b, c)
        return y + abs(a - b) + (2.0 ** (a * 0.5)) - 1 / (c + 3)

    _check(f, 0.3, -1.2, 0.9)


def test_nary_sum_and_dot():
    def f(a, b, c):
        if isinstance(a, Value):
            s = Value.sum([a, b, 2.0, c, a])
            d = dot([a, b, 3.0], [c, 1.5, b], bias=c)
        else:
            s = a + b + 2.0 + c + a
            d = c + a * c + b * 1.5 + 3.0 * b
        return s * d

    _check(f, 0.5, -1.5, 2.0)
    assert Value.sum([]).data == 0.0
    assert dot([], []).data == 0.0
    with pytest.raises(ValueError, match="same length, got 2 and 1"):
        dot([Value(1.0), Value(2.0)], [1.0])


def test_numpy_scalars_interoperate():
    x = Value(2.0)
    y = np.float64(3.0) * x + np.int64(1) - x / np.float32(4.0)
    assert isinstance(y, Value)
    y.backward()
    assert y.data == pytest.approx(6.5)
    assert x.grad == pytest.approx(2.75)


def test_bad_operand_raises_type_error():
    with pytest.raises(TypeError, match="str"):
        Value(1.0) + "a"
    with pytest.raises(TypeError, match="list"):
        Value(1.0) * [1]
    with pytest.raises(TypeError, match="str"):
        "a" - Value(1.0)


def test_extreme_inputs_follow_pytorch():
    # no OverflowError / ValueError / ZeroDivisionError: IEEE results, as PyTorch gives
    cases = [
        (lambda x: x.exp(), 1000.0),
        (lambda x: x.tanh(), 1000.0),
        (lambda x: x.tanh(), -1000.0),
        (lambda x: x.sigmoid(), 1000.0),
        (lambda x: x.sigmoid(), -1000.0),
        (lambda x: x.log(), 0.0),
        (lambda x: x.log(), -1.0),
        (lambda x: x.sqrt(), -1.0),
        (lambda x: x.sqrt(), 0.0),
        (lambda x: 1.0 / x, 0.0),
        (lambda x: x ** (1.0 / 3.0), -8.0),
        (lambda x: x**-1, 0.0),
        (lambda x: x**0.5, 0.0),
    ]
    for fn, x in cases:
        _check(fn, x)
    v = Value(1000.0)
    assert v.sigmoid().data == 1.0 and Value(-1000.0).sigmoid().data == 0.0
    assert math.isnan(Value(math.nan).relu().data)


def test_backward_twice_accumulates_leaves_only():
    a = Value(2.0)
    b = a * 3
    c = b * b
    c.backward()
    assert a.grad == 36.0 and b.grad == 12.0
    c.backward()  # like PyTorch (retain_graph): leaves accumulate; intermediate grads are not doubled
    assert a.grad == 72.0 and b.grad == 12.0
    assert c.grad == 1.0


def test_backward_seed_and_leaf_root():
    a = Value(2.0)
    (a * a).backward(gradient=0.5)
    assert a.grad == 2.0
    b = Value(1.0)
    b.backward()
    b.backward()
    assert b.grad == 2.0


def test_deep_chain_10000():
    x = Value(0.5)
    y = x
    for _ in range(10_000):
        y = y * 1.0001 + 0.0
    y.backward()
    assert x.grad == pytest.approx(1.0001**10_000, rel=1e-9)
    # deep and wide reuse: every node is used twice
    z = x
    for _ in range(10_000):
        z = (z + z) * 0.5
    z.backward()
    assert x.grad == pytest.approx(1.0001**10_000 + 1.0, rel=1e-9)
    # 100,000 deep: backward and freeing the chain need no recursion either
    w = Value(1.0)
    u = w
    for _ in range(100_000):
        u = u.tanh() + 0.0
    u.backward()
    assert 0.0 < w.grad < 1.0
    del u


def test_graph_holds_no_reference_cycles():
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        random.seed(0)
        model = MLP(2, [8, 1], fused=False)
        xs = [[Value(0.3), Value(-0.2)], [Value(1.0), Value(0.5)]]
        loss = sum((model(x) - 1.0) ** 2 for x in xs)
        loss.backward()
        fused = MLP(2, [8, 1])
        loss2 = Value.sum([(fused([0.3, -0.2]) - 1.0) ** 2]) + 0.1 * dot(fused.parameters(), fused.parameters())
        loss2.backward()
        del model, xs, loss, fused, loss2
        found = gc.collect()
        # create_graph=True does make a cycle, as in PyTorch: a leaf's .grad is a graph that refers to the leaf
        x = Value(2.0)
        (x * x).backward(create_graph=True)
        del x
        found_double = gc.collect()
    finally:
        if was:
            gc.enable()
    assert found == 0
    assert found_double > 0


def test_failed_backward_leaves_graph_usable():
    x = Value(2.0)
    y = x * x
    z = y * 3
    y.grad = None  # a broken grad makes the pass raise ...
    z._a.grad = 0.0
    x.grad = "broken"
    with pytest.raises(TypeError):
        z.backward()
    x.grad = 0.0  # ... and the next backward still works
    z.backward()
    assert x.grad == 12.0
    # a failure while another branch is still pending: every count is reset
    x, zz = Value(1.0), Value(2.0)
    m = zz * 2
    b, d, a = m + 1, m * 3, x * 5
    out = (b * a) * d
    x.grad = "broken"
    with pytest.raises(TypeError):
        out.backward()
    assert all(n._deps == 0 for n in (m, b, d, a, out, out._a))
    x.grad = 0.0
    out.backward()
    assert zz.grad == 5 * 3 * (2 * 4 + 1) * 2 and x.grad == 5 * 5 * 12  # out = (2z + 1) * 5x * 6z
    with pytest.raises(TypeError, match="_children must be Values, got float"):
        Value(1.0, (2.0,))


# ---- double backward ----
SECOND = {
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "cube": lambda x: x**3,
    "pow_frac": lambda x: x**2.5,
    "rpow": lambda x: 3.0**x,
    "exp_sin": lambda x: x.exp() * x.sin(),
    "log_cos": lambda x: x.log() + x.cos(),
    "div": lambda x: 1.0 / x + x / (x + 1) - x / 2.0,
    "sqrt": lambda x: (x * x + 1).sqrt(),
    "self_pow": lambda x: x**x,
    "sub_neg": lambda x: (2.0 - x) * (x - 1.0) * (-x),
    "relu_abs_max": lambda x: (x * x).relu() * abs(x) + _vmax(x * x, 1.0) + _vmin(x, x * 2),
}


@pytest.mark.parametrize("name", sorted(SECOND))
def test_second_derivative_vs_torch(name):
    fn = SECOND[name]
    x = Value(1.3)
    y = fn(x)
    y.backward(create_graph=True)
    g = x.grad
    assert isinstance(g, Value)
    t = _t(1.3)
    (gt,) = torch.autograd.grad(fn(t), t, create_graph=True)
    assert _close(g.data, gt.item())
    x.grad = 0.0
    g.backward()
    (ggt,) = torch.autograd.grad(gt, t)
    assert _close(x.grad, ggt.item(), 1e-9), (x.grad, ggt.item())


def test_second_derivative_two_variables_and_nary():
    a, b = Value(0.7), Value(-1.1)
    y = dot([a, b], [b, b], bias=a) * a.tanh() + Value.sum([a * b, b])
    y.backward(create_graph=True)
    ga = a.grad
    a.grad = 0.0
    b.grad = 0.0
    ga.backward()
    ta, tb = _t(0.7), _t(-1.1)
    yt = (ta + ta * tb + tb * tb) * ta.tanh() + (ta * tb + tb)
    (gat,) = torch.autograd.grad(yt, ta, create_graph=True)
    d2a, d2ab = torch.autograd.grad(gat, (ta, tb))
    assert _close(ga.data, gat.item())
    assert _close(a.grad, d2a.item()) and _close(b.grad, d2ab.item())


# ---- introspection (micrograd's names) ----
def test_introspection():
    a = Value(2, label="a")
    b = a * 3 + a
    assert a.data == 2.0 and isinstance(a.data, float)
    assert b._op == "+" and b.op_name() == "Add"
    assert len(b._prev) == 2 and a in b._prev
    assert b.inputs()[1] is a
    assert (a * 3).constant() == (1, 3.0)
    assert (3 - a).constant() == (0, 3.0)
    assert a.constant() is None and a.is_leaf() and not b.is_leaf()
    assert a.label == "a" and b.label == ""
    b.label = "b"
    assert b.label == "b"
    assert repr(Value(1.5)) == "Value(data=1.5, grad=0.0)"
    c = Value(1.0, (a, b), "custom")  # micrograd's constructor records inputs for drawing
    assert c._prev == {a, b} and c.op_name() == "custom"
    with pytest.raises(AttributeError):
        a.something = 1  # __slots__


# ---- the Value MLP ----
def make_moons(n: int, noise: float = 0.0, seed=None):
    """The scalar demo's data: unshuffled float64 moons, noise drawn from ``Generator(PCG64(seed))``."""
    return _make_moons(n, noise=noise, random_state=seed, shuffle=False, dtype=np.float64)


def test_make_moons_matches_sklearn():
    sk = pytest.importorskip("sklearn.datasets")
    X, y = make_moons(101)
    Xs, ys = sk.make_moons(101, shuffle=False)
    assert X.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_allclose(X, Xs, atol=1e-12)
    np.testing.assert_array_equal(y, ys)
    Xn, _ = make_moons(100, noise=0.1, seed=3)
    Xn2, _ = make_moons(100, noise=0.1, seed=3)
    np.testing.assert_array_equal(Xn, Xn2)
    assert Xn.shape == (100, 2) and not np.allclose(Xn, make_moons(100)[0])
    # the noise is numpy's default_rng(seed).normal, as the scalar demo has always drawn it
    expected = make_moons(100)[0] + np.random.default_rng(3).normal(scale=0.1, size=(100, 2))
    np.testing.assert_array_equal(Xn, expected)


def test_fused_and_unfused_mlp_agree():
    m1 = MLP(2, [4, 4, 1], fused=True, seed=5)
    m2 = MLP(2, [4, 4, 1], fused=False, seed=5)
    X, y = make_moons(10, noise=0.1, seed=0)
    l1, acc1 = svm_loss(m1, X, y * 2 - 1)
    l2, acc2 = svm_loss(m2, X, y * 2 - 1)
    assert l1.data == pytest.approx(l2.data, rel=1e-12) and acc1 == acc2
    l1.backward()
    l2.backward()
    for p, q in zip(m1.parameters(), m2.parameters()):
        assert p.grad == pytest.approx(q.grad, rel=1e-9, abs=1e-12)
    m1.zero_grad()
    assert all(p.grad == 0.0 for p in m1.parameters())


def test_mlp_vs_torch_gradients():
    model = MLP(3, [5, 2], activation="tanh", seed=1)
    x = [0.2, -1.0, 0.5]
    out = model(x)
    loss = out[0] * out[1] + out[0].sigmoid()
    loss.backward()
    W1 = torch.tensor([[w.data for w in n.w] for n in model.layers[0].neurons], dtype=torch.float64, requires_grad=True)
    b1 = torch.tensor([n.b.data for n in model.layers[0].neurons], dtype=torch.float64, requires_grad=True)
    W2 = torch.tensor([[w.data for w in n.w] for n in model.layers[1].neurons], dtype=torch.float64, requires_grad=True)
    b2 = torch.tensor([n.b.data for n in model.layers[1].neurons], dtype=torch.float64, requires_grad=True)
    h = torch.tanh(W1 @ torch.tensor(x, dtype=torch.float64) + b1)
    o = W2 @ h + b2
    lt = o[0] * o[1] + torch.sigmoid(o[0])
    lt.backward()
    assert _close(loss.data, lt.item())
    got = np.array([[w.grad for w in n.w] for n in model.layers[0].neurons])
    np.testing.assert_allclose(got, W1.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose([n.b.grad for n in model.layers[1].neurons], b2.grad.numpy(), rtol=1e-9)


def test_mlp_learns_two_moons_to_full_training_accuracy():
    X, y = make_moons(100, noise=0.1, seed=0)
    y = y * 2 - 1
    model = MLP(2, [16, 16, 1], seed=0)
    first, acc0 = svm_loss(model, X, y)
    for k in range(60):  # micrograd's demo (SVM loss + L2, SGD with a decaying learning rate), 60 steps not 100
        loss, acc = svm_loss(model, X, y)
        model.zero_grad()
        loss.backward()
        lr = 1.0 - 0.9 * k / 60
        for p in model.parameters():
            p.data -= lr * p.grad
    last, acc = svm_loss(model, X, y)
    assert acc0 < 0.9 and last.data < 0.1 * first.data
    assert acc == 1.0


def test_value_nn_errors_and_repr():
    n = Neuron(3)
    with pytest.raises(ValueError, match="expects 3 inputs, got 2"):
        n([1.0, 2.0])
    with pytest.raises(ValueError, match="activation"):
        Neuron(2, activation="gelu")
    assert repr(n) == "reluNeuron(3)"
    assert len(Layer(3, 4).parameters()) == 16
    m = MLP(2, [3, 1])
    assert len(m.parameters()) == 3 * 3 + 4
    assert repr(m).startswith("MLP of [Layer of [reluNeuron(2)")


# ---- random programs (hypothesis): value and every input's gradient against PyTorch ----
_UN = ["tanh", "sigmoid", "sin", "cos", "relu", "abs", "neg", "sqrt1p", "exp_tanh"]
_BIN = ["add", "sub", "mul", "max", "min", "div1p", "pow_abs"]


def _apply(op, a, b=None):
    if op == "neg":
        return -a
    if op == "sqrt1p":
        return (a * a + 1).sqrt()
    if op == "exp_tanh":
        return a.tanh().exp()
    if op in ("tanh", "sigmoid", "sin", "cos", "relu", "abs"):
        return getattr(a, op)()
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return a * b
    if op == "max":
        return _vmax(a, b)
    if op == "min":
        return _vmin(a, b)
    if op == "div1p":
        return a / (b * b + 1)
    if op == "pow_abs":
        return (a * a + 0.5) ** b.tanh()
    raise AssertionError(op)


_program = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(_UN), st.integers(0, 100)),
        st.tuples(st.sampled_from(_BIN), st.integers(0, 100), st.integers(0, 100)),
    ),
    min_size=1,
    max_size=10,
)


@given(st.lists(st.floats(-2, 2, allow_nan=False), min_size=1, max_size=3), _program)
def test_random_programs_vs_torch(xs, program):
    def run(*inputs):
        vals = list(inputs)
        for step in program:
            args = [vals[i % len(vals)] for i in step[1:]]
            vals.append(_apply(step[0], *args))
        return Value.sum(vals[len(inputs):]) if isinstance(vals[0], Value) else sum(vals[len(inputs):])

    _check(run, *xs)
