"""Measuring floating-point error: the tools behind chapters 5 and 6 (numerics, accuracy).

1. `exp_thresholds`, `exp_threshold_table` -- where ``exp`` overflows, goes subnormal and
   rounds to 0, per floating-point type (from `numpy.finfo`); `unit_roundoff`.
2. The algorithms chapter 6 compares, each a transcription of its formula with every operation
   rounded once to the working precision of the input, float16 included, and with the plain
   left-to-right sums the published error analysis assumes (``np.sum`` adds pairwise and
   accumulates float16 in float32; `lib.softmax` promotes float16). Collected in
   `SOFTMAX_ALGORITHMS` and `LOG_SOFTMAX_ALGORITHMS`.
3. `softmax_error_bounds` -- the leading terms of Blanchard, Higham and Higham's (2021) bounds.

Classes lie along the last axis; symbols as in `lib.softmax` (``a = max_j z_j``, ``s`` the sum
of the shifted terms other than the maximal one). Errors in ulps: `lib.reference`.
"""

from typing import NamedTuple

import numpy as np

__all__ = [
    "LOG_SOFTMAX_ALGORITHMS",
    "SOFTMAX_ALGORITHMS",
    "ExpThresholds",
    "exp_threshold_table",
    "exp_thresholds",
    "log_softmax_log1p",
    "log_of_softmax",
    "log_softmax_shifted_log",
    "softmax_error_bounds",
    "softmax_exp_minus_lse",
    "softmax_shift_divide",
    "softmax_unshifted",
    "unit_roundoff",
]


def _float_dtype(dtype):
    """Return `dtype` as a numpy floating dtype, or raise ValueError."""
    try:
        result = np.dtype(dtype)
    except TypeError as error:
        raise ValueError(f"dtype must be a numpy floating type, got {dtype!r}") from error
    if result.kind != "f":
        raise ValueError(f"dtype must be a floating type such as float16/32/64, got {result}")
    return result


class ExpThresholds(NamedTuple):
    """The `numpy.finfo` constants of one type and the logits at which ``exp`` fails."""

    dtype: str  #: name, e.g. "float16"
    eps: float  #: machine epsilon, the gap between 1 and the next larger number (= 2u)
    max: float  #: largest finite number
    smallest_normal: float  #: smallest positive number with full precision
    smallest_subnormal: float  #: smallest positive number at all
    overflow: float  #: exp(z) = inf for z above ln(max)
    underflow_normal: float  #: exp(z) is subnormal (precision lost) for z below ln(smallest_normal)
    underflow_zero: float  #: exp(z) rounds to 0 for z below ln(smallest_subnormal / 2)


def exp_thresholds(dtype):
    """The logits beyond which ``exp`` overflows, loses precision, or rounds to 0.

    Parameters
    ----------
    dtype : numpy floating dtype or its name, e.g. ``np.float16``, ``"float32"``

    Returns
    -------
    ExpThresholds
        As Python floats: overflow above ``ln(max)`` (709.78 for float64), subnormal below
        ``ln(smallest_normal)``, 0 below ``ln(smallest_subnormal / 2)`` (ties round to even).

    >>> import numpy as np
    >>> t = exp_thresholds(np.float64)
    >>> round(t.overflow, 2), round(t.underflow_zero, 2)
    (709.78, -745.13)
    >>> with np.errstate(over="ignore"):  # past float16's threshold of about 11.09
    ...     float(np.exp(np.float16(12.0)))
    inf
    """
    info = np.finfo(_float_dtype(dtype))
    smallest_subnormal = float(info.smallest_subnormal)
    return ExpThresholds(
        dtype=info.dtype.name,
        eps=float(info.eps),
        max=float(info.max),
        smallest_normal=float(info.smallest_normal),
        smallest_subnormal=smallest_subnormal,
        overflow=float(np.log(float(info.max))),
        underflow_normal=float(np.log(float(info.smallest_normal))),
        underflow_zero=float(np.log(smallest_subnormal) - np.log(2.0)),
    )


