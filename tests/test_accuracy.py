"""Accuracy against mpmath (mp.dps = 60) on adversarial families, measured in ulps.

The families and the reference live in tests/mpmath_reference.py. Bounds (issue #2):
logsumexp within 2 ulp (times the condition number when the sum cancels), log_softmax within
10 ulp relative on every entry (the most probable one included), cross_entropy accurate for
tiny costs. float32 results are measured in float32 ulps.
"""

import mpmath
import numpy as np
import pytest
import scipy.special
from mpmath_reference import (
    FAMILIES,
    family_cases,
    log_softmax_ref,
    logsumexp_ref,
    lse_condition,
    softmax_ref,
    ulp_error,
    worst_ulp_vector,
)

from lib import cross_entropy, log_softmax, logsumexp, softmax

DTYPES = [np.float64, np.float32]
CASES = 12  # slices per family and dtype (many_classes: 2); each is checked entry by entry


def cases(family, dtype):
    return family_cases(family, dtype, 2 if family == "many_classes" else CASES)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_logsumexp_is_within_2_ulp(family, dtype):
    for x in cases(family, dtype):
        error = ulp_error(logsumexp(x), logsumexp_ref(x), dtype)
        # A forward error of k ulp times the condition number is all that any algorithm in
        # this precision can promise; the condition number is 1 unless the sum cancels.
        assert error <= 2 * lse_condition(x), (x, error)


def test_logsumexp_when_the_sum_cancels_is_within_2_ulp_times_the_condition_number():
    # log Q close to 0 while the maximum is -5: relative accuracy is limited by the input
    for m in (2, 10, 148):
        x = np.full(m, -np.log(m) + 1e-9)
        error = ulp_error(logsumexp(x), logsumexp_ref(x), np.float64)
        assert lse_condition(x) > 1e6
        assert error <= 2 * lse_condition(x)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_log_softmax_is_within_10_ulp_on_every_entry(family, dtype):
    for x in cases(family, dtype):
        error = worst_ulp_vector(log_softmax(x), x, log_softmax_ref, dtype)
        assert error <= 10, (x, error)


def test_the_ulp_check_catches_the_usual_log_softmax():
    # scipy's x - max - log(sum) rounds the most probable entry to 0 on this family: the
    # check above would fail it by a factor of about 1e15, so the check can fail
    x = family_cases("dominant", np.float64, 1)[0]
    assert worst_ulp_vector(scipy.special.log_softmax(x), x, log_softmax_ref, np.float64) > 1e10


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_softmax_error_grows_only_with_the_distance_from_the_maximum(family, dtype):
    # Shift-and-divide rounds z_j - a once; exp turns that absolute error into a relative
    # error of up to |z_j - a| units in the probability. Bound: |z_j - a| + m + 4 ulp.
    # (exp(z - logsumexp(z)) would be off by |z_j| units for every entry instead.)
    for x in cases(family, dtype):
        probs = softmax(x)
        exact = softmax_ref(x)
        top = float(np.max(x))
        for value, p_exact in exact.items():
            distance = min(abs(value - top), 1e300)
            for p in np.unique(probs[x == value]):
                error = ulp_error(p, p_exact, dtype)
                assert error <= distance + x.size + 4, (x, value, error)


def test_cross_entropy_of_a_confident_correct_prediction_is_not_zero():
    # C = log(1 + e^-40) = 4.2483542552915889e-18 (computed with mpmath, mp.dps = 60)
    cost = cross_entropy(np.array([[40.0, 0.0]]), [0])
    assert cost == pytest.approx(4.2483542552915889e-18, rel=4e-16)


@pytest.mark.parametrize("family", ["dominant", "random_normal", "near_overflow", "all_equal"])
def test_cross_entropy_is_within_10_ulp_for_every_label(family):
    for x in cases(family, np.float64):
        exact = log_softmax_ref(x)
        for label in range(x.size):
            cost = cross_entropy(x[np.newaxis], [label])
            assert ulp_error(cost, -exact[float(x[label])], np.float64) <= 10


def test_reference_is_what_mpmath_says_at_higher_precision():
    # the 60-digit reference agrees with a 120-digit one far below float64's resolution
    x = np.array([0.0, -745.0, -1e-5, 3.5])
    low = logsumexp_ref(x)
    with mpmath.workdps(120):
        high = mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(float(v))) for v in x))
    assert abs(low - high) < mpmath.mpf(10) ** -50
