"""Training a softmax classifier: the digits data, mini-batch gradient descent and its scores.

Everything a chapter needs to train the networks of :mod:`lib.network` on real data:

* :func:`load_digits_split` -- scikit-learn's bundled 8x8 handwritten digits (no download),
  pixels scaled to [0, 1], split by ``train_test_split(stratify=...)``;
* :func:`train` -- mini-batch gradient descent, recording cost and accuracy after every epoch;
* :func:`predict`, :func:`evaluate` -- how good the classifier is (accuracy and confusion
  matrices come from ``sklearn.metrics``);
* :func:`train_digits_model` -- a small model trained deterministically in about a second, for
  chapters that need a trained network rather than a lesson in training one.

scikit-learn is imported inside the functions that use it, so ``import lib`` needs NumPy alone;
a progress bar for notebooks is `viz.progress.epoch_progress`, passed as ``on_epoch``.
"""

from typing import NamedTuple

import numpy as np

from lib._validation import as_class_labels
from lib.network import (
    LOSSES,
    check_activation,
    check_inputs,
    check_params,
    cost_from_logits,
    forward,
    init_params,
    loss_and_grads,
)

__all__ = [
    "DigitsSplit",
    "epochs_to_reach",
    "evaluate",
    "load_digits_split",
    "predict",
    "train",
    "train_digits_model",
]

DIGITS_PIXEL_MAX = 16.0  # load_digits pixels are counts 0..16 of dark pixels in a 4x4 block


class DigitsSplit(NamedTuple):
    """Train and test sets: ``x`` float64 (n, 64) in [0, 1], labels int64 (n,) in 0..9."""

    x_train: np.ndarray
    x_test: np.ndarray
    labels_train: np.ndarray
    labels_test: np.ndarray


def load_digits_split(test_fraction=0.25, seed=0):
    """scikit-learn's 1797 handwritten digits, scaled to [0, 1], in a fixed stratified split.

    Parameters
    ----------
    test_fraction : float
        Share of each digit held out for testing (0.25: 450 test and 1347 training images).
    seed : int
        Seed of the split; the same seed gives the same split.

    Returns
    -------
    DigitsSplit
        ``x_train`` (n_train, 64), ``x_test`` (n_test, 64) float64 in [0, 1];
        ``labels_train``, ``labels_test`` int64 in 0..9.

    Notes
    -----
    The images are 8x8 grey levels 0..16, a downsampled copy of the UCI "Optical Recognition of
    Handwritten Digits" data (Alpaydin and Kaynak, 1998) bundled with scikit-learn, so nothing is
    downloaded. Dividing by 16 keeps the inputs of the first layer of order 1.

    Examples
    --------
    >>> split = load_digits_split()
    >>> split.x_train.shape, split.x_test.shape, float(split.x_train.max())
    ((1347, 64), (450, 64), 1.0)
    """
    from sklearn.datasets import load_digits  # here only: `import lib` needs numpy alone
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = digits.data.astype(np.float64) / DIGITS_PIXEL_MAX
    labels = digits.target.astype(np.int64)
    x_train, x_test, labels_train, labels_test = train_test_split(
        x, labels, test_size=test_fraction, stratify=labels, random_state=seed
    )  # stratify: each digit keeps its share of the examples in both sets
    return DigitsSplit(x_train, x_test, labels_train, labels_test)


def _check_labels_for(labels, n, num_classes, name="labels"):
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.shape[0] != n:
        raise ValueError(f"{name} must have shape ({n},), one per example, got {labels.shape}")
    return as_class_labels(labels, num_classes, name)


def predict(params, x, activation="tanh"):
    """Most probable class of each row of `x`: ``argmax(forward(params, x))``, shape (n,)."""
    return np.argmax(forward(params, x, activation), axis=1)


