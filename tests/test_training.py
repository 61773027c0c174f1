"""Tests of lib.training: the digits split, the training loop and its scores.

Accuracy and confusion matrices are scikit-learn's (sklearn.metrics), tested there."""

import sys

import numpy as np
import pytest

import lib._validation
from lib.network import forward, init_params, loss_and_grads
from lib.training import (
    epochs_to_reach,
    evaluate,
    load_digits_split,
    predict,
    train,
    train_digits_model,
    validation_split,
)


def blobs(seed=0, n_per_class=20, num_classes=3, dim=4):
    """A tiny problem: well separated Gaussian clusters, one per class."""
    rng = np.random.default_rng(seed)
    centres = 3.0 * rng.normal(size=(num_classes, dim))
    labels = np.repeat(np.arange(num_classes), n_per_class)
    x = centres[labels] + rng.normal(size=(labels.size, dim))
    return x, labels


# --- the data --------------------------------------------------------------------------------


def test_digits_split_is_scaled_float64_and_stratified():
    split = load_digits_split()
    assert split.x_train.dtype == np.float64 and split.x_test.dtype == np.float64
    assert split.x_train.shape[1] == 64
    assert split.x_train.min() == 0.0 and split.x_train.max() == 1.0
    assert split.x_train.shape[0] + split.x_test.shape[0] == 1797
    test_share = np.bincount(split.labels_test) / np.bincount(
        np.concatenate([split.labels_train, split.labels_test])
    )
    # Each digit has 174..183 images, so rounding moves a class's share by at most 0.3 %.
    assert np.abs(test_share - 0.25).max() < 0.003
    again = load_digits_split()
    np.testing.assert_array_equal(split.labels_test, again.labels_test)
    np.testing.assert_array_equal(split.x_test, again.x_test)


def test_import_lib_does_not_import_sklearn_or_ipywidgets():
    # `import lib` must need numpy alone; sklearn is loaded lazily by load_digits_split.
    import subprocess

    code = (
        "import sys, lib, lib.network, lib.training; "
        "print('sklearn' in sys.modules, 'ipywidgets' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]


# --- training -----------------------------------------------------------------------------


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
@pytest.mark.parametrize("layer_sizes", [[4, 3], [4, 5, 3]])
def test_training_reduces_the_cost_on_a_tiny_problem(layer_sizes, loss):
    x, labels = blobs()
    params = init_params(layer_sizes, np.random.default_rng(0))
    start_cost, _ = loss_and_grads(params, x, labels, loss=loss)
    trained, history = train(
        params, x, labels, epochs=30, learning_rate=0.5, batch_size=8, loss=loss
    )
    end_cost, _ = loss_and_grads(trained, x, labels, loss=loss)
    assert end_cost < 0.5 * start_cost
    assert history["train_cost"][0] == pytest.approx(start_cost, rel=1e-12)
    assert history["train_cost"][-1] == pytest.approx(end_cost, rel=1e-12)
    assert history["train_accuracy"][-1] > 0.9


def test_training_is_determined_by_the_seed():
    x, labels = blobs()
    params = init_params([4, 5, 3], np.random.default_rng(0))
    first, history_first = train(params, x, labels, epochs=3, learning_rate=0.3, seed=7)
    again, history_again = train(params, x, labels, epochs=3, learning_rate=0.3, seed=7)
    other, _ = train(params, x, labels, epochs=3, learning_rate=0.3, seed=8)
    for (w1, b1), (w2, b2) in zip(first, again, strict=True):
        np.testing.assert_array_equal(w1, w2)
        np.testing.assert_array_equal(b1, b2)
    np.testing.assert_array_equal(history_first["train_cost"], history_again["train_cost"])
    assert not np.array_equal(first[0][0], other[0][0])


def test_full_batch_step_is_one_gradient_descent_step():
    # With one batch holding every example, an epoch is exactly W - eta * dC/dW.
    x, labels = blobs(n_per_class=5)
    params = init_params([4, 5, 3], np.random.default_rng(0))
    _, grads = loss_and_grads(params, x, labels)
    trained, _ = train(params, x, labels, epochs=1, learning_rate=0.1, batch_size=len(labels))
    for (w, b), (dw, db), (w1, b1) in zip(params, grads, trained, strict=True):
        np.testing.assert_allclose(w1, w - 0.1 * dw, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(b1, b - 0.1 * db, rtol=1e-13, atol=1e-15)


def test_train_does_not_modify_the_starting_parameters():
    x, labels = blobs()
    params = init_params([4, 3], np.random.default_rng(0))
    saved = [w.copy() for w, _ in params]
    train(params, x, labels, epochs=2, learning_rate=0.5)
    for (w, _), w0 in zip(params, saved, strict=True):
        np.testing.assert_array_equal(w, w0)


def test_history_records_the_test_set_without_training_on_it():
    x, labels = blobs()
    x_test, labels_test = blobs(seed=1)
    params = init_params([4, 3], np.random.default_rng(0))
    with_test, history = train(
        params, x, labels, epochs=4, learning_rate=0.5, x_test=x_test, labels_test=labels_test
    )
    without_test, _ = train(params, x, labels, epochs=4, learning_rate=0.5)
    np.testing.assert_array_equal(with_test[0][0], without_test[0][0])
    assert set(history) == {"epoch", "train_cost", "train_accuracy", "test_cost", "test_accuracy"}
    assert all(values.shape == (5,) for values in history.values())
    cost, share = evaluate(with_test, x_test, labels_test)
    assert history["test_cost"][-1] == cost and history["test_accuracy"][-1] == share


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"epochs": 0, "learning_rate": 0.1}, "epochs"),
        ({"epochs": 1, "learning_rate": -0.1}, "learning_rate"),
        ({"epochs": 1, "learning_rate": float("nan")}, "learning_rate"),
        ({"epochs": 1, "learning_rate": 0.1, "batch_size": 0}, "batch_size"),
        ({"epochs": 1, "learning_rate": 0.1, "loss": "hinge"}, "loss"),
        ({"epochs": 1, "learning_rate": 0.1, "x_test": np.zeros((2, 4))}, "both"),
    ],
)
def test_train_rejects_bad_options(options, message):
    x, labels = blobs()
    params = init_params([4, 3], np.random.default_rng(0))
    with pytest.raises(ValueError, match=message):
        train(params, x, labels, **options)


