"""The one-pass (online) softmax normaliser of Milakov and Gimelshein (2018), and its merge.

The safe softmax of eqs. (13)-(14) of Lecture 6 reads its logits three times: once for the
maximum ``a``, once for the normaliser ``Q = sum_j exp(z_j - a)``, once to write the outputs.
The online normaliser finds ``a`` and ``Q`` together in ONE read, by keeping a running maximum
``m`` and a normaliser ``d`` relative to it, and rescaling ``d`` whenever the maximum grows::

    m_new = max(m, z_j)
    d     = d * exp(m - m_new) + exp(z_j - m_new)

Read top to bottom:

1. `milakov_normalizer` -- that loop, one logit at a time, exactly as the paper writes it.
2. `NormalizerState`, `block_state`, `merge`, `finalize` -- the same idea for blocks of logits:
   the state of a block is a pair (here a triple, see below), and states merge associatively,
   so the blocks can be
   visited in any order and grouped in any way (the heart of blockwise attention kernels).
3. `online_logsumexp` and `online_softmax` -- streaming over blocks: one pass for the normaliser,
   one pass for the outputs.
4. `three_pass_softmax` -- the lecture's safe softmax, streamed over the same blocks, so the two
   can be compared pass for pass (`StreamCost` counts the passes, reads and exps).

Accuracy. The paper's pair ``(m, d)`` ends with ``log Q = m + log(d)``, and ``d`` lies in
``[1, n]``. When the other terms are small, ``d = 1 + s`` rounds to 1 and ``log(d)`` to 0: the
same loss of every digit that slip S9 of the lecture describes for ``log Q``. The state here
therefore keeps ``s = d - 1`` itself -- the sum of ``exp(z_j - m)`` over every logit seen EXCEPT
one copy of the maximum, whose term is exactly 1 -- and ends with ``m + log1p(s)``, as
`lib.softmax.logsumexp` does. The empty state (no logit yet, or only -inf logits) is
``m = -inf, s = -1``, so ``d = 1 + s = 0``: it is the identity of `merge`.

A long chain of merges (one logit at a time is n - 1 of them) adds n rounding errors to ``s``,
and when ``log Q`` is small that is up to n/2 ulp of the result. Each merge therefore also
carries the rounding errors of its additions and of its rescaling product (Knuth's TwoSum and
Dekker's TwoProduct, error-free transformations as in compensated summation) in a third number
``c``, so ``d = 1 + s + c``; the sum inside a block is `lib.error_free.accurate_sum` for the
same reason; and a small rescale factor is formed as ``1 + expm1(gap)``. With all three, every
split into blocks merged in any order stays within 2 ulp of the exact ``log Q`` (measured
against mpmath in tests/test_online.py).

Non-finite logits follow `lib.softmax`: -inf is an impossible class; logits at +inf share the
probability; a nan makes its slice nan; a slice with every logit at -inf has no distribution,
so `finalize`, `online_logsumexp` and `online_softmax` raise `ValueError` for it (its state is
still a valid state -- the identity -- and merges like one). No RuntimeWarning escapes.
"""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ._validation import as_float_array, check_positive_int, format_index, normalize_axis
from .error_free import accurate_sum, two_product, two_sum

__all__ = [
    "NormalizerState",
    "StreamCost",
    "milakov_normalizer",
    "empty_state",
    "block_state",
    "merge",
    "finalize",
    "online_logsumexp",
    "online_softmax",
    "three_pass_softmax",
]

DEFAULT_BLOCK_SIZE = 1024  # logits per block: a few pages of float64, small enough for L1/L2


