"""``nn.attention``: PyTorch's choice of scaled-dot-product-attention kernels. One kernel exists here, the math
one (``SDPBackend.MATH``); asking for only other kernels raises, as PyTorch does when none of them can run."""

from __future__ import annotations

import contextlib
import enum

__all__ = ["SDPBackend", "sdpa_kernel"]


class SDPBackend(enum.IntEnum):
    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority: bool = False):
    """Run the block with the given attention kernels allowed; ``MATH`` must be among them (it is the only one)."""
    allowed = [backends] if isinstance(backends, SDPBackend) else list(backends)
    if SDPBackend.MATH not in allowed:
        names = ", ".join(b.name for b in allowed)
        raise RuntimeError(f"sdpa_kernel({names}): no such attention kernel here; numbagrad has only "
                           "SDPBackend.MATH (the CPU math path); allow it, e.g. sdpa_kernel([SDPBackend.MATH])")
    yield
