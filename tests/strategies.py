"""Hypothesis strategies for the tests of `lib`, and every settings profile of the test suite.

tests/conftest.py loads the profile named by ``HYPOTHESIS_PROFILE`` (default "course": the same
examples on every run, no deadline); "hunt" draws fresh random examples. The lib property
tests take `LIB_SETTINGS`: profile "lib" (the same 40 examples per test on every run; the lib
suite takes seconds), or "lib-thorough" (2000 fresh examples per test) for a deliberate hunt:
``LIB_HYPOTHESIS_PROFILE=lib-thorough .venv/bin/pytest tests/test_softmax.py``.
"""

import os

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

settings.register_profile(
    "course",
    derandomize=True,  # the same examples on every run: a failure in CI is reproducible
    deadline=None,  # a loaded 2-core machine must not turn slow examples into failures
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("hunt", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "lib",
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same examples on every run: a failure in CI is reproducible
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "lib-thorough",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
LIB_SETTINGS = settings.get_profile(os.environ.get("LIB_HYPOTHESIS_PROFILE", "lib"))


def lib_settings(max_examples):
    """`LIB_SETTINGS` with at least `max_examples` examples (for properties that fail rarely)."""
    return settings(LIB_SETTINGS, max_examples=max(max_examples, LIB_SETTINGS.max_examples))


DTYPES = st.sampled_from([np.float64, np.float32])


def finite_floats(dtype, bound=None):
    """Finite floats of `dtype` in [-bound, bound] (default: the whole finite range)."""
    finfo = np.finfo(dtype)
    bound = float(finfo.max) if bound is None else bound
    return st.floats(
        min_value=-bound,
        max_value=bound,
        allow_nan=False,
        allow_infinity=False,
        width=finfo.bits,
    )


@st.composite
def logits(draw, dtype=None, bound=None, max_rows=6, max_classes=12, min_classes=1):
    """A 2-d (n, m) array of finite logits; `bound` limits the magnitude (default: any).

    Half of the time the values are drawn around a common offset, so that huge logits that
    are close to each other (the interesting case for the shift) show up often.
    """
    dtype = draw(DTYPES) if dtype is None else dtype
    n = draw(st.integers(1, max_rows))
    m = draw(st.integers(min_classes, max_classes))
    elements = finite_floats(dtype, bound)
    if bound is None and draw(st.booleans()):
        offset = draw(finite_floats(dtype, float(np.finfo(dtype).max) / 2))
        spread = draw(hnp.arrays(dtype, (n, m), elements=finite_floats(dtype, 1000.0)))
        return (spread + dtype(offset)).astype(dtype)
    return draw(hnp.arrays(dtype, (n, m), elements=elements))


@st.composite
def logits_and_labels(draw, dtype=np.float64, bound=None, max_rows=6, max_classes=12):
    """Logits (n, m) with integer labels (n,) in 0..m-1."""
    z = draw(logits(dtype=dtype, bound=bound, max_rows=max_rows, max_classes=max_classes))
    n, m = z.shape
    labels = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, m - 1)))
    return z, labels


@st.composite
def soft_targets(draw, n, m):
    """Rows of probabilities (n, m) that sum to 1 (some entries exactly 0)."""
    weights = draw(hnp.arrays(np.float64, (n, m), elements=st.sampled_from([0.0, 0.5, 1.0, 3.0])))
    weights[:, 0] += 1.0  # every row has some weight
    return weights / weights.sum(axis=1, keepdims=True)


def shifts(dtype=np.float64):
    """Dyadic constants (k / 64, |k| < 2^16): adding one to a dyadic logit is exact."""
    return st.integers(-(2**16), 2**16).map(lambda k: dtype(k / 64))


@st.composite
def dyadic_logits(draw, dtype=np.float64, max_rows=5, max_classes=10):
    """Logits k / 64 with |k| < 2^16, so that shifting them by a `shifts` value is exact."""
    n = draw(st.integers(1, max_rows))
    m = draw(st.integers(1, max_classes))
    ks = draw(hnp.arrays(np.int64, (n, m), elements=st.integers(-(2**16), 2**16)))
    return (ks / 64).astype(dtype)


# ---------------------------------------------------------------- lib.online: blocks and merges

moderate_logits = st.floats(-60.0, 60.0, allow_nan=False, allow_infinity=False)
logit_vectors = hnp.arrays(np.float64, st.integers(1, 80), elements=moderate_logits)
wide_logit_rows = hnp.arrays(
    np.float64,
    st.tuples(st.integers(1, 3), st.integers(1, 30)),
    elements=st.floats(-800, 800, allow_nan=False),
)


@st.composite
def tail_heavy_vectors(draw):
    """One logit at 0 and many far below it: log Q = log1p(s) is tiny, so ulps are strict."""
    size = draw(st.integers(1, 120))
    depth = draw(st.floats(0.5, 45.0))
    rest = draw(hnp.arrays(np.float64, size, elements=st.floats(0.0, 8.0)))
    logits = np.concatenate([[0.0], -depth - rest])
    position = draw(st.integers(0, size))
    return np.roll(logits, position)


@st.composite
def split_and_order(draw, size):
    """Cut points splitting range(size) into blocks, and a merge order as a list of index pairs."""
    cuts = sorted(draw(st.sets(st.integers(1, max(size - 1, 1)), max_size=size - 1)))
    cuts = [c for c in cuts if 0 < c < size]
    count = len(cuts) + 1
    order = []
    for remaining in range(count, 1, -1):
        first = draw(st.integers(0, remaining - 1))
        second = draw(st.integers(0, remaining - 2))
        order.append((first, second + (second >= first)))
    return cuts, order


# ---------------------------------------------------------------- lib.likelihood


@st.composite
def grids_and_labels(draw):
    """A (g, n, m) stack of finite logits and n labels in 0..m-1."""
    g = draw(st.integers(1, 4))
    n = draw(st.integers(1, 5))
    m = draw(st.integers(1, 5))
    seed = draw(st.integers(0, 2**32 - 1))
    scale = draw(st.sampled_from([1e-3, 1.0, 30.0, 1e3]))
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, scale, size=(g, n, m))
    labels = rng.integers(0, m, size=n)
    return logits, labels