def count_parameter_checks(monkeypatch):
    """A list that gets one entry per call of `lib._validation.check_params` from now on."""
    calls, check_params = [], lib._validation.check_params
    monkeypatch.setattr(
        lib._validation, "check_params", lambda params: calls.append(1) or check_params(params)
    )
    return calls


def test_train_checks_its_inputs_once_not_in_every_batch(monkeypatch):
    # Validation belongs to the entry point: 15 batches an epoch, 3 epochs, 2 scores after each
    # call the unchecked core, so only the training set and the test set are checked
    calls = count_parameter_checks(monkeypatch)
    x, labels = blobs()
    params = init_params([4, 3], np.random.default_rng(0))
    train(
        params, x, labels, epochs=3, learning_rate=0.1, batch_size=4, x_test=x, labels_test=labels
    )
    assert len(calls) == 2


def test_train_rejects_labels_that_do_not_match_x():
    x, labels = blobs()
    params = init_params([4, 3], np.random.default_rng(0))
    with pytest.raises(ValueError, match="one per example"):
        train(params, x, labels[:-1], epochs=1, learning_rate=0.1)
    with pytest.raises(ValueError, match=r"labels\[0\] = 3"):
        train(params, x, labels + 3, epochs=1, learning_rate=0.1)


def test_predict_is_the_argmax_of_the_logits():
    x, _ = blobs()
    params = init_params([4, 5, 3], np.random.default_rng(0))
    np.testing.assert_array_equal(predict(params, x), np.argmax(forward(params, x), axis=1))


def test_train_digits_model_is_deterministic_and_learns():
    params, split = train_digits_model(seed=0, hidden=16, epochs=5)
    again, _ = train_digits_model(seed=0, hidden=16, epochs=5)
    assert [w.shape for w, _ in params] == [(64, 16), (16, 10)]
    for (w1, b1), (w2, b2) in zip(params, again, strict=True):
        np.testing.assert_array_equal(w1, w2)
        np.testing.assert_array_equal(b1, b2)
    # Ten classes: guessing scores 0.1; five epochs of training must do far better.
    _, test_accuracy = evaluate(params, split.x_test, split.labels_test)
    assert test_accuracy > 0.85


