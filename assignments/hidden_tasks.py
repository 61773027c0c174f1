"""What the hidden test cells run inside the student's kernel: call the submission, report.

Each hidden test cell of ``source/*/*.ipynb`` is one line, ``run("<grade_id>", globals())``.
It calls the student's functions on the inputs below and prints what they returned as **one
line of JSON** (``RECORD_MARKER`` + record). It judges nothing: the student's process can
rebind or fake anything in it, so the expected values and the comparisons live only in the
grader's own process (``grading.py``, which reads the record from the cell's output and sets
the cell's score). A record can only be right by holding the right values.

This file is the one course file the sandboxed kernel can read (bound read-only); it holds
the inputs of the hidden tests, which are no secret. ``scripts/assignment_reference_values.py``
computes the expected values from the same inputs (mpmath) into ``expected_values.json``.
Needs numpy only.
"""

import json
import sys
import threading

import numpy as np

RECORD_MARKER = "GRADER-RECORD "

# --- Inputs of the hidden tests (shared with the grader and the reference values) ------------
Z_EXTREME = [
    [1000.0, 0.0, -1000.0],
    [-1000.0, -1000.0, -1001.0],
    [709.0, 709.0, 709.0],
    [1.0, 2.0, 3.0],
]
Z_WIDE = [[0.5, -1.0, 2.0, 3.5, 0.0], [10.0, 9.0, -3.0, 0.0, 1.0]]  # n != m
Z_VECTOR = [3.0, 1.0, 0.2]
Z_F32 = [[100.0, 0.0], [-50.0, 50.0], [88.0, 89.0]]  # used as float32 (all exact in float32)
Z_DOMINANT = [[0.0, -800.0], [-0.5, 0.25]]
# a confident prediction: log P_0 = -log1p(e^-40) = -4.25e-18, which `shifted - log(sum)` rounds
# to 0 (chapter "Numerical issues": the cost needs log1p)
Z_CONFIDENT = [[40.0, 0.0], [-3.0, 45.0]]
LABELS_EXTREME = [2, 0, 2, 1]
LABELS_F32 = [1, 0, 0]
BAD_LABELS = [
    [0, 3, 1, 0],  # 3 is not a class when m = 3
    [0, -1, 1, 0],  # -1 would silently index the last class
    [0, 1, 2],  # one label short
    [0.0, 1.0, 2.0, 1.0],  # floats are not class labels
    [[0, 1, 2, 1]],  # wrong shape
]
Z_CHECK_SEED, LABELS_CHECK = 6, [0, 3, 1, 1, 2]
CUBE_X, CUBE_EPS = [[0.5, -1.0], [2.0, 0.0]], 1e-3
# train_classifier: a tiny problem with known gradients
TINY_X = [[1.0, -2.0], [0.5, 0.0], [-1.5, 1.0]]
TINY_W = [[0.2, -0.1, 0.0], [0.3, 0.1, -0.4]]
TINY_B = [0.05, 0.0, -0.05]
TINY_LABELS = [0, 2, 1]
TINY_LR, TINY_EPOCHS = 0.5, 2
# the digits split of chapter 7 (scikit-learn's stratified train_test_split), and the test
# accuracy a trained model must reach (LEARNING_RATE 0.25, 300 epochs: 0.944 and 0.847)
DIGITS_TEST_SIZE, DIGITS_SEED = 0.25, 0
ACCURACY_FLOOR_CE, ACCURACY_FLOOR_MSE = 0.93, 0.80


# --- Describing values as plain JSON ------------------------------------------------------------
def describe(value):
    """A plain-JSON description of a value: its exact type, and its numbers if it is plain.

    Only exact built-in types and genuine float/int/bool numpy arrays are unpacked; anything
    else (subclasses, objects with their own ``__float__``) is reported by type name only, so a
    returned object cannot run code when it is described.
    """
    kind = type(value)
    if kind is np.ndarray:
        if value.dtype.kind not in "fiub":
            return {"type": "ndarray", "dtype": str(value.dtype), "shape": list(value.shape)}
        return {
            "type": "ndarray",
            "dtype": value.dtype.str,
            "shape": list(value.shape),
            "values": value.astype(np.float64).ravel().tolist(),
        }
    if kind in (float, int, bool, str) or value is None:
        return {"type": kind.__name__, "value": value}
    if kind is np.float64 or kind is np.float32:
        return {"type": f"numpy.{kind.__name__}", "value": float(value)}
    if kind in (list, tuple):
        return {"type": kind.__name__, "items": [describe(item) for item in value]}
    if kind is dict:
        return {"type": "dict", "items": {str(k): describe(v) for k, v in value.items()}}
    return {"type": f"{kind.__module__}.{kind.__qualname__}"}


