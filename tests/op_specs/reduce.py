"""Rows for the reductions (sum, mean, var/std, prod, max/min, amax/amin, logsumexp, softmax, cumsum, norm)."""

from . import OpSpec, away_from_zero, distinct

S = [((),), ((5,),), ((3, 4),), ((2, 3, 4),)]
# rows of 100: the softmax kernels' row max runs eight entries at a time (kernels/softmax.py), plus a remainder
ROWS_LAST, ROWS_FIRST = [((8, 100),)], [((100, 6),)]


def with_zeros(rng, shapes, dtype):
    """Values away from 0, then two zeros in the first row, none in the last and one in every other row:
    prod/cumprod's hard cases, side by side (a slice's masks must not leak into its neighbours)."""
    (s,) = shapes
    x = (rng.uniform(0.5, 1.5, size=s) * rng.choice([-1, 1], size=s)).astype(dtype)
    flat = x.reshape(-1, s[-1])
    flat[:-1, 1] = 0
    flat[0, 3] = 0
    return [x]


def one_zero(rng, shapes, dtype):
    (s,) = shapes
    x = (rng.uniform(0.5, 1.5, size=s) * rng.choice([-1, 1], size=s)).astype(dtype)
    x.reshape(-1)[2] = 0
    return [x]


def ties(rng, shapes, dtype):
    """Small integers so that maxima/minima are tied."""
    return [rng.integers(0, 3, size=s).astype(dtype) for s in shapes]


def distinct_nonzero(rng, shapes, dtype):
    """``distinct`` shifted off 0 with distinct magnitudes: min |x| away from the kink of |x|."""
    return [x + dtype(0.03) for x in distinct(rng, shapes, dtype)]


