"""The softmax layer, eqs. (2)-(3) and (13)-(14) of Lecture 6, computed so that it cannot overflow.

Read top to bottom, as chapter 5 tells it:

1. `softmax_naive` -- the textbook ``exp(z) / sum(exp(z))``, kept to show how it fails.
2. `softmax` -- eq. (14): shift by ``a = max_j z_j``, exponentiate, divide by the sum.
3. `logsumexp_parts`, `logsumexp`, `log_softmax` -- ``log Q = a + log1p(s)``, where
   ``s = sum over j != k of exp(z_j - a)`` leaves out the exact 1 of the maximal class ``k``;
   `lib.error_free.correct_shift_rounding` undoes the rounding of ``z_j - a`` on the rows
   where it would cost a dominant class more than a few ulp.
4. `softmax_jacobian` -- ``dP/dz = diag(P) - P P^T`` for one example.

Symbols are the lecture's (``z`` logits, ``P`` probabilities, ``Q`` their normaliser); the
classes lie along ``axis``, the last unless you say otherwise.

Non-finite input has a meaning: a logit of -inf is an impossible class (probability exactly 0);
classes at +inf share the probability equally (the limit); a nan makes its own slice nan and no
other. Every function raises `ValueError` for a slice whose logits are all -inf (no class is
possible), an empty class axis, or complex input. No numpy RuntimeWarning escapes.
"""

import numpy as np

from ._validation import as_float_array, as_logits, infinite_maxima, normalize_axis
from .error_free import accurate_sum, correct_shift_rounding

SHORT_ROW = 128  # classes; np.sum is not pairwise up to 128 terms: einsum is as accurate there

__all__ = ["softmax_naive", "softmax", "logsumexp_parts", "logsumexp", "log_softmax"]
__all__ += ["softmax_jacobian"]


def softmax_naive(z, axis=-1):
    """Softmax exactly as eqs. (2)-(3) write it -- UNSAFE, kept to show why it is not used.

    Parameters
    ----------
    z : array_like, shape (..., m, ...)
        Logits, the classes along `axis`.
    axis : int, default -1

    Returns
    -------
    P : ndarray, same shape as `z`
        ``exp(z) / sum(exp(z))``: nan (inf / inf) once a logit exceeds about 709.78, nan (0 / 0)
        if all are below about -745.1 (float64); silently, so a notebook can assert on it.

    >>> import numpy as np
    >>> softmax_naive(np.array([1000.0, 999.0]))  # exp(1000) = inf, and inf / inf = nan
    array([nan, nan])
    """
    x = as_float_array(z, "z")
    axis = normalize_axis(x, axis, "z")
    with np.errstate(all="ignore"):  # the failure is the lesson: let it happen silently
        numerators = np.exp(x)
        return numerators / np.sum(numerators, axis=axis, keepdims=True)


def softmax(z, axis=-1):
    """Softmax probabilities computed with the shift of eq. (14), so nothing overflows.

    Parameters
    ----------
    z : array_like, shape (..., m, ...)
        Logits, the classes along `axis`. Any finite magnitude is fine.
    axis : int, default -1

    Returns
    -------
    P : ndarray, same shape as `z`
        Every entry in [0, 1]; each slice sums to 1 within (m + 3) units of roundoff. float32
        stays float32; integers become float64. `z` is never modified.

    Notes
    -----
    Eq. (13) holds for any shift; with :math:`a = \\max_k z_k` (the lecture's :math:`r = -a`),
    :math:`P_j = e^{z_j - a} / \\sum_k e^{z_k - a}`.

    No exponent is above 0, so no term overflows, and the largest term is exactly 1, so the
    sum lies in :math:`[1, m]`. Rounding :math:`z_j - a` costs a small probability a relative
    error of up to :math:`|z_j - a|` units; `log_softmax` avoids that.

    >>> import numpy as np
    >>> softmax(np.array([1000.0, 999.0]))  # the same as softmax([1, 0]); softmax_naive: nan
    array([0.73105858, 0.26894142])
    >>> softmax(np.array([[0.0, -np.inf], [np.inf, np.inf]]))  # impossible class; tie at inf
    array([[1. , 0. ],
           [0.5, 0.5]])
    """
    x, axis = as_logits(z, axis)  # checked once; the classes last (a view)
    with np.errstate(all="ignore"):  # z - a may overflow to -inf, whose exp is 0: harmless
        a = np.max(x, axis=-1, keepdims=True)  # a = max_j z_j (the lecture's r = -a)
        at_inf = infinite_maxima(a, axis)  # ValueError if no class is possible
        probs = np.subtract(x, a)  # z_j - a <= 0: no exponential can overflow
        np.exp(probs, out=probs)  # in place (here and below): one array instead of three
        np.divide(probs, np.sum(probs, axis=-1, keepdims=True), out=probs)
        if at_inf is not None:  # the limit: classes at +inf share the probability
            tied = x == np.inf
            probs = np.where(at_inf, tied / np.sum(tied, axis=-1, keepdims=True), probs)
    return np.moveaxis(probs, -1, axis)


