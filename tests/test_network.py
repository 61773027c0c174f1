"""Tests of lib.network: the forward pass, backpropagation and the input checks.

The gradient of the whole model is compared with central differences of the cost (computed by
``lib.numerical_gradient``, independent of the backpropagation code), for both costs and for
networks with 0, 1 and 2 hidden layers.
"""

import numpy as np
import pytest

import lib._validation
from lib import network, numerical_gradient, relative_error
from lib.network import (
    forward,
    gradient_check,
    init_params,
    loss_and_grads,
    params_to_vector,
    predict_proba,
    vector_to_params,
)

LAYERS = [[5, 4], [5, 6, 4], [5, 6, 3, 4]]


def make_problem(layer_sizes, seed=0, n=7):
    rng = np.random.default_rng(seed)
    params = init_params(layer_sizes, rng)
    # Non-zero biases so that their gradients are exercised away from the initial point.
    params = [(weights, rng.normal(size=bias.shape)) for weights, bias in params]
    x = rng.normal(size=(n, layer_sizes[0]))
    labels = rng.integers(0, layer_sizes[-1], size=n)
    return params, x, labels


def numerical_grads(params, x, labels, loss, activation):
    """Central differences of the cost with respect to each W and b, one array at a time."""
    result = []
    for index in range(len(params)):
        pair = []
        for which in range(2):

            def cost_of(array, index=index, which=which):
                layer = list(params[index])
                layer[which] = array
                changed = list(params)
                changed[index] = tuple(layer)
                return loss_and_grads(changed, x, labels, loss=loss, activation=activation)[0]

            pair.append(numerical_gradient(cost_of, params[index][which].copy(), eps=1e-5))
        result.append(tuple(pair))
    return result


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
@pytest.mark.parametrize("layer_sizes", LAYERS, ids=["0-hidden", "1-hidden", "2-hidden"])
def test_backpropagation_matches_finite_differences(layer_sizes, loss, activation):
    params, x, labels = make_problem(layer_sizes)
    _, grads = loss_and_grads(params, x, labels, loss=loss, activation=activation)
    expected = numerical_grads(params, x, labels, loss, activation)
    for (d_weights, d_bias), (n_weights, n_bias) in zip(grads, expected, strict=True):
        assert d_weights.shape == n_weights.shape
        assert d_bias.shape == n_bias.shape
        assert relative_error(d_weights, n_weights) < 1e-6
        assert relative_error(d_bias, n_bias) < 1e-6


def test_relu_backpropagation_matches_finite_differences_away_from_kinks():
    params, x, labels = make_problem([5, 6, 4], seed=3)
    # Keep every hidden z at least 0.1 away from the kink at 0, where ReLU has no derivative.
    weights, bias = params[0]
    z = x @ weights + bias
    bias = bias + np.where(np.abs(z).min(axis=0) < 0.1, 0.5, 0.0)
    params[0] = (weights, bias)
    assert np.abs(x @ weights + bias).min() > 1e-3
    _, grads = loss_and_grads(params, x, labels, activation="relu")
    expected = numerical_grads(params, x, labels, "cross_entropy", "relu")
    for got, want in zip(grads, expected, strict=True):
        assert relative_error(got[0], want[0]) < 1e-6
        assert relative_error(got[1], want[1]) < 1e-6


def test_init_params_is_determined_by_the_seed():
    first = init_params([64, 32, 10], np.random.default_rng(42))
    second = init_params([64, 32, 10], np.random.default_rng(42))
    other = init_params([64, 32, 10], np.random.default_rng(43))
    for (w1, b1), (w2, b2) in zip(first, second, strict=True):
        np.testing.assert_array_equal(w1, w2)
        np.testing.assert_array_equal(b1, b2)
    assert not np.array_equal(first[0][0], other[0][0])


def test_init_params_shapes_dtype_and_scale():
    params = init_params([400, 50, 10], np.random.default_rng(0))
    assert [(w.shape, b.shape) for w, b in params] == [((400, 50), (50,)), ((50, 10), (10,))]
    assert all(w.dtype == np.float64 and b.dtype == np.float64 for w, b in params)
    assert all(not b.any() for _, b in params)
    # The weights' standard deviation is 1/sqrt(d_in) (20 000 draws: within 5 %).
    assert abs(params[0][0].std() * np.sqrt(400) - 1) < 0.05