def exp_threshold_table(dtypes=("float16", "float32", "float64")):
    """The thresholds of `exp_thresholds` for several types, as a text table (one row a type).

    >>> print(exp_threshold_table(["float64"]))
    dtype          eps        max  min normal  min subnormal  inf if z >  subnormal if z <  0 if z <
    float64   2.22e-16  1.80e+308   2.23e-308      4.94e-324      709.78           -708.40   -745.13
    """
    header = (
        f"{'dtype':<8}{'eps':>10}{'max':>11}{'min normal':>12}{'min subnormal':>15}"
        f"{'inf if z >':>12}{'subnormal if z <':>18}{'0 if z <':>10}"
    )
    lines = [header]
    for dtype in dtypes:
        t = exp_thresholds(dtype)
        lines.append(
            f"{t.dtype:<8}{t.eps:>10.2e}{t.max:>11.2e}{t.smallest_normal:>12.2e}"
            f"{t.smallest_subnormal:>15.2e}{t.overflow:>12.2f}{t.underflow_normal:>18.2f}"
            f"{t.underflow_zero:>10.2f}"
        )
    return "\n".join(lines)


def unit_roundoff(dtype):
    """The unit roundoff ``u = eps / 2``: the largest relative error of one rounding.

    >>> import numpy as np
    >>> unit_roundoff(np.float16) == 2.0**-11
    True
    """
    return float(np.finfo(_float_dtype(dtype)).eps) / 2.0


def _working_array(z):
    """`z` as a float array of its own precision (float16 kept), checking its shape."""
    array = np.asarray(z)
    kind = array.dtype.kind
    if kind in "iub":
        array = array.astype(np.float64)
    elif kind != "f":
        raise ValueError(f"z must be real numbers, got an array of dtype {array.dtype}")
    if array.ndim == 0 or array.shape[-1] == 0:
        raise ValueError(
            f"z must have a non-empty last axis (the classes), got shape {array.shape}"
        )
    return array


def _recursive_sum(terms):
    """Sum over the last axis left to right, each addition rounded to the working precision."""
    total = terms[..., 0].copy()
    for k in range(1, terms.shape[-1]):
        total = total + terms[..., k]
    return total[..., None]


def _shifted_terms(x):
    """``a = max z``, the terms ``exp(z - a)`` and ``s``, their sum without the maximal 1."""
    k = np.argmax(x, axis=-1)[..., None]
    a = np.take_along_axis(x, k, axis=-1)
    terms = np.exp(x - a)  # every exponent <= 0; the maximal term is exactly 1
    others = terms.copy()
    np.put_along_axis(others, k, 0, axis=-1)
    return a, terms, _recursive_sum(others)


def softmax_unshifted(z):
    """``exp(z) / sum(exp(z))`` in the working precision of `z` (float16 included) -- UNSAFE.

    Logits ``z`` of shape (..., m): float16, float32 and float64 are kept, integers become
    float64, here and in the five functions below. Returns ``P`` of the same shape and dtype:
    here nan where ``exp`` or the sum overflowed (inf / inf; float16 ``exp`` overflows above
    11.09) or every term underflowed (0 / 0), without a RuntimeWarning.

    >>> import numpy as np
    >>> softmax_unshifted(np.array([12.0, 0.0], dtype=np.float16))
    array([nan,  0.], dtype=float16)
    """
    x = _working_array(z)
    with np.errstate(all="ignore"):
        terms = np.exp(x)
        return terms / _recursive_sum(terms)


def softmax_shift_divide(z):
    """``exp(z - a) / sum_k exp(z_k - a)`` with ``a = max z``, in the working precision of `z`.

    Eq. (13) with the shift (14): the denominator lies in [1, m]. `lib.softmax` computes this.

    >>> import numpy as np
    >>> softmax_shift_divide(np.array([12.0, 0.0], dtype=np.float16))  # unshifted: nan
    array([1.e+00, 6.e-06], dtype=float16)
    """
    x = _working_array(z)
    with np.errstate(all="ignore"):  # underflow of tiny terms to 0 is the correct rounding
        a = np.max(x, axis=-1, keepdims=True)
        terms = np.exp(x - a)
        return terms / _recursive_sum(terms)


def softmax_exp_minus_lse(z):
    """The division-free form ``exp(z - lse(z))`` with ``lse = a + log1p(s)``, in working precision.

    Cannot overflow either, but ``log Q`` carries an absolute error of about ``u |log Q|``,
    which ``exp`` turns into a relative error in every probability: the larger the logits (not
    their spread), the worse. Adding 10000 to the logits shows it (errors in ulps):

    >>> import numpy as np
    >>> from lib.reference import mp_softmax, ulp_error
    >>> z = np.array([10000.5, 10000.0])
    >>> exact = mp_softmax(z)
    >>> bool(ulp_error(softmax_shift_divide(z), exact, np.float64).max() <= 1)
    True
    >>> bool(ulp_error(softmax_exp_minus_lse(z), exact, np.float64).min() > 1000)  # ~ u |log Q|
    True
    """
    x = _working_array(z)
    with np.errstate(all="ignore"):
        a, _, s = _shifted_terms(x)
        log_q = a + np.log1p(s)
        return np.exp(x - log_q)