def logsumexp_parts(z, axis=-1, *, accurate=True):
    """``(a, L)`` with ``log Q = a + L``: the maximum ``a`` and ``L = log1p(s)`` of each slice.

    Parameters
    ----------
    z : array_like, shape (..., m, ...)
        Logits, the classes along `axis`.
    axis : int, default -1
    accurate : bool, default True
        Sum ``s`` with `lib.error_free.accurate_sum`, for `logsumexp`'s 2 ulp; False uses a
        plain sum (off by up to about ``k u s``), within `log_softmax`'s 10 ulp and faster.

    Returns
    -------
    a, L : ndarrays of the shape of `z` without `axis`
        ``s = sum over j != k of exp(z_j - a)``. ``L`` is nan where ``a`` is +inf or nan.

    Notes
    -----
    ``log(1 + s)`` would round to 0 for every :math:`s < 2^{-53}`: the exact 1 of the maximal
    term stays out of the sum and ``log1p`` keeps every digit of :math:`s`.

    >>> import numpy as np
    >>> z = np.array([0.0, -40.0])
    >>> float(np.log(np.sum(np.exp(z))))  # log(1 + 4.2e-18) rounds to log(1) = 0
    0.0
    >>> [float(part) for part in logsumexp_parts(z)]
    [0.0, 4.248354255291589e-18]
    """
    x, axis = as_logits(z, axis, contiguous=True)  # checked once; classes last, in memory too
    with np.errstate(all="ignore"):  # z - a may overflow to -inf: its exp is 0, harmless
        a, top = _maximum(x)  # a = max_j z_j, at the flat positions `top` of x
        infinite_maxima(a, axis)  # ValueError if no class is possible
        shifted = x - a  # z_j - a <= 0
        others = np.exp(shifted)
        others.reshape(-1)[top] = 0.0  # s leaves out the exact e^0 = 1 of the maximal class
        s = np.add(*accurate_sum(others))[..., np.newaxis] if accurate else _row_sum(others)
        log_norm = np.log1p(s).astype(x.dtype, copy=False)  # L = log(1 + s), every digit of s
        ulps = np.abs(a + log_norm) / (2 * log_norm) if accurate else 8  # u |a + L| / 2, or 8 u L
        log_norm = correct_shift_rounding(x, a, shifted, others, s, log_norm, ulps)
    return a[..., 0], log_norm[..., 0]


def logsumexp(z, axis=-1, keepdims=False):
    """``log sum_j exp(z_j)`` -- the ``log Q`` of eq. (3) -- without overflow or lost digits.

    Parameters
    ----------
    z : array_like, shape (..., m, ...)
        Logits, the classes along `axis`.
    axis : int, default -1
    keepdims : bool, default False
        Keep the reduced axis with length 1 (for broadcasting against `z`).

    Returns
    -------
    log_Q : ndarray or numpy scalar, shape of `z` without `axis`
        float32 stays float32; integers become float64; +inf if a logit is +inf.

    Notes
    -----
    :math:`\\log Q = a + \\operatorname{log1p}(s)` (see `logsumexp_parts`), within 2 ulp of
    the exact value (tests/test_accuracy.py, against mpmath) wherever the sum does not cancel:
    when :math:`a \\ge 0` or :math:`|\\log Q| \\ge |a|/2`. Otherwise the bound is 2 ulp times
    the condition number :math:`\\sum_j P_j |z_j| / |\\log Q|`, all any algorithm can promise.

    >>> import numpy as np
    >>> float(logsumexp(np.array([0.0, -40.0])))  # np.log(np.sum(np.exp(z))) gives 0.0
    4.248354255291589e-18
    >>> logsumexp(np.array([1000.0, 1000.0]))  # 1000 + log 2; the naive sum overflows
    np.float64(1000.6931471805599)
    """
    a, log_norm = logsumexp_parts(z, axis)
    with np.errstate(invalid="ignore"):
        log_q = np.where(a == np.inf, a, a + log_norm)  # +inf stays +inf, nan stays nan
    if keepdims:  # `axis` was checked above; a negative one counts from the end here too
        log_q = np.expand_dims(log_q, axis)
    return log_q[()]


