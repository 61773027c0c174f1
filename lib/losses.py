"""The two costs of the course, each next to its gradient: cross-entropy (L6) and MSE (L5).

`one_hot`; `cross_entropy`, the mean of ``C_i = log Q - z_{y_i}`` (eqs. (7)-(8)), and
`cross_entropy_grad`, the theorem ``P_j - delta_{y_i j}`` over n; `mse` and `mse_grad` (L5 eq. 1).
Conventions (slips S4, S5): classes are ``0..m-1`` (the lecture's class j is label j - 1); a
cost is the MEAN over the n examples, so gradients carry 1/n; logits are (n, m), one row per
example, and a 1-d array is one example.
"""

import numpy as np

from ._validation import as_class_labels, as_float_array, check_positive_int
from .softmax import log_softmax, logsumexp_parts, softmax

ELEMENTS_PER_CHUNK = 2**18  # the integer-label cost takes this many logits at a time (2 MiB)

__all__ = ["one_hot", "cross_entropy", "cross_entropy_grad", "mse", "mse_grad"]


def one_hot(labels, num_classes):
    """Class labels as one-hot rows: ``onehot[i, j] = delta_{labels[i], j}`` (the theorem's delta).

    `labels` int in ``0..num_classes-1`` of shape (n,) (any shape: one more axis is added), else
    ValueError; returns float64 of shape (n, num_classes).

    >>> one_hot([2, 0], num_classes=3)
    array([[0., 0., 1.],
           [1., 0., 0.]])
    >>> one_hot([1, 3], num_classes=3)  # the lecture's 1..m numbering is off by one here
    Traceback (most recent call last):
    ...
    ValueError: labels[1] = 3 is outside 0..2 (num_classes=3); the lecture numbers classes
    1..m, here they are 0..m-1: subtract 1
    """
    num_classes = check_positive_int(num_classes, "num_classes")
    classes = as_class_labels(labels, num_classes)
    onehot = np.zeros(classes.shape + (num_classes,))
    np.put_along_axis(onehot, classes[..., np.newaxis], 1.0, axis=-1)
    return onehot


def _as_examples(logits, labels):
    """Check logits against labels; return (2-d logits, labels, is_soft, was_1d).

    Labels with one axis fewer than the logits are class indices; labels with the shape of
    the logits are soft targets (rows that sum to 1).
    """
    z = as_float_array(logits, "logits")
    if z.ndim not in (1, 2):
        raise ValueError(f"logits must have shape (n, m) or (m,), got shape {z.shape}")
    was_1d = z.ndim == 1
    z2 = z.reshape(1, -1) if was_1d else z
    n, m = z2.shape
    if m == 0:
        raise ValueError(f"logits have no classes: shape {z.shape}")
    labels_array = np.asarray(labels)
    if labels_array.shape == z.shape:
        targets = _as_soft_targets(labels_array, z.dtype).reshape(n, m)
        return z2, targets, True, was_1d
    if labels_array.shape != z.shape[:-1]:
        expected = "a single integer label" if was_1d else f"shape ({n},) of class labels"
        raise ValueError(
            f"labels of shape {labels_array.shape} do not match logits of shape {z.shape}: "
            f"expected {expected}, or soft targets of shape {z.shape}"
        )
    classes = as_class_labels(labels_array, m).reshape(n)
    return z2, classes, False, was_1d


def _as_soft_targets(targets, dtype):
    """Check soft targets: real, finite, >= 0, and every row sums to 1 (within roundoff)."""
    if targets.dtype.kind not in "iuf":
        raise ValueError(f"soft targets must be real numbers, got dtype {targets.dtype}")
    targets = targets.astype(np.result_type(dtype, np.float32), copy=False)
    if not np.all(np.isfinite(targets)) or np.any(targets < 0):
        raise ValueError("soft targets must be finite probabilities >= 0")
    m = targets.shape[-1]
    with np.errstate(all="ignore"):  # huge targets overflow the sum to inf, which is caught below
        row_sums = np.sum(targets, axis=-1)
    tolerance = max(1e-6, 8 * m * np.finfo(targets.dtype).eps)
    off = np.abs(row_sums - 1) > tolerance
    if off.any():
        first = int(np.flatnonzero(off)[0])
        raise ValueError(
            f"soft targets must sum to 1 over the classes: row {first} sums to "
            f"{row_sums.flat[first]:.6g}"
        )
    return targets


