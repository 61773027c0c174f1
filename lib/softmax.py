"""The softmax layer, eqs. (2)-(3) and (13)-(14) of Lecture 6, computed so that it cannot overflow.

Read top to bottom:

1. `softmax_naive` -- the textbook formula ``exp(z) / sum(exp(z))``, kept to show how it fails.
2. `softmax` -- the same probabilities after the shift ``r = -max(z)`` of eq. (14).
3. `logsumexp` -- ``log Q`` of eq. (3), the quantity the cost (8) needs, in log-space.
4. `log_softmax` -- ``log P_j = z_j - log Q`` without ever forming ``P_j``.
5. `softmax_jacobian` -- ``dP/dz = diag(P) - P P^T`` for one example.

Symbols follow the lecture: ``z`` are the logits of the last layer, ``P`` the probabilities and
``Q`` their normaliser. The classes lie along ``axis`` (the last one unless you say otherwise).

Three ideas make this module accurate, not only free of overflow:

* Shift by the maximum ``a = max_j z_j``. Every shifted exponent ``z_j - a`` is <= 0, so no
  term overflows, and the largest term is exactly ``exp(0) = 1``, so the shifted sum is >= 1
  and cannot underflow to 0 either.
* Keep that exact 1 out of the sum: with ``s = sum over j != k of exp(z_j - a)`` (``k`` the index
  of the maximum), ``log Q = a + log1p(s)``. Adding the 1 first and taking ``log`` rounds
  ``log(1 + s)`` to 0 whenever ``s`` is below the float64 epsilon, which throws away the whole
  answer for a confident prediction (slip S9 of the lecture).
* Account for the rounding of ``z_j - a``. It is tiny in absolute terms, but ``exp`` turns it
  into a relative error of up to ``|z_j - a|`` units in the term, which is what ``s`` is made
  of when one class dominates. Where that could matter, the exact rounding error is recovered
  (Knuth's TwoSum) and added back. (`log_softmax` of long rows avoids it altogether where
  ``exp(z)`` is safe unshifted.) `logsumexp` also compensates the sum where numpy's own
  rounding of it could cost more than half an ulp.

The private helpers below the public functions show how; they work on cache-sized blocks of
rows, for speed (see bench/README.md), which changes nothing in the math.

Non-finite input has a meaning here: a logit of -inf is a class that is impossible (its
probability is exactly 0); classes at +inf share the probability equally (the limit); a nan
makes its own slice nan and no other; a slice in which every logit is -inf has no possible
class and raises `ValueError`. No function in this module lets a numpy RuntimeWarning escape.
"""

import functools
import math

import numpy as np

from ._rows import (
    BLOCK,
    SHORT,
    column_chunks,
    prepare,
    row_argmax,
    row_blocks,
    row_dot,
    row_max,
    row_sum,
    row_sum_fast,
    rows_of,
    slice_shape,
    write_rows,
)
from ._validation import as_float_array, normalize_axis

__all__ = ["softmax_naive", "softmax", "logsumexp", "log_softmax", "softmax_jacobian"]


def softmax_naive(z, axis=-1):
    """Softmax exactly as eqs. (2)-(3) write it -- UNSAFE, kept to show why it is not used.

    Parameters
    ----------
    z : array_like, shape (..., m, ...)
        Logits, the classes along `axis`.
    axis : int, default -1
        The axis that holds the classes.

    Returns
    -------
    P : ndarray, same shape as `z`
        ``exp(z) / sum(exp(z))``; float32 stays float32, integers become float64. Contains nan
        (inf / inf) as soon as one logit exceeds about 709.78, and nan (0 / 0) when every
        logit is below about -745.1 (float64 thresholds).

    See Also
    --------
    softmax : the same function, shifted so that it cannot overflow.

    Notes
    -----
    :math:`P_j = e^{z_j} / Q` with :math:`Q = \\sum_k e^{z_k}`. ``exp`` overflows to inf for
    :math:`z > \\ln(1.8 \\times 10^{308}) \\approx 709.78`, and ``Q`` can overflow even when every
    term is finite (``z = (709, 709, 709)``). The overflow happens silently here (numpy's
    warnings are suppressed on purpose) so that a notebook can show the nan and assert on it.

    Examples
    --------
    >>> import numpy as np
    >>> softmax_naive(np.array([1.0, 2.0, 3.0]))
    array([0.09003057, 0.24472847, 0.66524096])
    >>> softmax_naive(np.array([1000.0, 999.0]))  # exp(1000) = inf, and inf / inf = nan
    array([nan, nan])
    >>> softmax_naive(np.array([-1000.0, -1001.0]))  # exp(-1000) = 0, and 0 / 0 = nan
    array([nan, nan])
    """
    x = as_float_array(z, "z")
    axis = normalize_axis(x, axis, "z")
    with np.errstate(all="ignore"):  # the failure is the lesson: let it happen silently
        numerators = np.exp(x)
        return numerators / np.sum(numerators, axis=axis, keepdims=True)


