"""``autograd.utils``, as ``torch.utils``: ``checkpoint`` (activation checkpointing) and ``tensorboard``
(``SummaryWriter``, on the optional ``tensorboard`` package, imported when a writer is made);
``torch.utils.data`` is ``autograd.data``."""

from . import checkpoint, tensorboard

__all__ = ["checkpoint", "tensorboard"]