def _raised(error):
    return {"type": "raised", "raised": [c.__name__ for c in type(error).__mro__]}


class _Report:
    """Collects one cell's results and the modules the submission ran while producing them."""

    def __init__(self, grade_id):
        self.record = {"grade_id": grade_id, "values": {}, "modules": []}
        self._modules = set()

    def _watch(self, frame, event, arg):
        if event == "call":
            self._modules.add(str(frame.f_globals.get("__name__", "?")).split(".")[0])

    def call(self, name, function, *args):
        """Call the submission under a tracer (this thread and threads it starts); record it."""
        sys.setprofile(self._watch)
        threading.setprofile(self._watch)
        try:
            result = function(*args)
            self.record["values"][name] = describe(result)
            return result
        except BaseException as error:  # noqa: BLE001 (any failure is part of the record)
            self.record["values"][name] = _raised(error)
            return None
        finally:
            sys.setprofile(None)
            threading.setprofile(None)

    def value(self, name, value):
        self.record["values"][name] = describe(value)

    def emit(self):
        self.record["modules"] = sorted(self._modules)
        self.record["notebook_threads"] = _notebook_threads()
        print(RECORD_MARKER + json.dumps(self.record), flush=True)


def _notebook_threads():
    """Names of running threads that the notebook started (honest code starts none): a worker
    thread started beforehand would run code the tracer cannot see."""
    found = []
    for thread in threading.enumerate():
        owners = (type(thread), getattr(thread, "_target", None))
        modules = [str(getattr(owner, "__module__", "") or "") for owner in owners]
        if any(m.split(".")[0] in ("__main__", "lib", "scipy") for m in modules):
            found.append(thread.name)
    return found


def _array(values, dtype=np.float64):
    return np.array(values, dtype=dtype)


def _name(namespace, name):
    """The student's object, or a function that raises NameError if it is missing."""
    if name in namespace:
        return namespace[name]

    def missing(*args):
        raise NameError(f"name {name!r} is not defined")

    return missing


# --- Assignment 1: softmax_and_cost -------------------------------------------------------------
def _softmax_hidden_tests(ns, report):
    softmax = _name(ns, "softmax")
    z_extreme = _array(Z_EXTREME)
    before = z_extreme.copy()
    report.call("extreme", softmax, z_extreme)
    report.value("input_unchanged", bool(np.array_equal(z_extreme, before)))
    report.call("wide", softmax, _array(Z_WIDE))
    report.call("vector", softmax, _array(Z_VECTOR))
    report.call("f32", softmax, _array(Z_F32, np.float32))


def _log_softmax_hidden_tests(ns, report):
    log_softmax = _name(ns, "log_softmax")
    report.call("extreme", log_softmax, _array(Z_EXTREME))
    report.call("wide", log_softmax, _array(Z_WIDE))
    report.call("vector", log_softmax, _array(Z_VECTOR))
    report.call("dominant", log_softmax, _array(Z_DOMINANT))
    report.call("confident", log_softmax, _array(Z_CONFIDENT))
    report.call("f32", log_softmax, _array(Z_F32, np.float32))


def _cross_entropy_hidden_tests(ns, report):
    cross_entropy = _name(ns, "cross_entropy")
    report.call("extreme", cross_entropy, _array(Z_EXTREME), np.array(LABELS_EXTREME))
    report.call("f32", cross_entropy, _array(Z_F32, np.float32), np.array(LABELS_F32))
    for k, bad in enumerate(BAD_LABELS):
        report.call(f"bad_labels_{k}", cross_entropy, _array(Z_EXTREME), np.array(bad))


def _gradient_hidden_tests(ns, report):
    grad = _name(ns, "cross_entropy_grad")
    report.call("extreme", grad, _array(Z_EXTREME), np.array(LABELS_EXTREME))
    report.call("bad_labels", grad, _array(Z_EXTREME), np.array([0, 1, 2, 3]))