def softmax(z, axis=-1, *, out=None):
    """Softmax probabilities computed with the shift of eq. (14), so nothing overflows.

    Parameters
    ----------
    z : array_like, shape (..., m, ...)
        Logits, the classes along `axis`. Any finite magnitude is fine.
    axis : int, default -1
        The axis that holds the classes.
    out : ndarray, optional
        Where to write the result; must have the shape of `z` and the result dtype. May be `z`
        itself (in-place); otherwise `z` is never modified.

    Returns
    -------
    P : ndarray, same shape as `z`
        Probabilities: every entry in [0, 1] and each slice along `axis` sums to 1 within
        (m + 3) units of roundoff. float32 stays float32; integers become float64.

    Raises
    ------
    ValueError
        If the class axis is empty or a slice has every logit at -inf.

    See Also
    --------
    softmax_naive : the unshifted formula, which overflows.
    log_softmax : ``log P`` without forming ``P`` (use it for costs).

    Notes
    -----
    With :math:`a = \\max_k z_k`, eq. (13) with :math:`r = -a` gives

    .. math:: P_j = \\frac{e^{z_j - a}}{\\sum_k e^{z_k - a}}.

    Every exponent is :math:`\\le 0`, so no term overflows, and the largest term is exactly
    1, so the denominator lies in :math:`[1, m]`. Terms whose exponent is below about -745
    underflow to 0, which is the correctly rounded probability anyway. Eq. (13) holds for
    every :math:`r`, and :math:`r = 0` is just as safe whenever the unshifted sum :math:`Q` is
    finite and :math:`\\ge 1`: then no term overflowed and none that underflowed mattered. So
    the unshifted sum is tried first and the shift is applied only to blocks where that check
    fails; on well-scaled logits this saves the pass that finds the maximum, the subtraction,
    and one rounding.

    The probabilities are formed by dividing by the sum (as one multiplication by
    :math:`1/Q`), never as ``exp(z - logsumexp(z))``: the rounding error of ``logsumexp``
    (about :math:`\\epsilon |a|`) would become a relative error of :math:`\\epsilon |a|` in
    every probability. Rounding :math:`z_j - a` costs the small probabilities a relative error
    of up to :math:`|z_j - a|` units; use `log_softmax` when those matter.

    Non-finite logits: -inf is an impossible class (P = 0 exactly); classes at +inf share the
    probability equally; a nan makes its own slice nan.

    Examples
    --------
    >>> import numpy as np
    >>> z = np.array([1000.0, 999.0])
    >>> softmax_naive(z)  # exp(1000) overflows
    array([nan, nan])
    >>> softmax(z)  # the same as softmax([1, 0])
    array([0.73105858, 0.26894142])
    >>> softmax(np.array([[0.0, -np.inf], [np.inf, np.inf]]))  # impossible class; a tie at inf
    array([[1. , 0. ],
           [0.5, 0.5]])
    """
    x, axis, out = prepare(z, axis, out)
    x_rows = rows_of(x, axis)
    lead_shape = slice_shape(x, axis)

    def fill(out_rows):
        for rows in row_blocks(*x_rows.shape):
            _softmax_block(x_rows[rows], out_rows[rows], rows, lead_shape, axis)

    with np.errstate(all="ignore"):  # z - a may overflow to -inf, which exp maps to 0: harmless
        return write_rows(out, axis, fill)


