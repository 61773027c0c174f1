"""Error-free transformations: a sum or product together with its exact rounding error.

A floating-point ``a + b`` is rounded, but the rounding error is itself a float and can be
recovered exactly with a few more operations (Knuth's TwoSum; Dekker's TwoProduct for ``a * b``).
Carrying these errors along is how `lib.softmax` corrects the rounding of ``z_j - a``
(`correct_shift_rounding`) and how `lib.online` keeps a long chain of merges within 2 ulp. See
Ogita, Rump and Oishi, "Accurate sum and dot product", SIAM J. Sci. Comput. 26 (2005), for the
first three functions here.

>>> a, b = 1.0, 2.0**-60
>>> a + b == a  # b is lost in the sum...
True
>>> two_sum(a, b)  # ...but not in its error
(1.0, 8.673617379884035e-19)
"""

import math

import numpy as np

__all__ = ["two_sum", "two_product", "accurate_sum", "correct_shift_rounding"]


def two_sum(a, b):
    """``(s, e)`` with ``s = fl(a + b)`` and ``a + b = s + e`` exactly (Knuth's TwoSum).

    Parameters
    ----------
    a, b : float or ndarray (broadcastable)

    Returns
    -------
    s, e : the rounded sum and its rounding error.

    Six operations and no branch (``b_part = s - a`` is what of ``b`` went into ``s``); exact
    in any binary type with round-to-nearest, unless something overflows.
    """
    total = a + b
    b_part = total - a
    return total, (a - (total - b_part)) + (b - b_part)


def two_product(a, b):
    """``(p, e)`` with ``p = fl(a * b)`` and ``a * b = p + e`` exactly (Dekker's TwoProduct).

    Each float64 factor is split into two 26-bit halves (Veltkamp's splitting with the constant
    ``2**27 + 1``), whose products are exact. For float64 values well inside the range (the
    split of ``|a| > 1e300`` would overflow).

    >>> two_product(1.0 + 2.0**-30, 1.0 + 2.0**-30)  # the 2**-60 of the square is the error
    (1.0000000018626451, 8.673617379884035e-19)
    """
    product = a * b
    a_high, a_low = _split(a)
    b_high, b_low = _split(b)
    error = ((a_high * b_high - product) + a_high * b_low + a_low * b_high) + a_low * b_low
    return product, error


def _split(a):
    """Veltkamp's splitting: ``a = high + low``, both halves representable in 26 bits."""
    scaled = a * 134217729.0  # 2**27 + 1
    high = scaled - (scaled - a)
    return high, a - high


def accurate_sum(terms):
    """Sum of nonnegative terms along the last axis, as a pair ``(high, low)``.

    Parameters
    ----------
    terms : ndarray, shape (..., m)
        Nonnegative float32 or float64 numbers.

    Returns
    -------
    high, low : ndarrays of shape (...)
        ``high + low`` is the sum with a relative error of order ``m^2 u^2`` (float64), or
        float64 sums of float32 terms (``low = 0``), which is as good for float32.

    Notes
    -----
    ``np.sum`` is off by up to about ``k u`` of the sum, and alike terms round alike (70 copies
    of ``exp(-5.51)`` drift by several ulp). Rump's ExtractScalar: with ``sigma`` a power of 2
    at least ``2 (m + 2) max t``, ``hi = (sigma + t) - sigma`` sums exactly in any order and
    the plain sum of the ``lo = t - hi`` is off by only about ``m^2 u^2 max t``.

    >>> import numpy as np
    >>> terms = np.array([1.0] + [2.0**-54] * 4)  # each 1 + 2**-54 rounds back to 1
    >>> float(np.sum(terms) - 1), float(sum(accurate_sum(terms)) - 1)
    (0.0, 2.220446049250313e-16)
    """
    if terms.dtype != np.float64:  # float32: m u_64 is far below a float32 ulp
        return np.sum(terms, axis=-1, dtype=np.float64), np.zeros(terms.shape[:-1])
    rough = np.sum(terms, axis=-1, keepdims=True)  # at least the largest term
    _, exponent = np.frexp(rough * (2 * terms.shape[-1] + 4))
    sigma = np.ldexp(2.0, exponent)  # > 2 (m + 2) rough: a power of 2 (1 for a row of zeros)
    parts = np.add(terms, sigma)
    parts -= sigma  # the high parts, in place...
    high = np.sum(parts, axis=-1)
    np.subtract(terms, parts, out=parts)  # ...then, in the same array, the exact remainders
    return high, np.sum(parts, axis=-1)


