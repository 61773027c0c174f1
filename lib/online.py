"""The one-pass (online) softmax normaliser of Milakov and Gimelshein (2018), and its merge.

The safe softmax of eq. (14) reads its logits three times (maximum, sum, outputs). The online
normaliser finds ``a`` and ``Q`` in ONE read, rescaling the sum whenever the maximum grows::

    m_new = max(m, z_j)
    d     = d * exp(m - m_new) + exp(z_j - m_new)

1. `milakov_normalizer` -- that loop, one logit at a time, as the paper writes it.
2. `NormalizerState`, `block_state`, `merge`, `finalize` -- the same for blocks: states merge
   associatively, so blocks can be visited in any order and grouping (as in blockwise attention).
3. `online_logsumexp`, `online_softmax` -- streaming: one pass for the normaliser, one for outputs.
4. `three_pass_softmax` -- eq. (14) streamed over the same blocks (`StreamCost` counts the work).

Accuracy: ``log(d)`` with ``d = 1 + s`` rounds to 0 when ``s`` is tiny (slide S9), so the state
keeps ``s`` (every term but one copy of the maximum's exact 1) and ends with ``m + log1p(s)``,
as `lib.softmax.logsumexp` does; the empty state ``(m, s) = (-inf, -1)`` (``d = 0``) is the
identity of `merge`. Each merge also carries the rounding errors of its additions and its
rescaling product (`lib.error_free`) in a third number ``c``, so any split merged in any order
stays within 2 ulp of the exact ``log Q`` (tests/test_online.py, against mpmath).

Non-finite logits and errors follow `lib.softmax`; a slice of only -inf logits has the empty
state, and `finalize`, `online_logsumexp`, `online_softmax` raise ValueError for it.
"""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ._validation import as_float_array, as_logits, check_positive_int, infinite_maxima
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
        Finite logits of one example.

    Returns
    -------
    m, d : float
        The maximum and ``sum_j exp(z_j - m)``, found in one pass: by induction
        ``d_j = sum_{i <= j} exp(z_i - m_j)``. A teaching transcription (a Python loop);
        `block_state` and `merge` are the fast, accurate form.

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
    """What the online normaliser remembers of the logits seen, one entry per slice:
    ``max_z`` the running maximum ``m``; ``tail`` the sum ``s`` of ``exp(z_j - m)`` leaving out
    one copy of the maximum (-1 when empty); ``tail_error`` the rounding errors ``c`` of the
    merges, so that ``d = 1 + s + c``."""

    max_z: np.ndarray
    tail: np.ndarray
    tail_error: np.ndarray


@dataclass
class StreamCost:
    """Sweeps over the logits, logits read, elements passed to ``exp``, outputs written."""

    passes: int = 0
    elements_read: int = 0
    exps: int = 0
    elements_written: int = 0