def milakov_normalizer(z):
    """The online normaliser, one logit at a time, as Algorithm 3 of Milakov & Gimelshein writes it.

    Parameters
    ----------
    z : array_like, shape (n,)
        Logits of one example, finite.

    Returns
    -------
    m : float
        The maximum of `z`.
    d : float
        ``sum_j exp(z_j - m)``, found in the same single pass as `m`.

    Notes
    -----
    Starting from :math:`m_0 = -\\infty, d_0 = 0`, each logit updates

    .. math:: m_j = \\max(m_{j-1}, z_j), \\qquad
              d_j = d_{j-1} e^{m_{j-1} - m_j} + e^{z_j - m_j},

    and by induction :math:`d_j = \\sum_{i \\le j} e^{z_i - m_j}`. This is a teaching
    transcription (a Python loop, two exps per logit); `block_state` and `merge` are the fast,
    accurate form. ``log Q = m + log(d)`` loses every digit of the small terms once ``d``
    rounds to 1 -- see the example, and `finalize` for the cure.

    Examples
    --------
    >>> m, d = milakov_normalizer([1.0, 3.0, 2.0])
    >>> m, round(d, 12)
    (3.0, 1.503214724408)
    >>> m, d = milakov_normalizer([0.0, -40.0])
    >>> d  # 1 + 4.2e-18 rounds to 1, so m + log(d) = 0 instead of 4.2e-18
    1.0
    """
    x = as_float_array(z, "z")
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"milakov_normalizer takes a non-empty 1-d array of logits, got {x.shape}")
    if not np.isfinite(x).all():
        first = int(np.flatnonzero(~np.isfinite(x))[0])
        raise ValueError(f"milakov_normalizer needs finite logits, z[{first}] = {x[first]}")
    m_run, d_run = -np.inf, 0.0
    for value in x.tolist():
        m_new = max(m_run, value)
        # m_run = -inf only before the first logit, where d_run = 0: its term is 0, not nan
        rescale = 0.0 if m_run == -np.inf else float(np.exp(m_run - m_new))
        d_run = d_run * rescale + float(np.exp(value - m_new))
        m_run = m_new
    return m_run, d_run


class NormalizerState(NamedTuple):
    """What the online normaliser remembers about the logits it has seen (one per slice).

    Attributes
    ----------
    max_z : ndarray, shape (...)
        The running maximum ``m`` (-inf before any finite logit).
    tail : ndarray, shape (...)
        ``s = sum exp(z_j - m)`` over the logits seen, leaving out one copy of the maximum; the
        paper's normaliser is ``d = 1 + s + c``. -1 for the empty state (``d = 0``).
    tail_error : ndarray, shape (...)
        ``c``, the rounding errors of the additions that formed ``s`` (0 for one block), so
        that ``s + c`` is the tail to about one rounding whatever the order of the merges.
    """

    max_z: np.ndarray
    tail: np.ndarray
    tail_error: np.ndarray


@dataclass
class StreamCost:
    """Counts of the work a streaming softmax did, filled in as it runs.

    Attributes
    ----------
    passes : int
        Sweeps over the logits (each reads every logit once).
    elements_read : int
        Logits read, over all passes.
    exps : int
        Elements passed to ``exp`` (including one rescale per slice and block).
    elements_written : int
        Outputs written.
    """

    passes: int = 0
    elements_read: int = 0
    exps: int = 0
    elements_written: int = 0


def empty_state(shape=(), dtype=np.float64):
    """The state of no logits: ``m = -inf, s = -1, c = 0`` (so ``d = 0``), the identity of `merge`.

    Parameters
    ----------
    shape : tuple of int, default ()
        One state per slice.
    dtype : numpy float dtype, default float64

    Returns
    -------
    NormalizerState

    Examples
    --------
    >>> empty_state()
    NormalizerState(max_z=array(-inf), tail=array(-1.), tail_error=array(0.))
    """
    return NormalizerState(
        np.full(shape, -np.inf, dtype=dtype),
        np.full(shape, -1.0, dtype=dtype),
        np.zeros(shape, dtype=dtype),
    )


def _shift(x, max_z):
    """``x - max_z`` with 0 where the two are equal (so +inf - +inf gives exp 1, not nan)."""
    shifted = x - max_z
    if not np.isfinite(max_z).all():  # fast path: with finite maxima no entry can be nan
        shifted[x == max_z] = 0.0
    return shifted


