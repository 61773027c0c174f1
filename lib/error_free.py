"""Error-free transformations: a sum or product together with its exact rounding error.

A floating-point ``a + b`` is rounded, but the rounding error is itself a float and can be
recovered exactly with a few more operations (Knuth's TwoSum; Dekker's TwoProduct for ``a * b``).
Carrying these errors along is how `lib.softmax` corrects the rounding of ``z_j - a`` and how
`lib.online` keeps a long chain of merges within 2 ulp. See Ogita, Rump and Oishi, "Accurate
sum and dot product", SIAM J. Sci. Comput. 26 (2005), for all three functions here.

>>> a, b = 1.0, 2.0**-60
>>> a + b == a  # b is lost in the sum...
True
>>> two_sum(a, b)  # ...but not in its error
(1.0, 8.673617379884035e-19)
"""

import numpy as np

__all__ = ["two_sum", "two_product", "accurate_sum"]


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
