"""``autograd.cuda``: PyTorch's ``torch.cuda`` on a machine without CUDA, as a CPU-only PyTorch build answers.

The checks and settings programs make before choosing a device answer as a CPU build does
(``is_available()`` False, ``device_count()`` 0, seeding and cache calls are no-ops, memory counters are 0);
anything that would use a GPU raises the library's one error, ``CUDA is not available: ...``.
"""

from __future__ import annotations

from ._device import cuda_unavailable


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return False


def manual_seed(seed: int) -> None:
    """A no-op, as in a CPU build: there is no CUDA generator to seed (``autograd.manual_seed`` seeds the CPU)."""


def manual_seed_all(seed: int) -> None:
    """A no-op, as in a CPU build."""


def seed() -> None:
    """A no-op, as in a CPU build."""


def seed_all() -> None:
    """A no-op, as in a CPU build."""


def empty_cache() -> None:
    """A no-op: there is no CUDA memory cache."""


def memory_allocated(device=None) -> int:
    return 0


def max_memory_allocated(device=None) -> int:
    return 0


def memory_reserved(device=None) -> int:
    return 0


def max_memory_reserved(device=None) -> int:
    return 0


def reset_peak_memory_stats(device=None) -> None:
    """A no-op: the counters are always 0."""


def _unavailable(*args, **kwargs):
    raise cuda_unavailable()


current_device = set_device = synchronize = get_device_name = get_device_capability = _unavailable
get_device_properties = mem_get_info = ipc_collect = init = get_rng_state = set_rng_state = _unavailable
current_stream = stream = _unavailable


class _CudaOnly:
    """A CUDA-only class: making one raises the library's CUDA error."""

    def __init__(self, *args, **kwargs) -> None:
        raise cuda_unavailable()


class Event(_CudaOnly):
    pass


class Stream(_CudaOnly):
    pass


class device(_CudaOnly):  # noqa: N801 - PyTorch's spelling
    pass


class FloatTensor(_CudaOnly):
    pass


class DoubleTensor(_CudaOnly):
    pass


class HalfTensor(_CudaOnly):
    pass


class LongTensor(_CudaOnly):
    pass


class IntTensor(_CudaOnly):
    pass


class ByteTensor(_CudaOnly):
    pass


class BoolTensor(_CudaOnly):
    pass