def block_state(z, axis=-1):
    """The normaliser state of one block of logits (every logit of each slice along `axis`).

    Parameters
    ----------
    z : array_like, shape (..., k, ...)
        Logits, the block along `axis`. The block may be empty (``k = 0``).
    axis : int, default -1

    Returns
    -------
    NormalizerState
        Arrays of the shape of `z` without `axis`.

    Notes
    -----
    With :math:`m = z_k = \\max_j z_j` (``k`` the first maximal index),
    :math:`s = \\sum_{j \\ne k} e^{z_j - m}`, summed by `lib.error_free.accurate_sum`, whose
    second part is returned as ``c``. A slice whose logits are all -inf (or that has none) gets
    the empty state ``(-inf, -1, 0)``.

    Examples
    --------
    >>> import numpy as np
    >>> block_state(np.array([0.0, -40.0]))  # s keeps the 4.2e-18 that 1 + s would lose
    NormalizerState(max_z=array(0.), tail=array(4.24835426e-18), tail_error=array(0.))
    >>> block_state(np.array([-np.inf, -np.inf]))  # the empty state
    NormalizerState(max_z=array(-inf), tail=array(-1.), tail_error=array(0.))
    """
    x = as_float_array(z, "z")
    if x.ndim == 0:
        raise ValueError("z must have at least one dimension (the block), got a scalar")
    if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
        raise ValueError(f"axis must be an integer, got {axis!r}")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"axis={axis} is out of range for z with shape {x.shape}")
    x = np.moveaxis(x, axis, -1)
    if x.shape[-1] == 0:
        return empty_state(x.shape[:-1], x.dtype)
    with np.errstate(all="ignore"):  # x - m underflowing to -inf is harmless: exp gives 0
        k = np.argmax(x, axis=-1, keepdims=True)  # first nan if any, else first maximum
        max_z = np.take_along_axis(x, k, axis=-1)
        terms = np.exp(_shift(x, max_z))
        np.put_along_axis(terms, k, 0.0, axis=-1)  # the exact 1 of the maximum stays out
        tail, tail_error = accurate_sum(terms)
    max_z = max_z[..., 0]
    empty = max_z == -np.inf
    tail = np.where(empty, -1.0, tail).astype(x.dtype, copy=False)
    tail_error = np.where(empty, 0.0, tail_error).astype(x.dtype, copy=False)
    return NormalizerState(max_z, tail, tail_error)


def merge(first, second):
    """Combine the states of two disjoint sets of logits into the state of their union.

    Parameters
    ----------
    first, second : NormalizerState
        States of broadcastable shapes (one per slice).

    Returns
    -------
    NormalizerState

    Notes
    -----
    With :math:`M = \\max(m_1, m_2)` and :math:`d_i = 1 + s_i`, the union has normaliser
    :math:`d = d_1 e^{m_1 - M} + d_2 e^{m_2 - M}`. In tail form, if state 1 holds the maximum
    (:math:`m_1 \\ge m_2`) its left-out 1 stays left out and

    .. math:: s = s_1 + (1 + s_2)\\, e^{m_2 - m_1},

    with :math:`e^{m_2 - m_1}` taken as exactly 1 when :math:`m_1 = m_2` (so neither
    :math:`-\\infty - (-\\infty)` nor :math:`\\infty - \\infty` ever makes a nan). The empty
    state ``(-inf, -1, 0)`` contributes ``(1 - 1) * scale = 0``: it is the identity. The two
    additions go through TwoSum and the rescaling product through TwoProduct; their rounding
    errors (with the rescaled ``c_2``) are added to ``c = c_1 + ...``, so the order of the
    merges does not accumulate error in ``s + c``. The rescale factor itself is formed as
    ``1 + expm1(m_2 - m_1)`` when the gap is small (above ``-log 2``), so a stream whose maximum
    creeps up at every step does not repeat the rounding of ``exp`` near 1; a larger gap at
    least halves the old sum, so the rounding of its ``exp`` fades geometrically.
    The merge is commutative, and associative in exact arithmetic; in floating point every
    grouping gives ``log Q`` within 2 ulp of the exact value (tested against mpmath).

    Examples
    --------
    >>> import numpy as np
    >>> left = block_state(np.array([1.0, 2.0]))
    >>> right = block_state(np.array([3.0]))
    >>> both = merge(left, right)
    >>> float(finalize(both)), float(np.log(np.sum(np.exp([1.0, 2.0, 3.0]))))
    (3.40760596444438, 3.40760596444438)
    >>> merge(left, empty_state()) == left
    True
    """
    m1, s1, c1 = (np.asarray(part) for part in first)
    m2, s2, c2 = (np.asarray(part) for part in second)
    first_holds_max = m1 >= m2  # False when either is nan; the nan then reaches the result

    def pick(if_first, if_second):
        return np.where(first_holds_max, if_first, if_second)

    hi_m, hi_s, hi_c = pick(m1, m2), pick(s1, s2), pick(c1, c2)
    lo_m, lo_s, lo_c = pick(m2, m1), pick(s2, s1), pick(c2, c1)
    with np.errstate(all="ignore"):
        gap = np.subtract(lo_m, hi_m, out=np.zeros_like(hi_m), where=lo_m != hi_m)
        scale = np.exp(gap)
        # A small gap (a new maximum just above the old one) rescales by 1 + expm1(gap): the
        # rounding of exp(gap) near 1 would otherwise be repeated at every step of a slowly
        # rising stream. A large gap shrinks the old sum at least by half, so its rounding fades.
        near = gap > -np.log(2.0)
        factor = np.where(near, np.expm1(gap), scale)
        lo_d, lo_d_error = two_sum(1.0, lo_s)  # d_2 = 1 + s_2 exactly, as a pair
        base = np.where(near, lo_d, 0.0)
        product, product_error = two_product(lo_d, factor)  # d_2 e^{gap} = base + product
        partial, first_error = two_sum(hi_s, base)
        tail, tail_error = two_sum(partial, product)
        tail_error += hi_c + first_error + product_error + (lo_d_error + lo_c) * scale
    return NormalizerState(np.maximum(m1, m2), tail, tail_error)


