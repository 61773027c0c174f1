"""Speed of lib's softmax family against scipy.special and against one np.exp, as ratios.

Run with ``make bench`` (or ``.venv/bin/python bench/bench_softmax.py [--quick]``). For each shape
and dtype it times, in the same process:

* lib: ``softmax``, ``log_softmax``, ``logsumexp`` and ``cross_entropy`` + ``cross_entropy_grad``;
* scipy.special: ``softmax``, ``log_softmax``, ``logsumexp``, and for the cost the obvious
  composition (``-log_softmax[label]`` averaged, ``(softmax - onehot) / n`` by indexing);
* one ``np.exp`` over the same array (allocating its output, as the functions do).

The machines this runs on are shared and noisy, so the measurements are CPU times
(``time.process_time``: numpy's elementwise work is single-threaded) and they are paired: each
round runs every candidate once, in a new random order, and a ratio is the median over rounds of
the per-round ratio. The table prints the median time of lib, the speed-up over scipy
(scipy time / lib time, > 1 means lib is faster) and lib's time in units of one np.exp.

The rule: never slower than scipy.special (vs scipy >= 1.00x); the ratio to one
np.exp is reported, not targeted. Not a test: timing is never asserted, it is printed.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import scipy.special

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from lib import cross_entropy, cross_entropy_grad, log_softmax, logsumexp, softmax  # noqa: E402

SHAPES = [(100_000, 10), (1000, 1000), (10, 100_000), (1, 10_000_000)]
DTYPES = [np.float64, np.float32]
BUDGET_SECONDS = 9.0  # per shape and dtype; 8 of them keep the whole run under ~2 minutes


def scipy_cost_and_grad(logits, labels):
    """Cross-entropy and its gradient composed from scipy.special, the obvious way."""
    n = logits.shape[0]
    rows = np.arange(n)
    cost = -np.mean(scipy.special.log_softmax(logits, axis=1)[rows, labels])
    grad = scipy.special.softmax(logits, axis=1)
    grad[rows, labels] -= 1.0
    grad /= n
    return cost, grad


def lib_cost_and_grad(logits, labels):
    """Cross-entropy and its gradient from lib."""
    return cross_entropy(logits, labels), cross_entropy_grad(logits, labels)


def candidates(logits, labels):
    """name -> zero-argument callable, for one input."""
    return {
        "exp": lambda: np.exp(logits),
        "softmax": lambda: softmax(logits),
        "softmax/scipy": lambda: scipy.special.softmax(logits, axis=-1),
        "log_softmax": lambda: log_softmax(logits),
        "log_softmax/scipy": lambda: scipy.special.log_softmax(logits, axis=-1),
        "logsumexp": lambda: logsumexp(logits),
        "logsumexp/scipy": lambda: scipy.special.logsumexp(logits, axis=-1),
        "CE+grad": lambda: lib_cost_and_grad(logits, labels),
        "CE+grad/scipy": lambda: scipy_cost_and_grad(logits, labels),
    }


def timed(function):
    """CPU time of one call, in seconds: on a shared machine, time spent waiting for a core
    while other processes run is not the function's (wall time would count it)."""
    start = time.process_time()
    function()
    return time.process_time() - start


def measure(shape, dtype, budget, rng):
    """Per-round times of every candidate: {name: array of seconds}, rounds paired."""
    logits = (rng.standard_normal(shape) * 3).astype(dtype)
    labels = rng.integers(0, shape[1], size=shape[0])
    funcs = candidates(logits, labels)
    names = list(funcs)
    first = {name: timed(funcs[name]) for name in names}  # warm-up, and an estimate
    rounds = int(np.clip(budget / sum(first.values()), 5, 60))
    times = {name: [] for name in names}
    for _ in range(rounds):
        # A new random order every round: a function's time depends on what ran just before it
        # (the memory that call freed, and whether the allocator gave it back to the system).
        # Rotating one order would keep every function behind the same neighbour.
        for name in rng.permutation(names):
            times[name].append(timed(funcs[name]))
    return {name: np.array(values) for name, values in times.items()}, rounds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the time budget")
    args = parser.parse_args()
    budget = BUDGET_SECONDS / (10 if args.quick else 1)
    rng = np.random.default_rng(20261127)
    print(f"numpy {np.__version__}, scipy {scipy.__version__}; median of paired rounds")
    header = (
        f"{'shape':>14} {'dtype':>7} {'function':>11} {'lib ms':>9} {'vs scipy':>9} {'/ np.exp':>9}"
    )
    print(header)
    print("-" * len(header))
    for shape in SHAPES:
        for dtype in DTYPES:
            times, rounds = measure(shape, dtype, budget, rng)
            for name in ["softmax", "log_softmax", "logsumexp", "CE+grad"]:
                lib_t = times[name]
                speedup = np.median(times[f"{name}/scipy"] / lib_t)
                vs_exp = np.median(lib_t / times["exp"])
                print(
                    f"{str(shape):>14} {np.dtype(dtype).name:>7} {name:>11} "
                    f"{np.median(lib_t) * 1e3:9.2f} {speedup:8.2f}x {vs_exp:8.2f}x"
                )
            print(
                f"{'':>14} {'':>7} {'(np.exp)':>11} {np.median(times['exp']) * 1e3:9.2f}"
                f"   ({rounds} rounds)"
            )


if __name__ == "__main__":
    main()
