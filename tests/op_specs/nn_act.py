"""Rows for the linear-family functionals and the activations of ``nn.functional`` (including the dedicated
ops: linear, embedding, gelu, elu/selu/celu, softplus, erf), called as a user calls them."""

from . import OpSpec, away_from_zero


def F(lib):
    """``torch.nn.functional`` for torch, ``nn.functional`` for autograd."""
    if lib.__name__ == "torch":
        return lib.nn.functional
    import nn.functional

    return nn.functional


def erf(lib, x):
    return lib.erf(x) if lib.__name__ == "torch" else F(lib).erf(x)


def embedding_inputs(rng, shapes, dtype):
    (rows, dim), idx_shape = shapes
    return [rng.uniform(-2, 2, size=(rows, dim)).astype(dtype), rng.integers(0, rows, size=idx_shape)]


SPECS = [
    OpSpec("linear", lambda lib, x, w, b: F(lib).linear(x, w, b), [((3, 4), (5, 4), (5,)), ((2, 3, 4), (2, 4), (2,))]),
    OpSpec("linear_nobias", lambda lib, x, w: F(lib).linear(x, w), [((4,), (3, 4)), ((2, 2, 3), (5, 3))]),
    OpSpec("bilinear", lambda lib, a, b, w, c: F(lib).bilinear(a, b, w, c), [((3, 2), (3, 4), (5, 2, 4), (5,))]),
    OpSpec("embedding", lambda lib, w, i: F(lib).embedding(i, w), [((6, 3), (2, 4))], make=embedding_inputs),
    OpSpec("embedding_scale_grad", lambda lib, w, i: F(lib).embedding(i, w, scale_grad_by_freq=True),
           [((4, 2), (3, 5))], make=embedding_inputs, gradcheck=False,  # the scaled grad is not d/dw by design
           no_torch_gradgrad="PyTorch's embedding double backward leaves out the 1/frequency scale of the backward"),
    OpSpec("gelu", lambda lib, x: F(lib).gelu(x), [((3, 4),)], low=-4, high=4),
    OpSpec("gelu_tanh", lambda lib, x: F(lib).gelu(x, approximate="tanh"), [((3, 4),)], low=-4, high=4),
    OpSpec("nn_erf", erf, [((3, 4),)], low=-3, high=3),  # F.erf, the same op as autograd.erf
    OpSpec("elu", lambda lib, x: F(lib).elu(x, 0.7), [((3, 4),)], make=away_from_zero),
    OpSpec("selu", lambda lib, x: F(lib).selu(x), [((3, 4),)], make=away_from_zero),
    OpSpec("celu", lambda lib, x: F(lib).celu(x, 1.3), [((3, 4),)], make=away_from_zero),
    OpSpec("softplus", lambda lib, x: F(lib).softplus(x), [((3, 4),)], low=-5, high=5),
    OpSpec("softplus_beta_threshold", lambda lib, x: F(lib).softplus(x, beta=2.0, threshold=3.0),
           [((3, 4),)], low=-1, high=1.4),
    OpSpec("logsigmoid", lambda lib, x: F(lib).logsigmoid(x), [((3, 4),)], low=-6, high=6),
    OpSpec("silu", lambda lib, x: F(lib).silu(x), [((3, 4),)], low=-4, high=4),
    OpSpec("mish", lambda lib, x: F(lib).mish(x), [((3, 4),)], low=-4, high=4),
    OpSpec("leaky_relu", lambda lib, x: F(lib).leaky_relu(x, 0.2), [((3, 4),)], make=away_from_zero),
    OpSpec("prelu", lambda lib, x, w: F(lib).prelu(x, w), [((2, 3, 4), (3,)), ((5,), (1,))], make=away_from_zero),
    OpSpec("hardtanh", lambda lib, x: F(lib).hardtanh(x, -0.5, 1.0), [((3, 4),)]),
    OpSpec("relu6", lambda lib, x: F(lib).relu6(x * 4), [((3, 4),)], make=away_from_zero),
    OpSpec("hardsigmoid", lambda lib, x: F(lib).hardsigmoid(x), [((3, 4),)], low=-4, high=4, atol=1e-5, rtol=1e-4,
           no_torch_gradgrad="PyTorch has no derivative for hardsigmoid_backward"),
    OpSpec("hardswish", lambda lib, x: F(lib).hardswish(x), [((3, 4),)], low=-4, high=4),
    OpSpec("softsign", lambda lib, x: F(lib).softsign(x), [((3, 4),)], make=away_from_zero),
    OpSpec("tanhshrink", lambda lib, x: F(lib).tanhshrink(x), [((3, 4),)]),
    OpSpec("glu", lambda lib, x: F(lib).glu(x, 1), [((3, 4),), ((2, 6, 2),)]),
    OpSpec("softmin", lambda lib, x: F(lib).softmin(x, dim=1), [((3, 4),)]),
    OpSpec("normalize", lambda lib, x: F(lib).normalize(x, p=2.0, dim=1), [((3, 4),)], make=away_from_zero),
    OpSpec("cosine_similarity", lambda lib, a, b: F(lib).cosine_similarity(a, b, dim=-1),
           [((3, 4), (3, 4)), ((2, 1, 4), (3, 4))], make=away_from_zero),
    OpSpec("pairwise_distance", lambda lib, a, b: F(lib).pairwise_distance(a, b), [((3, 4), (3, 4))]),
]