def logsumexp(z, axis=-1, keepdims=False):
    """``log sum_j exp(z_j)`` -- the ``log Q`` of eq. (3) -- without overflow or lost digits.

    Parameters
    ----------
    z : array_like, shape (..., m, ...)
        Logits, the classes along `axis`.
    axis : int, default -1
        The axis to reduce.
    keepdims : bool, default False
        Keep the reduced axis with length 1 (handy for broadcasting against `z`).

    Returns
    -------
    log_Q : ndarray or numpy scalar, shape of `z` without `axis`
        float32 stays float32; integers become float64. A numpy scalar for 1-d input (unless
        `keepdims`).

    Raises
    ------
    ValueError
        If the class axis is empty or a slice has every logit at -inf.

    Notes
    -----
    With :math:`a = z_k = \\max_j z_j` and :math:`s = \\sum_{j \\ne k} e^{z_j - a}`,

    .. math:: \\log Q = a + \\log(1 + s) = a + \\operatorname{log1p}(s),

    where :math:`\\max_j z_j \\le \\log Q \\le \\max_j z_j + \\log m`. The exact 1 of the
    maximal term is kept out of the sum: ``log(1 + s)`` would round to 0 for any
    :math:`s < 2^{-53}`, while ``log1p(s)`` is accurate to the last bit. Where the rounding
    of :math:`z_j - a` could cost more than half a unit of :math:`u |\\log Q|`, it is added
    back (see `log_softmax`). Where numpy's rounding of the sum itself could (its error bound
    :math:`k u s` moves :math:`\\log Q` by up to :math:`k u s / (1 + s)`; many equal terms
    all round the same way), those rows are summed again with a compensated sum.

    The result is within 2 ulp of the exact value (tests/test_accuracy.py, against mpmath)
    wherever :math:`a + \\log(1 + s)` does not cancel: when :math:`a \\ge 0`, or when
    :math:`|\\log Q| \\ge |a| / 2`. Otherwise (:math:`a < 0` and :math:`\\log Q` much closer
    to 0) the bound is 2 ulp times the condition number :math:`\\sum_j P_j |z_j| / |\\log Q|`,
    which is what any algorithm in this precision can promise there.

    Examples
    --------
    >>> import numpy as np
    >>> z = np.array([0.0, -40.0])
    >>> float(np.log(np.sum(np.exp(z))))  # log(1 + 4.2e-18) rounds to log(1) = 0
    0.0
    >>> float(logsumexp(z))  # log1p keeps it
    4.248354255291589e-18
    >>> logsumexp(np.array([1000.0, 1000.0]))  # 1000 + log 2; the naive sum overflows
    np.float64(1000.6931471805599)
    """
    x = as_float_array(z, "z")
    axis = normalize_axis(x, axis, "z")
    x_rows = rows_of(x, axis)
    lead_shape = slice_shape(x, axis)
    with np.errstate(all="ignore"):  # z - a may overflow to -inf, which exp maps to 0: harmless
        max_z, log_norm, bad = _log_normalizer(x_rows, lead_shape, axis, for_logsumexp=True)
        log_q = max_z + log_norm
        if bad is not None:
            log_q[bad] = max_z[bad]  # +inf stays +inf, nan stays nan
    log_q = log_q.astype(x.dtype, copy=False).reshape(lead_shape)
    if keepdims:
        log_q = np.expand_dims(log_q, axis)
    return log_q[()]


def log_softmax(z, axis=-1, *, out=None):
    """``log P_j = z_j - log Q``, accurate on every entry, including the most probable one.

    Parameters
    ----------
    z : array_like, shape (..., m, ...)
        Logits, the classes along `axis`.
    axis : int, default -1
        The axis that holds the classes.
    out : ndarray, optional
        Where to write the result; must have the shape of `z` and the result dtype. May be `z`
        itself (in-place); otherwise `z` is never modified.

    Returns
    -------
    log_P : ndarray, same shape as `z`
        Log-probabilities, all <= 0. float32 stays float32; integers become float64. Finite
        wherever the exact value is representable; -inf for an impossible class.

    Raises
    ------
    ValueError
        If the class axis is empty or a slice has every logit at -inf.

    Notes
    -----
    With :math:`a = z_k = \\max_j z_j` and :math:`s = \\sum_{j \\ne k} e^{z_j - a}`,

    .. math:: \\log P_j = (z_j - a) - \\operatorname{log1p}(s).

    Both terms are :math:`\\le 0`, so they never cancel, and each entry has a small relative
    error (within 10 ulp, tests/test_accuracy.py, against mpmath). For the most probable class
    this is :math:`-\\operatorname{log1p}(s)`, which stays accurate when :math:`P_k` rounds to
    1; the usual ``z - a - log(sum(exp(z - a)))`` returns exactly 0 there, so the cost
    :math:`C_i = -\\log P_{y_i}` of a confident, correct prediction would vanish.

    That case needs one more step. When one class dominates, :math:`s` is made of terms
    :math:`e^{z_j - a}` with :math:`z_j - a` far below 0, and rounding :math:`z_j - a` (by up
    to :math:`u |z_j - a|`, :math:`u = 2^{-53}`) changes each term by that much *relatively*:
    up to 700 ulp at :math:`z_j - a = -700`. With :math:`d_j` the rounded difference and
    :math:`e_j` its rounding error, recovered exactly by Knuth's TwoSum,
    :math:`e^{d_j + e_j} = e^{d_j}(1 + e_j)` to first order, so
    :math:`s = \\sum_{j \\ne k} e^{d_j} + \\sum_{j \\ne k} e^{d_j} e_j`. The second sum costs
    five more passes over the data, so it is only computed where it could matter: it moves
    :math:`\\log(1 + s)` by at most :math:`u B / (1 + s)` with :math:`B = -\\sum_j e^{d_j} d_j`,
    and :math:`B / (1 + s) = H - \\log(1 + s) \\le \\frac{s}{1 + s}(\\ln(m - 1) - \\ln s)`,
    where :math:`H` is the entropy of :math:`P` (largest when the other classes share
    :math:`1 - P_k` equally). That bound clears most rows for free.

    Rows of more than 16 classes first try :math:`r = 0` of eq. (13) instead: with
    :math:`S = \\sum_{j \\ne k} e^{z_j}`, :math:`s = S e^{-a}`. The exponentials are of exact
    logits, so there is no :math:`z_j - a` to round and nothing to correct, and one pass over
    the data is saved. That is used only where nothing overflows and :math:`S` is far above
    the underflow threshold; other rows are shifted as above.

    Examples
    --------
    >>> import numpy as np
    >>> z = np.array([40.0, 0.0])
    >>> np.log(softmax(z))  # P_0 rounds to 1, so log P_0 = 0 exactly
    array([  0., -40.])
    >>> log_softmax(z)  # the true value, -exp(-40) to first order
    array([-4.24835426e-18, -4.00000000e+01])
    """
    x, axis, out = prepare(z, axis, out)
    x_rows = rows_of(x, axis)
    lead_shape = slice_shape(x, axis)

    def fill(out_rows):
        _log_normalizer(x_rows, lead_shape, axis, log_probs=out_rows)

    with np.errstate(all="ignore"):  # z - a may overflow to -inf: the exact value is below -max
        return write_rows(out, axis, fill)


