"""The one-pass (online) softmax against the three-pass safe softmax, on this machine.

Usage::

    .venv/bin/python bench/bench_online.py          # about half a minute

For each shape and block size it prints what each algorithm DOES (passes over the logits,
logits read, exps, from `lib.online.StreamCost`, counted as the code runs) and how long it
TAKES, as ratios of times measured in this one process (best of several repeats), never as
absolute claims. `lib.softmax.softmax` (the whole row at once) is the baseline.

What to expect, and why: the online form saves one read of the logits, which is what matters in
a fused GPU kernel where the loop body touches each logit once per pass and memory traffic is
the cost (Milakov & Gimelshein 2018). numpy cannot fuse: inside each pass every operation
(subtract, exp, sum, max, the merge) is its own sweep over the block, so "one pass" is still
several sweeps, the exps (the same 2 per logit in both forms) are a large share, and the
bookkeeping that keeps `lib.online` within 2 ulp (a TwoSum tree in every block, about ten sweeps
where ``np.sum`` is one) adds work. So the online form is NOT faster here; the table says by how
much.
"""

from __future__ import annotations

import sys
import timeit

import numpy as np

from lib.online import StreamCost, online_softmax, three_pass_softmax
from lib.softmax import softmax

CASES = [  # (rows, classes, block_size)
    (1, 1_000_000, 4_096),
    (1, 1_000_000, 65_536),
    (256, 4_096, 512),
    (256, 4_096, 4_096),
    (4_096, 50, 64),
]


def best_time(function, repeat=5):
    """Best of `repeat` runs (each long enough to time) of a no-argument callable, in seconds."""
    timer = timeit.Timer(function)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=number)) / number


def run(cases=CASES, repeat=5, seed=0):
    """Time and count each case; return one dict per case (the table's rows)."""
    rng = np.random.default_rng(seed)
    rows_out = []
    for rows, classes, block_size in cases:
        logits = rng.normal(scale=10.0, size=(rows, classes))
        online_cost, three_cost = StreamCost(), StreamCost()
        online_softmax(logits, block_size=block_size, cost=online_cost)
        three_pass_softmax(logits, block_size=block_size, cost=three_cost)
        t_lib = best_time(lambda x=logits: softmax(x), repeat)
        t_online = best_time(lambda x=logits, b=block_size: online_softmax(x, block_size=b), repeat)
        t_three = best_time(
            lambda x=logits, b=block_size: three_pass_softmax(x, block_size=b), repeat
        )
        rows_out.append(
            {
                "shape": f"{rows}x{classes}",
                "block": block_size,
                "online": online_cost,
                "three": three_cost,
                "online/three": t_online / t_three,
                "online/lib": t_online / t_lib,
                "three/lib": t_three / t_lib,
            }
        )
    return rows_out


def main() -> int:
    print(__doc__.split("\n\n")[0])
    print(f"numpy {np.__version__}; ratios of best-of-5 wall times measured in this process\n")
    header = (
        f"{'shape':>12} {'block':>6} | {'passes':>6} {'reads/n':>7} {'exps/n':>7} | "
        f"{'passes':>6} {'reads/n':>7} {'exps/n':>7} | {'online/3-pass':>13} "
        f"{'online/lib':>10} {'3-pass/lib':>10}"
    )
    print(f"{'':>19} | {'online (2 passes)':^22} | {'three-pass':^22} | time ratios")
    print(header)
    print("-" * len(header))
    for row in run():
        n = row["online"].elements_written
        cells = []
        for cost in (row["online"], row["three"]):
            cells.append(f"{cost.passes:>6} {cost.elements_read / n:>7.2f} {cost.exps / n:>7.3f}")
        print(
            f"{row['shape']:>12} {row['block']:>6} | {cells[0]} | {cells[1]} | "
            f"{row['online/three']:>12.2f}x {row['online/lib']:>9.2f}x {row['three/lib']:>9.2f}x"
        )
    print(
        "\nreads/n and exps/n are per logit. A ratio above 1 means the first is slower. "
        "The online form reads each logit twice instead of three times, for the same 2 exps "
        "(plus one rescale per block), but in numpy every operation is a separate sweep, so the "
        "saved read does not show as time, and the TwoSum tree that buys 2-ulp accuracy costs "
        "extra sweeps in every block."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