def empty_state(shape=(), dtype=np.float64):
    """The state of no logits, ``(-inf, -1, 0)`` for every slice of `shape`: merge's identity.

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
    """The state of one block: the logits `z` of each slice along `axis` (possibly none).

    Of the shape of `z` without `axis`: ``m = max z``, ``s`` the sum of the other terms by
    `lib.error_free.accurate_sum` (its second part is ``c``); all -inf or empty: the empty state.

    >>> import numpy as np
    >>> block_state(np.array([0.0, -40.0]))  # s keeps the 4.2e-18 that 1 + s would lose
    NormalizerState(max_z=array(0.), tail=array(4.24835426e-18), tail_error=array(0.))
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
    """The state of the union of two disjoint sets of logits (states of broadcastable shapes).

    With :math:`m_1 \\ge m_2`, :math:`s = s_1 + (1 + s_2) e^{m_2 - m_1}` (the factor exactly 1
    when :math:`m_1 = m_2`, so no :math:`\\infty - \\infty`); the empty state adds 0. The two
    additions go through TwoSum and the product through TwoProduct, their errors into ``c``;
    a small gap rescales by ``1 + expm1(gap)`` so a slowly rising maximum does not repeat the
    rounding of ``exp`` near 1. Commutative; every grouping is within 2 ulp (mpmath tests).

    >>> import numpy as np
    >>> left, right = block_state(np.array([1.0, 2.0])), block_state(np.array([3.0]))
    >>> float(finalize(merge(left, right))), float(np.log(np.sum(np.exp([1.0, 2.0, 3.0]))))
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
        near = gap > -np.log(2.0)
        factor = np.where(near, np.expm1(gap), scale)
        lo_d, lo_d_error = two_sum(1.0, lo_s)  # d_2 = 1 + s_2 exactly, as a pair
        base = np.where(near, lo_d, 0.0)
        product, product_error = two_product(lo_d, factor)  # d_2 e^{gap} = base + product
        partial, first_error = two_sum(hi_s, base)
        tail, tail_error = two_sum(partial, product)
        tail_error += hi_c + first_error + product_error + (lo_d_error + lo_c) * scale
    return NormalizerState(np.maximum(m1, m2), tail, tail_error)


def finalize(state):
    """``log Q = m + log1p(s + c)`` from a normaliser state.

    Raises ValueError for a slice in the empty state (``log 0``). Keeping ``s`` rather than
    ``d = 1 + s`` is what makes it as accurate as `lib.softmax.logsumexp`:

    >>> import numpy as np
    >>> m, d = milakov_normalizer([0.0, -40.0])
    >>> float(m + np.log(d))  # the paper's pair: every digit lost
    0.0
    >>> float(finalize(block_state([0.0, -40.0])))  # the tail form keeps them
    4.248354255291589e-18
    """
    max_z = np.asarray(state.max_z)
    infinite_maxima(max_z[..., np.newaxis], -1)  # all -inf: no distribution, ValueError
    with np.errstate(all="ignore"):
        log_q = np.where(np.isfinite(max_z), max_z + np.log1p(state.tail + state.tail_error), max_z)
    return log_q[()]


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
    """``log Q`` in ONE read of the logits, block by block (`block_state`, `merge`, `finalize`).

    Parameters
    ----------
    z : array_like, shape (..., m, ...)
        Logits, the classes along `axis`.
    axis : int, default -1
    block_size : int, default 1024
        Logits per block and slice; any value gives the same result within a few ulp.
    cost : StreamCost, optional
        Incremented with the passes, reads and exps done.

    Returns
    -------
    log_Q : ndarray or numpy scalar, shape of `z` without `axis`
        Within 2 ulp of the exact value (of the larger part if ``m + log1p(s)`` cancels).

    >>> import numpy as np
    >>> z = np.array([1000.0, 999.0, -np.inf, 998.0])
    >>> float(online_logsumexp(z, block_size=2))  # the naive sum of exps overflows
    1000.4076059644444
    """
    x, _ = as_logits(z, axis)
    block_size = _check_block_size(block_size)
    return finalize(_normalizer_pass(x, block_size, cost))


def online_softmax(z, axis=-1, *, block_size=DEFAULT_BLOCK_SIZE, cost=None):
    """Softmax in TWO reads: the online normaliser ``(m, d)``, then ``P_j = exp(z_j - m) / d``.

    Parameters as `online_logsumexp` (`cost` also counts writes). Returns ``P`` of the shape of
    `z`, each entry within 3 ulp (mpmath tests): the rounding of ``z_j - m``, which ``exp``
    turns into a relative error of ``|z_j - m|`` units, is recovered by TwoSum and applied as
    ``exp(d)(1 + e)``. `three_pass_softmax` reads the logits three times for as many exps.

    >>> import numpy as np
    >>> online_softmax(np.array([1000.0, 999.0]), block_size=1)  # exp(1000) never formed
    array([0.73105858, 0.26894142])
    >>> online_softmax(np.array([[0.0, -np.inf, 0.0], [np.inf, 1.0, np.inf]]), block_size=2)
    array([[0.5, 0. , 0.5],
           [0.5, 0. , 0.5]])
    """
    x, axis = as_logits(z, axis)
    block_size = _check_block_size(block_size)
    state = _normalizer_pass(x, block_size, cost)
    max_z = state.max_z[..., np.newaxis]
    infinite_maxima(max_z, -1)
    normalizer = (1.0 + state.tail + state.tail_error)[..., np.newaxis]
    probs = np.empty_like(x)
    with np.errstate(all="ignore"):
        for start in range(0, x.shape[-1], block_size):
            block = x[..., start : start + block_size]
            shifted = _shift(block, max_z)
            # TwoSum: the exact rounding error of z - m; e^(shifted + lost) ~ e^shifted (1 + lost)
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
    """Eq. (14) streamed over blocks: the maximum ``a``, then ``Q' = sum_j exp(z_j - a)``, then
    ``P_j = exp(z_j - a) / Q'``, to compare with `online_softmax` pass for pass.

    Parameters and errors as `online_logsumexp`. Like eq. (14) as written, it leaves the
    rounding of ``z_j - a`` uncorrected (up to ``|z_j - a|`` ulp far below the maximum).

    >>> import numpy as np
    >>> cost = StreamCost()
    >>> three_pass_softmax(np.array([1000.0, 999.0]), block_size=1, cost=cost)
    array([0.73105858, 0.26894142])
    >>> cost
    StreamCost(passes=3, elements_read=6, exps=4, elements_written=2)
    """
    x, axis = as_logits(z, axis)
    block_size = _check_block_size(block_size)
    cost = StreamCost() if cost is None else cost
    blocks = [slice(start, start + block_size) for start in range(0, x.shape[-1], block_size)]
    max_z = np.full(x.shape[:-1] + (1,), -np.inf, dtype=x.dtype)
    for cols in blocks:  # pass 1: the maximum
        np.maximum(max_z, np.max(x[..., cols], axis=-1, keepdims=True), out=max_z)
        cost.elements_read += x[..., cols].size
    cost.passes += 1
    infinite_maxima(max_z, -1)
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
