"""The identities Lecture 6 proves about softmax and log-sum-exp, as properties of lib.softmax.

Each property is checked on random inputs (hypothesis, profile "lib" in tests/strategies.py)
and against scipy.special as an independent implementation.
"""

import math

import numpy as np
import pytest
import scipy.special
from hypothesis import given
from hypothesis import strategies as st
from strategies import LIB_SETTINGS, dyadic_logits, logits, shifts

from lib import log_softmax, logsumexp, softmax, softmax_jacobian, softmax_naive
from lib.error_free import correct_shift_rounding
from lib.reference import mp_log_softmax, ulp_error


def unit_roundoff(dtype):
    """u = eps / 2, the relative error of one correctly rounded operation."""
    return float(np.finfo(dtype).eps) / 2


# --- eq. (4) and slip S1: P_j >= 0 and sum_j P_j = 1 -----------------------------------------


@LIB_SETTINGS
@given(logits())
def test_probabilities_are_in_0_1_for_logits_of_any_magnitude(z):
    probs = softmax(z)
    assert probs.dtype == z.dtype
    assert np.all(np.isfinite(probs))
    assert np.all((probs >= 0) & (probs <= 1))


@LIB_SETTINGS
@given(logits())
def test_rows_sum_to_one_within_m_plus_3_roundoffs(z):
    probs = softmax(z)
    m = z.shape[1]
    exact_sums = np.array([math.fsum(map(float, row)) for row in probs])  # no new rounding
    assert np.all(np.abs(exact_sums - 1) <= (m + 3) * unit_roundoff(z.dtype))


@LIB_SETTINGS
@given(logits())
def test_most_probable_class_has_the_largest_logit(z):
    probs = softmax(z)
    rows = np.arange(z.shape[0])
    assert np.all(probs[rows, np.argmax(z, axis=1)] == probs.max(axis=1))


# --- eq. (13): shift invariance ------------------------------------------------------------


@LIB_SETTINGS
@given(dyadic_logits(), shifts())
def test_softmax_is_invariant_under_a_shift_of_every_logit(z, r):
    # z + r is exact for these dyadic values, and so is every z_j - max z. log_softmax always
    # shifts by the maximum, so both sides see identical numbers: equal to the last bit.
    np.testing.assert_array_equal(log_softmax(z + r), log_softmax(z))
    # softmax skips the shift when it is not needed (r = 0 is safe too): a few roundings
    u = unit_roundoff(z.dtype)
    tiny = float(np.finfo(z.dtype).smallest_subnormal)
    probs = softmax(z)
    assert np.all(np.abs(softmax(z + r) - probs) <= (z.shape[1] + 8) * u * probs + 2 * tiny)


@LIB_SETTINGS
@given(dyadic_logits(), shifts())
def test_logsumexp_is_equivariant_under_a_shift(z, r):
    shifted = logsumexp(z + r)
    unshifted = logsumexp(z)
    # each side is within 2 ulp of its exact value, and adding r rounds once more
    tolerance = 2 * (np.spacing(np.abs(shifted)) + np.spacing(np.abs(unshifted)))
    assert np.all(np.abs(shifted - (unshifted + r)) <= tolerance)


# --- bounds of log-sum-exp -----------------------------------------------------------------


@LIB_SETTINGS
@given(logits())
def test_logsumexp_lies_between_max_and_max_plus_log_m(z):
    lse = logsumexp(z)
    top = z.max(axis=1)
    m = z.shape[1]
    assert lse.dtype == z.dtype
    assert np.all(np.isfinite(lse))
    assert np.all(lse >= top)
    with np.errstate(over="ignore"):  # near the largest float the bound itself may be inf
        upper = top.astype(np.float64) + np.log(m)
        assert np.all(lse <= upper + 2 * np.spacing(np.abs(upper).astype(z.dtype)))


@LIB_SETTINGS
@given(logits())
def test_logsumexp_keepdims_broadcasts_against_z(z):
    lse = logsumexp(z, keepdims=True)
    assert lse.shape == (z.shape[0], 1)
    np.testing.assert_array_equal(lse[:, 0], logsumexp(z))


# --- log_softmax = z - log Q, and exp(log_softmax) = softmax --------------------------------


