"""The expected values of the assignments' hidden tests, computed with mpmath.

The grader (``assignments/grading.py``) compares what a submission returned with
``assignments/expected_values.json``, which this script writes: every value is computed with
the course's references (`lib.reference`: mpmath, 60 significant digits, ``log1p`` of the sum
without its exact 1) from the exact inputs in ``assignments/hidden_tasks.py`` (float32 inputs
are exact in float32) and stored as the nearest float64. It also stores which digits chapter
6's stratified split holds out for testing, so that the grader needs no scikit-learn.

    python scripts/assignment_reference_values.py           # rewrite expected_values.json
    python scripts/assignment_reference_values.py --check   # exit 1 if the file differs
"""

import json
import sys
from pathlib import Path

import mpmath
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = ROOT / "assignments"
sys.path[:0] = [str(ROOT), str(ASSIGNMENTS)]
import hidden_tasks as inputs  # noqa: E402

from lib.reference import DPS, mp_log_softmax, mp_softmax  # noqa: E402  (the course's references)

OUTPUT = ASSIGNMENTS / "expected_values.json"
mpmath.mp.dps = DPS  # the sums and products below, at the references' precision


def log_softmax(row):
    """Exact log-probabilities of one row of logits (floats, or mpmath numbers computed exactly)."""
    return list(mp_log_softmax(np.array([row], dtype=object))[0])


def softmax(row):
    return list(mp_softmax(np.array([row], dtype=object))[0])


def cost_and_grads(x, w, b, labels, loss):
    """Mean cost of softmax(x w + b) against labels, and its gradients dW, db (mpmath)."""
    n, m = len(x), len(b)
    cost, dz = mpmath.mpf(0), []
    for xi, y in zip(x, labels, strict=True):
        z = [
            mpmath.fsum(mpmath.mpf(xi[k]) * w[k][j] for k in range(len(xi))) + b[j]
            for j in range(m)
        ]
        p = softmax(z)
        r = [p[j] - (j == y) for j in range(m)]
        if loss == "cross_entropy":
            cost -= log_softmax(z)[y]
            dz.append([v / n for v in r])
        else:
            cost += mpmath.fsum(v * v for v in r) / 2
            pr = mpmath.fsum(p[j] * r[j] for j in range(m))
            dz.append([p[j] * (r[j] - pr) / n for j in range(m)])
    dw = [
        [mpmath.fsum(x[i][k] * dz[i][j] for i in range(n)) for j in range(m)]
        for k in range(len(x[0]))
    ]
    db = [mpmath.fsum(dz[i][j] for i in range(n)) for j in range(m)]
    return cost / n, dw, db


# --- the expected values, per hidden-test cell ----------------------------------------------------
def flat(rows):
    return [float(v) for row in rows for v in row]


def mean_cost(z, labels):
    return float(mpmath.fsum(-log_softmax(r)[y] for r, y in zip(z, labels, strict=True)) / len(z))


def expected_values():
    t = inputs
    z_rows = {"extreme": t.Z_EXTREME, "wide": t.Z_WIDE, "vector": [t.Z_VECTOR], "f32": t.Z_F32}
    tiny = [
        t.TINY_X,
        [[mpmath.mpf(v) for v in r] for r in t.TINY_W],
        [mpmath.mpf(v) for v in t.TINY_B],
    ]
    values = {
        "softmax-hidden-tests": {k: flat(map(softmax, z)) for k, z in z_rows.items()},
        "log-softmax-hidden-tests": {
            k: flat(map(log_softmax, z))
            for k, z in {**z_rows, "dominant": t.Z_DOMINANT, "confident": t.Z_CONFIDENT}.items()
        },
        "cross-entropy-hidden-tests": {
            "extreme": [mean_cost(t.Z_EXTREME, t.LABELS_EXTREME)],
            "f32": [mean_cost(t.Z_F32, t.LABELS_F32)],
        },
        "gradient-hidden-tests": {
            "extreme": flat(
                [(p - (j == y)) / len(t.LABELS_EXTREME) for j, p in enumerate(softmax(r))]
                for r, y in zip(t.Z_EXTREME, t.LABELS_EXTREME, strict=True)
            )
        },
        # the central difference of x^3 is exactly 3x^2 + eps^2
        "gradient-check-hidden-tests": {
            "cube": flat(
                [3 * mpmath.mpf(v) ** 2 + mpmath.mpf(t.CUBE_EPS) ** 2 for v in r] for r in t.CUBE_X
            )
        },
    }
    for grade_id, loss in [
        ("loss-and-grad-hidden-tests", "cross_entropy"),
        ("loss-and-grad-mse-hidden-tests", "mse"),
    ]:
        cost, dw, db = cost_and_grads(*tiny, t.TINY_LABELS, loss)
        values[grade_id] = {"cost": [float(cost)], "dW": flat(dw), "db": flat([db])}
    # train(X, labels, lr, epochs) from zero weights, judged with the grader's own gradient
    w = [[mpmath.mpf(0)] * 3 for _ in range(2)]
    b = [mpmath.mpf(0)] * 3
    costs = []
    for _ in range(t.TINY_EPOCHS):
        cost, dw, db = cost_and_grads(t.TINY_X, w, b, t.TINY_LABELS, "cross_entropy")
        costs.append(float(cost))
        w = [[w[k][j] - mpmath.mpf(t.TINY_LR) * dw[k][j] for j in range(3)] for k in range(2)]
        b = [b[j] - mpmath.mpf(t.TINY_LR) * db[j] for j in range(3)]
    values["train-hidden-tests"] = {"costs": costs, "W2": flat(w), "b2": flat([b])}
    values["digits-test-split"] = {"rows": digits_test_rows()}
    return values


def digits_test_rows():
    """Which of scikit-learn's 1797 digits chapter 7's stratified split holds out for testing."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    target = load_digits().target
    rows = np.arange(len(target))
    test = train_test_split(
        rows, test_size=inputs.DIGITS_TEST_SIZE, random_state=inputs.DIGITS_SEED, stratify=target
    )[1]
    return [int(i) for i in test]


def main(argv):
    text = json.dumps(expected_values(), indent=1, sort_keys=True) + "\n"
    if "--check" in argv:
        if OUTPUT.read_text() != text:
            sys.exit(f"{OUTPUT} is out of date: run python {Path(__file__).name}")
        return
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main(sys.argv[1:])
