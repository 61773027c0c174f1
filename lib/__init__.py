"""The tested numerical library behind Lecture 6 (Softmax).

The core names are importable from `lib` directly; the helpers for training, online softmax
and floating point are submodules (``from lib.online import ...``). Figures and explorers live
in the separate package `viz`, so ``import lib`` needs numpy only.

>>> from lib import softmax, cross_entropy
>>> softmax([1000.0, 1000.0])
array([0.5, 0.5])
"""

from .gradcheck import numerical_gradient, relative_error
from .losses import cross_entropy, cross_entropy_grad, mse, mse_grad, one_hot
from .softmax import log_softmax, logsumexp, softmax, softmax_jacobian, softmax_naive

__all__ = [
    "softmax",
    "log_softmax",
    "logsumexp",
    "softmax_naive",
    "softmax_jacobian",
    "one_hot",
    "cross_entropy",
    "cross_entropy_grad",
    "mse",
    "mse_grad",
    "numerical_gradient",
    "relative_error",
]
