"""``torch.nn.functional.pad``: constant, reflect, replicate and circular padding (autograd's ``pad``)."""

from __future__ import annotations

import autograd
from autograd import Tensor

__all__ = ["pad"]


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:  # noqa: A002
    """Pad the last ``len(pad) // 2`` dims (autograd's ``pad``: constant, reflect, replicate, circular)."""
    return autograd.pad(input, pad, mode=mode, value=value)
