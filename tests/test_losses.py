"""The cross-entropy cost (eqs. 7-8), the lecture's theorem (eq. 12) and the MSE of Lecture 5."""

import numpy as np
import pytest
import scipy.special
from hypothesis import given
from strategies import LIB_SETTINGS, logits, logits_and_labels, soft_targets

from lib import (
    cross_entropy,
    cross_entropy_grad,
    mse,
    mse_grad,
    numerical_gradient,
    one_hot,
    relative_error,
    softmax,
)

# --- one_hot ---------------------------------------------------------------------------------


def test_one_hot_rows_are_rows_of_the_identity():
    labels = np.array([2, 0, 1, 2])
    onehot = one_hot(labels, 3)
    assert onehot.dtype == np.float64
    np.testing.assert_array_equal(onehot, np.eye(3)[labels])


def test_one_hot_accepts_whole_float_labels_and_any_shape():
    np.testing.assert_array_equal(one_hot(np.array([1.0, 0.0]), 2), [[0, 1], [1, 0]])
    assert one_hot(np.zeros((2, 3), dtype=int), 4).shape == (2, 3, 4)


# --- the cost: definition, mean convention, scipy composition ------------------------------


@LIB_SETTINGS
@given(logits_and_labels(bound=50.0))
def test_cross_entropy_is_the_mean_of_minus_log_p_of_the_label(data):
    z, labels = data
    rows = np.arange(z.shape[0])
    expected = -np.mean(scipy.special.log_softmax(z, axis=1)[rows, labels])
    assert cross_entropy(z, labels) == pytest.approx(expected, rel=1e-12, abs=1e-14)


@LIB_SETTINGS
@given(logits_and_labels(bound=50.0))
def test_cross_entropy_is_log_q_minus_the_label_logit(data):
    # eq. (8): C_i = log Q - z_{y_i}
    z, labels = data
    rows = np.arange(z.shape[0])
    expected = np.mean(scipy.special.logsumexp(z, axis=1) - z[rows, labels])
    assert cross_entropy(z, labels) == pytest.approx(expected, rel=1e-12, abs=1e-12)


@LIB_SETTINGS
@given(logits_and_labels())
def test_cross_entropy_is_nonnegative_and_finite_for_finite_logits_of_any_size(data):
    z, labels = data
    cost = cross_entropy(z, labels)
    assert isinstance(cost, float)
    with np.errstate(over="ignore"):  # the gap may overflow to inf: then no claim is made
        gap = z.max(axis=1) - z[np.arange(z.shape[0]), labels]
    if np.all(np.isfinite(gap)):
        assert 0 <= cost < np.inf


def test_cost_of_a_batch_repeated_twice_is_the_same_mean():
    z = np.random.default_rng(1).normal(size=(5, 4))
    labels = np.array([0, 3, 1, 1, 2])
    twice = cross_entropy(np.vstack([z, z]), np.concatenate([labels, labels]))
    assert twice == pytest.approx(cross_entropy(z, labels), rel=1e-15)


def test_one_example_may_be_given_as_a_1d_array():
    z = np.array([1.0, 2.0, 0.5])
    assert cross_entropy(z, 1) == cross_entropy(z[np.newaxis], [1])
    np.testing.assert_array_equal(
        cross_entropy_grad(z, 1), cross_entropy_grad(z[np.newaxis], [1])[0]
    )


def test_uniform_logits_cost_log_m():
    # every class equally likely: -log(1/m)
    assert cross_entropy(np.zeros((3, 10)), [0, 4, 9]) == pytest.approx(np.log(10), rel=1e-15)


# --- soft targets ------------------------------------------------------------------------------


@LIB_SETTINGS
@given(logits_and_labels(bound=30.0))
def test_one_hot_soft_targets_give_the_same_cost_and_gradient_as_labels(data):
    z, labels = data
    targets = one_hot(labels, z.shape[1])
    assert cross_entropy(z, targets) == pytest.approx(
        cross_entropy(z, labels), rel=1e-13, abs=1e-15
    )
    # the label entry is -sum_{j != y} P_j with labels and P_y - 1 with targets: a rounding apart
    np.testing.assert_allclose(
        cross_entropy_grad(z, targets),
        cross_entropy_grad(z, labels),
        rtol=1e-12,
        atol=4 * np.finfo(z.dtype).eps / z.shape[0],
    )