@LIB_SETTINGS
@given(logits())
def test_exp_of_log_softmax_is_softmax(z):
    log_probs = log_softmax(z)
    probs = softmax(z)
    u = unit_roundoff(z.dtype)
    tiny = float(np.finfo(z.dtype).smallest_subnormal)
    with np.errstate(under="ignore"):
        recovered = np.exp(log_probs.astype(np.float64))
    # exp turns an absolute error |log P| * 10u into a relative error; softmax itself is off
    # by about (|z - a| + m) u in relative terms (the rounding of the shifted logits)
    with np.errstate(over="ignore"):  # the distance may exceed the largest float: capped
        shift = np.abs(z.astype(np.float64) - z.max(axis=1, keepdims=True).astype(np.float64))
    shift = np.minimum(shift, 1e300)
    size = np.minimum(np.abs(log_probs.astype(np.float64)), 1e300)  # -inf where P = 0
    tolerance = (12 * size + shift + z.shape[1] + 8) * u * probs + 2 * tiny
    assert np.all(np.abs(recovered - probs) <= tolerance)


@LIB_SETTINGS
@given(logits())
def test_log_softmax_is_nonpositive_and_finite_where_representable(z):
    log_probs = log_softmax(z)
    assert log_probs.dtype == z.dtype
    assert np.all(log_probs <= 0)
    # -inf only where the exact value z_j - log Q is beyond the largest float
    with np.errstate(over="ignore"):  # the gap itself may exceed the largest float
        gap = z.max(axis=1, keepdims=True).astype(np.float64) - z.astype(np.float64)
    representable = gap < 0.99 * float(np.finfo(z.dtype).max)
    assert np.all(np.isfinite(log_probs[representable]))


@LIB_SETTINGS
@given(logits(bound=700.0))
def test_log_softmax_is_z_minus_logsumexp(z):
    expected = z.astype(np.float64) - logsumexp(z.astype(np.float64), keepdims=True)
    u = unit_roundoff(z.dtype)
    tolerance = 16 * u * (np.abs(expected) + np.abs(z) + 1)
    assert np.all(np.abs(log_softmax(z) - expected) <= tolerance)


# --- the rounding of z_j - a, undone (lib.error_free.correct_shift_rounding) ---------------


def shift_pieces(z):
    """``(a, z - a, terms, s, log1p(s))`` of rows `z` as log_softmax forms them: ``terms`` are
    the ``e^(z_j - a)`` with the maximal class left out, ``s`` their sum."""
    rows, top = np.arange(z.shape[0]), np.argmax(z, axis=1)
    a = z[rows, top][:, np.newaxis]
    shifted = z - a
    terms = np.exp(shifted)
    terms[rows, top] = 0.0
    total = np.sum(terms, axis=1, keepdims=True)
    return a, shifted, terms, total, np.log1p(total)


@LIB_SETTINGS
@given(logits(bound=50.0, min_classes=2))
def test_with_no_tolerance_the_corrected_log1p_of_s_is_within_3_ulp(z):
    # ulps=0 corrects every row whose shift was rounded; exact: -log P_k = log1p(s) (mpmath).
    # Left: exp's own rounding of each term and the last rounding (measured: 2.0 ulp in
    # float64, 2.3 in float32); uncorrected, these rows are off by up to |z_j - a| ulp.
    a, shifted, terms, total, log_norm = shift_pieces(z)
    corrected = correct_shift_rounding(z, a, shifted, terms, total, log_norm, ulps=0)
    exact = -mp_log_softmax(z)[np.arange(z.shape[0]), np.argmax(z, axis=1)]
    assert corrected.dtype == z.dtype
    assert np.all(ulp_error(corrected[:, 0], exact, z.dtype) <= 3)


def test_the_uncorrected_log1p_of_s_of_a_dominant_class_is_off_by_28_ulp():
    # z_1 - a = -32.7 is rounded; e^(z_1 - a) turns that into 28 ulp of L = log1p(s), more than
    # log_softmax's 10-ulp contract allows; the correction leaves under 1 ulp (mpmath reference)
    z = np.array([[0.75, -31.95]])
    a, shifted, terms, total, log_norm = shift_pieces(z)
    exact = -mp_log_softmax(z)[:, 0]
    assert ulp_error(log_norm[:, 0], exact, np.float64) > 20
    corrected = correct_shift_rounding(z, a, shifted, terms, total, log_norm.copy(), ulps=8)
    assert ulp_error(corrected[:, 0], exact, np.float64) <= 1


# --- scipy.special as an independent reference --------------------------------------------


@LIB_SETTINGS
@given(logits(bound=50.0), st.sampled_from([0, 1]))
def test_agrees_with_scipy_on_ordinary_logits(z, axis):
    rtol = 50 * unit_roundoff(z.dtype)
    np.testing.assert_allclose(
        softmax(z, axis=axis), scipy.special.softmax(z, axis=axis), rtol=rtol, atol=1e-30
    )
    np.testing.assert_allclose(
        logsumexp(z, axis=axis), scipy.special.logsumexp(z, axis=axis), rtol=rtol, atol=rtol
    )
    # scipy's log_softmax loses the most probable entry when it is near 0, so compare absolutely
    np.testing.assert_allclose(
        log_softmax(z, axis=axis), scipy.special.log_softmax(z, axis=axis), rtol=rtol, atol=rtol
    )


