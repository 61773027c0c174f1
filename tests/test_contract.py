"""One regression test per point of lib's numerical contract (what every public function promises).

Magnitude and class count, warnings, dtypes, inputs left alone, non-finite input,
errors a student can read, and memory. Accuracy in ulps is in tests/test_accuracy.py.
"""

import tracemalloc

import numpy as np
import pytest
from hypothesis import given
from strategies import LIB_SETTINGS, logits_and_labels

from lib import (
    cross_entropy,
    cross_entropy_grad,
    log_softmax,
    logsumexp,
    mse,
    mse_grad,
    numerical_gradient,
    one_hot,
    relative_error,
    softmax,
    softmax_jacobian,
    softmax_naive,
)
from lib.reference import mp_log_softmax, ulp_error

ROW_FUNCTIONS = [softmax, log_softmax, logsumexp]

# --- finite input of any magnitude and any number of classes: no nan, no inf --------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_no_nan_or_inf_at_the_ends_of_the_float_range(dtype):
    big = np.finfo(dtype).max
    z = np.array([[big, -big, 0.0], [big, big, big], [-big, -big, -big], [big, 0.0, 1.0]], dtype)
    assert np.all(np.isfinite(softmax(z)))
    assert np.all(np.isfinite(logsumexp(z)))
    log_probs = log_softmax(z)
    # z_j - log Q = -2 max is not representable: -inf is the right answer there, and only there
    np.testing.assert_array_equal(np.isinf(log_probs), [[False, True, False]] + [[False] * 3] * 3)
    np.testing.assert_allclose(softmax(z)[1], [1 / 3] * 3, rtol=1e-6)


def test_no_nan_or_inf_for_1e308_logits():
    z = np.array([1e308, -1e308, 5e307, -3.0])
    assert np.all(np.isfinite(softmax(z)))
    assert np.isfinite(logsumexp(z))
    assert np.all(np.isfinite(log_softmax(z)[[0, 2, 3]]))


@pytest.mark.parametrize("m", [1, 2, 17, 100_000, 1_000_000])
def test_any_number_of_classes_from_1_to_a_million(m):
    z = np.random.default_rng(m).normal(scale=30, size=m)
    probs = softmax(z)
    assert np.all(np.isfinite(probs)) and abs(probs.sum() - 1) < 1e-12
    assert np.isfinite(logsumexp(z))
    assert np.all(np.isfinite(log_softmax(z)))


def test_a_single_class_is_certain():
    np.testing.assert_array_equal(softmax(np.array([[3.0], [13.0], [-1e308]])), [[1.0]] * 3)
    np.testing.assert_array_equal(log_softmax(np.array([[3.0]])), [[0.0]])
    assert cross_entropy(np.array([[7.0]]), [0]) == 0.0


# --- no RuntimeWarning escapes, whatever numpy's error state says ------------------------------


def call_everything(z, labels):
    """Call every public function of lib's core on one input."""
    softmax(z)
    log_softmax(z)
    logsumexp(z)
    softmax_naive(z)
    softmax_jacobian(z[0])
    cross_entropy(z, labels)
    cross_entropy_grad(z, labels)
    mse(z, z[::-1])
    mse_grad(z, z[::-1])
    relative_error(z, z[::-1])
    numerical_gradient(lambda t: float(t[0]), z[0, :2])  # f itself must not overflow


@LIB_SETTINGS
@given(logits_and_labels())
def test_no_floating_point_warning_escapes_for_any_finite_input(data):
    z, labels = data
    with np.errstate(all="raise"):  # any unsuppressed overflow etc. would raise here
        call_everything(z, labels)


@pytest.mark.parametrize(
    "z",
    [
        np.array([[np.inf, 0.0, -np.inf], [np.nan, 1.0, 2.0]]),
        np.array([[1e308, -1e308, np.inf], [-np.inf, 0.0, np.nan]]),
        np.array([[800.0, 801.0, -800.0], [-1e300, 1e300, 0.0]]),
    ],
)
def test_no_floating_point_warning_escapes_for_non_finite_input(z):
    with np.errstate(all="raise"):
        call_everything(z, np.array([0, 1]))