def _raise_if_impossible(max_z):
    """The ValueError of `lib.softmax` for slices whose logits are all -inf (or absent)."""
    impossible = np.asarray(max_z == -np.inf)
    if impossible.any():
        if impossible.ndim == 0:
            where = "every logit of z is -inf"
        else:
            first = format_index(int(np.flatnonzero(impossible)[0]), impossible.shape)
            where = f"every logit of slice [{first}] of z is -inf"
        raise ValueError(f"{where}: no class is possible, so there is no distribution")


def finalize(state):
    """``log Q = m + log1p(s + c)`` from a normaliser state.

    Parameters
    ----------
    state : NormalizerState

    Returns
    -------
    log_Q : ndarray or numpy scalar, the shape of the state

    Raises
    ------
    ValueError
        If a slice is in the empty state (no logits, or all -inf): ``log 0`` is no distribution.

    Notes
    -----
    :math:`\\log Q = m + \\log d = m + \\operatorname{log1p}(s + c)`. Keeping :math:`s` instead
    of :math:`d = 1 + s` is what makes this as accurate as `lib.softmax.logsumexp`: ``log(d)``
    rounds to 0 for any :math:`s < 2^{-53}`.

    Examples
    --------
    >>> import numpy as np
    >>> m, d = milakov_normalizer([0.0, -40.0])
    >>> float(m + np.log(d))  # the paper's pair: every digit lost
    0.0
    >>> float(finalize(block_state([0.0, -40.0])))  # the tail form keeps them
    4.248354255291589e-18
    """
    max_z = np.asarray(state.max_z)
    _raise_if_impossible(max_z)
    with np.errstate(all="ignore"):
        log_q = np.where(np.isfinite(max_z), max_z + np.log1p(state.tail + state.tail_error), max_z)
    return log_q[()]


def _as_slices(z, axis):
    """Validate `z` and return it with the class axis moved last, plus the normalised axis."""
    x = as_float_array(z, "z")
    axis = normalize_axis(x, axis, "z")
    return np.moveaxis(x, axis, -1), axis


def _check_block_size(block_size):
    return check_positive_int(block_size, "block_size")