SPECS = [
    # sum
    OpSpec("sum_all", lambda lib, a: a.sum(), S),
    OpSpec("sum_dim", lambda lib, a: lib.sum(a, 1), [((3, 4),), ((2, 3, 4),)]),
    OpSpec("sum_neg_keepdim", lambda lib, a: a.sum(-1, keepdim=True), S),
    OpSpec("sum_tuple", lambda lib, a: a.sum((0, -1)), [((2, 3, 4),), ((3, 4),)]),
    OpSpec("sum_tuple_keepdim", lambda lib, a: a.sum(dim=(0, 2), keepdim=True), [((2, 3, 4),)]),
    # all axes but the channels: kernels/reduce.py's loop from 2**16 elements (a conv's bias gradient)
    OpSpec("sum_all_but_channels", lambda lib, a: a.sum(dim=(0, 2, 3)), [((2, 3, 4, 5),)],
           big=[((16, 8, 32, 24),)]),
    OpSpec("sum_all_but_first_keepdim", lambda lib, a: a.sum(dim=(1, 2), keepdim=True), [((3, 4, 5),)],
           big=[((40, 64, 40),)]),
    OpSpec("sum_0d_dim", lambda lib, a: a.sum(0), [((),)]),
    OpSpec("sum_empty", lambda lib, a: a.sum(1) + 1, [((2, 0),)]),
    OpSpec("sum_empty_all", lambda lib, a: a.sum(0), [((0, 3),)]),
    OpSpec("sum_dtype", lambda lib, a: a.sum(1, dtype=lib.float64), [((3, 4),)]),
    # mean / var / std
    OpSpec("mean_all", lambda lib, a: a.mean(), S),
    OpSpec("mean_dim", lambda lib, a: lib.mean(a, -2, keepdim=True), [((3, 4),), ((2, 3, 4),)]),
    OpSpec("mean_tuple", lambda lib, a: a.mean((0, 2)), [((2, 3, 4),)]),
    OpSpec("mean_empty_dim", lambda lib, a: a.mean(0), [((0, 3),)]),
    OpSpec("var_all", lambda lib, a: a.var(), [((5,),), ((3, 4),)]),
    OpSpec("var_dim", lambda lib, a: lib.var(a, 1, keepdim=True), [((3, 4),), ((2, 3, 4),)]),
    OpSpec("var_biased", lambda lib, a: a.var(0, unbiased=False), [((3, 4),)]),
    OpSpec("var_correction", lambda lib, a: a.var((0, -1), correction=2), [((2, 3, 4),)]),
    OpSpec("std_all", lambda lib, a: a.std(), [((5,),), ((3, 4),)]),
    OpSpec("std_dim", lambda lib, a: lib.std(a, -1, correction=0), [((3, 4),), ((2, 3, 4),)]),
    # prod
    OpSpec("prod_all", lambda lib, a: a.prod(), [((),), ((5,),), ((3, 4),)], make=away_from_zero),
    OpSpec("prod_dim", lambda lib, a: lib.prod(a, 1, keepdim=True), [((3, 4),), ((2, 3, 4),)], make=away_from_zero),
    OpSpec("prod_zeros", lambda lib, a: a.prod(-1), [((3, 5),), ((2, 3, 5),)], make=with_zeros),
    OpSpec("prod_one_zero_all", lambda lib, a: a.prod(), [((5,),)], make=one_zero),
    OpSpec("prod_zeros_all", lambda lib, a: a.prod(), [((3, 5),)], make=with_zeros),
    # max / min / amax / amin
    OpSpec("max_all", lambda lib, a: a.max(), S, make=distinct),
    OpSpec("min_all", lambda lib, a: lib.min(a), S, make=distinct),
    OpSpec("max_all_ties", lambda lib, a: a.max() * 1.0, [((3, 4),)], make=ties, gradcheck=False),
    OpSpec("min_all_ties", lambda lib, a: a.min() * 1.0, [((3, 4),)], make=ties, gradcheck=False),
    OpSpec("max_dim", lambda lib, a: a.max(1), [((3, 4),), ((2, 3, 4),)], make=distinct),
    OpSpec("max_dim_values", lambda lib, a: lib.max(a, -1, keepdim=True).values, [((3, 4),), ((2, 3, 4),)],
           make=distinct),
    OpSpec("min_dim_values", lambda lib, a: lib.min(a, 0)[0], [((3, 4),), ((5,),)], make=distinct),
    OpSpec("max_0d_dim", lambda lib, a: a.max(0).values, [((),)]),
    OpSpec("max_dim_ties", lambda lib, a: a.max(1).values * 1.0, [((3, 4),)], make=ties, gradcheck=False),
    OpSpec("max_binary", lambda lib, a, b: lib.max(a, b), [((3, 4), (3, 4)), ((3, 4), (4,))]),
    OpSpec("amax", lambda lib, a: lib.amax(a, (0, 2)), [((2, 3, 4),)], make=distinct),
    OpSpec("amax_keepdim", lambda lib, a: a.amax(-1, keepdim=True), [((3, 4),), ((5,),)], make=distinct),
    OpSpec("amin", lambda lib, a: a.amin(1), [((3, 4),)], make=distinct),
    OpSpec("amax_ties", lambda lib, a: a.amax(1) * 1.0, [((3, 4),)], make=ties, gradcheck=False),
    OpSpec("amin_ties", lambda lib, a: lib.amin(a, (0, 1)) * 1.0, [((3, 4),)], make=ties, gradcheck=False),
    OpSpec("median_all", lambda lib, a: a.median(), [((5,),), ((3, 4),)], make=distinct),
    OpSpec("median_dim", lambda lib, a: lib.median(a, 1).values, [((3, 4),), ((2, 5, 3),)], make=distinct),
    OpSpec("median_all_ties", lambda lib, a: a.median() * 1.0, [((3, 4),)], make=ties, gradcheck=False),
    # logsumexp / softmax / log_softmax
    OpSpec("logsumexp", lambda lib, a: lib.logsumexp(a, 1), [((3, 4),), ((2, 3, 4),)], big=ROWS_LAST),
    OpSpec("logsumexp_neg_keepdim", lambda lib, a: a.logsumexp(-1, keepdim=True), S),
    OpSpec("logsumexp_tuple", lambda lib, a: a.logsumexp((0, 2)), [((2, 3, 4),)]),
    OpSpec("logsumexp_axis0", lambda lib, a: a.logsumexp(0), [((3, 4),), ((2, 3, 4),)], big=ROWS_FIRST),
    OpSpec("logsumexp_large", lambda lib, a: lib.logsumexp(a * 500, 1), [((3, 4),)], gradcheck=False),
    OpSpec("softmax", lambda lib, a: lib.softmax(a, -1), S, big=ROWS_LAST),
    OpSpec("softmax_dim0", lambda lib, a: a.softmax(0), [((3, 4),), ((2, 3, 4),)], big=ROWS_FIRST),
    OpSpec("softmax_mid", lambda lib, a: lib.softmax(a, 1), [((2, 3, 4),)]),
    OpSpec("softmax_large", lambda lib, a: lib.softmax(a * 500, 1), [((3, 4),)], gradcheck=False),
    OpSpec("log_softmax", lambda lib, a: lib.log_softmax(a, -1), S, big=ROWS_LAST),
    OpSpec("log_softmax_dim0", lambda lib, a: a.log_softmax(0), [((3, 4),), ((2, 3, 4),)], big=ROWS_FIRST),
    OpSpec("log_softmax_mid", lambda lib, a: lib.log_softmax(a, 1), [((2, 3, 4),)]),
    OpSpec("log_softmax_large", lambda lib, a: lib.log_softmax(a * 500, -1), [((3, 4),)], gradcheck=False),
    OpSpec("softmax_noncontig", lambda lib, a: lib.softmax(a.transpose(0, 1), -1), [((4, 3),)]),
    OpSpec("log_softmax_noncontig", lambda lib, a: a[:, ::2].log_softmax(1), [((3, 6),)]),
    OpSpec("logsumexp_noncontig", lambda lib, a: a.T.logsumexp(1), [((5, 3),)]),
    # cumulative
    OpSpec("cumsum", lambda lib, a: lib.cumsum(a, 1), [((3, 4),), ((2, 3, 4),)]),
    OpSpec("cumsum_neg", lambda lib, a: a.cumsum(-1), [((5,),), ((3, 4),)]),
    OpSpec("cumsum_0d", lambda lib, a: a.cumsum(0), [((),)]),
    OpSpec("cumprod", lambda lib, a: lib.cumprod(a, 1), [((3, 4),), ((2, 3, 4),)], make=away_from_zero),
    OpSpec("cumprod_neg", lambda lib, a: a.cumprod(-1), [((5,),)], make=away_from_zero),
    OpSpec("cumprod_zeros", lambda lib, a: a.cumprod(-1), [((3, 5),), ((2, 3, 5),)], make=with_zeros),
    OpSpec("cumprod_zeros_dim0", lambda lib, a: a.cumprod(0), [((5, 3),)],
           make=lambda rng, s, dt: [with_zeros(rng, [(3, 5)], dt)[0].T.copy()]),
    # norms
    OpSpec("norm", lambda lib, a: a.norm(), S, make=away_from_zero),
    OpSpec("norm_dim", lambda lib, a: lib.norm(a, dim=1), [((3, 4),), ((2, 3, 4),)], make=away_from_zero),
    OpSpec("norm_fro_tuple", lambda lib, a: a.norm("fro", dim=(0, 1), keepdim=True), [((2, 3, 4),)],
           make=away_from_zero),
    OpSpec("norm_p1", lambda lib, a: a.norm(1, dim=-1), [((3, 4),)], make=away_from_zero),
    OpSpec("norm_p3", lambda lib, a: a.norm(3), [((3, 4),)], make=away_from_zero),
    OpSpec("norm_p1_5", lambda lib, a: a.norm(1.5, dim=0, keepdim=True), [((3, 4),)], make=away_from_zero),
    OpSpec("norm_inf", lambda lib, a: a.norm(float("inf"), dim=1), [((3, 4),)], make=distinct),
    OpSpec("norm_neg_inf", lambda lib, a: a.norm(float("-inf")), [((3, 4),)], make=distinct_nonzero),
    OpSpec("norm_zero_row", lambda lib, a: (a * lib.tensor([[0.0], [1.0], [1.0]], dtype=a.dtype)).norm(dim=1),
           [((3, 4),)], make=away_from_zero,
           no_torch_gradgrad="PyTorch's second derivative of norm at a zero row is nan (ours: 0, gradgradchecked)"),
    # empty inputs where PyTorch allows them
    OpSpec("softmax_empty", lambda lib, a: a.softmax(-1), [((0, 3),), ((2, 0, 3),)]),
    OpSpec("log_softmax_empty", lambda lib, a: a.log_softmax(0), [((0, 3),)]),
    OpSpec("logsumexp_empty_rows", lambda lib, a: a.logsumexp(1), [((0, 3),)]),
    OpSpec("amax_empty_rows", lambda lib, a: a.amax(1), [((0, 3),)]),
    OpSpec("max_dim_empty_rows", lambda lib, a: a.max(-1).values, [((0, 4),)]),
    OpSpec("cumsum_empty", lambda lib, a: a.cumsum(0), [((0, 3),)]),
    OpSpec("cumprod_empty", lambda lib, a: a.cumprod(1), [((2, 0),)]),
    OpSpec("prod_empty", lambda lib, a: a.prod(1) + 0.5, [((3, 0),)]),
    OpSpec("norm_empty", lambda lib, a: a.norm(), [((0, 3),)]),
    # compositions used in practice
    OpSpec("softmax_cross_entropy_like", lambda lib, a: -(a.log_softmax(1) * a.softmax(1)).sum(1).mean(),
           [((4, 5),)]),
    OpSpec("normalize_like", lambda lib, a: (a - a.mean(-1, keepdim=True)) / (a.var(-1, keepdim=True) + 1e-5).sqrt(),
           [((3, 6),)]),
]
