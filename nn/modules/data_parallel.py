"""``DataParallel``: PyTorch's single-process multi-GPU wrapper. With no GPU, PyTorch's own ``DataParallel`` calls
the wrapped module directly, and so does this one; parameters keep PyTorch's ``module.`` prefix."""

from __future__ import annotations

import autograd

from ..module import Module

__all__ = ["DataParallel"]


class DataParallel(Module):
    """``DataParallel(module, device_ids=None, output_device=None, dim=0)``: ``forward`` is ``module.forward``."""

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0) -> None:
        super().__init__()
        for d in device_ids or ():
            autograd.empty(0, device=d if not isinstance(d, int) else f"cuda:{d}")  # a GPU id raises the CUDA error
        self.module = module
        self.device_ids: list = []
        self.output_device = output_device
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