def _normalizer_pass(x, block_size, cost):
    """One read of `x` (classes last) in blocks: the state of every slice."""
    state = empty_state(x.shape[:-1], x.dtype)
    for start in range(0, x.shape[-1], block_size):
        block = x[..., start : start + block_size]
        state = merge(state, block_state(block))
        if cost is not None:
            cost.elements_read += block.size
            cost.exps += block.size + state.max_z.size  # the block's terms + one rescale
    if cost is not None:
        cost.passes += 1
    return state


def online_logsumexp(z, axis=-1, *, block_size=DEFAULT_BLOCK_SIZE, cost=None):
    """``log Q`` in ONE read of the logits, block by block (the online normaliser).

    Parameters
    ----------
    z : array_like, shape (..., m, ...)
        Logits, the classes along `axis`.
    axis : int, default -1
    block_size : int, default 1024
        Logits per block and slice; any value gives the same result to within a few ulp.
    cost : StreamCost, optional
        If given, incremented with the passes, reads and exps done.

    Returns
    -------
    log_Q : ndarray or numpy scalar, shape of `z` without `axis`

    Raises
    ------
    ValueError
        If the class axis is empty or a slice has every logit at -inf.

    See Also
    --------
    lib.softmax.logsumexp : the same value from the whole slice at once (two reads).

    Notes
    -----
    The state starts empty and each block is merged into it (`block_state`, `merge`);
    the result is `finalize` of the last state: within 2 ulp of the exact ``log Q`` for any
    `block_size` when ``max z >= 0`` (measured against mpmath in tests/test_online.py). With
    every logit negative, ``m + log1p(s)`` can cancel, and the bound is 2 ulp of the larger of
    the two parts.

    Examples
    --------
    >>> import numpy as np
    >>> z = np.array([1000.0, 999.0, -np.inf, 998.0])
    >>> float(online_logsumexp(z, block_size=2))  # the naive sum of exps overflows
    1000.4076059644444
    """
    x, _ = _as_slices(z, axis)
    block_size = _check_block_size(block_size)
    return finalize(_normalizer_pass(x, block_size, cost))


def online_softmax(z, axis=-1, *, block_size=DEFAULT_BLOCK_SIZE, cost=None):
    """Softmax in TWO reads of the logits: the online normaliser, then the outputs.

    Parameters
    ----------
    z : array_like, shape (..., m, ...)
        Logits, the classes along `axis`. 2-d input is processed row by row, all rows at once
        (the blocks run along the classes).
    axis : int, default -1
    block_size : int, default 1024
        Logits per block and slice.
    cost : StreamCost, optional
        If given, incremented with the passes, reads, exps and writes done.

    Returns
    -------
    P : ndarray, same shape as `z`
        Probabilities, each within 3 ulp of the exact value (tested against mpmath).

    Raises
    ------
    ValueError
        If the class axis is empty or a slice has every logit at -inf.

    See Also
    --------
    three_pass_softmax : the lecture's safe softmax, streamed (three reads).

    Notes
    -----
    Pass 1 finds :math:`m = \\max_j z_j` and :math:`d = 1 + s = \\sum_j e^{z_j - m}` together
    (`online_logsumexp`); pass 2 writes :math:`P_j = e^{z_j - m} / d`. Each logit is read twice
    and exponentiated twice, plus one rescale per block: the safe softmax of eq. (14) reads it
    three times for the same number of exps. The subtraction :math:`z_j - m` is rounded by up
    to :math:`u |z_j - m|`, which ``exp`` turns into a relative error of the same size (hundreds
    of ulp for a class 600 below the maximum); TwoSum gives that rounding error
    :math:`\\delta` exactly and the output is multiplied by :math:`1 + \\delta`.

    Examples
    --------
    >>> import numpy as np
    >>> online_softmax(np.array([1000.0, 999.0]), block_size=1)  # exp(1000) never formed
    array([0.73105858, 0.26894142])
    >>> online_softmax(np.array([[0.0, -np.inf, 0.0], [np.inf, 1.0, np.inf]]), block_size=2)
    array([[0.5, 0. , 0.5],
           [0.5, 0. , 0.5]])
    """
    x, axis = _as_slices(z, axis)
    block_size = _check_block_size(block_size)
    state = _normalizer_pass(x, block_size, cost)
    _raise_if_impossible(state.max_z)
    max_z = state.max_z[..., np.newaxis]
    normalizer = (1.0 + state.tail + state.tail_error)[..., np.newaxis]
    probs = np.empty_like(x)
    with np.errstate(all="ignore"):
        for start in range(0, x.shape[-1], block_size):
            block = x[..., start : start + block_size]
            shifted = _shift(block, max_z)
            # z - m is rounded, and exp turns an absolute error of u|z - m| into a relative one
            # (hundreds of ulp for a class far below the maximum); TwoSum gives the error
            # exactly, and e^(shifted + error) = e^shifted (1 + error) to first order.
            _, lost = two_sum(block, -max_z)
            lost[~np.isfinite(lost)] = 0.0  # -inf logits, infinite maxima: nothing was rounded
            terms = np.exp(shifted)
            terms += terms * lost
            np.divide(terms, normalizer, out=probs[..., start : start + block_size])
            if cost is not None:
                cost.elements_read += block.size
                cost.exps += block.size
                cost.elements_written += block.size
    if cost is not None:
        cost.passes += 1
    return np.moveaxis(probs, -1, axis)


