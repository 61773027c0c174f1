"""Checking a gradient against central differences -- how the lecture's theorem is tested.

1. `numerical_gradient` -- ``(f(x + h e_i) - f(x - h e_i)) / 2h`` for every entry ``i`` of ``x``.
2. `relative_error` -- ``|a - b| / (|a| + |b|)``, defined (as 0) where both sides are 0.

A typical check: ``relative_error(cross_entropy_grad(z, y), numerical_gradient(lambda t:
cross_entropy(t, y), z))`` is around 1e-10 when the analytic gradient is right, and of order 1
when it is wrong.
"""

import numpy as np

from ._validation import as_float_array

__all__ = ["numerical_gradient", "relative_error"]


def numerical_gradient(f, x, eps=1e-6):
    """Central-difference estimate of the gradient of a scalar function `f` at `x`.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``, the function to differentiate. It receives a read-only float64 array
        of the shape of `x` (so it cannot change it by accident) and must return one real number.
    x : array_like, any shape
        Where to evaluate the gradient. Not modified.
    eps : float, default 1e-6
        The step ``h``. The truncation error is :math:`O(h^2)`, the rounding error
        :math:`O(\\epsilon |f| / h)`; 1e-6 balances them for values of order 1.

    Returns
    -------
    grad : ndarray of float64, shape of `x`
        ``grad[i] ~ df/dx_i``.

    Raises
    ------
    ValueError
        If `eps` is not a positive finite number or `f` does not return a single real number.

    Notes
    -----
    .. math:: \\frac{\\partial f}{\\partial x_i} \\approx
              \\frac{f(x + h e_i) - f(x - h e_i)}{(x_i + h) - (x_i - h)}

    The denominator is the step actually taken in floating point, not the intended
    :math:`2h`. One-sided differences :math:`(f(x + h e_i) - f(x)) / h` have an :math:`O(h)`
    error instead, about 1e-6 here rather than 1e-10, too coarse to tell a right gradient from
    one that is slightly wrong. It costs two evaluations of `f` per entry of `x`, so use small
    examples.

    Examples
    --------
    >>> import numpy as np
    >>> numerical_gradient(lambda v: float(np.sum(v**2)), np.array([1.0, -2.0]))  # 2x
    array([ 2., -4.])
    """
    if not (
        isinstance(eps, float | int | np.floating | np.integer) and np.isfinite(eps) and eps > 0
    ):
        raise ValueError(f"eps must be a positive finite number, got {eps!r}")
    point = np.array(as_float_array(x, "x"), dtype=np.float64)  # a private copy we may perturb
    view = point.view()
    view.flags.writeable = False
    grad = np.empty_like(point)
    for index in np.ndindex(point.shape):
        original = point[index]
        with np.errstate(all="ignore"):  # at +-inf or max, the step is inf or 0: grad says so
            plus, minus = original + eps, original - eps
            step = plus - minus  # the step actually taken, after rounding
        point[index] = plus
        f_plus = _scalar(f(view))
        point[index] = minus
        f_minus = _scalar(f(view))
        point[index] = original
        with np.errstate(all="ignore"):
            grad[index] = (f_plus - f_minus) / step
    return grad


def _scalar(value):
    """Return the value of `f` as a float, or explain why it is not a single real number."""
    array = np.asarray(value)
    if array.size != 1 or array.dtype.kind not in "iuf":
        raise ValueError(
            f"f must return a single real number, got {type(value).__name__} with shape "
            f"{array.shape} and dtype {array.dtype}"
        )
    return float(array.reshape(()))


def relative_error(a, b):
    """The largest entrywise relative difference ``|a - b| / (|a| + |b|)``, with 0/0 taken as 0.

    Parameters
    ----------
    a, b : array_like, same shape
        Two estimates of the same quantity, for example an analytic and a numerical gradient.

    Returns
    -------
    error : float
        In [0, 1]: 0 when ``a == b``, 1 when the entries have opposite signs or one is 0 and
        the other not. nan if an entry is nan (or both are infinite with the same sign).

    Raises
    ------
    ValueError
        If the shapes differ.

    Notes
    -----
    The symmetric form :math:`|a - b| / (|a| + |b|)` does not single out either side as "the
    truth". Common variants floor the denominator with a small constant, which hides a
    disagreement between two tiny numbers; this one needs no constant, because the only 0/0
    case is two entries that are both exactly 0, and those agree perfectly (error 0).

    Examples
    --------
    >>> import numpy as np
    >>> relative_error(np.array([0.0, 3.0]), np.array([0.0, 1.0]))  # |3 - 1| / (3 + 1)
    0.5
    >>> relative_error(np.array([0.0, 1.0]), np.array([1e-300, 1.0]))  # any sign of life vs 0
    1.0
    """
    a_array = np.asarray(a, dtype=np.float64)
    b_array = np.asarray(b, dtype=np.float64)
    if a_array.shape != b_array.shape:
        raise ValueError(
            f"a and b must have the same shape, got {a_array.shape} and {b_array.shape}"
        )
    if a_array.size == 0:
        return 0.0
    with np.errstate(all="ignore"):  # 0/0 where both are 0 is replaced by 0 below
        difference = np.abs(a_array - b_array)
        scale = np.abs(a_array) + np.abs(b_array)
        ratio = np.where(scale == 0, 0.0, difference / scale)
    return float(np.max(ratio))
