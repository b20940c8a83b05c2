"""``torch.backends.cuda``: CUDA is not built in; ``matmul.allow_tf32`` and friends are kept for programs that set
them, and ``sdp_kernel`` is a context manager that changes nothing (attention always runs the CPU path)."""

from __future__ import annotations

import contextlib


class _MatmulFlags:
    allow_tf32 = False
    allow_fp16_reduced_precision_reduction = True
    allow_bf16_reduced_precision_reduction = True


matmul = _MatmulFlags()


def is_built() -> bool:
    return False


@contextlib.contextmanager
def sdp_kernel(enable_flash: bool = True, enable_math: bool = True, enable_mem_efficient: bool = True,
               enable_cudnn: bool = True):
    """Accepted and ignored: scaled dot-product attention has one (math) implementation here."""
    yield
