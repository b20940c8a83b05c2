"""optim: optimizers (``torch.optim``), ``optim.lr_scheduler`` and ``optim.swa_utils``.

``optimizer.py`` holds the ``Optimizer`` base (param groups, state, ``state_dict`` in PyTorch's format); each
optimizer is one small class in its own file whose ``_update`` states the rule once over whole arrays (PyTorch's
order of operations, so trajectories match ``torch.optim`` step for step), with a fused in-place Numba kernel in
``_kernels.py`` for contiguous float arrays. Beyond PyTorch: ``Lion``, ``Momentum`` (EMA form), ``NAG``, and the
learning-rate range test ``LRFinder`` / ``lr_range_test``.
"""

from . import lr_scheduler
from .adadelta import Adadelta
from .adafactor import Adafactor
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .asgd import ASGD
from .lbfgs import LBFGS
from .lion import Lion
from .lr_finder import LRFinder, lr_range_test
from .momentum import Momentum
from .muon import Muon
from .nadam import NAdam
from .nag import NAG
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD
from .sparse_adam import SparseAdam

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "ASGD",
           "Rprop", "LBFGS", "SparseAdam", "Adafactor", "Muon", "Lion", "Momentum", "NAG", "lr_scheduler",
           "swa_utils", "LRFinder", "lr_range_test"]


def __getattr__(name: str):
    # swa_utils needs nn (AveragedModel is an nn.Module): imported on first use, as torch.optim.swa_utils
    if name == "swa_utils":
        import importlib

        return importlib.import_module(".swa_utils", __name__)
    raise AttributeError(f"module 'optim' has no attribute {name!r}")