# --- dtypes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("in_dtype", "out_dtype"),
    [
        (np.float32, np.float32),
        (np.float64, np.float64),
        (np.int64, np.float64),
        (np.int8, np.float64),
    ],
)
def test_float32_stays_float64_stays_integers_become_float64(in_dtype, out_dtype):
    z = np.array([[1, 2, 3], [0, -1, 4]], dtype=in_dtype)
    labels = [2, 0]
    for result in (
        softmax(z),
        log_softmax(z),
        logsumexp(z),
        softmax_naive(z),
        softmax_jacobian(z[0]),
        cross_entropy_grad(z, labels),
        mse_grad(z, z),
    ):
        assert result.dtype == out_dtype
    assert isinstance(cross_entropy(z, labels), float)


def test_complex_input_is_rejected():
    with pytest.raises(ValueError, match="real numbers"):
        softmax(np.array([1j, 2.0]))


# --- inputs are never modified -----------------------------------------------------------------


def test_inputs_are_never_modified():
    rng = np.random.default_rng(4)
    z = rng.normal(size=(4, 5)) * 100
    labels = np.array([0, 4, 2, 1])
    targets = one_hot(labels, 5)
    for array in (z, labels, targets):
        array.flags.writeable = False  # a write would raise
    copies = [z.copy(), labels.copy(), targets.copy()]
    for axis in (0, 1):
        softmax(z, axis=axis)
        log_softmax(z, axis=axis)
        logsumexp(z, axis=axis)
        softmax_naive(z, axis=axis)
    cross_entropy(z, labels)
    cross_entropy_grad(z, labels)
    cross_entropy(z, targets)
    cross_entropy_grad(z, targets)
    mse(z, targets)
    mse_grad(z, targets)
    softmax_jacobian(z[0])
    for array, copy in zip((z, labels, targets), copies, strict=True):
        np.testing.assert_array_equal(array, copy)


# --- non-finite input has a meaning ---------------------------------------------------------------


def test_minus_inf_logits_are_impossible_classes_with_probability_exactly_zero():
    z = np.array([[0.0, -np.inf, 1.0]])
    probs = softmax(z)
    assert probs[0, 1] == 0.0
    np.testing.assert_allclose(probs[0, [0, 2]], softmax(np.array([0.0, 1.0])), rtol=1e-15)
    assert log_softmax(z)[0, 1] == -np.inf
    assert logsumexp(z)[0] == pytest.approx(logsumexp(np.array([0.0, 1.0])), rel=1e-15)


def test_plus_inf_logits_share_the_probability_equally():
    z = np.array([[np.inf, 5.0, np.inf, np.inf]])
    np.testing.assert_array_equal(softmax(z), [[1 / 3, 0.0, 1 / 3, 1 / 3]])
    np.testing.assert_allclose(log_softmax(z), [[-np.log(3), -np.inf] + [-np.log(3)] * 2])
    assert logsumexp(z)[0] == np.inf


def test_nan_makes_its_own_slice_nan_and_no_other():
    z = np.array([[1.0, np.nan, 2.0], [1.0, 0.0, 2.0]])
    for function in ROW_FUNCTIONS:
        result = function(z)
        assert np.all(np.isnan(result[0]))
        assert not np.any(np.isnan(result[1]))
    result = softmax(z, axis=0)  # along the other axis only column 1 is spoiled
    assert np.all(np.isnan(result[:, 1])) and not np.any(np.isnan(result[:, [0, 2]]))


@pytest.mark.parametrize("function", ROW_FUNCTIONS)
def test_a_slice_of_only_minus_inf_raises(function):
    z = np.array([[0.0, 1.0], [-np.inf, -np.inf]])
    with pytest.raises(ValueError, match=r"every logit of z\[1, :\] is -inf: no class is possible"):
        function(z)
    with pytest.raises(ValueError, match=r"z\[:, 1\]"):
        function(z.T, axis=0)


def test_log_softmax_of_dominant_class_is_not_zero():
    # log P_0 = -log1p(e^-40) = -4.2483542552915889e-18 (computed with mpmath, mp.dps = 60);
    # z - max - log(sum(exp(z - max))) gives exactly 0 here
    log_probs = log_softmax(np.array([40.0, 0.0]))
    assert log_probs[0] == pytest.approx(-4.2483542552915889e-18, rel=4e-16)


