"""Tests of lib.floating and lib.reference: the thresholds, the error measures, the mpmath
references and the algorithms that chapter 6 compares.

Reference values come from mpmath (lib.reference's ``mp_*`` functions at 60 digits, checked
here against independent facts: rows summing to 1, shift equivariance, and float64's own
softmax); constants of the floating-point formats come from IEEE 754 (p = 11, 24, 53 bits).
"""

import subprocess
import sys

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import lib_settings

from lib import log_softmax, softmax
from lib.floating import (
    LOG_SOFTMAX_ALGORITHMS,
    SOFTMAX_ALGORITHMS,
    exp_threshold_table,
    exp_thresholds,
    log_softmax_log1p,
    log_softmax_shifted_log,
    softmax_error_bounds,
    softmax_exp_minus_lse,
    softmax_shift_divide,
    softmax_unshifted,
    unit_roundoff,
)
from lib.reference import (
    mp_log_softmax,
    mp_logsumexp,
    mp_softmax,
    normwise_error,
    ulp,
    ulp_error,
)

DTYPES = [np.float16, np.float32, np.float64]
PRECISION_BITS = {np.float16: 11, np.float32: 24, np.float64: 53}  # IEEE 754 binary16/32/64
ALGORITHMS = {**SOFTMAX_ALGORITHMS, **LOG_SOFTMAX_ALGORITHMS}


# --- thresholds ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_exp_thresholds_are_where_exp_actually_fails(dtype):
    t = exp_thresholds(dtype)
    margin = 0.05  # more than one float16 spacing at |z| = 17, so both sides are distinct inputs

    def exp_of(z):
        with np.errstate(over="ignore", under="ignore"):
            return np.exp(dtype(z))

    assert np.isfinite(exp_of(t.overflow - margin))
    assert np.isinf(exp_of(t.overflow + margin))
    assert exp_of(t.underflow_normal + margin) >= t.smallest_normal
    assert 0 < exp_of(t.underflow_normal - margin) < t.smallest_normal
    assert exp_of(t.underflow_zero + margin) > 0
    assert exp_of(t.underflow_zero - margin) == 0


def test_float64_thresholds_are_the_lectures_numbers():
    # S8 of the lecture: e^z overflows above ~709.78 and every e^z is 0 below ~-745.1
    t = exp_thresholds("float64")
    assert round(t.overflow, 2) == 709.78
    assert round(t.underflow_zero, 1) == -745.1


def test_threshold_table_has_one_row_per_dtype():
    lines = exp_threshold_table(["float16", np.float64]).splitlines()
    assert len(lines) == 3
    assert lines[1].startswith("float16") and lines[2].startswith("float64")


@pytest.mark.parametrize("bad", ["int64", np.complex128, "not a dtype"])
def test_thresholds_reject_non_float_types(bad):
    with pytest.raises(ValueError, match="dtype"):
        exp_thresholds(bad)


# --- error measures -----------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_unit_roundoff_is_two_to_minus_precision(dtype):
    assert unit_roundoff(dtype) == 2.0 ** -PRECISION_BITS[dtype]


@pytest.mark.parametrize("dtype", DTYPES)
@lib_settings(60)
@given(data=st.data())
def test_ulp_is_the_gap_to_the_next_float(dtype, data):
    width = np.dtype(dtype).itemsize * 8
    x = data.draw(
        st.floats(width=width, allow_nan=False, allow_infinity=False, min_value=0, exclude_min=True)
    )
    x = dtype(x)
    if x == np.finfo(dtype).max:
        return  # the largest float has no next float
    assert ulp(x, dtype) == float(np.nextafter(x, dtype(np.inf))) - float(x)


@pytest.mark.parametrize("dtype", DTYPES)
def test_ulp_error_of_the_neighbouring_float_is_one(dtype):
    x = np.array([1.0, 3.0, 1e-3, 0.7], dtype=dtype)
    neighbours = np.nextafter(x, dtype(np.inf))
    np.testing.assert_array_equal(ulp_error(neighbours, x, dtype), 1.0)


def test_ulp_error_keeps_reference_digits_below_float64():
    # regression: the reference 1/3 must not be rounded to float64 before the comparison
    with mpmath.workdps(50):
        third = mpmath.mpf(1) / 3
    error = ulp_error(np.array([1.0 / 3.0]), np.array([third], dtype=object), np.float64)
    assert abs(error[0] - 1.0 / 3.0) < 1e-9  # fl(1/3) is 1/3 ulp below 1/3


