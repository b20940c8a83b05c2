"""``autograd.utils``, as ``torch.utils``: ``checkpoint`` (activation checkpointing) and ``tensorboard``
(``SummaryWriter``, on the optional ``tensorboard`` package); ``torch.utils.data`` is ``autograd.data``."""
