"""The softmax layer, eqs. (2)-(3) and (13)-(14) of Lecture 6, computed so that it cannot overflow.

Read top to bottom:

1. `softmax_naive` -- the textbook formula ``exp(z) / sum(exp(z))``, kept to show how it fails.
2. `softmax` -- the same probabilities after the shift ``r = -max(z)`` of eq. (14).
3. `logsumexp` -- ``log Q`` of eq. (3), the quantity the cost (8) needs, in log-space.
4. `log_softmax` -- ``log P_j = z_j - log Q`` without ever forming ``P_j``.
5. `softmax_jacobian` -- ``dP/dz = diag(P) - P P^T`` for one example.

Symbols follow the lecture: ``z`` are the logits of the last layer, ``P`` the probabilities and
``Q`` their normaliser. The classes lie along ``axis`` (the last one unless you say otherwise).

The two ideas that make this module accurate, not only free of overflow:

* Shift by the maximum ``a = max_j z_j``. Every shifted exponent ``z_j - a`` is <= 0, so no
  term overflows, and the largest term is exactly ``exp(0) = 1``, so the shifted sum is >= 1
  and cannot underflow to 0 either.
* Keep that exact 1 out of the sum: with ``s = sum over j != k of exp(z_j - a)`` (``k`` the index
  of the maximum), ``log Q = a + log1p(s)``. Adding the 1 first and taking ``log`` rounds
  ``log(1 + s)`` to 0 whenever ``s`` is below the float64 epsilon, which throws away the whole
  answer for a confident prediction (slip S9 of the lecture).

Non-finite input has a meaning here: a logit of -inf is a class that is impossible (its
probability is exactly 0); classes at +inf share the probability equally (the limit); a nan
makes its own slice nan and no other; a slice in which every logit is -inf has no possible
class and raises `ValueError`. No function in this module lets a numpy RuntimeWarning escape.
"""

import numpy as np

from ._rows import BLOCK, as_rows, column_chunks, row_argmax, row_blocks, row_dot, row_max, row_sum
from ._validation import as_float_array, check_out, normalize_axis

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


def _slice_name(row, lead_shape, axis):
    """Name row `row` of the (rows, m) view as numpy indexing of z, e.g. ``z[2, :]``."""
    if not lead_shape:
        return "z"
    position = [str(int(i)) for i in np.unravel_index(row, lead_shape)]
    position.insert(axis, ":")
    return f"z[{', '.join(position)}]"


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


def _prepare(z, axis, out):
    """Check the input; return (x, axis, out) with `out` allocated or checked.

    If a user-supplied `out` overlaps `z` without being the same array (in-place is fine),
    `z` is copied first, so that writing a block of `out` cannot change unread input.
    """
    x = as_float_array(z, "z")
    axis = normalize_axis(x, axis, "z")
    if out is None:
        return x, axis, np.empty_like(x)
    check_out(out, x.shape, x.dtype)
    same = x.ctypes.data == out.ctypes.data and x.strides == out.strides
    if not same and np.may_share_memory(x, out):
        x = x.copy()
    return x, axis, out


def _rows_of(array, axis):
    """(rows, m) view of `array` with the classes along `axis`, or a copy if no view exists."""
    rows = as_rows(array, axis)
    if rows is None:
        rows = np.ascontiguousarray(np.moveaxis(array, axis, -1)).reshape(-1, array.shape[axis])
    return rows


def _slice_shape(array, axis):
    """The shape of `array` without `axis`: one entry per slice."""
    return array.shape[:axis] + array.shape[axis + 1 :]