@LIB_SETTINGS
@given(
    logits(dtype=np.float64, bound=20.0).flatmap(
        lambda z: soft_targets(*z.shape).map(lambda t: (z, t))
    )
)
def test_soft_target_cost_is_the_mean_of_minus_sum_t_log_p(data):
    z, targets = data
    expected = -np.mean(np.sum(targets * scipy.special.log_softmax(z, axis=1), axis=1))
    assert cross_entropy(z, targets) == pytest.approx(expected, rel=1e-12, abs=1e-14)


def test_soft_target_of_zero_on_an_impossible_class_costs_nothing():
    z = np.array([[0.0, -np.inf]])
    assert cross_entropy(z, [[1.0, 0.0]]) == 0.0  # 0 * log 0 is taken as 0, not nan
    assert cross_entropy(z, [[0.5, 0.5]]) == np.inf


# --- the theorem (eq. 12) with the mean convention (slip S5) ---------------------------------


@LIB_SETTINGS
@given(logits_and_labels(bound=30.0))
def test_gradient_is_softmax_minus_onehot_over_n(data):
    z, labels = data
    n, m = z.shape
    expected = (softmax(z) - one_hot(labels, m)) / n
    # P_y - 1 as written here is off by up to one rounding of P_y (about 1e-16) in absolute
    # terms; lib computes it as -sum_{j != y} P_j, which is better, so compare absolutely there
    tolerance = 4 * np.finfo(z.dtype).eps / n
    np.testing.assert_allclose(cross_entropy_grad(z, labels), expected, rtol=1e-12, atol=tolerance)


@LIB_SETTINGS
@given(logits_and_labels())
def test_gradient_rows_sum_to_zero(data):
    z, labels = data
    n, m = z.shape
    grad = cross_entropy_grad(z, labels)
    assert grad.dtype == z.dtype
    assert np.all(np.isfinite(grad))
    u = float(np.finfo(z.dtype).eps) / 2
    row_sums = np.array([np.sum(row.astype(np.longdouble)) for row in grad], dtype=np.float64)
    assert np.all(np.abs(row_sums) <= (m + 3) * u / n)


@LIB_SETTINGS
@given(logits_and_labels(bound=3.0, max_rows=4, max_classes=6))
def test_the_theorem_against_central_differences(data):
    z, labels = data

    def cost(t):
        return cross_entropy(t, labels)

    assert relative_error(cross_entropy_grad(z, labels), numerical_gradient(cost, z)) < 1e-5


def test_central_differences_catch_a_gradient_without_the_mean():
    # the check has teeth: the per-example gradient (the sum convention) fails it
    z = np.random.default_rng(2).normal(size=(3, 4))
    labels = np.array([1, 0, 3])
    numeric = numerical_gradient(lambda t: cross_entropy(t, labels), z)
    wrong = softmax(z) - one_hot(labels, 4)
    assert relative_error(wrong, numeric) > 0.3
    assert relative_error(cross_entropy_grad(z, labels), numeric) < 1e-7


def test_gradient_of_a_confident_correct_prediction_is_tiny_not_zero():
    # P_0 rounds to 1, but dC/dz_0 = P_0 - 1 = -e^-40 / (1 + e^-40) (computed with mpmath)
    grad = cross_entropy_grad(np.array([[40.0, 0.0]]), [0])
    np.testing.assert_allclose(grad, [[-4.248354255291589e-18, 4.248354255291589e-18]], rtol=1e-15)


# --- MSE (Lecture 5, eq. 1) with the same mean convention --------------------------------------


def test_mse_is_the_mean_over_examples_of_half_the_squared_error():
    outputs = np.array([[1.0, 2.0], [0.0, 0.0], [3.0, -1.0]])
    targets = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    per_example = 0.5 * np.sum((targets - outputs) ** 2, axis=1)  # eq. (1)
    assert mse(outputs, targets) == pytest.approx(np.mean(per_example), rel=1e-15)


def test_mse_gradient_against_central_differences():
    rng = np.random.default_rng(3)
    outputs, targets = rng.normal(size=(2, 4, 3))
    numeric = numerical_gradient(lambda a: mse(a, targets), outputs)
    np.testing.assert_allclose(mse_grad(outputs, targets), (outputs - targets) / 4, rtol=1e-15)
    assert relative_error(mse_grad(outputs, targets), numeric) < 1e-7


def test_mse_of_one_example_as_a_1d_array():
    assert mse([1.0, 3.0], [0.0, 0.0]) == 5.0
    np.testing.assert_array_equal(mse_grad([1.0, 3.0], [0.0, 0.0]), [1.0, 3.0])
