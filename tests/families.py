"""Adversarial input families for the accuracy tests and bench/bench_accuracy.py.

The exact values they are compared with come from `lib.reference` (mpmath, 60 digits). Each
family makes one 1-d float array per slice (see `FAMILIES`):

* ``huge_spread``   -- magnitudes 10^-5 .. 10^308 with random signs
* ``near_overflow`` -- clustered around +709.78 or -709.78 (float32: +-88.72), where exp overflows
* ``extreme``       -- entries at +-1e308 (float32: +-3e38) mixed with ordinary values
* ``all_equal``     -- every logit the same (the max is tied m times)
* ``dominant``      -- one class far above the rest, so its probability rounds to 1
* ``many_classes``  -- 10^4 .. 10^6 classes drawn from a few distinct values
* ``random_normal`` -- ordinary N(0, s^2) logits with s in 0.1 .. 100
"""

import numpy as np


def _overflow_point(dtype):
    """ln(largest float): about 709.78 for float64 and 88.72 for float32."""
    return float(np.log(np.finfo(dtype).max))


def huge_spread(rng, dtype, size):
    """Magnitudes spread over the whole exponent range, random signs."""
    top = np.log10(float(np.finfo(dtype).max)) - 0.01
    exponents = rng.uniform(-5, top, size=size)
    return rng.choice([-1.0, 1.0], size=size) * 10.0**exponents


def near_overflow(rng, dtype, size):
    """Logits clustered around +-ln(max), where exp overflows or underflows."""
    centre = rng.choice([-1.0, 1.0]) * _overflow_point(dtype)
    return centre + rng.normal(scale=rng.choice([1e-3, 1.0, 30.0]), size=size)


def extreme(rng, dtype, size):
    """Some logits at +-(0.5..1) x the largest float, the rest ordinary."""
    big = float(np.finfo(dtype).max)
    x = rng.normal(scale=10.0, size=size)
    picks = rng.random(size) < 0.5
    x[picks] = rng.choice([-1.0, 1.0], size=picks.sum()) * big * rng.uniform(0.5, 1.0, picks.sum())
    return x


def all_equal(rng, dtype, size):
    """Every logit the same value (a tie between all classes)."""
    return np.full(size, rng.choice([0.0, 1.0, -50.0, 700.0, -1e5, 1e300]) * rng.uniform(0.5, 2))


def dominant(rng, dtype, size):
    """One class far above the others: its probability rounds to 1."""
    x = rng.normal(scale=3.0, size=size)
    x[rng.integers(size)] += rng.uniform(20.0, 800.0)
    return x


def many_classes(rng, dtype, size):
    """Up to 10^6 classes drawn from 3..30 distinct values (the reference groups them)."""
    m = int(rng.choice([10_000, 100_000, 1_000_000]))
    values = rng.normal(scale=rng.choice([1.0, 10.0, 100.0]), size=rng.integers(3, 31))
    return rng.choice(values, size=m)


def random_normal(rng, dtype, size):
    """Ordinary logits, N(0, s^2)."""
    return rng.normal(scale=rng.choice([0.1, 1.0, 10.0, 100.0]), size=size)


FAMILIES = {
    "huge_spread": huge_spread,
    "near_overflow": near_overflow,
    "extreme": extreme,
    "all_equal": all_equal,
    "dominant": dominant,
    "many_classes": many_classes,
    "random_normal": random_normal,
}


def family_cases(name, dtype, count, seed=0, sizes=(2, 12)):
    """`count` 1-d arrays of `dtype` from family `name`, reproducibly.

    The number of classes is drawn from ``sizes[0] .. sizes[1]`` (ignored by ``many_classes``).
    """
    rng = np.random.default_rng([seed, sorted(FAMILIES).index(name)])
    make = FAMILIES[name]
    cases = []
    for _ in range(count):
        size = int(rng.integers(sizes[0], sizes[1] + 1))
        with np.errstate(over="ignore"):  # float32 rounding of values near max may overflow
            x = make(rng, dtype, size).astype(dtype)
        cases.append(np.where(np.isfinite(x), x, np.finfo(dtype).max * np.sign(x)).astype(dtype))
    return cases
