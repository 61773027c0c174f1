"""Accuracy against mpmath (60 digits) on adversarial families, measured in ulps.

The families live in tests/families.py, the exact references and the ulp measure in
`lib.reference`. Bounds (lib's contract): logsumexp within 2 ulp (times the condition number only
where the result cancels: see `lib.reference.lse_cancels`), log_softmax within
10 ulp relative on every entry (the most probable one included), cross_entropy accurate for
tiny costs. float32 results are measured in float32 ulps.
"""

import mpmath
import numpy as np
import pytest
import scipy.special
from families import FAMILIES, family_cases

from lib import cross_entropy, log_softmax, logsumexp, softmax
from lib.reference import (
    lse_cancels,
    lse_condition,
    mp_log_softmax,
    mp_logsumexp,
    mp_softmax,
    ulp_error,
)


def worst_ulp(computed, x, reference, dtype):
    """The worst ulp error of any entry of `computed` against reference(x)."""
    return float(np.max(ulp_error(computed, reference(x), dtype)))


DTYPES = [np.float64, np.float32]
CASES = 12  # slices per family and dtype (many_classes: 2); each is checked entry by entry


def cases(family, dtype):
    return family_cases(family, dtype, 2 if family == "many_classes" else CASES)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("sizes", [(2, 12), (17, 2000)], ids=["short", "long"])
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_logsumexp_is_within_2_ulp(family, sizes, dtype):
    # Rule (lib.reference.lse_cancels): 2 ulp flat unless the maximum a is negative and
    # |log Q| < |a| / 2. In that case log Q = a + log1p(s) cancels, and a forward error of
    # 2 ulp times the condition number sum_j P_j |z_j| / |log Q| is what any algorithm in this
    # precision can promise: the relative error of s near 1 is amplified by |a| / |log Q|.
    for x in family_cases(family, dtype, 2 if family == "many_classes" else CASES, sizes=sizes):
        error = ulp_error(logsumexp(x), mp_logsumexp(x), dtype)
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
    assert ulp_error(logsumexp(x), mp_logsumexp(x), dtype) <= 2


def test_logsumexp_when_the_sum_cancels_is_within_2_ulp_times_the_condition_number():
    # log Q close to 0 while the maximum is -5: relative accuracy is limited by the input
    for m in (2, 10, 148):
        x = np.full(m, -np.log(m) + 1e-9)
        error = ulp_error(logsumexp(x), mp_logsumexp(x), np.float64)
        assert lse_cancels(x) and lse_condition(x) > 1e6
        assert error <= 2 * lse_condition(x)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("sizes", [(2, 12), (17, 2000)], ids=["short", "long"])
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_log_softmax_is_within_10_ulp_on_every_entry(family, sizes, dtype):
    for x in family_cases(family, dtype, 2 if family == "many_classes" else CASES, sizes=sizes):
        error = worst_ulp(log_softmax(x), x, mp_log_softmax, dtype)
        assert error <= 10, (x, error)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("centre", [-800.0, -100.0, 0.0, 80.0, 700.0])
def test_log_softmax_of_long_rows_is_accurate_wherever_exp_of_z_under_or_overflows(centre, dtype):
    # where e^z under- or overflows (float32 beyond about -87 and +88, float64 beyond -708 and
    # +709), an algorithm that skipped the shift would have to notice
    rng = np.random.default_rng(int(centre) % 1000)
    for scale in (1.0, 30.0):
        x = (centre + rng.normal(scale=scale, size=50)).astype(dtype)
        assert worst_ulp(log_softmax(x), x, mp_log_softmax, dtype) <= 10, (centre, scale)


def test_the_ulp_check_catches_the_usual_log_softmax():
    # scipy's x - max - log(sum) rounds the most probable entry to 0 on this family: the
    # check above would fail it by a factor of about 1e15, so the check can fail
    x = family_cases("dominant", np.float64, 1)[0]
    assert worst_ulp(scipy.special.log_softmax(x), x, mp_log_softmax, np.float64) > 1e10


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_softmax_error_grows_only_with_the_distance_from_the_maximum(family, dtype):
    # Shift-and-divide rounds z_j - a once; exp turns that absolute error into a relative
    # error of up to |z_j - a| units in the probability. Bound: |z_j - a| + m + 4 ulp.
    # (exp(z - logsumexp(z)) would be off by |z_j| units for every entry instead.)
    for x in cases(family, dtype):
        errors = ulp_error(softmax(x), mp_softmax(x), dtype)
        with np.errstate(over="ignore"):  # 1e308 - (-1e308): the bound is huge either way
            distance = np.minimum(np.abs(x.astype(np.float64) - np.max(x)), 1e300)
        assert np.all(errors <= distance + x.size + 4), (x, errors)


def test_cross_entropy_of_a_confident_correct_prediction_is_not_zero():
    # C = log(1 + e^-40) = 4.2483542552915889e-18 (computed with mpmath, mp.dps = 60)
    cost = cross_entropy(np.array([[40.0, 0.0]]), [0])
    assert cost == pytest.approx(4.2483542552915889e-18, rel=4e-16)


@pytest.mark.parametrize("family", ["dominant", "random_normal", "near_overflow", "all_equal"])
def test_cross_entropy_is_within_10_ulp_for_every_label(family):
    for x in cases(family, np.float64):
        exact = mp_log_softmax(x)
        for label in range(x.size):
            cost = cross_entropy(x[np.newaxis], [label])
            assert ulp_error(cost, -exact[label], np.float64) <= 10


def test_reference_is_what_mpmath_says_at_higher_precision():
    # the 60-digit reference agrees with a 120-digit one far below float64's resolution
    x = np.array([0.0, -745.0, -1e-5, 3.5])
    low = mp_logsumexp(x)[()]
    with mpmath.workdps(120):
        high = mpmath.log(mpmath.fsum(mpmath.exp(mpmath.mpf(float(v))) for v in x))
    assert abs(low - high) < mpmath.mpf(10) ** -50
