"""``autograd.distributions``, as ``torch.distributions``: ``Normal``, ``Uniform``, ``Bernoulli``,
``Categorical``, ``MultivariateNormal`` (``sample``, ``rsample`` where reparameterizable, ``log_prob``,
``entropy``, ``mean``, ``variance``, ``stddev``) and ``kl_divergence`` for the pairs PyTorch registers among them.
Everything but ``sample`` is Tensor ops, so gradients reach the parameters."""

from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .kl import kl_divergence, register_kl
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .uniform import Uniform

__all__ = ["Distribution", "Normal", "Uniform", "Bernoulli", "Categorical", "MultivariateNormal", "kl_divergence",
           "register_kl"]