@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 4), (4, 1), (2, 40)])
def test_every_axis_of_nd_input_agrees_with_scipy(shape):
    z = np.random.default_rng(6).normal(scale=5, size=shape)
    for axis in range(-z.ndim, z.ndim):
        np.testing.assert_allclose(
            softmax(z, axis=axis), scipy.special.softmax(z, axis=axis), rtol=1e-13
        )
        np.testing.assert_allclose(
            log_softmax(z, axis=axis),
            scipy.special.log_softmax(z, axis=axis),
            rtol=1e-13,
            atol=1e-15,
        )
        for keepdims in (False, True):
            ours = logsumexp(z, axis=axis, keepdims=keepdims)
            theirs = scipy.special.logsumexp(z, axis=axis, keepdims=keepdims)
            assert np.shape(ours) == np.shape(theirs)
            np.testing.assert_allclose(ours, theirs, rtol=1e-14)


def test_strided_input_views_are_handled():
    base = np.random.default_rng(7).normal(size=(6, 8, 5))
    z = base[:, ::2, :].transpose(2, 0, 1)  # a view with no contiguous class axis
    for axis in range(3):
        np.testing.assert_allclose(
            softmax(z, axis=axis), scipy.special.softmax(z, axis=axis), rtol=1e-13
        )
        np.testing.assert_allclose(
            log_softmax(z, axis=axis), scipy.special.log_softmax(z, axis=axis), rtol=1e-13
        )


def test_a_hundred_thousand_classes_agree_with_scipy():
    z = np.random.default_rng(8).normal(scale=4, size=(2, 100_003))
    np.testing.assert_allclose(softmax(z), scipy.special.softmax(z, axis=1), rtol=1e-12)
    np.testing.assert_allclose(logsumexp(z), scipy.special.logsumexp(z, axis=1), rtol=1e-15)
    np.testing.assert_allclose(log_softmax(z), scipy.special.log_softmax(z, axis=1), rtol=1e-13)


# --- the naive formula fails where the lecture says it does (slip S8) ----------------------


def test_naive_softmax_overflows_above_709_and_the_shifted_one_does_not():
    z = np.array([709.0, 710.0])
    naive = softmax_naive(z)  # exp(710) = inf: finite / inf = 0 and inf / inf = nan
    assert naive[0] == 0 and np.isnan(naive[1])
    np.testing.assert_allclose(softmax(z), scipy.special.softmax(z), rtol=1e-15)


def test_naive_softmax_is_0_over_0_below_minus_745():
    z = np.array([-746.0, -747.0])
    assert np.all(np.isnan(softmax_naive(z)))
    np.testing.assert_allclose(softmax(z), softmax(z + 746.0), rtol=1e-15)


def test_naive_q_overflows_even_when_every_term_is_finite():
    z = np.array([709.0, 709.0, 709.0])  # each exp(709) < max, their sum > max
    assert np.all(np.isfinite(np.exp(z)))
    np.testing.assert_array_equal(softmax_naive(z), [0.0, 0.0, 0.0])  # finite / inf: sums to 0
    np.testing.assert_allclose(softmax(z), [1 / 3] * 3, rtol=1e-15)


def test_naive_softmax_agrees_where_it_does_not_overflow():
    z = np.random.default_rng(9).normal(size=(4, 6))
    np.testing.assert_allclose(softmax_naive(z), softmax(z), rtol=1e-14)
    np.testing.assert_allclose(softmax_naive(z, axis=0), softmax(z, axis=0), rtol=1e-14)


# --- the Jacobian ----------------------------------------------------------------------------


@LIB_SETTINGS
@given(logits(bound=30.0, max_rows=1))
def test_jacobian_is_symmetric_and_its_rows_sum_to_zero(z):
    jac = softmax_jacobian(z[0])
    m = z.shape[1]
    np.testing.assert_array_equal(jac, jac.T)
    assert np.all(np.abs(jac.sum(axis=1)) <= (m + 2) * unit_roundoff(z.dtype))


def test_jacobian_matches_central_differences_of_softmax():
    z = np.array([0.3, -1.2, 2.0, 0.0])
    h = 1e-6
    columns = [(softmax(z + h * e) - softmax(z - h * e)) / (2 * h) for e in np.eye(4)]
    np.testing.assert_allclose(softmax_jacobian(z), np.array(columns).T, atol=1e-9)


def test_jacobian_rejects_a_batch():
    with pytest.raises(ValueError, match=r"one example, shape \(m,\)"):
        softmax_jacobian(np.zeros((2, 3)))
