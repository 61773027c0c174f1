"""numerical_gradient (central differences) and relative_error (defined where both sides are 0)."""

import numpy as np
import pytest

from lib import numerical_gradient, relative_error


def test_central_differences_are_exact_for_a_quadratic():
    # for a quadratic the O(h^2) truncation term vanishes: only rounding remains
    a = np.array([[2.0, -1.0], [0.5, 3.0]])
    x = np.array([[0.3, -0.7], [1.1, 0.2]])
    grad = numerical_gradient(lambda v: float(np.sum(a * v**2)), x)
    np.testing.assert_allclose(grad, 2 * a * x, rtol=1e-8)


def test_central_differences_of_a_smooth_function_are_second_order():
    x = np.array([0.4, 1.3, -2.0])
    grad = numerical_gradient(lambda v: float(np.sum(np.sin(v))), x)
    np.testing.assert_allclose(grad, np.cos(x), rtol=1e-9, atol=1e-10)


def test_the_point_is_not_modified_and_f_cannot_modify_it():
    x = np.array([1.0, 2.0])
    before = x.copy()

    def sneaky(v):
        v[0] = 100.0  # a bug in f must not corrupt the check
        return 0.0

    with pytest.raises(ValueError, match="read-only"):
        numerical_gradient(sneaky, x)
    np.testing.assert_array_equal(x, before)
    numerical_gradient(lambda v: float(v @ v), x)
    np.testing.assert_array_equal(x, before)


def test_integer_and_scalar_points_work():
    np.testing.assert_allclose(numerical_gradient(lambda v: float(v**3), 2), 12.0, rtol=1e-8)
    assert numerical_gradient(lambda v: float(np.sum(v)), [1, 2]).dtype == np.float64


@pytest.mark.parametrize("eps", [0.0, -1e-6, np.inf, np.nan, "1e-6"])
def test_a_bad_step_is_rejected(eps):
    with pytest.raises(ValueError, match="eps must be a positive finite number"):
        numerical_gradient(lambda v: 0.0, np.zeros(2), eps=eps)


def test_f_must_return_one_number():
    with pytest.raises(ValueError, match="single real number"):
        numerical_gradient(lambda v: v * 2, np.zeros(2))


def test_relative_error_is_zero_where_both_are_zero():
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error([0.0, 2.0], [0.0, 2.0]) == 0.0


def test_relative_error_is_symmetric_scale_free_and_at_most_one():
    a = np.array([1.0, -3.0, 1e-300])
    b = np.array([1.5, -3.0, -1e-300])
    assert relative_error(a, b) == relative_error(b, a)
    assert relative_error(1e10 * a, 1e10 * b) == pytest.approx(relative_error(a, b), rel=1e-15)
    assert relative_error(a, b) == 1.0  # opposite signs: the largest possible disagreement


def test_relative_error_is_the_largest_entry():
    assert relative_error([1.0, 3.0], [1.0, 1.0]) == 0.5  # |3 - 1| / (3 + 1)


def test_relative_error_flags_nan_instead_of_hiding_it():
    assert np.isnan(relative_error([np.nan, 1.0], [1.0, 1.0]))


def test_relative_error_needs_equal_shapes():
    with pytest.raises(ValueError, match=r"same shape, got \(2,\) and \(3,\)"):
        relative_error(np.zeros(2), np.zeros(3))
