"""Print the expected values that the hidden tests of the assignments hard-code.

The hidden tests must not trust anything a submission could have replaced (``lib``,
``numpy.allclose``, even ``numpy.exp``), so their expected values are constants. This script is
where the constants come from: every value is computed with mpmath at 50 significant digits from
the exact inputs (float32 inputs are converted exactly) and printed as the nearest float64.
Run ``.venv/bin/python scripts/assignment_reference_values.py`` and compare with the literals
in the hidden test cells of ``assignments/source/*/*.ipynb``.
"""

import mpmath
import numpy as np

mpmath.mp.dps = 50


def _softmax_row(row):
    z = [mpmath.mpf(float(v)) for v in row]
    top = max(z)
    terms = [mpmath.exp(v - top) for v in z]
    total = mpmath.fsum(terms)
    return [t / total for t in terms]


def _log_softmax_row(row):
    z = [mpmath.mpf(float(v)) for v in row]
    top = max(z)
    lse = top + mpmath.log(mpmath.fsum(mpmath.exp(v - top) for v in z))
    return [v - lse for v in z]


def _floats(values):
    return [float(v) for v in values]


def _show(name, values):
    print(f"{name} = {_floats(values)!r}")


def softmax_and_cost():
    """Assignment 1: softmax, log_softmax, cross_entropy, cross_entropy_grad."""
    z_extreme = [
        [1000.0, 0.0, -1000.0],
        [-1000.0, -1000.0, -1001.0],
        [709.0, 709.0, 709.0],
        [1.0, 2.0, 3.0],
    ]
    z_wide = [[0.5, -1.0, 2.0, 3.5, 0.0], [10.0, 9.0, -3.0, 0.0, 1.0]]
    z_vector = [3.0, 1.0, 0.2]
    z_f32 = np.array([[100.0, 0.0], [-50.0, 50.0], [88.0, 89.0]], dtype=np.float32)
    z_dominant = [[0.0, -800.0], [-0.5, 0.25]]
    labels = [2, 0, 2, 1]
    print("# softmax")
    _show("want_extreme", [p for r in z_extreme for p in _softmax_row(r)])
    _show("want_wide", [p for r in z_wide for p in _softmax_row(r)])
    _show("want_vector", _softmax_row(z_vector))
    _show("want_f32", [p for r in z_f32 for p in _softmax_row(r)])
    print("# log_softmax")
    _show("want_extreme", [p for r in z_extreme for p in _log_softmax_row(r)])
    _show("want_wide", [p for r in z_wide for p in _log_softmax_row(r)])
    _show("want_dominant", [p for r in z_dominant for p in _log_softmax_row(r)])
    _show("want_f32", [p for r in z_f32 for p in _log_softmax_row(r)])
    print("# cross_entropy (mean over the 4 rows of z_extreme, labels [2, 0, 2, 1])")
    costs = [-_log_softmax_row(r)[y] for r, y in zip(z_extreme, labels, strict=True)]
    print(f"want_cost = {float(mpmath.fsum(costs) / len(costs))!r}")
    costs32 = [-_log_softmax_row(r)[y] for r, y in zip(z_f32, [1, 0, 0], strict=True)]
    print(f"want_cost_f32 = {float(mpmath.fsum(costs32) / 3)!r}  # labels [1, 0, 0]")
    print("# cross_entropy_grad (same logits and labels)")
    grad = []
    for r, y in zip(z_extreme, labels, strict=True):
        probs = _softmax_row(r)
        grad += [(p - (1 if j == y else 0)) / len(labels) for j, p in enumerate(probs)]
    _show("want_grad", grad)


def _tiny_problem():
    x = [[1.0, -2.0], [0.5, 0.0], [-1.5, 1.0]]
    w = [[0.2, -0.1, 0.0], [0.3, 0.1, -0.4]]
    b = [0.05, 0.0, -0.05]
    return x, w, b, [0, 2, 1]


def _model(x, w, b):
    return [
        [
            mpmath.fsum([mpmath.mpf(xi[k]) * mpmath.mpf(w[k][j]) for k in range(len(xi))])
            + mpmath.mpf(b[j])
            for j in range(len(b))
        ]
        for xi in x
    ]


def _grads(x, w, b, labels, loss):
    """Mean cost and its gradients (dW, db) for cross-entropy or MSE of softmax outputs."""
    n, m, d = len(x), len(b), len(x[0])
    cost = mpmath.mpf(0)
    dz = []
    for row, y in zip(_model(x, w, b), labels, strict=True):
        top = max(row)
        e = [mpmath.exp(v - top) for v in row]
        q = mpmath.fsum(e)
        p = [t / q for t in e]
        target = [1 if j == y else 0 for j in range(m)]
        if loss == "cross_entropy":
            cost += mpmath.log(q) + top - row[y]
            dz.append([(p[j] - target[j]) / n for j in range(m)])
        else:
            r = [p[j] - target[j] for j in range(m)]
            cost += mpmath.fsum(v * v for v in r) / 2
            pr = mpmath.fsum(p[j] * r[j] for j in range(m))
            dz.append([p[j] * (r[j] - pr) / n for j in range(m)])
    dw = [[mpmath.fsum(x[i][k] * dz[i][j] for i in range(n)) for j in range(m)] for k in range(d)]
    db = [mpmath.fsum(dz[i][j] for i in range(n)) for j in range(m)]
    return cost / n, dw, db


def train_classifier():
    """Assignment 2: loss_and_grad, loss_and_grad_mse and two steps of gradient descent."""
    x, w, b, labels = _tiny_problem()
    for loss in ("cross_entropy", "mse"):
        cost, dw, db = _grads(x, w, b, labels, loss)
        print(f"# {loss}")
        print(f"want_cost = {float(cost)!r}")
        _show("want_dW", [v for r in dw for v in r])
        _show("want_db", db)
    # two full-batch steps of gradient descent from zero weights, lr = 0.5, cross-entropy
    w = [[mpmath.mpf(0)] * 3 for _ in range(2)]
    b = [mpmath.mpf(0)] * 3
    costs = []
    for _ in range(2):
        cost, dw, db = _grads(x, w, b, labels, "cross_entropy")
        costs.append(cost)
        w = [[w[k][j] - mpmath.mpf("0.5") * dw[k][j] for j in range(3)] for k in range(2)]
        b = [b[j] - mpmath.mpf("0.5") * db[j] for j in range(3)]
    print("# train(x, labels, lr=0.5, epochs=2) from zeros")
    _show("want_W2", [v for r in w for v in r])
    _show("want_b2", b)
    _show("want_costs", costs)


if __name__ == "__main__":
    print("## softmax_and_cost")
    softmax_and_cost()
    print("## train_classifier")
    train_classifier()
