"""Tests of lib.online: the online normaliser, its merge, and the streaming softmax.

The central property: split the logits into blocks ANY way, merge the block states
in ANY order, and ``finalize`` gives ``log sum exp`` to within 2 ulp. The reference is the exact
value (mpmath at 60 digits, rounded once). The promise in its other form, "equals `logsumexp`
to within 2 ulp", is tested too, against `lib.softmax.logsumexp`, which is itself within 2 ulp of
the exact value (tests/test_accuracy.py, including rows of many equal terms).
The bound is in ulps of ``log Q`` when ``max z >= 0``; when the maximum is negative,
``log Q = m + log1p(s)`` can cancel, no float64 algorithm has a small relative error there, and
the bound is in ulps of the larger of ``|log Q|`` and ``log1p(s)`` (the parts that cancel).

The strategies (logits, a split into blocks, a merge order) live in tests/strategies.py.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import (
    lib_settings,
    logit_vectors,
    split_and_order,
    tail_heavy_vectors,
    wide_logit_rows,
)

from lib.online import (
    NormalizerState,
    StreamCost,
    block_state,
    empty_state,
    finalize,
    merge,
    milakov_normalizer,
    online_logsumexp,
    online_softmax,
    three_pass_softmax,
)
from lib.reference import mp_logsumexp, mp_softmax, ulp_error
from lib.softmax import logsumexp, softmax

# ---------------------------------------------------------------- helpers


def merged_in_order(logits, cuts, order):
    """Finalize the states of the blocks of `logits`, merged pairwise in the order given."""
    states = [block_state(block) for block in np.split(logits, cuts)]
    for first, second in order:
        combined = merge(states[first], states[second])
        states = [s for k, s in enumerate(states) if k not in (first, second)] + [combined]
    (state,) = states
    return finalize(state)


def ulps_between(a, b, scale):
    """|a - b| in units of the spacing of float64 numbers at `scale` (0 when equal)."""
    a, b = float(a), float(b)
    if a == b:
        return 0.0
    return abs(a - b) / float(np.spacing(abs(scale)))


def ulp_scale(logits, log_q):
    """|log Q|, or the size of the two parts m and log1p(s) when they cancel (max < 0)."""
    top = float(np.max(logits))
    return max(abs(float(log_q)), abs(float(log_q) - top)) if top < 0 else abs(float(log_q))


def exact_logsumexp(logits):
    """log sum exp from lib.reference (mpmath, 60 digits), rounded once to float64."""
    return float(mp_logsumexp(logits))


# ---------------------------------------------------------------- the merge: any split, any order


@lib_settings(200)
@given(st.data(), logit_vectors)
def test_any_split_in_any_merge_order_is_within_2_ulp_of_exact(data, logits):
    cuts, order = data.draw(split_and_order(logits.size))
    online = merged_in_order(logits, cuts, order)
    exact = exact_logsumexp(logits)
    assert ulps_between(online, exact, ulp_scale(logits, exact)) <= 2
    # as promised: equal to logsumexp within 2 ulp (lib.logsumexp is itself <= 2 ulp)
    assert ulps_between(online, logsumexp(logits), ulp_scale(logits, exact)) <= 2


@lib_settings(200)
@given(st.data(), tail_heavy_vectors())
def test_tail_heavy_logits_any_merge_order_within_2_ulp(data, logits):
    # log Q ~ 1e-20..1: every rounding of the tail shows in the last bits of the result
    cuts, order = data.draw(split_and_order(logits.size))
    online = merged_in_order(logits, cuts, order)
    exact = exact_logsumexp(logits)
    assert ulps_between(online, exact, exact) <= 2
    assert ulps_between(online, logsumexp(logits), exact) <= 2


@lib_settings(100)
@given(tail_heavy_vectors())
def test_one_logit_at_a_time_keeps_2_ulp_thanks_to_the_carried_error(logits):
    # block_size=1 is a chain of n - 1 merges: without the TwoSum carry this drifts to ~n/2 ulp
    online = online_logsumexp(logits, block_size=1)
    exact = exact_logsumexp(logits)
    assert ulps_between(online, exact, exact) <= 2


@pytest.mark.parametrize("rise", [1e-3, 1.0])
def test_slowly_rising_stream_one_logit_at_a_time_does_not_drift(rise):
    # a new maximum at each of 2000 steps: rescaling by exp(gap) ~ 1 - 1e-6 used to drift 6+ ulp
    rng = np.random.default_rng(11)
    logits = np.sort(rng.uniform(0.0, rise, 2000))
    exact = exact_logsumexp(logits)
    assert ulps_between(online_logsumexp(logits, block_size=1), exact, exact) <= 2


ADVERSARIAL_FAMILIES = {
    "tail far below the max": lambda rng: np.concatenate([[0.0], -40.0 - 5.0 * rng.random(300)]),
    "max last, tail before": lambda rng: np.append(-20.0 - 20.0 * rng.random(300), 0.0),
    "increasing (a rescale per logit)": lambda rng: np.sort(rng.uniform(0.0, 1.0, 300)),
    "spread over [-60, 0]": lambda rng: np.append(rng.uniform(-60.0, 0.0, 300), 0.0),
    "gaussian": lambda rng: rng.normal(size=300),
    "large offset": lambda rng: 1e5 + rng.normal(size=300),
}


@pytest.mark.parametrize("family", sorted(ADVERSARIAL_FAMILIES))
def test_online_logsumexp_within_2_ulp_of_mpmath(family):
    # Expected values computed with mpmath at 60 digits; max z >= 0 in every family
    rng = np.random.default_rng(sorted(ADVERSARIAL_FAMILIES).index(family))
    worst = 0.0
    for _ in range(12):
        logits = ADVERSARIAL_FAMILIES[family](rng)
        exact = exact_logsumexp(logits)
        for block_size in (1, 7, 64, 1024):
            online = online_logsumexp(logits, block_size=block_size)
            worst = max(worst, ulps_between(online, exact, exact))
        cuts = np.sort(rng.choice(np.arange(1, logits.size), size=25, replace=False))
        order = [tuple(rng.choice(k, size=2, replace=False)) for k in range(26, 1, -1)]
        worst = max(worst, ulps_between(merged_in_order(logits, cuts, order), exact, exact))
    assert worst <= 2, f"{family}: {worst} ulp"


def test_milakov_pair_loses_the_tail_that_the_tail_form_keeps():
    # the paper's (m, d) ends with log(d), which is log(1) = 0 when the tail is below 2^-53
    logits = np.array([0.0, -40.0, -41.0])
    top, normaliser = milakov_normalizer(logits)
    assert top + np.log(normaliser) == 0.0
    assert finalize(block_state(logits)) == logsumexp(logits) > 0


@lib_settings(100)
@given(logit_vectors)
def test_milakov_loop_matches_logsumexp_when_the_tail_is_not_small(logits):
    top, normaliser = milakov_normalizer(logits)
    assert top == np.max(logits)
    assert 1.0 <= normaliser <= logits.size * (1 + 1e-15)
    reference = logsumexp(logits)
    assert abs(top + np.log(normaliser) - reference) <= 4e-16 * (abs(reference) + logits.size)


@lib_settings(200)
@given(logit_vectors, logit_vectors)
def test_merge_of_distinct_maxima_is_exactly_commutative(left, right):
    a, b = block_state(left), block_state(right)
    if a.max_z == b.max_z:
        return
    ab, ba = merge(a, b), merge(b, a)
    assert all(np.array_equal(x, y) for x, y in zip(ab, ba, strict=True))


@lib_settings(200)
@given(logit_vectors)
def test_empty_state_is_the_identity_on_both_sides(logits):
    state = block_state(logits)
    for merged in (merge(state, empty_state()), merge(empty_state(), state)):
        assert all(np.array_equal(x, y) for x, y in zip(merged, state, strict=True))


# ---------------------------------------------------------------- non-finite logits


def test_merge_of_two_empty_states_is_empty_not_nan():
    # -inf - (-inf) would be nan; the merge takes the rescale as exactly 1 and d2 = 0
    both = merge(empty_state(), block_state([-np.inf, -np.inf]))
    assert both.max_z == -np.inf and both.tail == -1.0 and both.tail_error == 0.0


def test_minus_inf_logits_and_all_minus_inf_blocks_count_for_nothing():
    logits = np.array([-np.inf, -np.inf, -np.inf, 2.0, -np.inf, 0.5, -np.inf, -np.inf])
    expected = logsumexp(np.array([2.0, 0.5]))
    for block_size in range(1, logits.size + 1):  # size 1..3 include blocks that are all -inf
        assert ulps_between(online_logsumexp(logits, block_size=block_size), expected, 2) <= 1
    probs = online_softmax(logits, block_size=2)
    assert np.all(probs[np.isneginf(logits)] == 0.0)
    np.testing.assert_allclose(probs, softmax(logits), rtol=4e-16, atol=0)


def test_every_logit_minus_inf_raises_like_logsumexp():
    logits = np.full((2, 5), -np.inf)
    logits[0, 1] = 0.0
    for function in (logsumexp, online_logsumexp, online_softmax, three_pass_softmax):
        with pytest.raises(ValueError, match=r"1.*-inf.*no class is possible"):
            function(logits)
    with pytest.raises(ValueError, match="no class is possible"):
        finalize(empty_state())


def test_ties_at_plus_inf_share_probability_without_nan():
    # inf - inf would be nan; logits equal to the maximum are shifted to exactly 0
    logits = np.array([[np.inf, 1.0, np.inf, -np.inf], [0.0, 1.0, 2.0, 3.0]])
    assert np.array_equal(online_logsumexp(logits, block_size=1), logsumexp(logits))
    for function in (online_softmax, three_pass_softmax):
        probs = function(logits, block_size=3)
        assert np.array_equal(probs[0], [0.5, 0.0, 0.5, 0.0])
        np.testing.assert_allclose(probs[1], softmax(logits[1]), rtol=4e-16)


def test_nan_makes_only_its_own_row_nan():
    logits = np.array([[0.0, np.nan, 1.0], [0.0, 2.0, 1.0]])
    for block_size in (1, 2, 3):
        log_q = online_logsumexp(logits, block_size=block_size)
        assert np.isnan(log_q[0]) and log_q[1] == pytest.approx(logsumexp(logits[1]), rel=1e-15)
        probs = online_softmax(logits, block_size=block_size)
        assert np.isnan(probs[0]).all() and np.isfinite(probs[1]).all()


# ---------------------------------------------------------------- the streaming softmax


@lib_settings(150)
@given(wide_logit_rows, st.integers(1, 40))
def test_online_softmax_is_within_3_ulp_of_mpmath(logits, block_size):
    # Expected values computed with mpmath (lib.floating.mp_softmax, 50 digits). The TwoSum
    # correction of z - m is what keeps classes far below the maximum within a few ulp
    probs = online_softmax(logits, block_size=block_size)
    assert probs.shape == logits.shape and probs.dtype == logits.dtype
    assert np.all(ulp_error(probs, mp_softmax(logits), np.float64) <= 3)
    assert np.all(np.abs(probs.sum(axis=-1) - 1.0) <= (logits.shape[-1] + 3) * 2.3e-16)


@lib_settings(100)
@given(wide_logit_rows, st.integers(1, 40))
def test_three_pass_softmax_has_the_lectures_accuracy(logits, block_size):
    # Shift-and-divide, eq. (14) as written (cf. Blanchard, Higham & Higham 2021), to first
    # order in u = 2^-53, with numpy's exp within 1 ulp (a relative error of at most 2u):
    # * t_j = exp(fl(z_j - a)): rounding z_j - a moves the exponent by u |z_j - a|, so t_j is
    #   off by at most u (|z_j - a| + 2) relatively;
    # * Q' = sum_k t_k: the terms' errors average to u (sum_k q_k |z_k - a| + 2) with
    #   q = softmax(z), and sum_k q_k (a - z_k) = H(q) - log Q' <= ln m; adding m nonnegative
    #   terms in any order costs at most (m - 1) u more;
    # * P_j = t_j / Q': one more rounding, u.
    # Together u (|z_j - a| + m + ln m + 4), and a relative error of r u is below r ulp (the
    # ulp of y is more than u |y|). The summation term m is what the old bound |z_j - a| + 3
    # left out ([[3, 0, 0, 0, 0, 0]] is 3.44 ulp off in its first entry).
    probs = three_pass_softmax(logits, block_size=block_size)
    m = logits.shape[-1]
    gap = logits.max(axis=-1, keepdims=True) - logits
    bound = gap + m + np.log(m) + 4
    assert np.all(ulp_error(probs, mp_softmax(logits), np.float64) <= bound)
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, rtol=(logits.shape[-1] + 3) * 2.3e-16)


def test_online_softmax_of_a_class_far_below_the_max_is_accurate():
    # 0.3 - (-700.1) rounds in the last bit of 700.4, which exp would turn into ~100 ulp of P_1
    logits = np.array([0.3, -700.1])
    exact = mp_softmax(logits)
    assert np.all(ulp_error(online_softmax(logits), exact, np.float64) <= 2)
    assert ulp_error(three_pass_softmax(logits), exact, np.float64)[1] > 10


def test_rows_are_streamed_together_like_one_row_at_a_time():
    rng = np.random.default_rng(5)
    logits = rng.normal(scale=20.0, size=(6, 37))
    together = online_softmax(logits, block_size=5)
    one_by_one = np.stack([online_softmax(row, block_size=5) for row in logits])
    assert np.array_equal(together, one_by_one)


def test_axis_argument_moves_the_classes():
    rng = np.random.default_rng(6)
    logits = rng.normal(size=(9, 4, 3))
    for axis in (0, 1, -1):
        np.testing.assert_allclose(
            online_softmax(logits, axis=axis, block_size=2), softmax(logits, axis=axis), rtol=1e-15
        )
        np.testing.assert_allclose(
            online_logsumexp(logits, axis=axis, block_size=2),
            logsumexp(logits, axis=axis),
            rtol=1e-15,
        )


def test_float32_stays_float32_and_accurate():
    rng = np.random.default_rng(7)
    logits = rng.normal(scale=10.0, size=(4, 100)).astype(np.float32)
    log_q = online_logsumexp(logits, block_size=9)
    probs = online_softmax(logits, block_size=9)
    assert log_q.dtype == np.float32 and probs.dtype == np.float32
    reference = logsumexp(logits.astype(np.float64))
    assert np.all(np.abs(log_q - reference) <= 2 * np.spacing(np.abs(log_q)))


def test_pass_and_exp_counts():
    logits = np.zeros((3, 100))
    online, three = StreamCost(), StreamCost()
    online_softmax(logits, block_size=32, cost=online)  # 4 blocks per row
    three_pass_softmax(logits, block_size=32, cost=three)
    assert online == StreamCost(passes=2, elements_read=600, exps=600 + 3 * 4, elements_written=300)
    assert three == StreamCost(passes=3, elements_read=900, exps=600, elements_written=300)
    normaliser_only = StreamCost()
    online_logsumexp(logits, block_size=100, cost=normaliser_only)
    assert normaliser_only == StreamCost(passes=1, elements_read=300, exps=303)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("block_size", [0, -3, 2.5, True, "8"])
def test_bad_block_size_is_a_readable_error(block_size):
    with pytest.raises(ValueError, match="block_size"):
        online_softmax(np.zeros(4), block_size=block_size)


@pytest.mark.parametrize(
    ("logits", "message"),
    [
        (np.zeros((3, 0)), "no classes"),
        (np.array(["a", "b"]), "real numbers"),
        (np.float64(1.0), "scalar"),
    ],
)
def test_bad_logits_are_a_readable_error(logits, message):
    for function in (online_logsumexp, online_softmax, three_pass_softmax):
        with pytest.raises(ValueError, match=message):
            function(logits)


def test_milakov_normalizer_rejects_non_finite_and_2d():
    with pytest.raises(ValueError, match=r"z\[1\] = inf"):
        milakov_normalizer([0.0, np.inf])
    with pytest.raises(ValueError, match="1-d"):
        milakov_normalizer(np.zeros((2, 2)))


def test_block_state_of_an_empty_block_is_the_empty_state():
    state = block_state(np.zeros((2, 0)))
    assert isinstance(state, NormalizerState)
    assert np.all(state.max_z == -np.inf) and np.all(state.tail == -1.0)
