"""optim: optimizers (``torch.optim``), ``optim.lr_scheduler`` and ``optim.swa_utils``."""