def three_pass_softmax(z, axis=-1, *, block_size=DEFAULT_BLOCK_SIZE, cost=None):
    """The safe softmax of eqs. (13)-(14), streamed over blocks: max, then sum, then outputs.

    Parameters
    ----------
    z : array_like, shape (..., m, ...)
        Logits, the classes along `axis`.
    axis : int, default -1
    block_size : int, default 1024
    cost : StreamCost, optional
        If given, incremented with the passes, reads, exps and writes done.

    Returns
    -------
    P : ndarray, same shape as `z`

    Raises
    ------
    ValueError
        If the class axis is empty or a slice has every logit at -inf.

    Notes
    -----
    Pass 1: :math:`a = \\max_j z_j`. Pass 2: :math:`Q' = \\sum_j e^{z_j - a}`. Pass 3:
    :math:`P_j = e^{z_j - a}/Q'`: the shift and division of eq. (14) as the lecture writes
    them, organised as three reads of the logits so that it can be compared with
    `online_softmax` block for block (`lib.softmax.softmax` is the same computation on the
    whole slice at once; its sum is grouped differently, so its last bits can differ).
    Like eq. (14) as written, it does not correct the rounding of :math:`z_j - a`, so a class far
    below the maximum has an error of up to about :math:`|z_j - a|` ulp.

    Examples
    --------
    >>> import numpy as np
    >>> cost = StreamCost()
    >>> three_pass_softmax(np.array([1000.0, 999.0]), block_size=1, cost=cost)
    array([0.73105858, 0.26894142])
    >>> cost
    StreamCost(passes=3, elements_read=6, exps=4, elements_written=2)
    """
    x, axis = _as_slices(z, axis)
    block_size = _check_block_size(block_size)
    cost = StreamCost() if cost is None else cost
    blocks = [slice(start, start + block_size) for start in range(0, x.shape[-1], block_size)]
    max_z = np.full(x.shape[:-1] + (1,), -np.inf, dtype=x.dtype)
    for cols in blocks:  # pass 1: the maximum
        np.maximum(max_z, np.max(x[..., cols], axis=-1, keepdims=True), out=max_z)
        cost.elements_read += x[..., cols].size
    cost.passes += 1
    _raise_if_impossible(max_z[..., 0])
    normalizer = np.zeros_like(max_z)
    probs = np.empty_like(x)
    with np.errstate(all="ignore"):
        for cols in blocks:  # pass 2: the normaliser
            normalizer += np.sum(np.exp(_shift(x[..., cols], max_z)), axis=-1, keepdims=True)
            cost.elements_read += x[..., cols].size
            cost.exps += x[..., cols].size
        cost.passes += 1
        for cols in blocks:  # pass 3: the outputs
            np.divide(np.exp(_shift(x[..., cols], max_z)), normalizer, out=probs[..., cols])
            cost.elements_read += x[..., cols].size
            cost.exps += x[..., cols].size
            cost.elements_written += x[..., cols].size
        cost.passes += 1
    return np.moveaxis(probs, -1, axis)
