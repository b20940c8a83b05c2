"""Every public name of shared/API.md exists, where the contract puts it."""

import pytest

import autograd
import nn
import nn.functional as F
import nn.init
import nn.utils
import optim
import optim.lr_scheduler
import optim.swa_utils
from autograd import data

AUTOGRAD = """tensor from_numpy zeros ones full empty eye arange linspace rand randn randint zeros_like ones_like
rand_like randn_like manual_seed exp log log1p sqrt rsqrt abs sign neg sin cos tanh sigmoid relu clamp clip maximum
minimum pow where sum mean var std max min amax amin argmax argmin prod logsumexp softmax log_softmax matmul bmm
einsum outer dot reshape flatten unflatten squeeze unsqueeze transpose permute broadcast_to cat stack split chunk
gather scatter index_select masked_fill pad repeat tile flip tril triu mm narrow topk sort argsort cumsum cumprod
roll isnan isinf allclose randperm multinomial normal bernoulli Generator no_grad enable_grad set_grad_enabled
is_grad_enabled grad Function gradcheck gradgradcheck detect_anomaly Value draw_graph save load Tensor float32
float64 int64 bool backward""".split()

TENSOR = """numpy item tolist backward detach requires_grad_ retain_grad register_hook zero_ clone size dim numel astype
to float double long T shape ndim dtype data grad requires_grad grad_fn is_leaf exp log log1p sqrt rsqrt abs sign
neg sin cos tanh sigmoid relu clamp clip maximum minimum pow where sum mean var std max min amax amin argmax argmin
prod logsumexp softmax log_softmax matmul bmm outer dot reshape view flatten unflatten squeeze unsqueeze transpose
permute expand broadcast_to split chunk gather scatter index_select masked_fill repeat tile flip tril triu mm narrow
t type type_as view_as expand_as contiguous new_zeros new_ones new_tensor topk sort argsort cumsum cumprod roll
isnan isinf allclose int bool __index__ __format__ __int__ __float__ __bool__ add_ mul_""".split()

DATA = "Dataset TensorDataset DataLoader random_split Subset RandomSampler SequentialSampler BatchSampler".split()

NN = """Module Parameter Sequential ModuleList ModuleDict Linear Bilinear Identity Flatten Unflatten Dropout Conv1d
Conv2d ConvTranspose2d MaxPool1d MaxPool2d AvgPool2d AdaptiveAvgPool2d BatchNorm1d BatchNorm2d LayerNorm GroupNorm
Embedding RNN LSTM GRU RNNCell LSTMCell GRUCell MultiheadAttention TransformerEncoderLayer TransformerEncoder
TransformerDecoderLayer TransformerDecoder Transformer ReLU LeakyReLU PReLU ELU SELU CELU GELU SiLU Mish Sigmoid Tanh
Softmax LogSoftmax Softplus Softsign Hardtanh Hardsigmoid Hardswish ReLU6 Threshold Swish MSELoss L1Loss SmoothL1Loss
HuberLoss BCELoss BCEWithLogitsLoss CrossEntropyLoss NLLLoss KLDivLoss HingeEmbeddingLoss MultiMarginLoss
MultiLabelMarginLoss MultiLabelSoftMarginLoss SoftMarginLoss CosineEmbeddingLoss MarginRankingLoss TripletMarginLoss
TripletMarginWithDistanceLoss PoissonNLLLoss GaussianNLLLoss CTCLoss""".split()

MODULE = """forward __call__ parameters named_parameters buffers children modules named_modules state_dict
load_state_dict train eval zero_grad requires_grad_ apply register_buffer register_forward_hook to""".split()

FUNCTIONAL = """linear bilinear dropout embedding one_hot normalize pad scaled_dot_product_attention cosine_similarity
pairwise_distance conv1d conv2d conv_transpose2d max_pool1d max_pool2d avg_pool2d adaptive_avg_pool2d batch_norm
layer_norm group_norm relu leaky_relu prelu elu selu celu gelu silu mish sigmoid tanh softmax log_softmax softplus
softsign hardtanh hardsigmoid hardswish relu6 threshold mse_loss l1_loss smooth_l1_loss huber_loss binary_cross_entropy
binary_cross_entropy_with_logits cross_entropy nll_loss kl_div hinge_embedding_loss multi_margin_loss
multilabel_margin_loss multilabel_soft_margin_loss soft_margin_loss cosine_embedding_loss margin_ranking_loss
triplet_margin_loss triplet_margin_with_distance_loss poisson_nll_loss gaussian_nll_loss ctc_loss
multi_head_attention_forward""".split()

INIT = """uniform_ normal_ constant_ zeros_ ones_ eye_ xavier_uniform_ xavier_normal_ kaiming_uniform_ kaiming_normal_
orthogonal_ trunc_normal_ calculate_gain""".split()

UTILS = "clip_grad_norm_ clip_grad_value_ parameters_to_vector vector_to_parameters".split()

OPTIM = """Optimizer SGD Adagrad RMSprop Adadelta Adam AdamW Adamax NAdam RAdam ASGD Rprop LBFGS SparseAdam Adafactor
Muon Lion Momentum NAG""".split()

SCHEDULERS = """LambdaLR MultiplicativeLR StepLR MultiStepLR ConstantLR LinearLR ExponentialLR PolynomialLR
CosineAnnealingLR CosineAnnealingWarmRestarts CyclicLR OneCycleLR ReduceLROnPlateau SequentialLR ChainedScheduler""".split()

SWA = "AveragedModel SWALR update_bn".split()


@pytest.mark.parametrize(
    "where,names",
    [(autograd, AUTOGRAD), (autograd.Tensor, TENSOR), (data, DATA), (nn, NN), (nn.Module, MODULE), (F, FUNCTIONAL),
     (nn.init, INIT), (nn.utils, UTILS), (optim, OPTIM), (optim.lr_scheduler, SCHEDULERS), (optim.swa_utils, SWA)],
    ids=["autograd", "Tensor", "data", "nn", "Module", "functional", "init", "utils", "optim", "lr_scheduler", "swa"],
)
def test_contract_names_exist(where, names):
    missing = [n for n in names if not hasattr(where, n)]
    assert not missing, f"missing from {getattr(where, '__name__', where)}: {missing}"


def test_contract_dtypes_are_numpy_dtypes():
    import numpy as np

    assert autograd.float32 == np.float32 and autograd.float64 == np.float64
    assert autograd.int64 == np.int64 and autograd.bool == np.bool_


def test_swish_is_silu_and_recurrent_layers_flatten_parameters():
    assert nn.Swish is nn.SiLU
    for cls in (nn.RNN, nn.LSTM, nn.GRU):
        cls(2, 3).flatten_parameters()


def test_schedulers_and_optimizers_have_the_contract_methods():
    p = nn.Parameter(autograd.zeros(2))
    opt = optim.SGD([p], lr=0.1)
    for name in ("param_groups", "state", "step", "zero_grad", "add_param_group", "state_dict", "load_state_dict"):
        assert hasattr(opt, name), name
    s = optim.lr_scheduler.StepLR(opt, 2)
    for name in ("step", "get_last_lr", "state_dict", "load_state_dict"):
        assert hasattr(s, name), name
