"""Checking a gradient against central differences -- how the lecture's theorem is tested.

`numerical_gradient` (``(f(x + h e_i) - f(x - h e_i)) / 2h`` for every entry) and
`relative_error` (``|a - b| / (|a| + |b|)``, 0 where both are 0): about 1e-10 for a right
analytic gradient, of order 1 for a wrong one.
"""

import numpy as np

from ._validation import as_float_array

__all__ = ["numerical_gradient", "relative_error"]


def numerical_gradient(f, x, eps=1e-6):
    """Central-difference estimate of the gradient of a scalar function `f` at `x` (any shape).

    `f` gets a read-only float64 array shaped like `x` (never modified) and returns one number.
    The step ``h = eps`` balances truncation ``O(h^2)`` and rounding ``O(u |f| / h)`` for values of
    order 1 (one-sided differences leave ``O(h)``, too coarse); each difference is divided by the
    step actually taken, ``(x_i + h) - (x_i - h)``. Two evaluations per entry: use small examples.

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

    `a`, `b` of one shape (e.g. an analytic and a numerical gradient); the result is in [0, 1]:
    1 for opposite signs or 0 against non-0, nan for a nan. Symmetric, and with no floor
    constant in the denominator (which would hide a disagreement of two tiny numbers): the only
    0/0 is two exact zeros, which agree.

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
