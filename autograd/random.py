"""Random numbers: ``Generator``, ``manual_seed`` and every random creation function.

All randomness in the project (init, dropout, shuffling, splits, augmentation) draws from
``default_generator`` unless given a ``generator=``, so ``manual_seed(s)`` makes a whole run repeatable.
Like PyTorch's, the default generator starts from a fixed seed.
"""

from __future__ import annotations

import numpy as np

from . import _device, dtypes
from .tensor import Tensor, _make, _shape_args

_DEFAULT_SEED = 67280421310721


class Generator:
    """A random-number generator (numpy's PCG64 underneath): ``Generator().manual_seed(s)``."""

    def __init__(self, device="cpu") -> None:
        self.device = _device.require_cpu(device)
        self._seed = _DEFAULT_SEED
        self.np = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed)
        self.np = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self) -> int:
        seed = int(np.random.SeedSequence().entropy % (2**63))
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        return self.np.bit_generator.state

    def set_state(self, state: dict) -> Generator:
        self.np.bit_generator.state = state
        return self


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator, which every random draw of the project uses by default."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> dict:
    return default_generator.get_state()


def set_rng_state(state: dict) -> None:
    default_generator.set_state(state)


def rng(generator=None) -> np.random.Generator:
    """The numpy Generator to draw from: ``generator``'s (a Generator, a numpy Generator or an int seed)."""
    if generator is None:
        return default_generator.np
    if isinstance(generator, Generator):
        return generator.np
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, (int, np.integer)):
        return np.random.Generator(np.random.PCG64(int(generator)))
    raise TypeError(f"generator must be an autograd.Generator, numpy Generator or int seed, got {type(generator)}")


def _float(dtype) -> np.dtype:
    d = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
    if d.kind != "f":
        raise TypeError(f"expected a floating point dtype, got {d}")
    return d


def _new(arr: np.ndarray, requires_grad: bool) -> Tensor:
    t = _make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def rand(*size, generator=None, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Uniform on [0, 1)."""
    _device.require_cpu(device)
    d = _float(dtype)
    return _new(rng(generator).random(_shape_args(size), dtype=np.float64).astype(d), requires_grad)


def randn(*size, generator=None, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Standard normal."""
    _device.require_cpu(device)
    d = _float(dtype)
    return _new(rng(generator).standard_normal(_shape_args(size)).astype(d), requires_grad)


def randint(low, high=None, size=None, generator=None, dtype=None, requires_grad: bool = False,
            device=None) -> Tensor:
    """Integers uniform on [low, high); ``randint(high, size)`` and ``randint(low, high, size)``."""
    _device.require_cpu(device)
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint() missing the size argument: randint(low=0, high, size)")
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    d = dtypes.as_dtype(dtype) if dtype is not None else dtypes.int64
    return _new(rng(generator).integers(low, high, size=_shape_args((size,))).astype(d), requires_grad)


def rand_like(t: Tensor, dtype=None, generator=None, requires_grad: bool = False, device=None) -> Tensor:
    _device.require_cpu(device)
    return rand(t.shape, generator=generator, dtype=dtype or t.dtype, requires_grad=requires_grad)


def randn_like(t: Tensor, dtype=None, generator=None, requires_grad: bool = False, device=None) -> Tensor:
    _device.require_cpu(device)
    return randn(t.shape, generator=generator, dtype=dtype or t.dtype, requires_grad=requires_grad)


def randint_like(t: Tensor, low, high=None, dtype=None, generator=None, device=None) -> Tensor:
    _device.require_cpu(device)
    return randint(low, high, t.shape, generator=generator, dtype=dtype or t.dtype)


def randperm(n: int, generator=None, dtype=None, device=None) -> Tensor:
    _device.require_cpu(device)
    d = dtypes.as_dtype(dtype) if dtype is not None else dtypes.int64
    return _make(rng(generator).permutation(int(n)).astype(d))


def normal(mean, std=1.0, size=None, generator=None, dtype=None, device=None) -> Tensor:
    """Normal draws; ``mean``/``std`` may be tensors (broadcast) or numbers (then ``size`` is needed)."""
    _device.require_cpu(device)
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    if size is None:
        if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
            raise TypeError("normal(mean, std) with two numbers needs size=")
        size = np.broadcast_shapes(np.shape(m), np.shape(s))
    if np.any(np.asarray(s) < 0):
        raise RuntimeError("normal expects std >= 0.0")
    ref = mean if isinstance(mean, Tensor) else std if isinstance(std, Tensor) else None
    d = dtypes.as_dtype(dtype) if dtype is not None else (ref.dtype if ref is not None else _float(None))
    z = rng(generator).standard_normal(_shape_args((size,)))
    return _make((m + s * z).astype(d))


def bernoulli(input: Tensor, p=None, generator=None) -> Tensor:  # noqa: A002
    """1 with probability ``input`` (or ``p``), else 0; same dtype as ``input``."""
    prob = input._data if p is None else p
    if np.any((np.asarray(prob) < 0) | (np.asarray(prob) > 1)):
        raise RuntimeError("bernoulli: all probabilities must be in [0, 1]")
    return _make((rng(generator).random(input.shape) < prob).astype(input.dtype))


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, generator=None) -> Tensor:  # noqa: A002
    """Draw ``num_samples`` category indices per row of non-negative weights ``input`` (1-D or 2-D)."""
    w = np.asarray(input._data, dtype=np.float64)
    if w.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got shape {tuple(w.shape)}")
    if (w < 0).any() or not np.isfinite(w).all():
        raise RuntimeError("multinomial: probability tensor contains either inf, nan or element < 0")
    rows = w.reshape(-1, w.shape[-1])
    if (rows.sum(-1) <= 0).any():
        raise RuntimeError("multinomial: invalid distribution (sum of probabilities <= 0)")
    if not replacement and num_samples > rows.shape[-1]:
        raise RuntimeError(
            f"multinomial: cannot sample n_sample ({num_samples}) > prob_dist.size(-1) ({rows.shape[-1]}) "
            "samples without replacement"
        )
    g = rng(generator)
    out = np.stack([g.choice(r.size, size=num_samples, replace=replacement, p=r / r.sum()) for r in rows])
    return _make(out.reshape(*w.shape[:-1], num_samples).astype(np.int64))


def _fill(t: Tensor, values: np.ndarray) -> Tensor:
    from ._inplace import write

    write(t, values.astype(t.dtype), "random fill")
    return t


def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    return _fill(t, rng(generator).uniform(a, b, t.shape))


def normal_(t: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    return _fill(t, mean + std * rng(generator).standard_normal(t.shape))


def bernoulli_(t: Tensor, p: float = 0.5, generator=None) -> Tensor:
    return _fill(t, rng(generator).random(t.shape) < p)


def exponential_(t: Tensor, lambd: float = 1.0, generator=None) -> Tensor:
    return _fill(t, rng(generator).exponential(1.0 / lambd, t.shape))


def random_(t: Tensor, from_: int = 0, to: int | None = None, generator=None) -> Tensor:
    """Integers uniform on [from, to - 1]; without ``to``, on [0, 2**mantissa] for floats (every integer the dtype
    holds exactly) and [0, max] for integers, as PyTorch."""
    if to is None:
        if from_ != 0:
            from_, to = 0, from_  # random_(to)
        else:
            d = t.dtype
            to = (2 ** (np.finfo(d).nmant + 1) + 1) if d.kind == "f" else (2 if d.kind == "b" else np.iinfo(d).max)
    if to <= from_:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={from_} >= to={to}")
    return _fill(t, rng(generator).integers(from_, to, t.shape))
