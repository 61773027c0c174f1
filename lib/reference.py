"""Exact references (mpmath) and errors in ulps: how every accuracy claim of the course is measured.

Used by tests/, bench/, the chapters and the assignments' reference values; the only module of
`lib` that imports mpmath (``import lib`` does not import it).

1. `mp_logsumexp`, `mp_log_softmax`, `mp_softmax` -- exact values at `DPS` digits (about 200
   bits, far below a float64 ulp; mpmath's exponent range is unbounded), the float inputs taken
   as exact binary numbers, formed as ``(z_j - a) - log1p(s)`` like `lib.softmax` (``log(sum)``
   would lose a tail below 1e-60 even here). Rows are grouped by distinct value.
2. `ulp`, `ulp_error`, `normwise_error` -- how far a computed value is from the exact one.
3. `lse_condition`, `lse_cancels` -- when ``log Q = a + log1p(s)`` cancels, so that no
   algorithm can promise a few ulps relative to the result.
"""

import mpmath
import numpy as np

__all__ = [
    "DPS",
    "mp_logsumexp",
    "mp_log_softmax",
    "mp_softmax",
    "ulp",
    "ulp_error",
    "normwise_error",
    "lse_condition",
    "lse_cancels",
]

DPS = 60  # significant decimal digits of every reference value


def _rows(z):
    """`z` as rows (n, m), and its shape: float64 (exact: float16/32 values are float64 values),
    or mpmath numbers as given (logits computed exactly: the assignments' expected values)."""
    array = np.asarray(z)
    exact = (mpmath.mpf, int, float, np.integer, np.floating)  # what an object array may hold
    if array.dtype.kind not in "fiuO" or (
        array.dtype == object and not all(isinstance(v, exact) for v in array.flat)
    ):
        raise ValueError(f"z must be real numbers, got an array of dtype {array.dtype}")
    if array.ndim == 0 or array.shape[-1] == 0:
        raise ValueError(f"z must have a non-empty last axis (the classes), got {array.shape}")
    values = array if array.dtype == object else array.astype(np.float64)
    if not all(mpmath.isfinite(v) for v in values.flat):
        raise ValueError("z must be finite for the mpmath references")
    return values.reshape(-1, values.shape[-1]), array.shape


def _row_log_softmax(row, dps):
    """Exact ``log P`` of one row: (mpf per distinct value, index of each entry's value)."""
    values, inverse, counts = np.unique(row, return_inverse=True, return_counts=True)
    with mpmath.workdps(dps):
        exact = [mpmath.mpf(v) for v in values]  # a float64 is exact in mpmath
        top = exact[-1]  # np.unique sorts: the last is the maximum
        counts[-1] -= 1  # one copy of the maximum is the exact 1 left out of s
        s = mpmath.fsum(int(c) * mpmath.exp(v - top) for v, c in zip(exact, counts, strict=True))
        log_norm = mpmath.log1p(s)
        log_probs = np.array([(v - top) - log_norm for v in exact], dtype=object)
        log_q = top + log_norm
    return log_probs, inverse.reshape(row.shape), log_q


def mp_logsumexp(z, dps=DPS):
    """Exact ``log sum_j exp(z_j)`` of each row (mpmath, `dps` digits).

    Finite logits `z` (..., m), classes last; returns mpmath numbers of shape (...).

    >>> float(mp_logsumexp([1000.0, 1000.0]))  # 1000 + log 2
    1000.6931471805599
    >>> float(mp_logsumexp([0.0, -200.0]))  # log1p(e^-200): log(sum) would give 0 at 60 digits
    1.3838965267367376e-87
    """
    rows, shape = _rows(z)
    result = np.empty(rows.shape[0], dtype=object)
    for i, row in enumerate(rows):
        result[i] = _row_log_softmax(row, dps)[2]
    return result.reshape(shape[:-1])


def mp_log_softmax(z, dps=DPS):
    """Exact ``log P_j = (z_j - a) - log1p(s)`` of each row, the most probable entry included.

    >>> float(mp_log_softmax([40.0, 0.0])[0])  # -log(1 + e**-40): log(1 + s) rounds it to 0
    -4.248354255291589e-18
    """
    rows, shape = _rows(z)
    result = np.empty(rows.shape, dtype=object)
    for i, row in enumerate(rows):
        log_probs, inverse, _ = _row_log_softmax(row, dps)
        result[i] = log_probs[inverse]
    return result.reshape(shape)


def mp_softmax(z, dps=DPS):
    """Exact ``P_j`` of each row (mpmath, `dps` digits); never underflows.

    >>> p = mp_softmax([0.0, -2000.0])
    >>> float(p[0]), float(p[1]) == 0.0, p[1] > 0  # the second is below float64's range
    (1.0, True, True)
    """
    rows, shape = _rows(z)
    result = np.empty(rows.shape, dtype=object)
    with mpmath.workdps(dps):
        for i, row in enumerate(rows):
            log_probs, inverse, _ = _row_log_softmax(row, dps)
            result[i] = np.array([mpmath.exp(v) for v in log_probs], dtype=object)[inverse]
    return result.reshape(shape)


def _split_reference(exact):
    """The exact values as two float64 arrays ``hi + lo`` (about 106 bits: enough for ulps)."""
    array = np.asarray(exact)
    if array.dtype != object:
        if array.dtype.kind not in "fiu":
            raise ValueError(f"exact must hold real numbers, got dtype {array.dtype}")
        return array.astype(np.float64), np.zeros(array.shape)
    hi, lo = np.empty(array.shape), np.empty(array.shape)
    seen = {}  # the mp_* functions repeat one object per distinct value: split each once
    with mpmath.workprec(256):
        for index, value in np.ndenumerate(array):
            if id(value) not in seen:
                number = mpmath.mpf(value)
                high = float(number)
                seen[id(value)] = high, float(number - high) if mpmath.isfinite(number) else 0.0
            hi[index], lo[index] = seen[id(value)]
    return hi, lo


