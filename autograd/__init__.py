"""autograd: a define-by-run, reverse-mode automatic differentiation engine over numpy.

The public names of the contract (``shared/API.md``, section "autograd"), spelled as in PyTorch.
"""

# _malloc: glibc keeps activation-sized buffers for reuse; accelerator, backends, cuda: PyTorch's CPU-build answers
from . import (  # noqa: F401
    _malloc,
    accelerator,
    backends,
    cuda,
    dtypes,
    graph,
)
from ._device import device, get_default_device, set_default_device
from ._numbers import Size, bfloat16, e, finfo, iinfo, inf, is_floating_point, is_tensor, nan, newaxis, numel, pi
from ._settings import (
    are_deterministic_algorithms_enabled,
    get_float32_matmul_precision,
    is_deterministic_algorithms_warn_only_enabled,
    set_float32_matmul_precision,
    set_printoptions,
    use_deterministic_algorithms,
)
from .creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    tensor,
    zeros,
    zeros_like,
)
from .dtypes import (
    bool,
    double,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    uint8,
)
from .engine import backward, detect_anomaly, grad
from .function import Function
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import gradcheck, gradgradcheck
from .legacy import (
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
    Variable,
)
from .ops.counting import *  # noqa: F403
from .ops.elementwise import (
    abs,
    add,
    addcdiv,
    addcmul,
    allclose,
    ceil,
    clamp,
    clip,
    cos,
    div,
    eq,
    exp,
    expm1,
    floor,
    floor_divide,
    ge,
    gt,
    isfinite,
    isinf,
    isnan,
    le,
    lerp,
    log,
    log1p,
    log2,
    log10,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    maximum,
    minimum,
    mul,
    ne,
    neg,
    pow,
    reciprocal,
    relu,
    remainder,
    round,
    rsqrt,
    sigmoid,
    sign,
    sin,
    sqrt,
    square,
    sub,
    tan,
    tanh,
    trunc,
    where,
)
from .ops.index_add import *  # noqa: F403
from .ops.indexing import *  # noqa: F403
from .ops.linalg import *  # noqa: F403
from .ops.median import *  # noqa: F403
from .ops.misc import *  # noqa: F403
from .ops.reduce import *  # noqa: F403
from .ops.repeat import *  # noqa: F403
from .ops.shape import *  # noqa: F403
from .random import (
    Generator,
    bernoulli,
    default_generator,
    initial_seed,
    manual_seed,
    multinomial,
    normal,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    seed,
)
from .serialization import load, save
from .tensor import Tensor
from .threads import get_num_threads, set_num_threads
from .value import Value
from .viz import draw_graph

# isort: split
# PyTorch's tools: torch.testing, .utils, .distributions, .func, .jit, .profiler and torch.compile
from . import distributions, func, jit, profiler, testing, utils
from ._compile import compile

multiply = mul
subtract = sub
divide = div
true_divide = div
negative = neg

__version__ = "0.1.0"

from . import onnx  # noqa: E402  (autograd.onnx.export; the onnx package loads only when export runs)