def _write_rows(out, axis, fill):
    """Call ``fill(out_rows)`` on a (rows, m) view of `out` (or a buffer copied into it)."""
    out_rows = as_rows(out, axis)
    if out_rows is not None:
        fill(out_rows)
        return out
    moved = np.moveaxis(out, axis, -1)
    buffer = np.empty((moved.size // moved.shape[-1], moved.shape[-1]), dtype=out.dtype)
    fill(buffer)
    moved[...] = buffer.reshape(moved.shape)
    return out


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
    underflow to 0, which is the correctly rounded probability anyway. The probabilities are
    formed by dividing by the sum, never as ``exp(z - logsumexp(z))``: the rounding error of
    ``logsumexp`` (about :math:`\\epsilon |a|`) would be multiplied by ``exp`` into a relative
    error of :math:`\\epsilon |a|` in every probability.

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
    x, axis, out = _prepare(z, axis, out)
    x_rows = _rows_of(x, axis)
    lead_shape = _slice_shape(x, axis)

    def fill(out_rows):
        for rows in row_blocks(*x_rows.shape):
            _softmax_block(x_rows[rows], out_rows[rows], rows, lead_shape, axis)

    with np.errstate(all="ignore"):  # z - a may overflow to -inf, which exp maps to 0: harmless
        return _write_rows(out, axis, fill)


def _softmax_block(block, out_block, rows, lead_shape, axis):
    """Softmax of the rows of a 2-d block, written to `out_block` (which may be `block`)."""
    max_z = row_max(block)
    bad = _flag_nonfinite(max_z, rows, lead_shape, axis)
    limit = None if bad is None else _limit(block[bad], max_z[bad], log=False)
    total = 0.0
    shift = max_z[:, np.newaxis]
    for cols in column_chunks(block.shape[1]):  # long rows: chunks that stay in cache
        chunk = out_block[:, cols]
        np.subtract(block[:, cols], shift, out=chunk)
        np.exp(chunk, out=chunk)  # every exponent <= 0 and the largest term is exactly 1
        total = total + row_sum(chunk)
    np.divide(out_block, total[:, np.newaxis], out=out_block)
    if bad is not None:
        out_block[bad] = limit


def _subtraction_error(x, a, shifted, scratch, error):
    """Write into `error` the rounding error of ``shifted = fl(x - a)``: exactly x - a - shifted.

    Knuth's TwoSum, an error-free transformation in five more operations; `scratch` is a
    work array. Without it, ``exp(z_j - a)`` of a term 700 below the maximum carries the
    rounding error of the subtraction (up to 700 ulp of the result of log_softmax).
    """
    np.subtract(shifted, x, out=scratch)  # the part of `shifted` that came from -a
    np.subtract(shifted, scratch, out=error)  # ... and the part that came from x
    np.subtract(x, error, out=error)  # what x lost
    np.add(scratch, a, out=scratch)  # what -a lost
    np.subtract(error, scratch, out=error)


def _log_normalizer(x_rows, lead_shape=(), axis=0, log_probs=None):
    """For every row: the maximum ``a`` and ``L = log1p(s) = log Q - a``; see the module notes.

    Returns (max_z, log_norm, bad): arrays of shape (rows,) in the working dtype (float64 for
    float32 input, whose exponentials are summed in float64) and the mask of rows whose maximum
    is +inf or nan (None if there are none). If `log_probs` (rows, m) is given, the
    log-probabilities ``(z - a) - L`` are written into it (it may be `x_rows` itself).
    """
    num_rows, num_cols = x_rows.shape
    widen = x_rows.dtype == np.float32  # float32: every step in float64, so no TwoSum needed
    work_dtype = np.float64 if widen else x_rows.dtype
    size = min(BLOCK, num_rows * num_cols)
    shifted_buffer, terms_buffer, error_buffer = (np.empty(size, work_dtype) for _ in range(3))
    max_all = np.empty(num_rows, work_dtype)
    log_norm_all = np.empty(num_rows, work_dtype)
    bad_all = None
    for rows in row_blocks(num_rows, num_cols):
        block = x_rows[rows]
        n_block = block.shape[0]
        max_z, top = row_argmax(block)  # top: the one maximal class left out of the sum
        bad = _flag_nonfinite(max_z, rows, lead_shape, axis)
        shift = max_z.astype(work_dtype)[:, np.newaxis]
        total = np.zeros(n_block, work_dtype)
        for cols in column_chunks(num_cols):
            x_chunk = block[:, cols]
            shape = x_chunk.shape
            shifted = shifted_buffer[: x_chunk.size].reshape(shape)
            terms = terms_buffer[: x_chunk.size].reshape(shape)
            np.subtract(x_chunk, shift, out=shifted)
            if not widen:
                error = error_buffer[: x_chunk.size].reshape(shape)
                _subtraction_error(x_chunk, shift, shifted, terms, error)
            np.exp(shifted, out=terms)
            local = top - cols.start
            inside = np.flatnonzero((local >= 0) & (local < shape[1]))
            terms[inside, local[inside]] = 0.0  # leave out the exact 1 of the maximum
            total += row_sum(terms)
            if not widen:  # exp(d + e) = exp(d) (1 + e) to first order in the tiny e
                correction = row_dot(terms, error)
                broken = ~np.isfinite(correction)  # a -inf logit: 0 * nan; that term is 0
                if broken.any():
                    safe_error = np.nan_to_num(error[broken], nan=0.0, posinf=0.0, neginf=0.0)
                    correction[broken] = row_dot(terms[broken], safe_error)
                total += correction
        log_norm = np.log1p(total)
        max_all[rows] = max_z
        log_norm_all[rows] = log_norm
        if bad is not None:
            bad_all = np.zeros(num_rows, dtype=bool) if bad_all is None else bad_all
            bad_all[rows] = bad
        if log_probs is not None:
            limit = None if bad is None else _limit(block[bad], max_z[bad], log=True)
            out_block = log_probs[rows]
            for cols in column_chunks(num_cols):  # (z - a) - L, rounded once
                shifted = shifted_buffer[: n_block * (cols.stop - cols.start)]
                shifted = shifted.reshape(n_block, -1)
                np.subtract(block[:, cols], shift, out=shifted)
                np.subtract(shifted, log_norm[:, np.newaxis], out=out_block[:, cols])
            if bad is not None:
                out_block[bad] = limit
    return max_all, log_norm_all, bad_all


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
    :math:`s < 2^{-53}`, while ``log1p(s)`` is accurate to the last bit. The result is within
    2 ulp of the exact value (measured against mpmath) whenever the sum does not cancel, that
    is, unless the maximum is negative and ``log Q`` is much closer to 0 than it is.

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
    x_rows = _rows_of(x, axis)
    lead_shape = _slice_shape(x, axis)
    with np.errstate(all="ignore"):  # z - a may overflow to -inf, which exp maps to 0: harmless
        max_z, log_norm, bad = _log_normalizer(x_rows, lead_shape, axis)
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
    error (within 10 ulp, measured against mpmath). For the most probable class this is
    :math:`-\\operatorname{log1p}(s)`, which stays accurate when :math:`P_k` rounds to 1; the
    usual ``z - a - log(sum(exp(z - a)))`` returns exactly 0 there, so the cost
    :math:`C_i = -\\log P_{y_i}` of a confident, correct prediction would vanish.

    Examples
    --------
    >>> import numpy as np
    >>> z = np.array([40.0, 0.0])
    >>> np.log(softmax(z))  # P_0 rounds to 1, so log P_0 = 0 exactly
    array([  0., -40.])
    >>> log_softmax(z)  # the true value, -exp(-40) to first order
    array([-4.24835426e-18, -4.00000000e+01])
    """
    x, axis, out = _prepare(z, axis, out)
    x_rows = _rows_of(x, axis)
    lead_shape = _slice_shape(x, axis)

    def fill(out_rows):
        _log_normalizer(x_rows, lead_shape, axis, log_probs=out_rows)

    with np.errstate(all="ignore"):  # z - a may overflow to -inf: the exact value is below -max
        return _write_rows(out, axis, fill)


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
    return np.diag(probs) - np.outer(probs, probs)
