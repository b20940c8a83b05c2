"""nn: modules, layers, activations, losses, init and utilities, spelled as ``torch.nn``.

The public names of the contract (``shared/API.md``, section "nn").
"""

from . import attention, callbacks, finetune, functional, init, metrics, parallel, utils
from .callbacks import Callback, EarlyStopping, ModelCheckpoint
from .module import *
from .modules.activation import *
from .modules.attention import *
from .modules.container import *
from .modules.conv import *
from .modules.data_parallel import DataParallel
from .modules.dropout import *
from .modules.embedding_bag import *
from .modules.instancenorm import *
from .modules.lazy import *
from .modules.linear import *
from .modules.loss import *
from .modules.normalization import *
from .modules.padding import *
from .modules.pixelshuffle import PixelShuffle, PixelUnshuffle
from .modules.pooling import *
from .modules.rnn import *
from .modules.sparse import *
from .modules.transformer import *
from .modules.upsampling import *
from .parameter import Parameter
from .trainer import History, Trainer
