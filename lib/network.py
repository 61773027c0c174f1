"""A fully connected network with a softmax output layer: forward pass and backpropagation.

Rows are examples; a layer computes ``z = a @ W + b`` (``W`` (d_in, d_out), ``b`` (d_out,)),
hidden layers apply an activation, the last layer's ``z`` are the logits. Parameters are a
plain list of ``(W, b)`` tuples, one per layer, so a student can print, change or plot them.
Both costs are means over the ``n`` examples (slip S5): ``"cross_entropy"``, eqs. (7)-(8),
whose gradient with respect to the logits is the lecture's theorem ``(P - onehot(y)) / n``;
and ``"mse"``, Lecture 5's eq. (1) put through softmax, whose gradient carries the softmax
Jacobian and vanishes when the network is confidently wrong (the slowdown the lecture motivates).
`gradient_check` compares backpropagation with central differences over the whole model.
"""

from collections.abc import Sequence

import numpy as np

from lib import (
    cross_entropy,
    cross_entropy_grad,
    mse,
    numerical_gradient,
    one_hot,
    softmax,
)
from lib._validation import check_choice, check_examples, check_inputs, check_params

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "check_activation",
    "check_inputs",
    "check_loss",
    "check_params",
    "cost_from_logits",
    "forward",
    "gradient_check",
    "init_params",
    "loss_and_grads",
    "params_to_vector",
    "predict_proba",
    "vector_to_params",
]

LOSSES = ("cross_entropy", "mse")


def _tanh_derivative(z, a):
    return 1.0 - a * a


def _sigmoid(z):
    # 1/(1+exp(-z)) overflows exp for z < -709; this form never exponentiates a positive number.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _sigmoid_derivative(z, a):
    return a * (1.0 - a)


def _relu(z):
    return np.maximum(z, 0.0)


def _relu_derivative(z, a):
    return (z > 0).astype(z.dtype)


# name -> (function of z, derivative as a function of z and a = function(z))
ACTIVATIONS = {
    "tanh": (np.tanh, _tanh_derivative),
    "sigmoid": (_sigmoid, _sigmoid_derivative),
    "relu": (_relu, _relu_derivative),
}


def init_params(layer_sizes, rng):
    """Random weights and zero biases for a fully connected network.

    Parameters
    ----------
    layer_sizes : sequence of int, length L + 1 >= 2
        Widths from input to output, e.g. ``[64, 10]`` or ``[64, 32, 10]``.
    rng : numpy.random.Generator
        The only source of randomness.

    Returns
    -------
    params : list of (W, b)
        ``W`` (d_in, d_out) drawn from N(0, 1/d_in), so each ``z_j`` starts with about the
        variance of the inputs and tanh units start unsaturated (LeCun initialisation,
        Goodfellow et al. 2016, 8.4); ``b`` zeros (d_out,).

    >>> params = init_params([64, 32, 10], np.random.default_rng(0))
    >>> [(W.shape, b.shape) for W, b in params]
    [((64, 32), (32,)), ((32, 10), (10,))]
    >>> init_params([64], np.random.default_rng(0))
    Traceback (most recent call last):
    ...
    ValueError: layer_sizes needs at least two entries (input and output width), got [64]
    """
    if isinstance(layer_sizes, str) or not isinstance(layer_sizes, Sequence | np.ndarray):
        raise ValueError(
            f"layer_sizes must be a sequence of positive integers, got {layer_sizes!r}"
        )
    sizes = list(layer_sizes)
    if len(sizes) < 2:
        raise ValueError(
            f"layer_sizes needs at least two entries (input and output width), got {sizes}"
        )
    for position, size in enumerate(sizes):
        if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1:
            raise ValueError(
                f"layer_sizes[{position}] = {size!r} is not a positive integer (layer width)"
            )
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)), got {rng!r}"
        )
    params = []
    for d_in, d_out in zip(sizes[:-1], sizes[1:], strict=True):
        weights = rng.normal(0.0, 1.0 / np.sqrt(d_in), size=(int(d_in), int(d_out)))
        params.append((weights, np.zeros(int(d_out))))
    return params


def check_loss(loss):
    """ValueError unless `loss` is one of `LOSSES`."""
    check_choice(loss, LOSSES, "loss")


def check_activation(activation):
    """The ``(function, derivative)`` pair of `activation`; ValueError unless it is a key of
    `ACTIVATIONS`."""
    check_choice(activation, ACTIVATIONS, "activation")
    return ACTIVATIONS[activation]