def softmax_jacobian(z):
    """The Jacobian ``dP_i/dz_j = P_i (delta_ij - P_j)`` of the softmax of one example.

    Parameters
    ----------
    z : array_like, shape (m,)
        Logits of one example.

    Returns
    -------
    J : ndarray, shape (m, m)
        ``diag(P) - P P^T``: symmetric, every row and column sums to 0, and ``J @ v`` is the
        change of ``P`` for a small change ``v`` of the logits.

    Notes
    -----
    From :math:`P_i = e^{z_i}/Q` and :math:`\\partial Q/\\partial z_j = e^{z_j}`,

    .. math:: \\frac{\\partial P_i}{\\partial z_j}
              = \\frac{\\delta_{ij} e^{z_i} Q - e^{z_i} e^{z_j}}{Q^2}
              = P_i (\\delta_{ij} - P_j).

    Because the rows sum to 0, adding the same constant to every logit does not change
    :math:`P` (shift invariance, eq. (13)). Chained with :math:`\\partial C_i/\\partial P_j =
    -\\delta_{y_i j}/P_{y_i}` this gives the lecture's theorem :math:`P_j - \\delta_{y_i j}`.

    Examples
    --------
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


# --- softmax: the shift, and when it can be skipped ---


def _softmax_block(block, out_block, rows, lead_shape, axis):
    """Softmax of the rows of a 2-d block, written to `out_block` (which may be `block`)."""
    if block.shape[1] > 1 and _softmax_unshifted(block, out_block):
        return
    max_z = row_max(block)
    lowest, highest = np.minimum.reduce(max_z), np.maximum.reduce(max_z)  # nan if any is nan
    bad = (
        None
        if -np.inf < lowest and highest < np.inf
        else _flag_nonfinite(max_z, rows, lead_shape, axis)
    )
    limit = None if bad is None else _limit(block[bad], max_z[bad], log=False)
    # Eq. (13) holds for every r. r = -max z is always safe. r = 0 is safe too when every
    # 0 <= max z <= ln(largest float) - ln(m) - 1: no exp overflows, their sum does not, and
    # it is >= 1, so nothing that matters underflows. Then the subtraction is skipped: it would
    # cost one more pass over the data (and one more rounding).
    num_classes = block.shape[1]
    if num_classes == 1:  # a single class is certain: exactly 1 (not e^z / e^z, rounded)
        out_block[...] = 1.0
        if bad is not None:
            out_block[bad] = limit
        return
    highest_safe = _ln_largest(block.dtype) - math.log(num_classes) - 1
    shift = None if 0 <= lowest and highest <= highest_safe else max_z[:, np.newaxis]
    total = 0.0
    for cols in column_chunks(num_classes):  # long rows: chunks that stay in cache
        chunk = out_block[:, cols]
        if shift is None:
            np.exp(block[:, cols], out=chunk)
        else:
            np.subtract(block[:, cols], shift, out=chunk)
            np.exp(chunk, out=chunk)  # every exponent <= 0 and the largest term is exactly 1
        total = total + row_sum_fast(chunk)
    # one multiplication by 1/Q instead of m divisions: 3x faster, and at most 1 ulp more error
    np.multiply(out_block, (1 / total)[:, np.newaxis], out=out_block)
    if bad is not None:
        out_block[bad] = limit


def _softmax_unshifted(block, out_block):
    """Try eq. (13) with r = 0 first; return False (and leave garbage) if a row needs the shift.

    r = 0 is as accurate as the shift whenever every row's sum Q is finite (no term overflowed)
    and Q >= 1 (a term that underflowed would have had a probability below the smallest normal
    float anyway). Checking that afterwards instead of finding the maximum first saves a whole
    pass over the data on the common, well-scaled logits -- the max pass costs about as much as
    the multiplication by 1/Q. Rows that fail (huge or very negative logits, inf, nan) are redone
    by the caller with the maximum; in-place calls skip the attempt, which would overwrite z.
    """
    if np.may_share_memory(block, out_block):
        return False
    total = 0.0
    for cols in column_chunks(block.shape[1]):  # long rows: chunks that stay in cache
        chunk = out_block[:, cols]
        np.exp(block[:, cols], out=chunk)
        total = total + row_sum_fast(chunk)
    if not (np.all(total >= 1) and np.all(total < np.inf)):  # nan fails both comparisons
        return False
    np.multiply(out_block, (1 / total)[:, np.newaxis], out=out_block)
    return True


@functools.cache
def _ln_largest(dtype):
    """ln of the largest finite float of `dtype`: exp overflows above it (709.78 for float64)."""
    return float(np.log(np.finfo(dtype).max))


# --- log Q = a + log1p(s), with the rounding of z - a accounted for ---


def _log_normalizer(x_rows, lead_shape=(), axis=0, log_probs=None, for_logsumexp=False):
    """For every row: the maximum ``a`` and ``L = log1p(s) = log Q - a``; see `log_softmax`.

    Returns (max_z, log_norm, bad): arrays of shape (rows,) and the mask of rows whose maximum
    is +inf or nan (None if there are none). If `log_probs` (rows, m) is given, the
    log-probabilities ``(z - a) - L`` are written into it (it may be `x_rows` itself).
    """
    num_rows, num_cols = x_rows.shape
    itemsize = x_rows.dtype.itemsize
    largest_chunk = min(BLOCK, num_cols) * min(num_rows, max(1, BLOCK * 8 // itemsize // num_cols))
    buffers = _Buffers(largest_chunk, x_rows.dtype)
    fix_buffers = _Buffers(largest_chunk, x_rows.dtype)  # keeps `buffers` intact for the output
    max_all = np.empty(num_rows, x_rows.dtype)
    log_norm_all = np.empty(num_rows, x_rows.dtype)
    bad_all = None
    for rows in row_blocks(num_rows, num_cols, itemsize):
        block = x_rows[rows]
        if num_cols > SHORT:
            max_z, top = row_argmax(block)  # top: the one maximal class left out of the sum
        else:
            max_z, top = row_max(block), None  # short rows: a mask does it (_exp_below_max)
        bad = _flag_nonfinite(max_z, rows, lead_shape, axis)
        limit = None if bad is None or log_probs is None else _limit(block[bad], max_z[bad], True)
        shift = max_z[:, np.newaxis]
        # log_softmax of long rows: try exp(z) unshifted first; it needs no correction pass
        if not for_logsumexp and bad is None and top is not None and num_cols <= BLOCK:
            out_block = None if log_probs is None else log_probs[rows]
            spare = out_block is not None and not np.may_share_memory(out_block, block)
            terms = out_block if spare else buffers.view("terms", block.shape)  # less to cache
            log_norm = _log_norm_unshifted(block, max_z, top, terms)
            if log_norm is not None:
                max_all[rows] = max_z
                log_norm_all[rows] = log_norm
                if out_block is not None:
                    _write_log_probs(block, shift, None, log_norm, out_block)
                continue
        exact = for_logsumexp and num_cols > BLOCK  # long rows: compensate every sum at once
        total, spread, shifted, ties = _sum_terms(block, shift, top, buffers, exact)
        if for_logsumexp and not exact:  # where numpy's rounding of s could cost u/2 of a + L
            rough = _sum_is_rough(total, np.abs(max_z + np.log1p(total)) / 2, num_cols)
            if rough.size:  # the terms are still in the work array: sum them again, exactly
                total = total.astype(np.float64)  # keep the compensated digits for log1p
                terms = buffers.view("terms", block.shape)
                if rough.size < block.shape[0]:
                    terms = terms[rough]
                total[rough] = _compensated_row_sum(terms, total[rough], buffers)
                if ties is not None:  # the other tied maxima count 1 each
                    total[rough] += ties[rough]
        log_norm = np.log1p(total).astype(block.dtype)
        # The differences z_j - a are rounded. Where that could cost more than 4u of L
        # (log_softmax; u/2 of a + L for logsumexp), add the exact correction. Typical rows
        # skip it; a dominant class with close rivals needs it.
        tolerance = np.abs(max_z + log_norm) / 2 if for_logsumexp else 4 * log_norm
        fix = _needs_correction(total, log_norm, tolerance, num_cols, spread)
        if bad is not None:
            fix = fix[~bad[fix]]
        if fix.size:
            fix_top = None if top is None else top[fix]
            accurate = _accurate_total(block[fix], shift[fix], fix_top, fix_buffers, for_logsumexp)
            log_norm[fix] = np.log1p(accurate)  # from the float64 sum: one rounding to the dtype
        max_all[rows] = max_z
        log_norm_all[rows] = log_norm
        if bad is not None:
            bad_all = np.zeros(num_rows, dtype=bool) if bad_all is None else bad_all
            bad_all[rows] = bad
        if log_probs is not None:
            _write_log_probs(block, shift, shifted, log_norm, log_probs[rows])
            if bad is not None:
                log_probs[rows][bad] = limit
    return max_all, log_norm_all, bad_all


class _Buffers:
    """Work arrays of `size` elements, made on first use and reused for every chunk of a call."""

    def __init__(self, size, dtype):
        self.size, self.dtype, self.flat = size, dtype, {}

    def view(self, name, shape):
        """Work array `name` ("below" is boolean) as an array of `shape`."""
        if name not in self.flat:
            self.flat[name] = np.empty(self.size, bool if name == "below" else self.dtype)
        return self.flat[name][: shape[0] * shape[1]].reshape(shape)


def _sum_terms(block, shift, top, buffers, exact=False):
    """Per row: s = sum of exp(z_j - a) over every j but one maximal index (see `log_softmax`).

    Returns (s, spread, shifted, ties): ``spread(rows)`` gives B = -sum_j exp(z_j - a) (z_j - a)
    for those rows, which `_needs_correction` asks for only where its free bound does not
    settle it; `shifted` is z - a, still in a work array, if the rows fit in one chunk (else
    None); `ties` counts the other maximal classes left out of the terms (None if none), which
    s includes. With `exact`, every chunk is summed with `_compensated_row_sum` (s is float64).
    """
    rows, num_cols = block.shape
    total = np.zeros(rows, np.float64 if exact else block.dtype)
    compensation = np.zeros(rows) if exact else None
    weighted = np.zeros(rows, block.dtype)
    maxima = 0
    for cols in column_chunks(num_cols):  # long rows: chunks that stay in cache
        terms, shifted, n_max = _exp_below_max(block, cols, shift, top, buffers)
        if exact:  # chunk sums that are accurate, added up without losing their digits
            part = _compensated_row_sum(terms, None, buffers)
            total, compensation = _neumaier_add(total, compensation, part)
        else:
            total += row_sum(terms)
        maxima += n_max
        if num_cols > BLOCK:  # several chunks: B now, while the terms are at hand
            weighted -= row_dot(terms, shifted)
    if exact:
        total += compensation
    ties = None
    if maxima != rows:  # a tie for the maximum: the other tied classes count 1 each
        ties = np.count_nonzero(block == shift, axis=1) - 1.0
        total += ties
    if num_cols > BLOCK:
        return total, lambda suspect: weighted[suspect], None, ties

    def spread(suspect):  # one chunk: the terms are still in the work arrays
        if 8 * suspect.size > rows:  # many rows: all of them, rather than copy out a subset
            return -row_dot(terms, shifted)[suspect]
        return -row_dot(terms[suspect], shifted[suspect])

    return total, spread, shifted, ties


def _exp_below_max(block, cols, shift, top, buffers):
    """exp(z - a) of a chunk with the maximal entry left out; returns (terms, shifted, n_out).

    Long rows leave out column `top` of each row (one argmax per row). Short rows use a mask
    instead (numpy's argmax pays a per-row overhead): an entry equal to the maximum has
    z - a == 0 exactly (a difference of floats is 0 only if they are equal), so the mask
    z - a < 0 leaves out every tied maximum, and n_out counts how many that was.
    """
    x_chunk = block[:, cols]
    terms = buffers.view("terms", x_chunk.shape)
    shifted = buffers.view("shifted", x_chunk.shape)
    np.subtract(x_chunk, shift, out=shifted)
    np.exp(shifted, out=terms)
    if top is None:
        below = buffers.view("below", x_chunk.shape)
        np.less(shifted, 0, out=below)
        np.multiply(terms, below, out=terms)  # leave out the exact 1 of every maximal entry
        return terms, shifted, below.size - np.count_nonzero(below)
    if cols.start == 0 and cols.stop == block.shape[1]:  # the whole row: every maximum is here
        terms[np.arange(top.size), top] = 0.0  # leave out the exact 1 of the maximum
        return terms, shifted, top.size
    local = top - cols.start
    inside = np.flatnonzero((local >= 0) & (local < x_chunk.shape[1]))
    terms[inside, local[inside]] = 0.0
    return terms, shifted, inside.size


def _needs_correction(total, log_norm, tolerance, num_classes, spread):
    """Indices of the rows where rounding z_j - a might move L by more than `tolerance` u.

    Rounding z_j - a (an error of at most u |z_j - a|) moves s by at most u B, where
    B = -sum_j exp(z_j - a) (z_j - a), so it moves L by at most u B / (1 + s). With q the
    distribution exp(z_j - a) / (1 + s), B / (1 + s) = H(q) - L (H its entropy). The maximal
    class has q_k = 1 / (1 + s), and H is largest when the other m - 1 classes share the rest
    equally, which gives the free bound B / (1 + s) <= s / (1 + s) (ln(m - 1) - ln s). It
    clears most rows; the rest are checked with B itself.
    """
    if num_classes < 2:
        return np.flatnonzero(np.zeros(total.shape, bool))
    with np.errstate(divide="ignore"):  # s = 0 (one class holds everything): bound 0
        free = total / (1 + total) * (math.log(num_classes - 1) - np.log(total))
    suspect = np.flatnonzero(~((total == 0) | (free <= tolerance)))
    if suspect.size:
        weighted = spread(suspect)  # nan where a -inf logit gives 0 * -inf: then correct
        suspect = suspect[~(weighted <= tolerance[suspect] * (1 + total[suspect]))]
    return suspect


def _log_norm_unshifted(block, max_z, top, terms):
    """L = log1p(s) of each row from exp(z) itself (r = 0 in eq. (13)), or None if unsafe.

    With S = sum_{j != k} e^{z_j}, s = S e^{-a}. Every e^{z_j} is the exponential of an exact
    logit, so the rounding of z_j - a that `log_softmax` has to correct never happens, and
    the pass that forms z - a is saved. Safe (else None, and the caller shifts) when the
    largest maximum leaves room for m terms below the largest float, and every S is at least
    4 m times the smallest normal float: a term that underflows is off by at most u times
    that, which is then at most u/4 of S. `terms` is a work array of the shape of `block`.
    """
    num_cols = block.shape[1]
    if not np.maximum.reduce(max_z) <= _ln_largest(block.dtype) - math.log(num_cols) - 1:
        return None
    np.exp(block, out=terms)
    terms[np.arange(top.size), top] = 0.0  # leave out the maximal term e^a, as in the shift
    unscaled = row_sum(terms)
    if not np.minimum.reduce(unscaled) >= 4 * num_cols * np.finfo(block.dtype).tiny:
        return None
    total = unscaled.astype(np.float64) * np.exp(-max_z.astype(np.float64))
    return np.log1p(total).astype(block.dtype)


def _write_log_probs(block, shift, shifted, log_norm, out_block):
    """Write ``(z - a) - L`` into `out_block`; `shifted` is z - a if still at hand (else None)."""
    if shifted is not None:  # z - a is still in the work array: one pass
        np.subtract(shifted, log_norm[:, np.newaxis], out=out_block)
        return
    for cols in column_chunks(block.shape[1]):  # long rows: (z - a) - L again, chunk by chunk
        chunk = out_block[:, cols]
        np.subtract(block[:, cols], shift, out=chunk)
        np.subtract(chunk, log_norm[:, np.newaxis], out=chunk)


def _sum_is_rough(total, tolerance, num_classes):
    """Indices of the rows where the rounding of the sum s might move a + L by `tolerance` u.

    numpy sums m >= 0 terms with a relative error of at most k u (first order), k from
    `_sum_error_factor`; that moves L = log1p(s) by at most k u s / (1 + s).
    """
    bound = _sum_error_factor(num_classes) * total / (1 + total)
    return np.flatnonzero(~(bound <= tolerance))


@functools.cache
def _sum_error_factor(num_classes):
    """k with |fl(sum) - sum| <= k u sum for `row_sum` of m nonnegative terms (first order).

    Short rows are summed one after another (k = m - 1). numpy's pairwise sum adds blocks of
    at most 128 terms with 8 running sums (at most 16 terms each, then 3 levels joining them)
    and halves longer rows recursively (one level per halving).
    """
    if num_classes <= SHORT:
        return max(num_classes - 1, 0)
    levels = max(0, math.ceil(math.log2(num_classes / 128)))
    return math.ceil(min(num_classes, 128) / 8) + 3 + levels


def _accurate_total(block, shift, top, buffers, exact_sum):
    """Per row: s with the rounding of z_j - a accounted for (and, if `exact_sum`, the sum
    itself compensated): see `log_softmax` and `_compensated_row_sum`."""
    total = np.zeros(block.shape[0], np.float64)
    compensation = np.zeros_like(total)
    maxima = 0
    for cols in column_chunks(block.shape[1]):
        terms, shifted, n_max = _exp_below_max(block, cols, shift, top, buffers)
        maxima += n_max
        scratch = buffers.view("scratch", shifted.shape)
        error = buffers.view("error", shifted.shape)
        _subtraction_error(block[:, cols], shift, shifted, scratch, error)
        part = row_dot(terms, error)
        broken = np.flatnonzero(~np.isfinite(part))  # a -inf logit: its term 0 times nan
        if broken.size:
            error = np.nan_to_num(error[broken], nan=0.0, posinf=0.0, neginf=0.0)
            part[broken] = row_dot(terms[broken], error)
        part = part.astype(np.float64) + (
            _compensated_row_sum(terms, None, buffers)
            if exact_sum
            else row_sum(terms).astype(np.float64)
        )
        total, compensation = _neumaier_add(total, compensation, part)
    if maxima != block.shape[0]:  # a tie for the maximum: the other tied classes count 1 each
        total, compensation = _neumaier_add(
            total, compensation, np.count_nonzero(block == shift, axis=1) - 1.0
        )
    return total + compensation  # float64: log1p of it is then rounded once to the dtype


def _neumaier_add(total, compensation, part):
    """Add `part` to the running sums `total` with the exact rounding error kept aside."""
    new = total + part
    total_is_bigger = np.abs(total) >= np.abs(part)
    bigger = np.where(total_is_bigger, total, part)
    smaller = np.where(total_is_bigger, part, total)
    compensation = compensation + ((bigger - new) + smaller)
    return new, compensation


def _compensated_row_sum(terms, rough, buffers):
    """Per row, as float64: the sum of the nonnegative `terms` with a relative error ~ u.

    float32 terms are summed in float64, where m u_64 is far below a float32 ulp. float64
    terms are split exactly as t = hi + lo (Rump's ExtractScalar): with sigma a power of 2
    at least 2 (m + 2) max t, hi = (sigma + t) - sigma is a multiple of u sigma, so the sum of
    the hi parts is exact in any order, and the lo parts are below u sigma, so the error of
    their sum is of order m^2 u^2 max t. `rough` is any sum of the row at least its largest
    term (the plain sum, say), or None to compute it; `buffers` holds the work arrays.
    """
    if terms.dtype != np.float64:
        return np.add.reduce(terms, axis=1, dtype=np.float64)
    num_cols = terms.shape[1]
    if rough is None:  # the plain sum is >= max t (1 - m u): it bounds max t from above below
        rough = row_sum(terms)
    _, exponent = np.frexp(rough * (1 + 2.0**-40) * (2 * num_cols + 4))
    sigma = np.ldexp(1.0, exponent)[:, np.newaxis]  # a row of zeros: sigma 1, every part 0
    high = buffers.view("high", terms.shape)
    np.add(terms, sigma, out=high)
    np.subtract(high, sigma, out=high)
    low = buffers.view("low", terms.shape)
    np.subtract(terms, high, out=low)
    return row_sum(high) + row_sum(low)


def _subtraction_error(x, a, shifted, scratch, error):
    """Write into `error` the rounding error of ``shifted = fl(x - a)``: exactly x - a - shifted.

    Knuth's TwoSum, an error-free transformation in five more operations; `scratch` is a
    work array of the same shape.
    """
    np.subtract(shifted, x, out=scratch)  # the part of `shifted` that came from -a
    np.subtract(shifted, scratch, out=error)  # ... and the part that came from x
    np.subtract(x, error, out=error)  # what x lost
    np.add(scratch, a, out=scratch)  # what -a lost
    np.subtract(error, scratch, out=error)


# --- non-finite logits: impossible classes, limits, nan ---


def _flag_nonfinite(max_z, rows, lead_shape, axis):
    """Mask of the rows whose maximum is nan or +inf (None if all are finite).

    A row whose maximum is -inf has every logit at -inf: no class is possible, so this raises
    ValueError naming the slice. `rows` is the slice of row numbers that `max_z` covers.
    """
    finite = np.isfinite(max_z)
    if finite.all():
        return None
    impossible = np.flatnonzero(max_z == -np.inf)
    if impossible.size:
        name = _slice_name(rows.start + int(impossible[0]), lead_shape, axis)
        raise ValueError(f"every logit of {name} is -inf: no class is possible")
    return ~finite


def _slice_name(row, lead_shape, axis):
    """Name row `row` of the (rows, m) view as numpy indexing of z, e.g. ``z[2, :]``."""
    if not lead_shape:
        return "z"
    position = [str(int(i)) for i in np.unravel_index(row, lead_shape)]
    position.insert(axis, ":")
    return f"z[{', '.join(position)}]"


def _limit(rows, max_z, log):
    """Softmax (or log-softmax) of rows whose maximum is +inf or nan: the limit.

    Classes at +inf share the probability equally, every other class gets 0 (log: -inf);
    a row that contains nan is all nan.
    """
    at_inf = rows == np.inf
    count = np.sum(at_inf, axis=1, keepdims=True)
    with np.errstate(all="ignore"):  # a nan row has count 0; it is overwritten below
        limit = np.where(at_inf, -np.log(count), -np.inf) if log else at_inf / count
    limit[np.isnan(max_z)] = np.nan
    return limit
