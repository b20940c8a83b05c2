"""``nn.functional``: the functional form of every layer, activation and loss (``import nn.functional as F``).

One family per file; each file lists its public names in ``__all__``.
"""

from .activation import *
from .attention import *
from .conv import *
from .distance import *
from .dropout import *
from .embedding import *
from .embedding_bag import *
from .instancenorm import *
from .linear import *
from .loss import *
from .normalization import *
from .padding import *
from .pooling import *
from .upsampling import *
