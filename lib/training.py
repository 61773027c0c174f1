"""Training a softmax classifier on the digits: data, mini-batch gradient descent, scores.

`load_digits_split` (scikit-learn's bundled 8x8 digits, no download), `validation_split` (a
stratified validation set carved out of a training set, for choices the test set must not see),
`train` (mini-batch
gradient descent with a cost and accuracy history), `predict`, `evaluate` (accuracy from
``sklearn.metrics``), and `train_digits_model` for chapters that need a trained network.
scikit-learn is imported inside the functions, so ``import lib`` needs numpy alone; a notebook
progress bar is `viz.progress.epoch_progress`, passed as ``on_epoch``.
"""

from typing import NamedTuple

import numpy as np

from lib._validation import check_examples, check_positive_int
from lib.network import (
    ACTIVATIONS,
    LOSSES,
    _backpropagate,
    _forward_cache,
    cost_from_logits,
    forward,
    init_params,
)

__all__ = [
    "DigitsSplit",
    "epochs_to_reach",
    "evaluate",
    "load_digits_split",
    "predict",
    "train",
    "train_digits_model",
    "validation_split",
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
        Share of each digit held out (0.25: 450 test and 1347 training images).
    seed : int
        Seed of the split.

    Returns
    -------
    DigitsSplit
        ``x`` float64 (n, 64): grey levels 0..16 (UCI optical digits, Alpaydin and Kaynak 1998)
        divided by 16, so the first layer's inputs are of order 1; labels int64 in 0..9.

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


def validation_split(x, labels, fraction=0.2, seed=0):
    """Carve a stratified validation set out of a training set: ``(x_fit, x_val, l_fit, l_val)``.

    Choices (a model, a number of epochs, a learning rate) are made on the validation set, so
    that the test set, touched once at the end, still measures data the choices never saw.

    Parameters
    ----------
    x : array_like, shape (n, d)
    labels : array_like of int, shape (n,)
    fraction : float
        Share of each class moved to the validation set, strictly between 0 and 1.
    seed : int
        Seed of the split.

    >>> split = load_digits_split()
    >>> x_fit, x_val, labels_fit, labels_val = validation_split(split.x_train, split.labels_train)
    >>> x_fit.shape, x_val.shape
    ((1077, 64), (270, 64))
    """
    from sklearn.model_selection import train_test_split  # here only: `import lib` needs numpy

    x = np.asarray(x, dtype=np.float64)
    labels = np.asarray(labels)
    if x.ndim != 2 or labels.shape != (x.shape[0],):
        raise ValueError(
            f"x must be (n, d) and labels (n,), got shapes {x.shape} and {labels.shape}"
        )
    if not (isinstance(fraction, int | float) and 0 < fraction < 1):
        raise ValueError(f"fraction must be a number strictly between 0 and 1, got {fraction!r}")
    x_fit, x_val, labels_fit, labels_val = train_test_split(
        x, labels, test_size=fraction, stratify=labels, random_state=seed
    )
    return x_fit, x_val, labels_fit, labels_val


def predict(params, x, activation="tanh"):
    """Most probable class of each row of `x`: ``argmax(forward(params, x))``, shape (n,)."""
    return np.argmax(forward(params, x, activation), axis=1)


def evaluate(params, x, labels, loss="cross_entropy", activation="tanh"):
    """Mean cost and accuracy of the network on ``(x, labels)``, as two floats.

    >>> params = [(np.zeros((2, 4)), np.zeros(4))]
    >>> cost, share = evaluate(params, np.ones((3, 2)), [0, 1, 2])
    >>> round(cost, 6) == round(float(np.log(4)), 6), share
    (True, 0.3333333333333333)
    """
    params, x, labels = check_examples(params, x, labels, loss, activation, LOSSES, ACTIVATIONS)
    return _evaluate(params, x, labels, loss, activation)


def _evaluate(params, x, labels, loss, activation):
    """`evaluate` unchecked (for `train`, which checked its inputs once)."""
    from sklearn.metrics import accuracy_score  # here only: `import lib` needs numpy alone

    logits, _, _ = _forward_cache(params, x, activation)
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
    x_val=None,
    labels_val=None,
):
    """Mini-batch gradient descent on the mean cost; returns new parameters and the history.

    Parameters
    ----------
    params : list of (W, b)
        Starting point (`lib.network.init_params`); copied, never modified.
    x, labels : array_like, shapes (n, d) and (n,)
    epochs, learning_rate, batch_size : int, float, int
        Each epoch visits the examples in a fresh order (from `seed`) in batches ``B`` (the
        last may be smaller), one step ``W <- W - eta dC_B/dW`` each, ``eta = learning_rate``.
    loss, activation
        As in `lib.network.loss_and_grads`.
    x_test, labels_test : array_like, optional
        A held-out set, evaluated after every epoch, never trained on.
    x_val, labels_val : array_like, optional
        A validation set (`validation_split`), recorded the same way as ``"val_..."``.
    on_epoch : callable, optional
        Called as ``on_epoch(epoch, history)`` after every epoch. Nothing is printed.

    Returns
    -------
    params : list of (W, b)
    history : dict of str to ndarray, each of shape (epochs + 1,)
        ``"epoch"``, ``"train_cost"``, ``"train_accuracy"`` (``"test_..."`` with a test set,
        ``"val_..."`` with a validation set);
        entry 0 is before the first step.

    Two separable classes on a line; the cost falls and every example ends up right:

    >>> x = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    >>> labels = np.array([0, 0, 1, 1])
    >>> params = init_params([1, 2], np.random.default_rng(0))
    >>> params, history = train(params, x, labels, epochs=20, learning_rate=1.0, batch_size=2)
    >>> bool(history["train_cost"][-1] < history["train_cost"][0]), history["train_accuracy"][-1]
    (True, np.float64(1.0))
    """
    params, x, labels = check_examples(params, x, labels, loss, activation, LOSSES, ACTIVATIONS)
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    if not (isinstance(learning_rate, int | float) and np.isfinite(learning_rate)) or (
        learning_rate <= 0
    ):
        raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
    held_out = {}  # name -> (x, labels), each evaluated after every epoch
    for name, x_held, labels_held in [("test", x_test, labels_test), ("val", x_val, labels_val)]:
        if x_held is None and labels_held is None:
            continue
        if x_held is None or labels_held is None:
            raise ValueError(f"give both x_{name} and labels_{name}, or neither")
        _, x_held, labels_held = check_examples(
            params, x_held, labels_held, loss, activation, LOSSES, ACTIVATIONS, f"labels_{name}"
        )
        held_out[name] = (x_held, labels_held)

    params = [(weights.astype(np.float64), bias.astype(np.float64)) for weights, bias in params]
    rng = np.random.default_rng(seed)
    keys = ["train_cost", "train_accuracy"]
    keys += [f"{name}_{kind}" for name in held_out for kind in ("cost", "accuracy")]
    history = {key: np.empty(epochs + 1) for key in keys}
    history["epoch"] = np.arange(epochs + 1)

    def record(epoch):
        cost, share = _evaluate(params, x, labels, loss, activation)
        history["train_cost"][epoch], history["train_accuracy"][epoch] = cost, share
        for name, (x_held, labels_held) in held_out.items():
            cost, share = _evaluate(params, x_held, labels_held, loss, activation)
            history[f"{name}_cost"][epoch], history[f"{name}_accuracy"][epoch] = cost, share

    record(0)
    n = x.shape[0]
    for epoch in range(1, epochs + 1):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            batch = order[start : start + batch_size]
            _, grads = _backpropagate(  # unchecked: x and labels were checked once, above
                params, x[batch], labels[batch], loss, activation, with_cost=False
            )
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

    `history` as `train` returns it; `key` e.g. ``"train_accuracy"`` or ``"val_accuracy"``.

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

    Cross-entropy on the training part of `load_digits_split`; ``seed`` fixes the split, the
    initial weights and the batches, so the same seed gives the same parameters, bit for bit.
    ``hidden``: the hidden width, 0 for none, or a sequence for several layers; the rest as in
    `train`. Returns ``(params, split)``.

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
