"""Worst errors in ulps of lib's softmax family and of scipy.special's, on the same inputs.

Run with ``.venv/bin/python bench/bench_accuracy.py`` (about 40 s). The inputs are the
adversarial families of tests/families.py (60 slices each, 6 for ``many_classes``), the
reference is `lib.reference` (mpmath at 60 digits), and an error is
``|computed - exact| / ulp(exact)`` in the dtype of the computation (float32 results in float32
ulps). Short rows have 2..12 classes, long rows 17..2000 (12 slices). For ``log_softmax`` and
``softmax`` the worst entry of any slice counts. For ``logsumexp`` the column "(rule)" shows the
error divided by the condition number where the result cancels (`lse_cancels`) and the plain
error elsewhere: that is what tests/test_accuracy.py holds to 2 ulp. The test suite asserts the
bounds; this script only prints.
"""

import sys
from pathlib import Path

import numpy as np
import scipy.special

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from families import FAMILIES, family_cases  # noqa: E402

import lib  # noqa: E402
from lib.reference import (  # noqa: E402
    lse_cancels,
    lse_condition,
    mp_log_softmax,
    mp_logsumexp,
    mp_softmax,
    ulp_error,
)

IMPLEMENTATIONS = {
    "lib": (lib.logsumexp, lib.log_softmax, lib.softmax),
    "scipy": (
        scipy.special.logsumexp,
        scipy.special.log_softmax,
        scipy.special.softmax,
    ),
}


def worst_errors(cases, dtype, functions):
    """(logsumexp, logsumexp by the test's rule, log_softmax, softmax) worst ulp errors."""
    lse, log_sm, sm = functions
    worst = np.zeros(4)
    for x in cases:
        with np.errstate(all="ignore"):  # scipy warns on some of these inputs
            lse_value, log_probs, probs = lse(x), log_sm(x), sm(x)
        error = float(ulp_error(lse_value, mp_logsumexp(x), dtype))
        row = [
            error,
            error / lse_condition(x) if lse_cancels(x) else error,
            np.max(ulp_error(log_probs, mp_log_softmax(x), dtype)),
            np.max(ulp_error(probs, mp_softmax(x), dtype)),
        ]
        worst = np.maximum(worst, row)
    return worst


def main():
    header = f"{'dtype':>8} {'family':>20} {'impl':>6} {'logsumexp':>10} {'(rule)':>8} "
    header += f"{'log_softmax':>12} {'softmax':>9}"
    print("worst error in ulps against mpmath (mp.dps = 60)")
    print(header)
    print("-" * len(header))
    totals = {name: np.zeros(4) for name in IMPLEMENTATIONS}
    for dtype in (np.float64, np.float32):
        for family in FAMILIES:
            for rows, sizes, count in (("short", (2, 12), 60), ("long", (17, 2000), 12)):
                if family == "many_classes" and rows == "long":
                    continue  # its size does not depend on `sizes`
                count = 6 if family == "many_classes" else count
                cases = family_cases(family, dtype, count, seed=1, sizes=sizes)
                label = f"{family} {rows}"
                for name, functions in IMPLEMENTATIONS.items():
                    worst = worst_errors(cases, dtype, functions)
                    totals[name] = np.maximum(totals[name], worst)
                    print(
                        f"{np.dtype(dtype).name:>8} {label:>20} {name:>6} {worst[0]:10.3g} "
                        f"{worst[1]:8.3g} {worst[2]:12.3g} {worst[3]:9.3g}"
                    )
    print("-" * len(header))
    for name, worst in totals.items():
        print(
            f"{'all':>8} {'all':>20} {name:>6} {worst[0]:10.3g} {worst[1]:8.3g} "
            f"{worst[2]:12.3g} {worst[3]:9.3g}"
        )


if __name__ == "__main__":
    main()
