"""``autograd.utils``, as ``torch.utils``: ``checkpoint`` (activation checkpointing), ``tensorboard``
(``SummaryWriter``, on the optional ``tensorboard`` package, imported when a writer is made) and ``inplace``
(``apply_inplace``: an out-of-place function applied in place, for ``inplace=True`` layers);
``torch.utils.data`` is ``autograd.data``."""

from . import checkpoint, inplace, tensorboard

__all__ = ["checkpoint", "inplace", "tensorboard"]