def cross_entropy(logits, labels):
    """The cross-entropy cost: the mean over examples of ``C_i = log Q - z_{y_i}`` (eq. 8).

    `logits` (n, m) or (m,); `labels` int (n,) in ``0..m-1``, or soft targets (n, m) whose rows
    sum to 1 (then ``C_i = -sum_j t_ij log P_ij``). Returns a float >= 0, +inf if a label's logit
    is -inf. :math:`C_i = \\operatorname{log1p}(s) - (z_{y_i} - a)` as in `log_softmax`: a
    confident, correct prediction costs a tiny amount, not 0. Integer labels build no (n, m) array.

    >>> import numpy as np
    >>> logits = np.array([[40.0, 0.0]])
    >>> float(np.log(softmax(logits)[0, 0]))  # P_0 rounds to 1: the naive cost -log P_0 is 0
    0.0
    >>> cross_entropy(logits, [0]), cross_entropy(logits, [1])  # log(1 + e^-40); 40
    (4.248354255291589e-18, 40.0)
    """
    z, targets, is_soft, _ = _as_examples(logits, labels)
    with np.errstate(all="ignore"):  # inf costs (impossible labels) are answers, not accidents
        if is_soft:
            log_probs = log_softmax(z, axis=1)
            contributions = np.zeros_like(log_probs)
            # A class with target 0 contributes 0, even if its log-probability is -inf.
            np.multiply(targets, log_probs, out=contributions, where=targets > 0)
            costs = -np.sum(contributions, axis=1)
        else:
            costs = np.empty(z.shape[0], dtype=z.dtype)
            step = max(1, ELEMENTS_PER_CHUNK // z.shape[1])  # memory: no (n, m) array at all
            for start in range(0, z.shape[0], step):
                rows = slice(start, start + step)
                max_z, log_norm = logsumexp_parts(z[rows], accurate=False)
                label_logits = z[rows][np.arange(max_z.size), targets[rows]]
                costs[rows] = log_norm - (label_logits - max_z)  # C_i = L - (z_y - a)
            bad = np.flatnonzero(~np.isfinite(costs))
            if bad.size:  # +inf or nan logits: use the limits that log_softmax defines
                costs[bad] = -log_softmax(z[bad], axis=1)[np.arange(bad.size), targets[bad]]
        return float(np.sum(costs / costs.size))  # not np.mean: a sum of n huge costs overflows


def cross_entropy_grad(logits, labels):
    """Gradient of `cross_entropy` with respect to the logits: ``(P - onehot) / n``.

    Parameters as `cross_entropy`. Returns ``grad`` of the shape of `logits` (float32 stays
    float32), ``(P_ij - delta_{y_i j}) / n``: eq. (12) over n. The label entry ``P_y - 1`` is
    computed as ``-sum_{j != y} P_j``, which keeps its relative accuracy when ``P_y`` rounds
    to 1 and makes every row sum to 0 up to one rounding.

    >>> import numpy as np
    >>> cross_entropy_grad(np.array([[0.0, 0.0], [40.0, 0.0]]), [1, 0])
    array([[ 2.50000000e-01, -2.50000000e-01],
           [-2.12417713e-18,  2.12417713e-18]])
    """
    z, targets, is_soft, was_1d = _as_examples(logits, labels)
    n = z.shape[0]
    grad = softmax(z, axis=1)
    with np.errstate(all="ignore"):
        if is_soft:
            grad -= targets
        else:
            rows = np.arange(n)
            grad[rows, targets] = 0.0
            grad[rows, targets] = -np.einsum("ij->i", grad)  # = P_y - 1, not rounded to 1 first
        grad /= n
    return grad.reshape(-1) if was_1d else grad


def _as_outputs_and_targets(outputs, targets):
    """Check that outputs and targets are real arrays of the same shape; return them as floats."""
    a = as_float_array(outputs, "outputs")
    y = as_float_array(targets, "targets")
    if a.shape != y.shape:
        raise ValueError(
            f"outputs of shape {a.shape} and targets of shape {y.shape} must have the same shape"
        )
    if a.ndim not in (1, 2):
        raise ValueError(f"outputs must have shape (n, m) or (m,), got shape {a.shape}")
    n = 1 if a.ndim == 1 else a.shape[0]
    if n == 0:
        raise ValueError("outputs and targets have no examples (n = 0)")
    dtype = np.result_type(a, y)
    return a.astype(dtype, copy=False), y.astype(dtype, copy=False), n


def mse(outputs, targets):
    """Lecture 5's quadratic cost (eq. 1): the mean over examples of ``sum_j (y_j - a_j)^2 / 2``.

    `outputs` ``a^L`` and `targets` ``y`` of one shape, (n, m) or (m,). The maximum-likelihood
    cost for Gaussian noise of fixed variance (slip S7); the mean convention of `cross_entropy`.

    >>> mse([[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [1.0, 0.0]])  # (0 + (1 + 1)/2) / 2
    0.5
    """
    a, y, n = _as_outputs_and_targets(outputs, targets)
    with np.errstate(all="ignore"):  # a huge difference squares to inf: that is the cost
        return float(0.5 * np.sum(np.square(a - y)) / n)


def mse_grad(outputs, targets):
    """Gradient of `mse` with respect to the outputs: ``(a - y) / n``.

    >>> mse_grad([[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [1.0, 0.0]])
    array([[ 0. ,  0. ],
           [-0.5,  0.5]])
    """
    a, y, n = _as_outputs_and_targets(outputs, targets)
    with np.errstate(all="ignore"):
        return (a - y) / n