def log_of_softmax(z):
    """``log(P)`` with ``P`` from `softmax_shift_divide`: the obvious way, and the worst.

    -inf wherever the probability underflowed to 0, 0 for the most probable class once it
    rounds to 1 (without a RuntimeWarning).

    >>> import numpy as np
    >>> log_of_softmax(np.array([0.0, -800.0]))  # the true second entry is -800
    array([  0., -inf])
    """
    with np.errstate(divide="ignore"):  # log(0) = -inf is the failure being shown
        return np.log(softmax_shift_divide(z))


def log_softmax_shifted_log(z):
    """``(z - a) - log(sum_k exp(z_k - a))``: log-space, but with ``log`` where ``log1p`` belongs.

    Never -inf, but exactly 0 for the most probable class once the others sum to below ``u``.

    >>> import numpy as np
    >>> log_softmax_shifted_log(np.array([40.0, 0.0]))  # the true first entry is -4.25e-18
    array([  0., -40.])
    """
    x = _working_array(z)
    with np.errstate(all="ignore"):
        a = np.max(x, axis=-1, keepdims=True)
        return (x - a) - np.log(_recursive_sum(np.exp(x - a)))


def log_softmax_log1p(z):
    """``(z - a) - log1p(s)``, with ``s`` the sum of ``exp(z_k - a)`` over the non-maximal classes.

    The most probable class gets ``-log1p(s) ~ -s`` instead of 0; both terms are <= 0 and
    never cancel. This is `lib.log_softmax`'s algorithm.

    >>> import numpy as np
    >>> log_softmax_log1p(np.array([40.0, 0.0]))
    array([-4.24835426e-18, -4.00000000e+01])
    """
    x = _working_array(z)
    with np.errstate(all="ignore"):
        a, _, s = _shifted_terms(x)
        return (x - a) - np.log1p(s)


#: name -> function of logits, for the softmax algorithms compared in chapter 6
SOFTMAX_ALGORITHMS = {
    "naive": softmax_unshifted,
    "shift-divide": softmax_shift_divide,
    "exp(z - lse)": softmax_exp_minus_lse,
}

#: name -> function of logits, for the log-softmax algorithms compared in chapter 6
LOG_SOFTMAX_ALGORITHMS = {
    "log(softmax)": log_of_softmax,
    "shifted log": log_softmax_shifted_log,
    "log1p": log_softmax_log1p,
}


def softmax_error_bounds(z):
    """Leading terms of Blanchard, Higham and Higham's (2021) bounds on the softmax error.

    `z` (n, m) or (m,), finite (as the algorithm sees them). Returns, for ``"naive"``,
    ``"shift-divide"`` and ``"exp(z - lse)"``, arrays (n,) bounding `lib.reference.normwise_error`
    in units of ``u``, to first order. With ``y = log Q``, as the authors' test code evaluates
    them (``higham/logsumexp-softmax-tests``): ``m + 3`` (if nothing overflows);
    ``m + 2 + 2 (max z - min z)``, growing with the spread; ``1 + max_j |z_j - y| + |y + m - min
    z|``, growing with the size for logits of both signs. A transcription, not a rederivation.

    >>> import numpy as np
    >>> bounds = softmax_error_bounds(np.array([[3.0, -2.0, 0.5]]))
    >>> {name: round(float(b[0]), 2) for name, b in bounds.items()}
    {'naive': 6.0, 'shift-divide': 15.0, 'exp(z - lse)': 14.17}
    """
    x = np.asarray(z, dtype=np.float64)
    if x.ndim not in (1, 2) or x.shape[-1] == 0:
        raise ValueError(f"z must have shape (m,) or (n, m) with m > 0, got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("z must be finite")
    rows = np.atleast_2d(x)
    m = rows.shape[1]
    top = np.max(rows, axis=1)
    bottom = np.min(rows, axis=1)
    log_q = top + np.log(np.sum(np.exp(rows - top[:, None]), axis=1))
    return {
        "naive": np.full(rows.shape[0], m + 3.0),
        "shift-divide": m + 2.0 + 2.0 * (top - bottom),
        "exp(z - lse)": 1.0
        + np.max(np.abs(rows - log_q[:, None]), axis=1)
        + np.abs(log_q + m - bottom),
    }