def test_forward_is_the_composition_of_the_layers():
    params, x, _ = make_problem([5, 6, 3, 4])
    (w1, b1), (w2, b2), (w3, b3) = params
    expected = np.tanh(np.tanh(x @ w1 + b1) @ w2 + b2) @ w3 + b3
    np.testing.assert_allclose(forward(params, x), expected, rtol=1e-13)
    expected_relu = np.maximum(np.maximum(x @ w1 + b1, 0) @ w2 + b2, 0) @ w3 + b3
    np.testing.assert_allclose(forward(params, x, activation="relu"), expected_relu, rtol=1e-13)


def test_sigmoid_hidden_layer_does_not_overflow_for_large_inputs():
    # 1/(1+exp(-z)) would warn (an error under pytest) for z = -1000.
    params = [(np.array([[1.0]]), np.array([0.0])), (np.array([[1.0, -1.0]]), np.zeros(2))]
    logits = forward(params, np.array([[-1000.0], [1000.0]]), activation="sigmoid")
    np.testing.assert_array_equal(logits, [[0.0, 0.0], [1.0, -1.0]])


def test_predict_proba_rows_are_distributions():
    params, x, _ = make_problem([5, 6, 4])
    probs = predict_proba(params, x)
    assert probs.shape == (7, 4)
    assert (probs > 0).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-14)


def test_costs_match_their_definitions():
    params, x, labels = make_problem([5, 6, 4])
    logits = forward(params, x)
    rows = np.arange(len(labels))
    # Eq. (8): C_i = log Q - z_{y_i}; small logits, so the direct formula is exact enough here.
    log_q = np.log(np.exp(logits).sum(axis=1))
    cost, _ = loss_and_grads(params, x, labels)
    assert cost == pytest.approx(np.mean(log_q - logits[rows, labels]), rel=1e-12)
    # Eq. (1) of softmax outputs against one-hot targets, averaged over the rows.
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    targets = np.eye(4)[labels]
    cost_mse, _ = loss_and_grads(params, x, labels, loss="mse")
    assert cost_mse == pytest.approx(np.mean(0.5 * ((targets - probs) ** 2).sum(axis=1)), rel=1e-12)


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_last_bias_gradient_sums_to_zero(loss):
    # Both dC/dz rows sum to 0 (P - onehot for cross-entropy, a softmax Jacobian product for mse),
    # because adding a constant to every logit changes no probability.
    params, x, labels = make_problem([5, 6, 4])
    _, grads = loss_and_grads(params, x, labels, loss=loss)
    assert abs(grads[-1][1].sum()) < 1e-15


def test_cross_entropy_last_layer_gradient_is_the_theorem():
    # One linear layer: dC/db = mean over rows of (P - onehot(y)), the lecture's theorem.
    params, x, labels = make_problem([5, 4])
    probs = predict_proba(params, x)
    _, grads = loss_and_grads(params, x, labels)
    expected = (probs - np.eye(4)[labels]).mean(axis=0)
    np.testing.assert_allclose(grads[0][1], expected, rtol=1e-12, atol=1e-15)


def test_squared_error_gradient_vanishes_for_confident_mistakes():
    # The point of the lecture: through softmax, squared error gives almost no gradient when the
    # network is confidently wrong; cross-entropy gives a gradient of order 1.
    params = [(np.zeros((1, 3)), np.array([0.0, 20.0, 0.0]))]
    x, labels = np.ones((1, 1)), np.array([0])
    _, grads_ce = loss_and_grads(params, x, labels, loss="cross_entropy")
    _, grads_mse = loss_and_grads(params, x, labels, loss="mse")
    assert np.abs(grads_ce[0][1]).max() > 0.99
    assert np.abs(grads_mse[0][1]).max() < 1e-8


def test_loss_and_grads_does_not_modify_params_or_inputs():
    params, x, labels = make_problem([5, 6, 4])
    saved = [(w.copy(), b.copy()) for w, b in params]
    x_saved, labels_saved = x.copy(), labels.copy()
    loss_and_grads(params, x, labels, loss="mse")
    for (w, b), (w0, b0) in zip(params, saved, strict=True):
        np.testing.assert_array_equal(w, w0)
        np.testing.assert_array_equal(b, b0)
    np.testing.assert_array_equal(x, x_saved)
    np.testing.assert_array_equal(labels, labels_saved)