def _overflow_demo_hidden_tests(ns, report):
    for name in ("z_demo", "naive_probs", "stable_probs"):
        report.value(name, ns.get(name))
    z_demo = ns.get("z_demo")
    if type(z_demo) is np.ndarray:  # the student's own softmax on the student's own input
        report.call("softmax_of_z_demo", _name(ns, "softmax"), z_demo.copy())


def _gradient_check_hidden_tests(ns, report):
    numerical_gradient = _name(ns, "numerical_gradient")
    relative_error = _name(ns, "relative_error")
    cross_entropy = _name(ns, "cross_entropy")
    x = _array(CUBE_X)
    report.call("cube", numerical_gradient, lambda t: (t * t * t).sum(), x, CUBE_EPS)
    report.value("x_unchanged", x.tolist() == CUBE_X)
    report.call("relative", relative_error, _array([1.0, 0.0, -2.0]), _array([1.5, 0.0, -2.0]))
    report.call("relative_zero", relative_error, np.zeros(3), np.zeros(3))
    z_check = np.random.default_rng(Z_CHECK_SEED).normal(size=(5, 4))
    labels = np.array(LABELS_CHECK)
    report.call("check_analytic", _name(ns, "cross_entropy_grad"), z_check, labels)
    report.call("check_numerical", numerical_gradient, lambda t: cross_entropy(t, labels), z_check)


# --- Assignment 2: train_classifier -------------------------------------------------------------
def _tiny():
    return _array(TINY_W), _array(TINY_B), _array(TINY_X), np.array(TINY_LABELS)


def _loss_and_grad_hidden_tests(ns, report, function="loss_and_grad"):
    W, b, X, labels = _tiny()
    report.call("tiny", _name(ns, function), W, b, X, labels)
    report.value("W_unchanged", W.tolist() == TINY_W)


def _reference_loss_and_grad(W, b, X, labels):
    """Cross-entropy and its gradients, passed to the student's ``train``: judges train alone."""
    logits = X @ W + b
    shifted = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    rows = np.arange(labels.size)
    cost = float(np.mean(np.log(np.exp(shifted).sum(axis=1)) - shifted[rows, labels]))
    probs[rows, labels] -= 1.0
    probs /= labels.size
    return cost, X.T @ probs, probs.sum(axis=0)


def _train_hidden_tests(ns, report):
    _, _, X, labels = _tiny()
    report.call(
        "tiny_train",
        _name(ns, "train"),
        X,
        labels,
        TINY_LR,
        TINY_EPOCHS,
        _reference_loss_and_grad,
        X,
        labels,
    )
    for name in ("W_ce", "b_ce", "history_ce", "EPOCHS", "LEARNING_RATE"):
        report.value(name, ns.get(name))


def _curves_hidden_tests(ns, report):
    for name in ("W_mse", "b_mse", "history_mse", "test_accuracy_mse", "EPOCHS"):
        report.value(name, ns.get(name))
    figure = ns.get("fig_curves")
    panels = []
    try:
        for axes in figure.axes:
            lengths = [int(len(line.get_xdata())) for line in axes.get_lines()]
            panels.append([str(axes.get_xlabel()), str(axes.get_ylabel()), lengths])
    except Exception as error:  # noqa: BLE001 (no figure: the record says so)
        panels = [_raised(error)]
    report.value("panels", panels)


TASKS = {
    "softmax-hidden-tests": _softmax_hidden_tests,
    "log-softmax-hidden-tests": _log_softmax_hidden_tests,
    "cross-entropy-hidden-tests": _cross_entropy_hidden_tests,
    "gradient-hidden-tests": _gradient_hidden_tests,
    "overflow-demo-hidden-tests": _overflow_demo_hidden_tests,
    "gradient-check-hidden-tests": _gradient_check_hidden_tests,
    "loss-and-grad-hidden-tests": _loss_and_grad_hidden_tests,
    "train-hidden-tests": _train_hidden_tests,
    "loss-and-grad-mse-hidden-tests": lambda ns, report: _loss_and_grad_hidden_tests(
        ns, report, "loss_and_grad_mse"
    ),
    "curves-hidden-tests": _curves_hidden_tests,
}


def run(grade_id, namespace):
    """Run the hidden tests of one grade cell on the notebook's namespace; print the record."""
    report = _Report(grade_id)
    try:
        TASKS[grade_id](namespace, report)
    finally:
        report.emit()