def test_rounding_correction_copes_with_an_impossible_class():
    # a dominant class, a rival 30 below (so the TwoSum correction runs) and a -inf logit
    z = np.array([0.0, -30.0, -np.inf])
    with np.errstate(all="raise"):
        log_probs = log_softmax(z)
    exact = mp_log_softmax(z[:2])  # the impossible class changes nothing else
    assert np.all(ulp_error(log_probs[:2], exact, np.float64) <= 2)
    assert log_probs[2] == -np.inf


def test_cross_entropy_of_an_impossible_label_is_inf():
    assert cross_entropy(np.array([[0.0, -np.inf]]), [1]) == np.inf


# --- bad input: a ValueError that names the problem -----------------------------------------------


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ([0, 1, 2, 12, 1], r"labels\[3\] = 12 is outside 0..9 \(num_classes=10\)"),
        ([0, -1, 2, 3, 4], r"labels\[1\] = -1 is outside 0..9"),
        ([0, 1, 2.5, 3, 4], r"labels\[2\] = 2.5 is not a whole number"),
        ([1, 2, 3, 10, 4], r"numbers classes 1..m, here they are 0..m-1"),
        ([0, 1, 2], r"labels of shape \(3,\) do not match logits of shape \(5, 10\)"),
        (np.zeros((5, 3)), r"labels of shape \(5, 3\) do not match"),
        (["a"] * 5, "integer class indices"),
        ([True] * 5, "integer class indices"),
        (np.full((5, 10), 0.2), r"soft targets must sum to 1 over the classes: row 0 sums to 2"),
        (-np.eye(5, 10), "soft targets must be finite probabilities >= 0"),
    ],
)
@pytest.mark.parametrize("function", [cross_entropy, cross_entropy_grad])
def test_bad_labels_raise_a_readable_value_error(function, labels, message):
    with pytest.raises(ValueError, match=message):
        function(np.zeros((5, 10)), labels)


def test_one_hot_names_the_offending_label():
    with pytest.raises(ValueError, match=r"labels\[1\] = 5 is outside 0..2 \(num_classes=3\)"):
        one_hot([0, 5], 3)
    with pytest.raises(ValueError, match="num_classes must be at least 1"):
        one_hot([0], 0)


@pytest.mark.parametrize("function", ROW_FUNCTIONS + [softmax_naive])
def test_an_empty_class_axis_raises(function):
    with pytest.raises(ValueError, match=r"z has no classes: axis 1 of shape \(3, 0\) is empty"):
        function(np.zeros((3, 0)))


@pytest.mark.parametrize("function", ROW_FUNCTIONS)
def test_scalar_input_and_a_bad_axis_raise(function):
    with pytest.raises(ValueError, match="at least one dimension"):
        function(3.0)
    with pytest.raises(ValueError, match="axis=2 is out of range"):
        function(np.zeros((2, 2)), axis=2)


def test_mse_shape_mismatch_raises():
    with pytest.raises(
        ValueError, match=r"outputs of shape \(2, 3\) and targets of shape \(3, 2\)"
    ):
        mse(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="same shape"):
        mse_grad(np.zeros((2, 3)), np.zeros(3))


# --- memory: integer labels never build an (n, m) one-hot ----------------------------------------


def peak_bytes(function, *args):
    """Peak memory traced while calling function(*args) (numpy reports its buffers)."""
    tracemalloc.start()
    try:
        function(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_cross_entropy_with_integer_labels_builds_no_n_by_m_array():
    n, m = 10, 100_000
    z = np.random.default_rng(8).normal(size=(n, m))
    labels = np.arange(n)
    full = n * m * 8
    assert peak_bytes(cross_entropy, z, labels) < full / 2
    # the gradient's output is (n, m): nothing else of that size
    assert peak_bytes(cross_entropy_grad, z, labels) < full * 1.5
    # and the check can fail: building the one-hot costs a full array
    assert peak_bytes(one_hot, labels, m) >= full