def test_integer_inputs_are_accepted_as_float():
    params, x, labels = make_problem([5, 4])
    x_int = np.round(x * 3).astype(np.int64)
    np.testing.assert_allclose(forward(params, x_int), forward(params, x_int.astype(float)))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p, x, y: (p, x, np.where(np.arange(len(y)) == 2, 4, y)), r"labels\[2\] = 4"),
        (lambda p, x, y: (p, x, y - 1 - y.max()), r"outside 0\.\.3"),
        (lambda p, x, y: (p, x, y[:-1]), "one class per row"),
        (lambda p, x, y: (p, x, y.reshape(-1, 1)), "one class per row"),
        (lambda p, x, y: (p, x[:, :4], y), "5"),
        (lambda p, x, y: (p, x[0], y), r"shape \(n, d\)"),
        (lambda p, x, y: (p, np.where(x > 1, np.nan, x), y), "nan"),
        (lambda p, x, y: (p, x.astype(str), y), "real numbers"),
        (lambda p, x, y: ([p[1], p[0]], x, y), "input rows"),
        (lambda p, x, y: ([(p[0][0], p[0][1][:2])], x, y), "W must be"),
        (lambda p, x, y: ([], x, y), "non-empty"),
        (lambda p, x, y: (p, x, y.astype(float) + 0.5), "whole number"),
        (lambda p, x, y: (p, x[:0], y[:0]), "no rows"),
    ],
    ids=[
        "label-too-large",
        "negative-label",
        "length-mismatch",
        "labels-2d",
        "feature-count",
        "x-1d",
        "x-nan",
        "x-strings",
        "layers-out-of-order",
        "bias-shape",
        "no-layers",
        "fractional-label",
        "empty-batch",
    ],
)
def test_bad_input_raises_a_readable_value_error(change, message):
    params, x, labels = make_problem([5, 6, 4])
    params, x, labels = change(params, x, labels)
    with pytest.raises(ValueError, match=message):
        loss_and_grads(params, x, labels)


def test_unknown_loss_or_activation_is_named():
    params, x, labels = make_problem([5, 6, 4])
    with pytest.raises(ValueError, match="'hinge'"):
        loss_and_grads(params, x, labels, loss="hinge")
    with pytest.raises(ValueError, match="'softplus'"):
        forward(params, x, activation="softplus")


@pytest.mark.parametrize(
    ("layer_sizes", "message"),
    [
        ([64], "at least two"),
        ([64, 0, 10], r"layer_sizes\[1\]"),
        ("64,10", "sequence"),
        ([64, 2.5], r"layer_sizes\[1\]"),
        ([64, True], r"layer_sizes\[1\]"),
    ],
)
def test_init_params_rejects_bad_layer_sizes(layer_sizes, message):
    with pytest.raises(ValueError, match=message):
        init_params(layer_sizes, np.random.default_rng(0))


def test_init_params_requires_a_generator():
    # A bare seed or the legacy global state would make "fixed seed, fixed result" easy to break.
    with pytest.raises(ValueError, match="Generator"):
        init_params([4, 3], 0)


def test_gradient_check_checks_its_inputs_once_not_in_each_of_its_2p_costs(monkeypatch):
    # the 2P cost evaluations of the central differences call the unchecked forward pass
    calls, check_params = [], network.check_params

    def counted(params):
        calls.append(1)
        return check_params(params)

    for module in (lib._validation, network):  # lib.network imports the name too
        monkeypatch.setattr(module, "check_params", counted)
    params, x, labels = make_problem([5, 6, 4])
    assert gradient_check(params, x, labels) < 1e-7
    assert len(calls) == 1


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
@pytest.mark.parametrize("layer_sizes", LAYERS, ids=["0-hidden", "1-hidden", "2-hidden"])
def test_gradient_check_of_the_whole_model_passes(layer_sizes, loss):
    params, x, labels = make_problem(layer_sizes, seed=11)
    assert gradient_check(params, x, labels, loss=loss) < 1e-7


def test_gradient_check_detects_a_wrong_activation_derivative(monkeypatch):
    # Protects the check itself: a plausible slip (tanh' written as 1 - a instead of 1 - a**2)
    # must produce a large relative error.
    params, x, labels = make_problem([5, 6, 4])
    monkeypatch.setitem(network.ACTIVATIONS, "tanh", (np.tanh, lambda z, a: 1.0 - a))
    assert gradient_check(params, x, labels) > 1e-2


def test_params_vector_round_trip():
    params, _, _ = make_problem([5, 6, 3, 4])
    vector = params_to_vector(params)
    assert vector.shape == (5 * 6 + 6 + 6 * 3 + 3 + 3 * 4 + 4,)
    back = vector_to_params(vector, params)
    for (w, b), (w1, b1) in zip(params, back, strict=True):
        np.testing.assert_array_equal(w, w1)
        np.testing.assert_array_equal(b, b1)
    with pytest.raises(ValueError, match="entries"):
        vector_to_params(vector[:-1], params)
