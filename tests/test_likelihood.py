"""Tests of lib.likelihood: the mean likelihood cost over a grid of parameter settings."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import grids_and_labels, lib_settings

from lib import cross_entropy
from lib.likelihood import cost_on_grid


@lib_settings(60)
@given(grids_and_labels())
def test_each_grid_entry_equals_cross_entropy(case):
    logits, labels = case
    costs = cost_on_grid(logits, labels)
    assert costs.shape == (logits.shape[0],)
    expected = np.array([cross_entropy(slice_, labels) for slice_ in logits])
    np.testing.assert_allclose(costs, expected, rtol=1e-12, atol=1e-12)


@lib_settings(40)
@given(grids_and_labels(), st.floats(-500.0, 500.0))
def test_cost_is_unchanged_by_shifting_every_logit_of_an_example(case, shift):
    logits, labels = case
    np.testing.assert_allclose(
        cost_on_grid(logits + shift, labels), cost_on_grid(logits, labels), rtol=1e-9, atol=1e-9
    )


@lib_settings(40)
@given(grids_and_labels())
def test_cost_is_nonnegative(case):
    logits, labels = case
    assert np.all(cost_on_grid(logits, labels) >= 0.0)


@pytest.mark.parametrize("num_classes", [1, 2, 3, 10])
def test_uniform_guess_costs_log_m(num_classes):
    logits = np.full((2, 3, 4, num_classes), 7.5)
    labels = np.arange(4) % num_classes
    np.testing.assert_allclose(cost_on_grid(logits, labels), np.log(num_classes), rtol=1e-14)


def test_two_parameter_grid_keeps_the_grid_shape():
    b1, b2 = np.meshgrid(np.linspace(-2, 2, 5), np.linspace(-1, 1, 3), indexing="ij")
    bias = np.stack([b1, b2, np.zeros_like(b1)], axis=-1)  # (5, 3, 3)
    logits = np.broadcast_to(bias[:, :, None, :], (5, 3, 6, 3))
    labels = np.array([0, 0, 1, 2, 2, 2])
    costs = cost_on_grid(logits, labels)
    assert costs.shape == (5, 3)
    assert costs[2, 1] == pytest.approx(np.log(3))


def test_two_dimensional_logits_give_a_scalar_cost():
    logits = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 5.0]])
    labels = np.array([2, 0])
    cost = cost_on_grid(logits, labels)
    assert np.ndim(cost) == 0
    assert float(cost) == pytest.approx(cross_entropy(logits, labels))


def test_cost_of_large_logits_is_finite_not_nan():
    # Regression: the naive product of probabilities gives inf/inf = nan for logits of 800.
    logits = np.array([[[800.0, 0.0], [800.0, 0.0]]])
    np.testing.assert_allclose(cost_on_grid(logits, [0, 1]), [400.0])


def test_confident_correct_cost_is_tiny_but_not_zero():
    # Regression: log Q - z_y must be computed stably; exp(-40) is far below float64 epsilon
    # relative to 1, yet the cost log(1 + e^-40) ~ 4.25e-18 must not be lost as 0.
    logits = np.array([[40.0, 0.0]])
    cost = float(cost_on_grid(logits, [0]))
    assert cost == pytest.approx(np.exp(-40.0), rel=1e-6)


@pytest.mark.parametrize(
    ("logits", "labels", "message"),
    [
        (np.zeros(3), [0], "shape \\(..., n, m\\)"),
        (np.zeros((2, 3)), [0, 1, 2], "labels must have shape \\(n,\\) = \\(2,\\)"),
        (np.zeros((2, 3)), [0, 3], "labels\\[1\\] = 3 is outside 0..2"),
        (np.zeros((2, 3)), [1, 3], "subtract 1"),
        (np.array([[0.0, np.nan]]), [0], "nan or inf"),
        (np.zeros((2, 0)), [0, 0], "no examples or no classes"),
        (np.array([["a", "b"]]), [0], "real numbers"),
    ],
)
def test_bad_input_raises_value_error_naming_the_problem(logits, labels, message):
    with pytest.raises(ValueError, match=message):
        cost_on_grid(logits, labels)
