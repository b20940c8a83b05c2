"""``nn.utils``: gradient clipping, parameter/vector conversion, ``rnn`` (padding and packing sequences),
``parametrize``/``parametrizations`` (weight and spectral norm), and
regularisers (``l1_penalty``, ``l2_penalty``, ``elastic_net_penalty``, the ``max_norm_`` constraint)."""

from . import parametrizations, parametrize, rnn
from .clip_grad import *
from .convert_parameters import *
from .regularization import *