def log_softmax(z, axis=-1):
    """``log P_j = (z_j - a) - log1p(s)``, accurate on every entry, the most probable included.

    Parameters
    ----------
    z : array_like, shape (..., m, ...)
        Logits, the classes along `axis`.
    axis : int, default -1

    Returns
    -------
    log_P : ndarray, same shape as `z`
        Log-probabilities, all <= 0; -inf for an impossible class. float32 stays float32.

    Notes
    -----
    Eq. (14) in log-space: :math:`a = \\max_k z_k`, :math:`s = \\sum_{j \\ne k} e^{z_j - a}`,
    :math:`\\log P_j = (z_j - a) - \\operatorname{log1p}(s)`. Both terms are :math:`\\le 0` and
    never cancel: every entry is within 10 ulp of the exact value (tests/test_accuracy.py), once
    `lib.error_free.correct_shift_rounding` has undone the rounding of :math:`z_j - a` where
    it would cost :math:`\\operatorname{log1p}(s)` more than 8 ulp. The most probable class
    gets :math:`-\\operatorname{log1p}(s)` where ``z - a - log(sum(exp(z - a)))`` gives 0: the
    cost :math:`C_i = -\\log P_{y_i}` of a confident, correct prediction would vanish.

    >>> import numpy as np
    >>> np.log(softmax(np.array([40.0, 0.0])))  # P_0 rounds to 1, so log P_0 = 0 exactly
    array([  0., -40.])
    >>> log_softmax(np.array([40.0, 0.0]))  # the true value, -exp(-40) to first order
    array([-4.24835426e-18, -4.00000000e+01])
    """
    x, axis = as_logits(z, axis, contiguous=True)  # checked once; classes last, in memory too
    with np.errstate(all="ignore"):  # z - a may overflow to -inf: the exact value is below -max
        a, top = _maximum(x)  # a = max_j z_j (the lecture's r = -a), at the flat positions `top`
        at_inf = infinite_maxima(a, axis)  # ValueError if no class is possible
        shifted = x - a  # z_j - a <= 0: no exponential can overflow
        others = np.exp(shifted)
        others.reshape(-1)[top] = 0.0  # s leaves out the exact e^0 = 1 of the maximal class
        s = _row_sum(others)  # s = sum over j != k of e^(z_j - a)
        log_norm = np.log1p(s)  # log Q - a = log(1 + s), every digit of s kept
        log_norm = correct_shift_rounding(x, a, shifted, others, s, log_norm, ulps=8)
        log_probs = np.subtract(shifted, log_norm, out=shifted)  # (z_j - a) - L, in place
        if at_inf is not None:  # the limit: classes at +inf share the probability
            tied = x == np.inf
            limit = np.where(tied, -np.log(np.sum(tied, axis=-1, keepdims=True)), -np.inf)
            log_probs = np.where(at_inf, limit, log_probs)
    return np.moveaxis(log_probs, -1, axis)


def _maximum(x):
    """``(a, top)``: the maximum of each row of `x` (classes last, C-contiguous), shape
    (..., 1), and where it is in ``x.ravel()`` (the first maximal class, or the first nan)."""
    k = np.argmax(x, axis=-1)  # cheaper than np.max on short rows, and it says where
    top = np.arange(k.size) * x.shape[-1] + k.ravel()  # flat indices: faster than
    return x.reshape(-1)[top].reshape(k.shape + (1,)), top  # take_along_axis on short rows


def _row_sum(terms):
    """Sum along the last axis, keeping it with length 1."""
    if terms.shape[-1] <= SHORT_ROW:  # numpy's sum pays a per-row overhead that einsum does not
        return np.einsum("...j->...", terms)[..., np.newaxis]
    return np.sum(terms, axis=-1, keepdims=True)


def softmax_jacobian(z):
    r"""The Jacobian ``dP_i/dz_j = P_i (delta_ij - P_j)`` of the softmax of one example.

    Parameters
    ----------
    z : array_like, shape (m,)
        Logits of one example.

    Returns
    -------
    J : ndarray, shape (m, m)
        ``diag(P) - P P^T``: symmetric, and every row sums to 0 (eq. (13): adding a constant to
        every logit does not change ``P``).

    Notes
    -----
    From :math:`P_i = e^{z_i}/Q` and :math:`\partial Q/\partial z_j = e^{z_j}`,
    :math:`\partial P_i/\partial z_j = (\delta_{ij} e^{z_i} Q - e^{z_i} e^{z_j})/Q^2
    = P_i (\delta_{ij} - P_j)`. Chained with :math:`\partial C_i/\partial P_j =
    -\delta_{y_i j}/P_{y_i}` it gives the lecture's theorem :math:`P_j - \delta_{y_i j}`.

    >>> import numpy as np
    >>> softmax_jacobian(np.array([0.0, 0.0]))
    array([[ 0.25, -0.25],
           [-0.25,  0.25]])
    >>> softmax_jacobian(np.array([1000.0, 0.0]))  # stable: a saturated softmax has J = 0
    array([[0., 0.],
           [0., 0.]])
    """
    x = as_float_array(z, "z")
    if x.ndim != 1:
        raise ValueError(
            f"softmax_jacobian takes the logits of one example, shape (m,); got {x.shape}"
        )
    probs = softmax(x)
    with np.errstate(all="ignore"):  # products of tiny probabilities underflow to 0: correct
        return np.diag(probs) - np.outer(probs, probs)