def _forward_cache(params, x, activation):
    """Forward pass keeping every layer's input ``a`` and hidden ``z`` for backpropagation
    (unchecked: `params`, `x` and `activation` as the public functions checked them)."""
    function, _ = ACTIVATIONS[activation]
    inputs, weighted = [], []
    a = x
    for index, (weights, bias) in enumerate(params):
        inputs.append(a)
        z = a @ weights + bias
        if index == len(params) - 1:
            return z, inputs, weighted
        weighted.append(z)
        a = function(z)
    raise AssertionError("unreachable: params is not empty")


def forward(params, x, activation="tanh"):
    """Logits of a fully connected network: hidden layers use `activation`, the last is linear.

    Parameters
    ----------
    params : list of (W, b)
        As returned by `init_params`.
    x : array_like, shape (n, d)
        One example per row; ``d`` is the first layer's ``d_in``.
    activation : {"tanh", "sigmoid", "relu"}
        Activation of the hidden layers.

    Returns
    -------
    logits : ndarray, shape (n, m)
        ``z^l = a^{l-1} W^l + b^l``, ``a^l = f(z^l)``, ``a^0 = x``; the last layer has no
        activation: softmax is applied by the cost, in log-space where it is stable.

    >>> params = [(np.array([[1.0, -1.0]]), np.array([0.0, 0.5]))]
    >>> forward(params, np.array([[2.0], [0.0]]))
    array([[ 2. , -1.5],
           [ 0. ,  0.5]])
    >>> forward(params, np.array([2.0, 0.0]))
    Traceback (most recent call last):
    ...
    ValueError: x must have shape (n, d) with one example per row, got shape (2,)
    """
    params = check_params(params)
    x = check_inputs(params, x)
    check_activation(activation)
    logits, _, _ = _forward_cache(params, x, activation)
    return logits


def predict_proba(params, x, activation="tanh"):
    """Class probabilities ``P``, shape (n, m): ``softmax(forward(params, x))``.

    >>> params = [(np.zeros((3, 4)), np.zeros(4))]
    >>> predict_proba(params, np.ones((1, 3)))
    array([[0.25, 0.25, 0.25, 0.25]])
    """
    return softmax(forward(params, x, activation))


def loss_and_grads(params, x, labels, loss="cross_entropy", activation="tanh"):
    """Mean cost over the examples and its gradient with respect to every ``W`` and ``b``.

    `params`, `x`, `activation` as in `forward`; `labels` int (n,) in ``0..m-1``; `loss` one of
    `LOSSES`. Returns ``(cost, grads)``, ``grads`` shaped like `params`.

    Notes
    -----
    From :math:`\\delta^L = \\partial C/\\partial z^L` -- cross-entropy: the theorem
    :math:`(P_{ij} - \\delta_{y_i j})/n`; squared error: with :math:`g = (P - Y)/n`, the
    Jacobian gives :math:`P_{ij}(g_{ij} - \\sum_k g_{ik} P_{ik})`, nearly 0 when confidently
    wrong -- each layer, last first: :math:`\\partial C/\\partial W^l = (a^{l-1})^T
    \\delta^l`, :math:`\\partial C/\\partial b^l = \\sum_i \\delta^l_i`,
    :math:`\\delta^{l-1} = (\\delta^l (W^l)^T) \\odot f'(z^{l-1})` (eqs. (9)-(10)).

    Zero weights: cost ``log m``, bias gradient the theorem's ``P - onehot`` averaged; labels
    numbered 1..m as in the lecture are caught:

    >>> params = [(np.zeros((2, 3)), np.zeros(3))]
    >>> cost, grads = loss_and_grads(params, np.ones((2, 2)), np.array([0, 0]))
    >>> round(cost, 6) == round(float(np.log(3)), 6), grads[0][1]
    (True, array([-0.66666667,  0.33333333,  0.33333333]))
    >>> loss_and_grads(params, np.ones((2, 2)), np.array([1, 3]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: labels[1] = 3 is outside 0..2 (num_classes=3); the lecture numbers classes 1..m...
    """
    params, x, labels = check_examples(params, x, labels, loss, activation, LOSSES, ACTIVATIONS)
    return _backpropagate(params, x, labels, loss, activation)


def cost_from_logits(logits, labels, loss="cross_entropy"):
    """Mean cost of logits (n, m) for int labels (n,), unchecked (for loops that checked once)."""
    if loss == "cross_entropy":
        return float(cross_entropy(logits, labels))
    return float(mse(softmax(logits), one_hot(labels, logits.shape[1])))


