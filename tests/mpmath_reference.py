"""High-precision references for the accuracy tests, and the adversarial input families.

Every expected value used by tests/test_accuracy.py is computed here with mpmath at
``mp.dps = 60`` (60 significant decimal digits, about 200 bits), from the float inputs taken as
exact binary numbers. Rounding the reference to float64 is then correct to well below 1e-40 in
relative terms, far below the ulp of float64 (2.2e-16), so the reference is the true value for
every purpose here. ``mpmath.exp`` has an unbounded exponent range, so ``exp(1e308)`` is fine.

Errors are measured in ulps of the exact result in the dtype of the computation:
``|computed - exact| / ulp(exact)``, where ``ulp(t)`` is the spacing of floats at ``t``
(``np.spacing``), so float32 results are measured in float32 units.

The families (each returns a list of 1-d float arrays, one per slice; see `FAMILIES`):

* ``huge_spread``   -- magnitudes 10^-5 .. 10^308 with random signs
* ``near_overflow`` -- clustered around +709.78 or -709.78 (float32: +-88.72), where exp overflows
* ``extreme``       -- entries at +-1e308 (float32: +-3e38) mixed with ordinary values
* ``all_equal``     -- every logit the same (the max is tied m times)
* ``dominant``      -- one class 20..800 above the rest, so its probability rounds to 1
* ``many_classes``  -- 10^4 .. 10^6 classes drawn from a few distinct values
* ``random_normal`` -- ordinary N(0, s^2) logits with s in 0.1 .. 100
"""

import mpmath
import numpy as np

mpmath.mp.dps = 60  # the precision of every reference value in the tests


def _as_groups(x):
    """Distinct values of x with their multiplicities, so huge slices stay cheap in mpmath."""
    values, counts = np.unique(x, return_counts=True)
    return [(mpmath.mpf(float(v)), int(c)) for v, c in zip(values, counts, strict=True)]


def _max_and_log1p(x):
    """The maximum a and L = log(sum exp(x - a)) = log1p(s), s leaving out one maximal term.

    Computing L through log1p keeps it exact to 60 digits even when it is 1e-300: forming
    1 + s first would round it away even at 60 digits.
    """
    groups = _as_groups(x)
    top = max(v for v, _ in groups)
    rest = mpmath.fsum((c - 1 if v == top else c) * mpmath.exp(v - top) for v, c in groups)
    return top, mpmath.log1p(rest), groups


def logsumexp_ref(x):
    """log(sum(exp(x))) of a finite 1-d array, as an mpmath number."""
    top, log_norm, _ = _max_and_log1p(x)
    return top + log_norm


def log_softmax_ref(x):
    """Exact log-probabilities of a finite 1-d array: a dict {distinct value: mpf}."""
    top, log_norm, groups = _max_and_log1p(x)
    return {float(v): (v - top) - log_norm for v, _ in groups}


def softmax_ref(x):
    """Exact probabilities of a finite 1-d array: a dict {distinct value: mpf}."""
    return {value: mpmath.exp(log_p) for value, log_p in log_softmax_ref(x).items()}


def ulp_error(computed, exact, dtype):
    """|computed - exact| in units in the last place of `exact` in `dtype` (a float).

    If the exact value rounds to infinity in `dtype`, an infinite result of the right sign counts
    as correct (error 0); this is the only case where inf is acceptable.
    """
    finfo = np.finfo(dtype)
    largest = mpmath.mpf(float(finfo.max))
    top_ulp = mpmath.mpf(float(finfo.max - np.nextafter(finfo.max, 0)))
    if abs(exact) >= largest + top_ulp / 2:  # the exact value rounds to inf
        same_sign_inf = np.isinf(computed) and (computed > 0) == (exact > 0)
        return 0.0 if same_sign_inf else float("inf")
    if not np.isfinite(computed):
        return float("inf")
    with np.errstate(over="ignore"):  # exact may lie just above max and still round to it
        nearest = min(abs(dtype(float(exact))), finfo.max)
    ulp = top_ulp if nearest == finfo.max else mpmath.mpf(float(np.spacing(nearest)))
    return float(abs(mpmath.mpf(float(computed)) - exact) / ulp)


def worst_ulp_vector(computed, x, reference, dtype):
    """The worst ulp error over the entries of `computed`, against `reference` of slice `x`."""
    exact_by_value = reference(x)
    worst = 0.0
    # Entries with the same input value have the same exact output: check each once per value.
    for value in exact_by_value:
        computed_values = np.unique(computed[x == value])
        for c in computed_values:
            worst = max(worst, ulp_error(c, exact_by_value[value], dtype))
    return worst


def lse_cancels(x):
    """True if log Q = a + L (a the maximum, L = log1p(s) >= 0) may cancel.

    The rule of tests/test_accuracy.py: there is no cancellation when a >= 0 (both terms are
    >= 0) or when |log Q| >= |a| / 2 (then L = |log Q - a| <= 3 |log Q|, so an error in L is
    at most tripled relative to the result); logsumexp is held to 2 ulp flat there. Otherwise
    a < 0 and log Q is much closer to 0 than a: the sum of the e^{x_j} is close to 1, and the
    relative accuracy of the result is limited by the condition number (`lse_condition`).
    """
    top = float(np.max(x))
    return top < 0 and abs(logsumexp_ref(x)) < abs(top) / 2


def lse_condition(x):
    """Relative condition number of logsumexp at x: sum_j P_j |x_j| / |lse(x)| (>= 1 or inf).

    A forward error of k ulp times this number is what a backward-stable algorithm can promise;
    it exceeds 1 only when the maximum is negative and log Q is much closer to 0 than it.
    """
    lse = logsumexp_ref(x)
    weighted = mpmath.fsum(c * mpmath.exp(v - lse) * abs(v) for v, c in _as_groups(x))
    if lse == 0:
        return float("inf")
    return max(1.0, float(weighted / abs(lse)))


# --- the adversarial families -------------------------------------------------------------


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
    The default, 2..12, is the short rows that lib reduces column by column; lib takes other
    code paths for rows of more than 16 classes, which ``sizes=(17, 2000)`` exercises.
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
