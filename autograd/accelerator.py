"""``autograd.accelerator``: PyTorch's ``torch.accelerator``; there is none, the library runs on the CPU."""

from __future__ import annotations


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False) -> None:
    """None: no accelerator (PyTorch answers None on a CPU-only build)."""
    return None


def device_count() -> int:
    return 0


def current_device_index() -> int:
    raise RuntimeError("no accelerator is available: numbagrad runs on the CPU")


def set_device_index(device) -> None:
    raise RuntimeError("no accelerator is available: numbagrad runs on the CPU; use device='cpu'")


set_device_idx = set_device_index
