"""``autograd.utils.tensorboard``, as ``torch.utils.tensorboard``: ``SummaryWriter`` (in ``writer``)."""

from .writer import SummaryWriter

__all__ = ["SummaryWriter"]