def evaluate(params, x, labels, loss="cross_entropy", activation="tanh"):
    """Mean cost and accuracy of the network on ``(x, labels)``, as two floats.

    Examples
    --------
    >>> params = [(np.zeros((2, 4)), np.zeros(4))]
    >>> cost, share = evaluate(params, np.ones((3, 2)), [0, 1, 2])
    >>> round(cost, 6) == round(float(np.log(4)), 6), share
    (True, 0.3333333333333333)
    """
    params = check_params(params)
    x = check_inputs(params, x)
    check_activation(activation)
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    labels = _check_labels_for(labels, x.shape[0], params[-1][0].shape[1])
    if labels.size == 0:
        raise ValueError("x has no rows: the mean cost over zero examples is undefined")
    from sklearn.metrics import accuracy_score  # here only: `import lib` needs numpy alone

    logits = forward(params, x, activation)
    return cost_from_logits(logits, labels, loss), float(accuracy_score(labels, logits.argmax(1)))


def train(
    params,
    x,
    labels,
    *,
    epochs,
    learning_rate,
    batch_size=32,
    loss="cross_entropy",
    activation="tanh",
    seed=0,
    x_test=None,
    labels_test=None,
    on_epoch=None,
):
    """Mini-batch gradient descent on the mean cost; returns new parameters and the history.

    Parameters
    ----------
    params : list of (W, b)
        Starting point (from :func:`lib.network.init_params`); it is copied, never modified.
    x : array_like, shape (n, d)
        Training inputs, one example per row.
    labels : array_like of int, shape (n,)
        Training classes in 0..m-1.
    epochs : int
        Passes over the training set.
    learning_rate : float
        Step size :math:`\\eta` of :math:`W \\leftarrow W - \\eta\\, \\partial C_B/\\partial W`.
    batch_size : int
        Examples per step; the last batch of an epoch may be smaller.
    loss : {"cross_entropy", "mse"}
        Cost minimised (see :func:`lib.network.loss_and_grads`).
    activation : {"tanh", "sigmoid", "relu"}
        Activation of the hidden layers.
    seed : int
        Seed of the order in which examples are visited; same inputs and seed, same result.
    x_test, labels_test : array_like, optional
        A held-out set, evaluated after every epoch but never trained on.
    on_epoch : callable, optional
        Called as ``on_epoch(epoch, history)`` after every epoch, e.g. the progress bar of
        `viz.progress.epoch_progress` in a notebook. Nothing is printed.

    Returns
    -------
    params : list of (W, b)
        The trained parameters.
    history : dict of str to ndarray, each of shape (epochs + 1,)
        ``"epoch"`` (0..epochs), ``"train_cost"``, ``"train_accuracy"`` and, with a test set,
        ``"test_cost"``, ``"test_accuracy"``. Entry 0 is before the first step.

    Notes
    -----
    Each epoch visits the examples in a fresh random order, in batches :math:`B` of
    `batch_size`, and takes one step per batch along the gradient of the batch's mean cost
    :math:`C_B = \\frac1{|B|}\\sum_{i\\in B} C_i`, computed by backpropagation from the lecture's
    :math:`\\delta^L = P - \\text{onehot}(y)` (divided by :math:`|B|`).

    Examples
    --------
    Two separable classes on a line; the cost falls and every example ends up right:

    >>> x = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    >>> labels = np.array([0, 0, 1, 1])
    >>> params = init_params([1, 2], np.random.default_rng(0))
    >>> params, history = train(params, x, labels, epochs=20, learning_rate=1.0, batch_size=2)
    >>> bool(history["train_cost"][-1] < history["train_cost"][0]), history["train_accuracy"][-1]
    (True, np.float64(1.0))
    """
    params = check_params(params)
    x = check_inputs(params, x)
    check_activation(activation)
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    num_classes = params[-1][0].shape[1]
    labels = _check_labels_for(labels, x.shape[0], num_classes)
    if x.shape[0] == 0:
        raise ValueError("x has no rows: there is nothing to train on")
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if not (isinstance(learning_rate, int | float) and np.isfinite(learning_rate)) or (
        learning_rate <= 0
    ):
        raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
    has_test = x_test is not None or labels_test is not None
    if has_test:
        if x_test is None or labels_test is None:
            raise ValueError("give both x_test and labels_test, or neither")
        x_test = check_inputs(params, x_test)
        labels_test = _check_labels_for(labels_test, x_test.shape[0], num_classes, "labels_test")

    params = [(weights.astype(np.float64), bias.astype(np.float64)) for weights, bias in params]
    rng = np.random.default_rng(seed)
    keys = ["train_cost", "train_accuracy"] + (["test_cost", "test_accuracy"] if has_test else [])
    history = {key: np.empty(epochs + 1) for key in keys}
    history["epoch"] = np.arange(epochs + 1)

    def record(epoch):
        cost, share = evaluate(params, x, labels, loss, activation)
        history["train_cost"][epoch], history["train_accuracy"][epoch] = cost, share
        if has_test:
            cost, share = evaluate(params, x_test, labels_test, loss, activation)
            history["test_cost"][epoch], history["test_accuracy"][epoch] = cost, share

    record(0)
    n = x.shape[0]
    for epoch in range(1, epochs + 1):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            batch = order[start : start + batch_size]
            _, grads = loss_and_grads(params, x[batch], labels[batch], loss, activation)
            params = [
                (weights - learning_rate * d_weights, bias - learning_rate * d_bias)
                for (weights, bias), (d_weights, d_bias) in zip(params, grads, strict=True)
            ]
        record(epoch)
        if on_epoch is not None:
            on_epoch(epoch, history)
    return params, history


