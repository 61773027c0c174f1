"""The test digits of chapter 7's split, read without importing scikit-learn.

The held-out rows of scikit-learn's stratified ``train_test_split(test_size=0.25,
random_state=0, stratify=labels)`` of ``load_digits()`` are listed in ``digits_test_rows.json``
(450 row numbers: which digits are held out, not an answer), and the digits are read from
scikit-learn's bundled copy (the file ``load_digits`` reads). Importing scikit-learn would add a
second to every grading run; tests/test_assignments.py checks that this is exactly
``load_digits`` and the split.
"""

import functools
import importlib.util
import json
from pathlib import Path

import numpy as np

DIGITS_FILE = "datasets/data/digits.csv.gz"  # in scikit-learn: pixels 0..16, then the label
ROWS = Path(__file__).resolve().parent / "digits_test_rows.json"
TEST_SIZE, SEED = 0.25, 0  # the split of chapter 7 and of the assignment's setup cell


@functools.cache  # one split per grading run, not one per cell and submission
def test_split():
    sklearn = importlib.util.find_spec("sklearn")  # where it is installed; nothing is imported
    table = np.loadtxt(Path(sklearn.origin).parent / DIGITS_FILE, delimiter=",")
    rows = json.loads(ROWS.read_text())["rows"]
    return table[rows, :-1] / 16.0, table[rows, -1].astype(int)