def ulp(x, dtype):
    """The spacing of `dtype` numbers at the real value `x`: one unit in the last place.

    ``2**(max(e, e_min) - p + 1)`` with ``2**e <= |x| < 2**(e + 1)``, ``p`` the precision of
    `dtype` and ``e_min`` its smallest normal exponent (subnormals and 0: the smallest subnormal).

    >>> import numpy as np
    >>> ulp([1.0, 1.5, 0.0], np.float16)  # 2**-10 in [1, 2); the subnormal spacing at 0
    array([9.765625e-04, 9.765625e-04, 5.960464e-08])
    """
    info = np.finfo(dtype)
    values = np.abs(np.asarray(x, dtype=np.float64))
    _, exponent = np.frexp(values)  # values = f * 2**exponent with f in [0.5, 1)
    binade = np.where(values == 0, info.minexp, np.maximum(exponent - 1, info.minexp))
    return np.ldexp(1.0, binade - info.nmant)


def ulp_error(computed, exact, dtype):
    """Entrywise ``|computed - exact| / ulp(exact)`` in the precision `dtype`.

    `computed` in precision `dtype`; `exact` of the same shape, floats or mpmath numbers (as
    the ``mp_*`` functions return). Correctly rounded is <= 0.5; a nan, or an infinity where
    the exact value is finite in `dtype`, is inf; an infinity of the right sign where the exact
    value rounds to infinity is 0. A probability that underflowed to 0 is correctly rounded
    (e**-800 is below half the smallest subnormal), but its logarithm is infinitely wrong:

    >>> import numpy as np
    >>> ulp_error(np.array([1.0, 0.0]), mp_softmax([0.0, -800.0]), np.float64)
    array([0., 0.])
    >>> ulp_error(np.array([0.0, -np.inf]), mp_log_softmax([0.0, -800.0]), np.float64)
    array([ 0., inf])
    """
    values = np.asarray(computed)
    if values.dtype.kind not in "fiu":
        raise ValueError(f"computed must hold real numbers, got dtype {values.dtype}")
    if np.dtype(dtype).kind != "f":
        raise ValueError(f"dtype must be a floating type such as float32/64, got {dtype!r}")
    values = values.astype(np.float64)
    hi, lo = _split_reference(exact)
    if values.shape != hi.shape:
        raise ValueError(f"computed has shape {values.shape} but exact has shape {hi.shape}")
    largest = float(np.finfo(dtype).max)
    with np.errstate(invalid="ignore", over="ignore"):  # nan and inf become inf below
        overflow = np.abs(hi) >= largest + float(ulp(largest, dtype)) / 2  # rounds to inf
        # values - hi is exact when the two are close (Sterbenz); far apart, irrelevant
        error = np.abs((values - hi) - lo) / ulp(np.minimum(np.abs(hi), largest), dtype)
    right_inf = overflow & np.isinf(values) & (np.sign(values) == np.sign(hi))
    return np.where(right_inf, 0.0, np.where(np.isfinite(error), error, np.inf))[()]


def normwise_error(computed, exact, dtype):
    """Per example ``max_j |P^_j - P_j| / (u max_j |P_j|)``, in units of roundoff ``u``.

    The measure of Blanchard, Higham and Higham (2021), to compare with
    `lib.floating.softmax_error_bounds`. Classes along the last axis; inf for a row with a
    nan or infinite entry.

    >>> import numpy as np
    >>> normwise_error(np.array([[0.5, 0.5], [np.nan, np.nan]]), np.full((2, 2), 0.5),
    ...                np.float16)
    array([ 0., inf])
    """
    values = np.asarray(computed).astype(np.float64)
    hi, lo = _split_reference(exact)
    if values.shape != hi.shape or values.ndim == 0:
        raise ValueError(f"computed has shape {values.shape} but exact has shape {hi.shape}")
    with np.errstate(invalid="ignore"):
        error = np.max(np.abs((values - hi) - lo), axis=-1)
        result = error / (float(np.finfo(dtype).eps) / 2 * np.max(np.abs(hi), axis=-1))
    return np.where(np.isfinite(result), result, np.inf)


def lse_condition(z):
    """Relative condition number of logsumexp at a 1-d `z`: ``sum_j P_j |z_j| / |log Q|``.

    A forward error of k ulp times this number (>= 1; inf where log Q = 0) is what a
    backward-stable algorithm can promise. It exceeds 1 only where `lse_cancels`.
    """
    row = np.asarray(z, dtype=np.float64).ravel()
    values, counts = np.unique(row, return_counts=True)
    log_probs, _, lse = _row_log_softmax(row, DPS)  # one per distinct value, in that order
    if lse == 0:
        return float("inf")
    with mpmath.workdps(DPS):
        weighted = mpmath.fsum(
            int(c) * mpmath.exp(p) * abs(mpmath.mpf(float(v)))
            for p, v, c in zip(log_probs, values, counts, strict=True)
        )
    return max(1.0, float(weighted / abs(lse)))


def lse_cancels(z):
    """True if ``log Q = a + L`` may cancel (a the maximum, L = log1p(s) >= 0).

    No cancellation when a >= 0 (both terms >= 0) or |log Q| >= |a| / 2 (then L <= 3 |log Q|);
    otherwise a < 0 and log Q is much closer to 0 than a, and the relative accuracy of any
    algorithm is limited by `lse_condition`.
    """
    top = float(np.max(z))
    return top < 0 and abs(mp_logsumexp(z)[()]) < abs(top) / 2