def test_ulp_error_of_nan_or_inf_is_infinite_and_of_underflow_small():
    exact = mp_softmax([0.0, -800.0])  # e**-800 is below half the smallest subnormal
    errors = ulp_error(np.array([np.nan, 0.0]), exact, np.float64)
    assert np.isinf(errors[0]) and errors[1] < 0.5
    assert np.isinf(ulp_error(np.array([-np.inf]), np.array([-3.0]), np.float64)[0])


def test_error_measures_reject_bad_input():
    with pytest.raises(ValueError, match="shape"):
        ulp_error(np.zeros(3), np.zeros(2), np.float64)
    with pytest.raises(ValueError, match="dtype"):
        ulp_error(np.zeros(2), np.zeros(2), np.int32)
    with pytest.raises(ValueError, match="real numbers"):
        ulp_error(np.array(["a"]), np.zeros(1), np.float64)
    with pytest.raises(ValueError, match="shape"):
        normwise_error(np.zeros((2, 3)), np.zeros((3, 2)), np.float16)


def test_normwise_error_is_in_units_of_roundoff():
    exact = np.array([[0.5, 0.25, 0.25], [0.5, 0.25, 0.25]])
    u = unit_roundoff(np.float16)
    computed = exact + np.array([[0.0, 0.0, 0.0], [2 * u, 0.0, -u]])
    np.testing.assert_allclose(normwise_error(computed, exact, np.float16), [0.0, 4.0])


# --- mpmath references --------------------------------------------------------------------------


def test_importing_lib_floating_does_not_import_mpmath():
    code = "import sys, lib, lib.floating; sys.exit('mpmath' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


@lib_settings(25)
@given(
    st.lists(st.floats(-800, 800, allow_nan=False), min_size=1, max_size=6),
    st.floats(-1e3, 1e3, allow_nan=False),
)
def test_mp_references_obey_the_lectures_identities(logits, shift):
    z = np.array(logits)
    probs = mp_softmax(z)
    log_probs = mp_log_softmax(z)
    with mpmath.workdps(50):
        assert abs(mpmath.fsum(probs) - 1) < mpmath.mpf(10) ** -45  # eq. (4)
        for p, log_p in zip(probs, log_probs, strict=True):
            assert abs(mpmath.exp(log_p) - p) <= mpmath.mpf(10) ** -45 * p
        shifted = z + shift  # rounded: compare with the shift actually applied
        applied = [
            mpmath.mpf(float(a)) - mpmath.mpf(float(b)) for a, b in zip(shifted, z, strict=True)
        ]
        if len(set(applied)) == 1:  # shift equivariance of log Q, eq. (13)
            difference = mp_logsumexp(shifted)[()] - mp_logsumexp(z)[()]
            assert abs(difference - applied[0]) < mpmath.mpf(10) ** -40


def test_mp_log_softmax_keeps_digits_of_the_most_probable_class():
    # regression: z_j - log Q at 50 digits cancels to noise when log P_k is about -e**-300
    value = mp_log_softmax([300.0, 0.0])[0]
    with mpmath.workdps(80):
        exact = -mpmath.log1p(mpmath.exp(-300))
        assert abs(value - exact) < mpmath.mpf(10) ** -45 * abs(exact)


def test_mp_softmax_agrees_with_lib_softmax_in_float64():
    z = np.random.default_rng(0).normal(scale=5.0, size=(20, 7))
    errors = ulp_error(softmax(z), mp_softmax(z), np.float64)
    # exp(z_j - a) inherits the rounding of z_j - a times |z_j - a|; m + 3 for the rest
    allowed = 2 * np.abs(z - np.max(z, axis=1, keepdims=True)) + z.shape[1] + 3
    assert np.all(errors <= allowed)
    assert np.median(errors) < 2


def test_mp_references_take_exact_mpmath_logits():
    # the assignments' expected values need logits computed exactly from exact data: a third
    # does not round to a float, and its reference differs from the rounded float's
    with mpmath.workdps(80):
        third = mpmath.mpf(1) / 3
    exact = mp_log_softmax(np.array([[third, 0.0]], dtype=object))[0]
    with mpmath.workdps(80):
        want = third - mpmath.log(mpmath.exp(third) + 1)
        assert abs(exact[0] - want) < mpmath.mpf(10) ** -55
        rounded = mp_log_softmax([float(third), 0.0])[0]
        assert abs(rounded - want) > mpmath.mpf(10) ** -20  # the float's own value differs
    with pytest.raises(ValueError, match="real numbers"):
        mp_softmax(np.array([third, None], dtype=object))