def epochs_to_reach(history, level, key="train_accuracy"):
    """The first epoch after which ``history[key]`` is at least `level`, or None if never.

    Parameters
    ----------
    history : dict
        As returned by :func:`train` (entry 0 is before training).
    level : float
        The threshold, e.g. 0.9 for 90 % accuracy.
    key : str
        Which curve: ``"train_accuracy"`` or ``"test_accuracy"``.

    Examples
    --------
    >>> history = {"train_accuracy": np.array([0.1, 0.6, 0.92, 0.88, 0.95])}
    >>> epochs_to_reach(history, 0.9), epochs_to_reach(history, 0.99)
    (2, None)
    """
    if key not in history:
        raise ValueError(f"history has no curve {key!r}; it has {sorted(history)}")
    reached = np.flatnonzero(np.asarray(history[key]) >= level)
    return int(reached[0]) if reached.size else None


def train_digits_model(
    seed=0, hidden=32, epochs=30, learning_rate=0.5, batch_size=32, activation="tanh"
):
    """A small digits classifier trained from scratch, the same every time (about a second).

    For chapters that need a trained network to study (for example its logits), not the
    training itself. The model is trained with the cross-entropy cost on the training part of
    :func:`load_digits_split` (``seed`` fixes the split, the initial weights and the batches).

    Parameters
    ----------
    seed : int
        One seed for everything random; the same seed gives the same parameters, bit for bit.
    hidden : int or sequence of int
        Width of the hidden layer (0 or ``()`` for multinomial logistic regression, a sequence
        for several hidden layers).
    epochs, learning_rate, batch_size, activation
        As in :func:`train`.

    Returns
    -------
    params : list of (W, b)
        Layer sizes ``[64, hidden, 10]``.
    split : DigitsSplit
        The data it was trained and can be tested on.

    Examples
    --------
    >>> params, split = train_digits_model(seed=0)
    >>> [w.shape for w, _ in params]
    [(64, 32), (32, 10)]
    >>> _, test_accuracy = evaluate(params, split.x_test, split.labels_test)
    >>> test_accuracy > 0.9
    True
    """
    if isinstance(hidden, int | np.integer):
        hidden_sizes = [int(hidden)] if hidden > 0 else []
    else:
        hidden_sizes = list(hidden)
    split = load_digits_split(seed=seed)
    layer_sizes = [split.x_train.shape[1], *hidden_sizes, 10]
    params = init_params(layer_sizes, np.random.default_rng(seed))
    params, _ = train(
        params,
        split.x_train,
        split.labels_train,
        epochs=epochs,
        learning_rate=learning_rate,
        batch_size=batch_size,
        activation=activation,
        seed=seed,
    )
    return params, split