def correct_shift_rounding(z, a, shifted, terms, total, log_norm, ulps):
    """``L = log1p(s)`` with the rounding of the shift ``z_j - a`` undone where it costs > `ulps`.

    Parameters
    ----------
    z : ndarray, shape (..., m)
        Logits, the classes last, C-contiguous.
    a : ndarray, shape (..., 1)
        The maximum of each row.
    shifted : ndarray, shape (..., m)
        ``d_j = fl(z_j - a)``, the shifted logits as rounded.
    terms : ndarray, shape (..., m)
        ``t_j = exp(d_j)``, with 0 for the maximal class.
    total, log_norm : ndarrays, shape (..., 1)
        ``s``, the sum of `terms` in each row, and ``L = log1p(s)`` in the dtype of `z`.
    ulps : float, or ndarray of shape (..., 1)
        The error in ``L`` tolerated before a row is corrected, in units of ``u L``.

    Returns
    -------
    log_norm : ndarray, shape (..., 1)
        `log_norm` with the corrected rows overwritten (in place): ``log1p(s')``, rounded once
        to the dtype, where ``s'`` sums ``e^{z_j - a}`` as if ``z_j - a`` were exact.

    Notes
    -----
    Rounding :math:`d_j = z_j - a` loses :math:`e_j`, :math:`|e_j| \\le u |d_j|`, and
    :math:`e^{d_j + e_j} = t_j (1 + e_j)` to first order: :math:`s` is off by up to
    :math:`u B`, :math:`B = -\\sum_j t_j d_j`, and :math:`L` by :math:`u B / (1 + s)`. That
    matters when one class dominates (``L`` is tiny while a rival is far below, so ``|d_j|``
    is large). Three steps, cheapest first, find the rows where it can exceed ``ulps u L``:

    1. Jensen: :math:`B = -\\sum_j t_j \\log t_j \\le H = s \\log((m - 1)/s)`. As
       :math:`L \\ge s / (1 + s)`, rows with :math:`s \\ge (m - 1) e^{-\\text{ulps}}` pass
       without a single logarithm; the others are tested against :math:`H`,
    2. then against :math:`B` itself (one dot product per row);
    3. the rows left get :math:`e_j` exactly from `two_sum` and
       :math:`s' = \\sum_j t_j + \\sum_j t_j e_j`, the first sum by `accurate_sum`.

    A nan row is left alone; so is a term of an impossible class (``t_j = 0``).

    One dominant class; ``z_1 - a = -32.7`` is rounded, which costs ``L`` 28 ulp:

    >>> import numpy as np
    >>> z = np.array([[0.75, -31.95]])
    >>> a = z[:, :1]
    >>> shifted = z - a
    >>> terms = np.array([[0.0, np.exp(shifted[0, 1])]])  # the maximal class left out
    >>> total = terms.sum(axis=1, keepdims=True)
    >>> float(np.log1p(total)[0, 0])  # exact: 6.2888384964616184e-15 (mpmath, mp.dps = 60)
    6.288838496461596e-15
    >>> float(correct_shift_rounding(z, a, shifted, terms, total, np.log1p(total), ulps=8)[0, 0])
    6.288838496461618e-15
    """
    m = z.shape[-1]
    flat_total, flat_log_norm, ulps = total.reshape(-1), log_norm.reshape(-1), np.asarray(ulps)
    rows = np.flatnonzero(total < (m - 1) * np.exp(-ulps))  # nan compares False: left alone
    s_rows = flat_total[rows]
    ulps_rows = ulps if ulps.ndim == 0 else ulps.reshape(-1)[rows]
    tolerance = ulps_rows * flat_log_norm[rows] * (1 + s_rows)  # the largest harmless B
    entropy = s_rows * (math.log(max(m - 1, 1)) - np.log(s_rows))  # H >= B
    maybe = entropy > tolerance
    rows, tolerance = rows[maybe], tolerance[maybe]
    if rows.size:  # B itself, for the rows that H did not clear
        pick = slice(None) if rows.size == total.size else rows  # every row: no copies
        spread = -np.einsum("ij,ij->i", terms.reshape(-1, m)[pick], shifted.reshape(-1, m)[pick])
        rows = rows[~(spread <= tolerance)]  # nan (0 times a -inf logit): correct it too
    if rows.size:
        terms_rows = terms.reshape(-1, m)[rows].astype(np.float64)
        _, error = two_sum(z.reshape(-1, m)[rows], -a.reshape(-1, 1)[rows])  # d + e = z - a
        error = np.where(terms_rows > 0, error, 0.0)  # an impossible class: no term to correct
        exact = np.add(*accurate_sum(terms_rows)) + np.einsum("ij,ij->i", terms_rows, error)
        flat_log_norm[rows] = np.log1p(exact)  # one rounding to the dtype
    return flat_log_norm.reshape(log_norm.shape)