def test_mp_references_reject_non_finite_or_empty_input():
    with pytest.raises(ValueError, match="finite"):
        mp_softmax([0.0, np.nan])
    with pytest.raises(ValueError, match="last axis"):
        mp_log_softmax(np.zeros((2, 0)))


# --- the algorithms compared -------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ALGORITHMS))
@pytest.mark.parametrize("dtype", DTYPES)
def test_algorithms_compute_in_the_precision_they_are_given(name, dtype):
    z = np.array([[1.0, 2.0, -3.0]], dtype=dtype)
    assert ALGORITHMS[name](z).dtype == dtype


@pytest.mark.parametrize("name", sorted(ALGORITHMS))
def test_algorithms_reject_bad_input(name):
    with pytest.raises(ValueError, match="real numbers"):
        ALGORITHMS[name](np.array(["1.0", "2.0"]))
    with pytest.raises(ValueError, match="last axis"):
        ALGORITHMS[name](np.float64(3.0))


def test_unshifted_softmax_fails_silently_in_all_three_ways():
    # pytest turns a RuntimeWarning into an error, so this also checks that none escapes
    assert np.isnan(softmax_unshifted(np.array([1000.0, 0.0]))[0])  # inf / inf
    assert np.all(softmax_unshifted(np.array([709.0, 709.0, 709.0])) == 0)  # Q overflows
    assert np.all(np.isnan(softmax_unshifted(np.array([-1000.0, -1000.0]))))  # 0 / 0
    assert np.isnan(softmax_unshifted(np.array([12.0, 0.0], dtype=np.float16))[0])


@pytest.mark.parametrize("z", [[1000.0, 0.0], [709.0, 709.0, 709.0], [-1000.0, -1000.0]])
def test_shift_cures_the_three_failures(z):
    # the division-free form is less accurate at |z| ~ 1000 (see the next test), not broken
    for algorithm, tolerance in ((softmax_shift_divide, 1e-15), (softmax_exp_minus_lse, 1e-12)):
        probs = algorithm(np.array(z))
        assert np.all(np.isfinite(probs)) and abs(np.sum(probs) - 1) < tolerance


@lib_settings(30)
@given(st.lists(st.floats(-700, 700, allow_nan=False), min_size=2, max_size=8))
def test_float64_forms_agree_with_lib(logits):
    z = np.array(logits)
    np.testing.assert_allclose(softmax_shift_divide(z), softmax(z), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(log_softmax_log1p(z), log_softmax(z), rtol=1e-12, atol=1e-300)


def test_division_free_softmax_loses_accuracy_with_large_logits():
    # protects the finding of Blanchard, Higham & Higham (2021) that chapter 6 reproduces
    rng = np.random.default_rng(1)
    z = rng.normal(scale=3.0, size=(20, 10)) + 1e4
    exact = mp_softmax(z)
    assert np.max(ulp_error(softmax_shift_divide(z), exact, np.float64)) < 40
    assert np.max(ulp_error(softmax_exp_minus_lse(z), exact, np.float64)) > 500


def test_log1p_form_keeps_the_cost_of_a_confident_prediction():
    # S9 of the lecture: with log instead of log1p the cost -log P_0 at z = (40, 0) is exactly 0
    z = np.array([40.0, 0.0])
    exact = mp_log_softmax(z)
    assert log_softmax_shifted_log(z)[0] == 0.0
    assert ulp_error(log_softmax_log1p(z), exact, np.float64)[0] < 1
    assert ulp_error(log_softmax_shifted_log(z), exact, np.float64)[0] > 1e15


def test_float16_errors_stay_within_the_published_bounds():
    # logits of both signs, like the authors' MNIST logits and chapter 6's digits logits
    rng = np.random.default_rng(2)
    z = (rng.normal(scale=4.0, size=(200, 10))).astype(np.float16)
    exact = mp_softmax(z)
    bounds = softmax_error_bounds(z)
    for name in ("shift-divide", "exp(z - lse)"):
        errors = normwise_error(SOFTMAX_ALGORITHMS[name](z), exact, np.float16)
        assert np.all(errors <= bounds[name]), name
    fine = np.max(z, axis=1) < exp_thresholds(np.float16).overflow - 1  # no overflow
    errors = normwise_error(softmax_unshifted(z[fine]), exact[fine], np.float16)
    assert np.all(errors <= bounds["naive"][fine])


def test_error_bounds_reject_bad_shapes():
    with pytest.raises(ValueError, match="shape"):
        softmax_error_bounds(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="finite"):
        softmax_error_bounds(np.array([0.0, np.inf]))
