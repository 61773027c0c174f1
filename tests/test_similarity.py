"""The copying report: `scripts/assignments.py similarity` with the real copydetect.

A small course of its own is written in tmp_path in nbgrader's layout (source/, release/,
submitted/<student>/<assignment>/), with one short assignment, so the test depends on neither the
course's assignments nor the grader: only on the folder layout that nbgrader's collect writes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

pytest.importorskip("copydetect", reason="copydetect is in requirements.txt: run `make venv`")

ROOT = Path(__file__).resolve().parent.parent
NAME = "demo"
SETUP = "import numpy as np"

SOLUTION = '''\
def log_softmax(z):
    """Log-softmax along the last axis."""
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype=float)
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    ### END SOLUTION


def cross_entropy(logits, labels):
    """Mean cross-entropy of integer labels."""
    ### BEGIN SOLUTION
    logp = log_softmax(logits)
    rows = np.arange(len(labels))
    return float(-np.mean(logp[rows, labels]))
    ### END SOLUTION


def accuracy(logits, labels):
    """Fraction of rows whose largest logit is the label."""
    ### BEGIN SOLUTION
    predicted = np.argmax(logits, axis=1)
    return float(np.mean(predicted == np.asarray(labels)))
    ### END SOLUTION
'''

# One student's own work: loops, other names, other order.
ADA = '''\
def log_softmax(z):
    """Log-softmax along the last axis."""
    values = np.array(z, dtype=np.float64)
    flat = values.reshape(-1, values.shape[-1])
    out = np.empty_like(flat)
    for i in range(flat.shape[0]):
        biggest = flat[i].max()
        total = 0.0
        for v in flat[i]:
            total += np.exp(v - biggest)
        out[i] = flat[i] - biggest - np.log(total)
    return out.reshape(values.shape)


def cross_entropy(logits, labels):
    """Mean cross-entropy of integer labels."""
    table = log_softmax(logits)
    cost = 0.0
    for i, label in enumerate(labels):
        cost -= table[i][label]
    return float(cost / len(labels))


def accuracy(logits, labels):
    """Fraction of rows whose largest logit is the label."""
    right = 0
    for row, label in zip(logits, labels):
        if int(np.argmax(row)) == int(label):
            right += 1
    return right / len(labels)
'''

# Ada's notebook with the names changed and the comments rewritten: a copy.
BOB = (
    ADA.replace("values", "arr")
    .replace("flat", "rows2d")
    .replace("biggest", "m")
    .replace("total", "acc")
    .replace("table", "lp")
    .replace("cost", "loss")
    .replace("right", "hits")
)

# Another student's own work: vectorised, but not the instructor's shape of code either.
CY = '''\
def log_softmax(z):
    """Log-softmax along the last axis."""
    z = np.asarray(z, dtype=float)
    return z - np.logaddexp.reduce(z, axis=-1)[..., None]


def cross_entropy(logits, labels):
    """Mean cross-entropy of integer labels."""
    onehot = np.eye(np.shape(logits)[-1])[labels]
    return float(-(onehot * log_softmax(logits)).sum() / onehot.shape[0])


def accuracy(logits, labels):
    """Fraction of rows whose largest logit is the label."""
    return float(np.count_nonzero(np.argmax(logits, -1) == labels)) / np.size(labels)
'''

# The instructor solution handed in, its comments and blank lines changed.
DEE = "\n".join(
    line for line in SOLUTION.replace('"""', "# ").splitlines() if "### " not in line and line
)


def released(solution: str) -> str:
    """nbgrader's student version of a solution cell: each solution replaced by a raise."""
    lines, inside = [], False
    for line in solution.splitlines():
        if "### BEGIN SOLUTION" in line:
            inside = True
            lines.append(line.replace("### BEGIN SOLUTION", "# YOUR CODE HERE"))
            lines.append(line.replace("### BEGIN SOLUTION", "raise NotImplementedError()"))
        elif "### END SOLUTION" in line:
            inside = False
        elif not inside:
            lines.append(line)
    return "\n".join(lines)


def notebook(path: Path, solution: str) -> None:
    """A notebook of the assignment: setup, the solution cell, a locked test cell."""
    grading = {"solution": True, "grade": False, "grade_id": "functions", "locked": False}
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Demo assignment"),
        nbformat.v4.new_code_cell(SETUP),
        nbformat.v4.new_code_cell(solution, metadata={"nbgrader": grading}),
        nbformat.v4.new_code_cell(
            "assert abs(cross_entropy(np.zeros((2, 3)), [0, 1]) - np.log(3)) < 1e-12\n"
            "assert accuracy(np.eye(3), [0, 1, 2]) == 1.0\n"
            'print("visible tests passed")'
        ),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    notebook(course / "source" / NAME / f"{NAME}.ipynb", SOLUTION)
    blank = released(SOLUTION)
    notebook(course / "release" / NAME / f"{NAME}.ipynb", blank)
    students = {"ada": ADA, "bob": BOB, "cy": CY, "dee": DEE, "eve": blank, "fay": blank}
    for student, code in students.items():
        notebook(course / "submitted" / student / NAME / f"{NAME}.ipynb", code)
    # a file that is not a notebook is skipped with a line, the others are still compared
    (course / "submitted" / "hal" / NAME).mkdir(parents=True)
    (course / "submitted" / "hal" / NAME / f"{NAME}.ipynb").write_text('{"cells": 3}')
    # a student folder of another assignment is not compared
    notebook(course / "submitted" / "gus" / "other" / "other.ipynb", ADA)
    run = subprocess.run(
        [sys.executable, "scripts/assignments.py", "--course", str(course), "similarity", NAME],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "skipped" in run.stdout and "hal" in run.stdout
    reports = course / "reports"
    data = json.loads((reports / f"{NAME}-similarity.json").read_text())
    html = (reports / f"{NAME}-similarity.html").read_text()
    pairs = {frozenset((p["a"], p["b"])): p for p in data["pairs"]}
    return {"data": data, "pairs": pairs, "html": html, "students": set(students)}


def test_every_pair_once_with_the_interface_fields(report):
    names = report["students"] | {"instructor-solution"}
    expected = {frozenset((a, b)) for a in names for b in names if a != b}
    assert set(report["pairs"]) == expected
    threshold = report["data"]["threshold"]
    assert 0 < threshold < 1
    for pair in report["data"]["pairs"]:
        assert set(pair) == {"a", "b", "similarity", "flagged"}
        assert 0 <= pair["similarity"] <= 1
        assert pair["flagged"] == (pair["similarity"] > threshold)


def test_a_renamed_copy_is_flagged(report):
    assert report["pairs"][frozenset(("ada", "bob"))]["flagged"]


def test_the_instructor_solution_handed_in_is_flagged(report):
    assert report["pairs"][frozenset(("dee", "instructor-solution"))]["flagged"]


def test_independent_work_is_not_flagged(report):
    flagged = {pair for pair, record in report["pairs"].items() if record["flagged"]}
    assert flagged == {frozenset(("ada", "bob")), frozenset(("dee", "instructor-solution"))}


def test_the_released_code_is_not_copying(report):
    # two blank notebooks are identical, but everything in them was handed out
    assert report["pairs"][frozenset(("eve", "fay"))]["similarity"] == 0


def test_the_html_report_is_copydetects_and_loads_nothing_from_elsewhere(report):
    html = report["html"]
    assert "Copy Detection Report" in html
    assert "code/ada.py" in html and "code/bob.py" in html  # the flagged pair is shown
    assert "https://" not in html.split("<body>")[0] and 'src="http' not in html
