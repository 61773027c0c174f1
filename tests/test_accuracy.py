"""Accuracy against mpmath (mp.dps = 60) on adversarial families, measured in ulps.

The families and the reference live in tests/mpmath_reference.py. Bounds (issue #2):
logsumexp within 2 ulp (times the condition number only where the result cancels: see
`mpmath_reference.lse_cancels`), log_softmax within
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
    lse_cancels,
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
@pytest.mark.parametrize("sizes", [(2, 12), (17, 2000)], ids=["short", "long"])
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_logsumexp_is_within_2_ulp(family, sizes, dtype):
    # Rule (mpmath_reference.lse_cancels): 2 ulp flat unless the maximum a is negative and
    # |log Q| < |a| / 2. In that case log Q = a + log1p(s) cancels, and a forward error of
    # 2 ulp times the condition number sum_j P_j |z_j| / |log Q| is what any algorithm in this
    # precision can promise: the relative error of s near 1 is amplified by |a| / |log Q|.
    for x in family_cases(family, dtype, 2 if family == "many_classes" else CASES, sizes=sizes):
        error = ulp_error(logsumexp(x), logsumexp_ref(x), dtype)
        bound = 2 * lse_condition(x) if lse_cancels(x) else 2
        assert error <= bound, (x, error)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize(
    "x",
    [
        np.concatenate([[0.0], np.full(70, -5.51077043140555)]),  # was 7.3 ulp off (float64)
        np.concatenate([[0.0], np.full(100, -20.0)]),  # was 3.7 ulp off
        np.concatenate([[3.0], np.full(5000, -1.0)]),
        np.concatenate([[0.0], np.full(300_000, -12.0)]),  # several column chunks
    ],
    ids=["70-equal", "100-equal", "5000-equal", "300000-equal"],
)
def test_logsumexp_of_many_equal_terms_is_within_2_ulp(x, dtype):
    # numpy's sum rounds equal terms the same way every time; the error adds up over the
    # row instead of averaging out, so these rows need the compensated sum
    x = x.astype(dtype)
    assert not lse_cancels(x)
    assert ulp_error(logsumexp(x), logsumexp_ref(x), dtype) <= 2


def test_logsumexp_when_the_sum_cancels_is_within_2_ulp_times_the_condition_number():
    # log Q close to 0 while the maximum is -5: relative accuracy is limited by the input
    for m in (2, 10, 148):
        x = np.full(m, -np.log(m) + 1e-9)
        error = ulp_error(logsumexp(x), logsumexp_ref(x), np.float64)
        assert lse_cancels(x) and lse_condition(x) > 1e6
        assert error <= 2 * lse_condition(x)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("sizes", [(2, 12), (17, 2000)], ids=["short", "long"])
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_log_softmax_is_within_10_ulp_on_every_entry(family, sizes, dtype):
    # long rows take other code paths in lib (exp of the unshifted logits where that is safe)
    for x in family_cases(family, dtype, 2 if family == "many_classes" else CASES, sizes=sizes):
        error = worst_ulp_vector(log_softmax(x), x, log_softmax_ref, dtype)
        assert error <= 10, (x, error)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("centre", [-800.0, -100.0, 0.0, 80.0, 700.0])
def test_log_softmax_of_long_rows_is_accurate_wherever_exp_of_z_under_or_overflows(centre, dtype):
    # Long rows try exp(z) without the shift; where e^z under- or overflows (float32 beyond
    # about -87 and +88, float64 beyond -708 and +709) lib must notice and shift instead
    rng = np.random.default_rng(int(centre) % 1000)
    for scale in (1.0, 30.0):
        x = (centre + rng.normal(scale=scale, size=50)).astype(dtype)
        assert worst_ulp_vector(log_softmax(x), x, log_softmax_ref, dtype) <= 10, (centre, scale)


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