def test_train_digits_model_without_hidden_layer_is_logistic_regression():
    params, _ = train_digits_model(seed=1, hidden=0, epochs=1)
    assert [w.shape for w, _ in params] == [(64, 10)]


def test_epochs_to_reach_finds_the_first_crossing():
    history = {"train_accuracy": np.array([0.1, 0.5, 0.91, 0.85, 0.97]), "epoch": np.arange(5)}
    assert epochs_to_reach(history, 0.9) == 2
    assert epochs_to_reach(history, 0.95) == 4
    assert epochs_to_reach(history, 0.1) == 0
    assert epochs_to_reach(history, 0.99) is None
    with pytest.raises(ValueError, match="test_accuracy"):
        epochs_to_reach(history, 0.9, key="test_accuracy")


def test_evaluate_scores_the_argmax_of_the_logits():
    x, labels = blobs()
    params = init_params([4, 5, 3], np.random.default_rng(0))
    _, share = evaluate(params, x, labels)
    assert share == np.mean(predict(params, x) == labels)


def test_on_epoch_is_called_after_every_epoch_and_changes_nothing():
    x, labels = blobs()
    params = init_params([4, 3], np.random.default_rng(0))
    seen = []
    quiet, _ = train(params, x, labels, epochs=3, learning_rate=0.5)
    called, history = train(
        params, x, labels, epochs=3, learning_rate=0.5, on_epoch=lambda e, h: seen.append(e)
    )
    assert seen == [1, 2, 3]
    np.testing.assert_array_equal(quiet[0][0], called[0][0])


def test_the_viz_progress_bar_advances_once_per_epoch(capsys):
    # Outside a notebook, IPython's display() prints the widget's repr; inside, a bar appears.
    from viz.progress import epoch_progress

    x, labels = blobs()
    params = init_params([4, 3], np.random.default_rng(0))
    on_epoch = epoch_progress(3, "fitting")
    train(params, x, labels, epochs=3, learning_rate=0.5, on_epoch=on_epoch)
    assert "IntProgress(value=0, description='fitting', max=3" in capsys.readouterr().out
    assert on_epoch.bar.value == 3


def test_validation_split_is_carved_out_of_the_training_part_only():
    split = load_digits_split()
    x_fit, x_val, labels_fit, labels_val = validation_split(split.x_train, split.labels_train)
    assert x_fit.shape == (1077, 64) and x_val.shape == (270, 64)
    # the fitting and validation rows together are the training rows (duplicates included)
    carved = sorted(row.tobytes() for row in np.concatenate([x_fit, x_val]))
    assert carved == sorted(row.tobytes() for row in split.x_train)
    test_rows = {row.tobytes() for row in split.x_test}
    train_rows = {row.tobytes() for row in split.x_train}
    assert {row.tobytes() for row in x_val} <= train_rows
    # the test split itself is untouched: the same 450 rows as before
    assert split.x_test.shape == (450, 64) and len(test_rows) <= 450
    share = np.bincount(labels_val) / np.bincount(split.labels_train)
    assert np.abs(share - 0.2).max() < 0.01  # stratified
    again = validation_split(split.x_train, split.labels_train)
    np.testing.assert_array_equal(again[3], labels_val)


@pytest.mark.parametrize("fraction", [0, 1, 1.5, "0.2"])
def test_validation_split_rejects_bad_fractions(fraction):
    x, labels = blobs()
    with pytest.raises(ValueError, match="fraction"):
        validation_split(x, labels, fraction=fraction)


def test_history_records_the_validation_set_after_every_epoch():
    x, labels = blobs()
    x_val, labels_val = blobs(seed=2)
    params = init_params([4, 3], np.random.default_rng(0))
    trained, history = train(
        params, x, labels, epochs=3, learning_rate=0.5, x_val=x_val, labels_val=labels_val
    )
    assert set(history) == {"epoch", "train_cost", "train_accuracy", "val_cost", "val_accuracy"}
    cost, share = evaluate(trained, x_val, labels_val)
    assert history["val_cost"][-1] == cost and history["val_accuracy"][-1] == share
    with pytest.raises(ValueError, match="both x_val and labels_val"):
        train(params, x, labels, epochs=1, learning_rate=0.5, x_val=x_val)
