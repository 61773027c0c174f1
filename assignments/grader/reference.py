"""Expected values of the hidden checks, computed at grading time in the grader's process.

Every value comes from the course's references (``lib.reference``: mpmath at ``DPS`` = 60
significant digits, ``log1p`` of the sum without its exact 1) or from mpmath sums at that
precision, with the drawn inputs taken as exact binary numbers (float32 inputs are exact
float64 numbers), and is rounded to the nearest float64 at the end. The sandboxed kernel never
sees them.

``lib`` is the repository's package: the grader finds it on ``sys.path`` (``scripts/
assignments.py`` puts the repository there) or in the folder above the course directory.
"""

import importlib.util
import sys
from pathlib import Path

import mpmath
import numpy as np

if importlib.util.find_spec("lib") is None:  # nbgrader run in the repository's assignments/
    sys.path.append(str(Path(__file__).resolve().parents[2]))
from lib.reference import DPS, mp_log_softmax, mp_softmax  # noqa: E402

mpmath.mp.dps = DPS
_MEMO = {}


def memo(function):
    """Compute once per input: the checks of a cell share one draw of inputs (the same objects,
    kept alive by ``inputs.draw``'s cache), and several of them the same expected value."""

    def cached(*args):
        key = (function.__name__, *(id(a) if isinstance(a, np.ndarray) else a for a in args))
        if key not in _MEMO:
            _MEMO[key] = function(*args)
        return _MEMO[key]

    return cached


def _floats(values):
    return np.array([float(v) for v in np.asarray(values, dtype=object).ravel()])


def softmax(z):
    """Exact softmax of every row of z, as float64 (flat, row by row)."""
    return _floats(mp_softmax(np.asarray(z, dtype=np.float64)))


def log_softmax(z):
    return _floats(mp_log_softmax(np.asarray(z, dtype=np.float64)))


def mean_cost(z, labels):
    """The mean cross-entropy (1/n) sum_i (log Q_i - z_{y_i})."""
    logp = mp_log_softmax(np.asarray(z, dtype=np.float64))
    return float(-mpmath.fsum(logp[i, y] for i, y in enumerate(labels)) / len(labels))


def cost_gradient(z, labels):
    """(P - onehot(y)) / n, flat."""
    p = mp_softmax(np.asarray(z, dtype=np.float64))
    n = len(labels)
    return _floats(
        [[(p[i, j] - (j == y)) / n for j in range(p.shape[1])] for i, y in enumerate(labels)]
    )


def cube_central_difference(x, eps):
    """The central difference of sum(x^3) at x is exactly 3 x_k^2 + eps^2 for every entry."""
    e = mpmath.mpf(eps)
    return _floats([3 * mpmath.mpf(v) ** 2 + e**2 for v in np.ravel(x)])


def relative_error(a, b):
    """max_k |a_k - b_k| / (|a_k| + |b_k|), with 0/0 taken as 0."""
    worst = mpmath.mpf(0)
    for x, y in zip(np.ravel(a), np.ravel(b), strict=True):
        x, y = mpmath.mpf(x), mpmath.mpf(y)
        if x or y:
            worst = max(worst, abs(x - y) / (abs(x) + abs(y)))
    return float(worst)


def _logits(X, W, b):
    n, m = len(X), len(b)
    return [
        [
            mpmath.fsum(mpmath.mpf(X[i][k]) * W[k][j] for k in range(len(X[i]))) + b[j]
            for j in range(m)
        ]
        for i in range(n)
    ]


def _mp(array):
    return [[mpmath.mpf(v) for v in row] for row in np.asarray(array, dtype=np.float64)]


@memo
def cost_and_grads(W, b, X, labels, loss):
    """Mean cost of softmax(X W + b) against the labels (cross-entropy or squared error) and its
    gradients dW, db, exact; the logits are formed exactly."""
    W, b, X = _mp(W), [mpmath.mpf(v) for v in b], np.asarray(X, dtype=np.float64)
    n, m = len(X), len(b)
    z = np.array(_logits(X, W, b), dtype=object)
    p, logp = mp_softmax(z), mp_log_softmax(z)
    cost, dz = mpmath.mpf(0), []
    for i, y in enumerate(labels):
        r = [p[i, j] - (j == y) for j in range(m)]
        if loss == "cross_entropy":
            cost -= logp[i, y]
            dz.append([v / n for v in r])
        else:
            cost += mpmath.fsum(v * v for v in r) / 2
            pr = mpmath.fsum(p[i, j] * r[j] for j in range(m))
            dz.append([p[i, j] * (r[j] - pr) / n for j in range(m)])
    dw = [
        [mpmath.fsum(X[i][k] * dz[i][j] for i in range(n)) for j in range(m)]
        for k in range(X.shape[1])
    ]
    db = [mpmath.fsum(dz[i][j] for i in range(n)) for j in range(m)]
    return float(cost / n), _floats(dw), _floats(db)


@memo
def quadratic_training(X, labels, lr, epochs):
    """Gradient descent from zero weights on the cost the hidden test passes to ``train``
    (``hidden_tasks._quadratic_loss_and_grad``): the costs before each step, and W, b after."""
    X = np.asarray(X, dtype=np.float64)
    n, d, m = len(X), X.shape[1], 10
    W = [[mpmath.mpf(0)] * m for _ in range(d)]
    b = [mpmath.mpf(0)] * m
    costs, rate = [], mpmath.mpf(lr)
    for _ in range(epochs):
        r = _logits(X, W, b)
        for i, y in enumerate(labels):
            r[i][y] -= 1
        costs.append(float(mpmath.fsum(v * v for row in r for v in row) / (2 * n)))
        dw = [
            [mpmath.fsum(X[i][k] * r[i][j] for i in range(n)) / n for j in range(m)]
            for k in range(d)
        ]
        db = [mpmath.fsum(r[i][j] for i in range(n)) / n for j in range(m)]
        W = [[W[k][j] - rate * dw[k][j] for j in range(m)] for k in range(d)]
        b = [b[j] - rate * db[j] for j in range(m)]
    return costs, _floats(W), _floats(b)


def accuracy(W, b, X, labels):
    """The fraction of rows whose largest logit (float64, as the student computes it) is the
    label."""
    predicted = (np.asarray(X) @ np.asarray(W) + np.asarray(b)).argmax(axis=1)
    return float(np.mean(predicted == np.asarray(labels)))
