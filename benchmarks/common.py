"""Helpers shared by the workloads: identical weights across engines, the generic training step."""

from __future__ import annotations

import numpy as np

__all__ = ["numpy_state", "load_into_torch", "ours_step", "torch_step"]


def numpy_state(module) -> dict:
    """Our module's state_dict as fresh numpy arrays (PyTorch's key names)."""
    return {k: np.array(v.numpy() if hasattr(v, "numpy") else v, copy=True) for k, v in module.state_dict().items()}


def load_into_torch(torch, ours_module, torch_module) -> None:
    """Copy our weights into the torch twin, so both engines do the same math from the same start."""
    sd = {k: torch.from_numpy(v) for k, v in numpy_state(ours_module).items()}
    torch_module.load_state_dict(sd, strict=True)


def ours_step(model, loss_fn, opt, x, y):
    """zero_grad + forward + loss + backward + step (the same code runs for torch: the APIs match)."""
    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


torch_step = ours_step