def _backpropagate(params, x, labels, loss, activation, with_cost=True):
    """`loss_and_grads` unchecked; ``with_cost=False`` skips the cost (returns None for it)."""
    _, derivative = ACTIVATIONS[activation]
    logits, inputs, weighted = _forward_cache(params, x, activation)
    n, num_classes = logits.shape
    cost = cost_from_logits(logits, labels, loss) if with_cost else None
    if loss == "cross_entropy":
        delta = cross_entropy_grad(logits, labels)
    else:
        probs = softmax(logits)
        grad_probs = (probs - one_hot(labels, num_classes)) / n
        # The softmax Jacobian applied to each row without forming the (m, m) matrix.
        delta = probs * (grad_probs - np.sum(grad_probs * probs, axis=1, keepdims=True))

    grads = [None] * len(params)
    for index in range(len(params) - 1, -1, -1):
        weights = params[index][0]
        grads[index] = (inputs[index].T @ delta, delta.sum(axis=0))
        if index > 0:
            z = weighted[index - 1]
            delta = (delta @ weights.T) * derivative(z, inputs[index])
    return cost, grads


def params_to_vector(params):
    """All weights and biases in one float64 vector: W1, b1, W2, b2, ... each flattened.

    >>> params = [(np.ones((2, 3)), np.zeros(3))]
    >>> params_to_vector(params).shape
    (9,)
    """
    return _to_vector(check_params(params))


def _to_vector(params):
    """`params_to_vector` unchecked."""
    return np.concatenate([np.ravel(array) for layer in params for array in layer]).astype(float)


def vector_to_params(vector, like):
    """Inverse of `params_to_vector`: cut `vector` into arrays shaped like `like`.

    >>> like = [(np.ones((2, 3)), np.zeros(3))]
    >>> vector_to_params(np.arange(9.0), like)[0][1]
    array([6., 7., 8.])
    >>> vector_to_params(np.arange(8.0), like)
    Traceback (most recent call last):
    ...
    ValueError: vector has 8 entries but the parameters have 9
    """
    like = check_params(like)
    vector = np.asarray(vector, dtype=np.float64)
    sizes = [array.size for layer in like for array in layer]
    if vector.ndim != 1 or vector.size != sum(sizes):
        raise ValueError(f"vector has {vector.size} entries but the parameters have {sum(sizes)}")
    return _from_vector(vector, like)


def _from_vector(vector, like):
    """`vector_to_params` unchecked: `vector` float64 of the right size, `like` checked."""
    sizes = [array.size for layer in like for array in layer]
    pieces = np.split(vector, np.cumsum(sizes)[:-1])
    shapes = [array.shape for layer in like for array in layer]
    arrays = [piece.reshape(shape) for piece, shape in zip(pieces, shapes, strict=True)]
    return [(arrays[2 * index], arrays[2 * index + 1]) for index in range(len(like))]


def gradient_check(params, x, labels, loss="cross_entropy", activation="tanh", eps=1e-5):
    """Relative error between backpropagation and central differences, over the whole model.

    Arguments as `loss_and_grads`; `eps` the step (1e-5 keeps truncation, eps**2, and rounding,
    1e-16 / eps, near 1e-10). Returns ``|g - g~| / (|g| + |g~|)`` over all parameters (0 if both
    are 0): below about 1e-7 the gradient is right, a wrong formula gives 1e-2 to 1. In norm, not
    per entry as `lib.relative_error`: on a 1e-7 entry rounding alone is 1e-4. Use few examples.

    >>> rng = np.random.default_rng(0)
    >>> params = init_params([3, 4, 2], rng)
    >>> x, labels = rng.normal(size=(5, 3)), np.array([0, 1, 1, 0, 1])
    >>> bool(gradient_check(params, x, labels, loss="mse") < 1e-7)
    True
    """
    params, x, labels = check_examples(params, x, labels, loss, activation, LOSSES, ACTIVATIONS)
    _, grads = _backpropagate(params, x, labels, loss, activation, with_cost=False)

    def cost_of(vector):  # called 2P times: nothing in here checks its input again
        logits, _, _ = _forward_cache(_from_vector(vector, params), x, activation)
        return cost_from_logits(logits, labels, loss)

    numerical = numerical_gradient(cost_of, _to_vector(params), eps=eps)
    backprop = _to_vector(grads)
    scale = np.linalg.norm(backprop) + np.linalg.norm(numerical)
    if scale == 0:
        return 0.0
    return float(np.linalg.norm(backprop - numerical) / scale)
