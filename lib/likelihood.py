"""The likelihood cost for many parameter settings at once (chapter 3): `cost_on_grid` gives
the mean cost of eqs. (7)-(8) for a stack of logit matrices in one vectorised call, so a chapter
can draw the cost surface whose minimiser is the maximum-likelihood estimate.
"""

import numpy as np

from lib._validation import as_float_array, as_labels_for
from lib.softmax import log_softmax

__all__ = ["cost_on_grid"]


def cost_on_grid(logits, labels):
    """Mean likelihood cost ``C = (1/n) sum_i (log Q_i - z_{i, y_i})`` for a grid of settings.

    `logits` (..., n, m): finite logits of the same n examples under many settings (the leading
    axes); `labels` int (n,) in ``0..m-1``. Returns ``costs`` of shape (...), ``costs[k] ==
    lib.cross_entropy(logits[k], labels)``: ``-log_softmax`` at the labels, a sum of logs and never
    the log of eq. (6)'s product, which underflows (``0.2**500 ~ 1e-350``; slips S8-S9).

    Uniform logits cost ``log 2``; favouring class 0 by 800 costs 400, which the naive route
    through probabilities loses (``exp(800)`` overflows, ``inf / inf`` is nan):

    >>> logits = np.array([[[0.0, 0.0], [0.0, 0.0]],
    ...                    [[800.0, 0.0], [800.0, 0.0]]])
    >>> cost_on_grid(logits, [0, 1])
    array([  0.69314718, 400.        ])
    >>> with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
    ...     probs = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    ...     naive = -np.log(probs[:, [0, 1], [0, 1]].prod(axis=-1)) / 2
    >>> naive
    array([0.69314718,        nan])
    """
    z = as_float_array(logits, "logits")
    if z.ndim < 2:
        raise ValueError(
            f"logits must have shape (..., n, m): examples and classes last, got shape {z.shape}"
        )
    n, num_classes = z.shape[-2], z.shape[-1]
    if n == 0 or num_classes == 0:
        raise ValueError(f"logits has no examples or no classes: shape {z.shape}")
    label_array = as_labels_for(labels, n, num_classes)
    if not np.isfinite(z).all():
        raise ValueError("logits contain nan or inf; the cost is defined for finite logits only")
    log_probs = log_softmax(z, axis=-1)  # shape (..., n, m)
    index = np.broadcast_to(label_array[:, None], (*z.shape[:-1], 1))
    return -np.mean(np.take_along_axis(log_probs, index, axis=-1)[..., 0], axis=-1)
