"""Families of hidden inputs: each draws one input from a random generator seeded by the course
secret (``inputs.py``), so no answer can be known in advance, while every draw keeps the hard
case the family is for (an overflowing logit, a sum that overflows although no term does,
float32, n != m, a confident prediction, ...). The shapes are those the task's text states.

A family is a function ``rng -> dict`` of numpy arrays and numbers; every float drawn is an
exact binary number, which the reference values (``reference.py``) take as exact.
"""

import numpy as np

FEATURES, CLASSES = 64, 10  # the shapes the Rules of Assignment 2 state: X (n, 64), W (64, 10)


# --- Assignment 1: logits -------------------------------------------------------------------------
def extreme(rng):
    """4 rows of m = 3..5 logits, in random order: one logit above 709.78 (e^z overflows float64),
    all near 709 (each e^z finite, their sum not: chapter 5's silent zeros), all below -745.13
    (every e^z is 0), and an ordinary row; labels 0..m-1."""
    m = int(rng.integers(3, 6))
    one_large = rng.uniform(-1000.0, 0.0, m)
    one_large[rng.integers(m)] = rng.uniform(1000.0, 1200.0)
    rows = [one_large, rng.uniform(708.8, 709.7, m), rng.uniform(-1100.0, -800.0, m)]
    rows.append(rng.normal(0.0, 3.0, m))
    z = np.array(rows)[rng.permutation(4)]
    return {"z": z, "labels": rng.integers(0, m, 4)}


def wide(rng):
    """n = 2..3 examples of m = 5..8 classes (n != m: rows and columns cannot be confused)."""
    return {"z": rng.normal(0.0, 4.0, (int(rng.integers(2, 4)), int(rng.integers(5, 9))))}


def vector(rng):
    """One example, a 1-D array of m = 3..7 logits."""
    return {"z": rng.normal(0.0, 3.0, int(rng.integers(3, 8)))}


def float32(rng):
    """3 rows of m = 2..3 float32 logits; two rows hold a logit above 88.72, where e^z overflows
    float32."""
    m = int(rng.integers(2, 4))
    rows = rng.normal(0.0, 20.0, (3, m))
    rows[0, rng.integers(m)] = rng.uniform(89.0, 120.0)
    rows[2] = rng.uniform(80.0, 88.5, m)
    rows[2, rng.integers(m)] = rng.uniform(89.0, 100.0)
    return {"z": rows.astype(np.float32), "labels": rng.integers(0, m, 3)}


def dominant(rng):
    """2 rows of m = 2..3 logits; in one, the others are 750..900 below the largest, so their
    probabilities underflow to 0 while their log-probabilities are ordinary numbers."""
    m = int(rng.integers(2, 4))
    top = rng.normal(0.0, 2.0)
    row = top - rng.uniform(750.0, 900.0, m)
    row[rng.integers(m)] = top
    return {"z": np.array([row, rng.normal(0.0, 2.0, m)])}


def confident(rng):
    """2 rows of m = 2..3 logits, each with one logit 38..60 above the others: the sum s of the
    other terms is below the rounding unit, so log(1 + s) rounds to 0 and only log1p keeps it."""
    m = int(rng.integers(2, 4))
    rows = []
    for _ in range(2):
        top = rng.normal(0.0, 5.0)
        row = top - rng.uniform(38.0, 60.0, m)
        row[rng.integers(m)] = top
        rows.append(row)
    return {"z": np.array(rows)}


def labelled(rng):
    """4 ordinary rows of 3 logits and valid labels (the bad labels are made from them)."""
    return {"z": rng.normal(0.0, 3.0, (4, 3)), "labels": rng.integers(0, 3, 4)}


def cube(rng):
    """x of shape (2..3, 2..3) in [-2, 2] and eps = 1e-3, for f(x) = sum of x^3."""
    shape = (int(rng.integers(2, 4)), int(rng.integers(2, 4)))
    return {"x": rng.uniform(-2.0, 2.0, shape), "eps": 1e-3}


def relative(rng):
    """a, b of shape (3..5, 2..4), close to each other, with entries that are 0 in both."""
    shape = (int(rng.integers(3, 6)), int(rng.integers(2, 5)))
    a = rng.normal(0.0, 2.0, shape)
    b = a * (1.0 + rng.uniform(-0.5, 0.5, shape))
    zero = rng.random(shape) < 0.3
    a[zero], b[zero] = 0.0, 0.0
    return {"a": a, "b": b}


def gradient_check(rng):
    """Ordinary logits of shape (4..6, 3..5) and valid labels."""
    n, m = int(rng.integers(4, 7)), int(rng.integers(3, 6))
    return {"z": rng.normal(0.0, 1.0, (n, m)), "labels": rng.integers(0, m, n)}


# --- Assignment 2: the shapes of the Rules --------------------------------------------------------
def _pixels(rng, n):
    return rng.integers(0, 17, (n, FEATURES)) / 16.0  # like the digits: 0..16, scaled


def _every_class(rng, n):
    """n >= 10 labels holding every class 0..9 (code that counts the classes finds 10)."""
    labels = np.concatenate([np.arange(CLASSES), rng.integers(0, CLASSES, n - CLASSES)])
    return rng.permutation(labels)


def model(rng):
    """X (n, 64) with n = 12..20, W (64, 10), b (10,) and labels 0..9."""
    n = int(rng.integers(12, 21))
    return {
        "W": rng.normal(0.0, 0.3, (FEATURES, CLASSES)),
        "b": rng.normal(0.0, 0.3, CLASSES),
        "X": _pixels(rng, n),
        "labels": _every_class(rng, n),
    }


def training(rng):
    """A training problem of the stated shapes (every class present), a step size, 2..3 epochs and
    a test set."""
    n, k = int(rng.integers(12, 21)), int(rng.integers(5, 11))
    return {
        "X": _pixels(rng, n),
        "labels": _every_class(rng, n),
        "lr": float(rng.integers(1, 9)) / 64.0,
        "epochs": int(rng.integers(2, 4)),
        "X_test": _pixels(rng, k),
        "labels_test": rng.integers(0, CLASSES, k),
    }


def nothing(rng):
    """No input: the check reads what the notebook computed."""
    return {}
