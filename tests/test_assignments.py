"""The nbgrader assignments, graded end to end by the instructor commands.

One module-scoped fixture copies the course directory (config + sources) into a temporary
folder and runs the documented flow through ``scripts/assignments.py``: release (generate the
student versions), collect a folder of submissions, autograde (one nbgrader run per
assignment grades every submission), export grades.csv, generate feedback. The submissions are
the instructor solution, the blank student version, and the wrong, tampered and faulty
notebooks described under tests/fixtures/assignments/. Every test below reads the results.
"""

import csv
import re

import nbformat
import pytest
from assignment_grading import (
    COURSE,
    ROOT,
    copy_course,
    run_script,
    scores,
    write_submissions,
)

pytestmark = pytest.mark.slow

ASSIGNMENTS = ("softmax_and_cost", "train_classifier")

# Expected auto-graded points per hidden-test cell. The order of each tuple is TASKS[assignment].
TASKS = {
    "softmax_and_cost": (
        "softmax-hidden-tests",  # 3 points
        "log-softmax-hidden-tests",  # 3
        "cross-entropy-hidden-tests",  # 2
        "gradient-hidden-tests",  # 2
        "overflow-demo-hidden-tests",  # 1
        "gradient-check-hidden-tests",  # 2
    ),
    "train_classifier": (
        "loss-and-grad-hidden-tests",  # 2
        "train-hidden-tests",  # 3
        "loss-and-grad-mse-hidden-tests",  # 2
        "curves-hidden-tests",  # 1
    ),
}
UNSHIFTED = (0, 3, 2, 0, 0, 2)  # softmax wrong; everything calling it on extreme logits too
EXPECTED = {
    "softmax_and_cost": {
        "solution": (3, 3, 2, 2, 1, 2),
        "blank": (0, 0, 0, 0, 0, 0),
        "wrong-unshifted": UNSHIFTED,
        # the gradient task, and the gradient check that compares it with the mean cost
        "wrong-missing-1-over-n": (3, 3, 2, 0, 1, 0),
        # right only for 1-D input: the overflow demo is the one task that survives
        "wrong-axis": (0, 0, 0, 0, 1, 0),
        # log(0) = -inf in the tails: log_softmax and the cost built on it
        "wrong-log-of-softmax": (3, 0, 0, 2, 1, 2),
        # tampering on top of the unshifted softmax earns exactly what the honest one does
        "tamper-edit-tests": UNSHIFTED,
        "tamper-delete-tests": UNSHIFTED,
        "tamper-redefine-helpers": UNSHIFTED,
        "tamper-writes-lib": UNSHIFTED,
        # right values through scipy.special: nothing for the tasks whose code runs scipy
        "tamper-uses-scipy": (0, 0, 0, 0, 1, 0),
        # the same through lib: log_softmax is the student's own, so Task 2 keeps its points
        "tamper-uses-lib": (0, 3, 0, 0, 1, 0),
        # the overflow-demo cell times out; the cells after it are graded normally
        "fault-infinite-loop": (3, 3, 2, 2, 0, 2),
        # the kernel dies in Task 3: Tasks 1-2 keep their points
        "fault-kernel-exit": (3, 3, 0, 0, 0, 0),
    },
    "train_classifier": {
        "solution": (2, 3, 2, 1),
        "blank": (0, 0, 0, 0),
        # train() is judged with the grader's own gradient, and the 1437x larger steps still
        # reach 0.94 here: only the two gradient tasks fail
        "wrong-missing-1-over-n": (0, 3, 0, 1),
        # zero weights classify 10% of the test digits, whatever test_accuracy_ce claims
        "tamper-reported-accuracy": (2, 0, 2, 1),
    },
}
WRITTEN = {"softmax_and_cost": "written-shift", "train_classifier": "written-costs"}
STUDENT_CASES = [(a, s) for a in ASSIGNMENTS for s in sorted(EXPECTED[a])]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A temporary course directory after the whole instructor flow has run once."""
    root = copy_course(tmp_path_factory.mktemp("course"))
    run_script(root, "release")
    result = {"root": root, "students": {}, "scores": {}}
    for assignment in ASSIGNMENTS:
        inbox = root.parent / f"inbox-{assignment}"
        result["students"][assignment] = write_submissions(root, assignment, inbox)
        run_script(root, "collect", assignment, str(inbox))
    run_script(root, "autograde")  # every submission of both assignments, in one nbgrader run
    run_script(root, "feedback")
    run_script(root, "export", "--to", "grades.csv")
    for assignment in ASSIGNMENTS:
        result["scores"][assignment] = scores(root, assignment)
    return result


def autograded(course, assignment, student):
    path = course["root"] / "autograded" / student / assignment / f"{assignment}.ipynb"
    return nbformat.read(path, as_version=4)


def cells_by_id(nb):
    return {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}


def errors(cell):
    return [o.ename for o in cell.get("outputs", []) if o.output_type == "error"]


def test_every_fixture_has_an_expected_score(course):
    for assignment in ASSIGNMENTS:
        assert sorted(course["students"][assignment]) == sorted(EXPECTED[assignment])


@pytest.mark.parametrize(("assignment", "student"), STUDENT_CASES)
def test_autograde_scores_per_task(course, assignment, student):
    cells = course["scores"][assignment][student]["cells"]
    got = tuple(cells[task]["auto"] for task in TASKS[assignment])
    assert got == EXPECTED[assignment][student], dict(zip(TASKS[assignment], got, strict=True))
    assert course["scores"][assignment][student]["score"] == sum(EXPECTED[assignment][student])


def test_solution_earns_every_autograded_point(course):
    for assignment in ASSIGNMENTS:
        cells = course["scores"][assignment]["solution"]["cells"]
        for task in TASKS[assignment]:
            assert cells[task]["auto"] == cells[task]["max"], task


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_passes_every_visible_and_hidden_test(course, assignment):
    # No error and nothing on stderr in any cell: visible tests pass too, and no warning leaks.
    for cell in autograded(course, assignment, "solution").cells:
        for output in cell.get("outputs", []):
            assert output.output_type != "error", (cell.source[:80], output.get("evalue"))
            assert output.get("name") != "stderr", (cell.source[:80], output.get("text"))


@pytest.mark.parametrize(
    "student",
    ["tamper-edit-tests", "tamper-delete-tests", "tamper-redefine-helpers", "tamper-writes-lib"],
)
def test_tampering_earns_no_point_the_honest_submission_does_not(course, student):
    # Each tampered notebook is wrong-unshifted plus the tampering.
    graded = course["scores"]["softmax_and_cost"]
    for task in TASKS["softmax_and_cost"]:
        assert (
            graded[student]["cells"][task]["auto"]
            <= graded["wrong-unshifted"]["cells"][task]["auto"]
        ), task


def test_edited_test_cells_are_restored_from_the_gradebook(course):
    nb = cells_by_id(autograded(course, "softmax_and_cost", "tamper-edit-tests"))
    assert "BEGIN HIDDEN TESTS" in nb["softmax-hidden-tests"].source
    assert "rows must sum to 1" in nb["softmax-visible-tests"].source
    assert errors(nb["softmax-hidden-tests"]) == ["AssertionError"]


def test_deleted_test_cells_are_put_back_and_run(course):
    nb = cells_by_id(autograded(course, "softmax_and_cost", "tamper-delete-tests"))
    for task in TASKS["softmax_and_cost"]:
        assert "was missing from the submission" in nb[task].source
    assert errors(nb["softmax-hidden-tests"]) == ["AssertionError"]


def test_swallowed_assertion_still_fails_the_test_cell(course):
    # The tampered notebook installs an IPython handler that prints nothing for AssertionError;
    # the execute reply still says "error" and nbgrader records it.
    nb = cells_by_id(autograded(course, "softmax_and_cost", "tamper-redefine-helpers"))
    assert errors(nb["softmax-hidden-tests"]) != []


@pytest.mark.parametrize(
    ("student", "module"), [("tamper-uses-scipy", "scipy"), ("tamper-uses-lib", "lib")]
)
def test_library_solutions_are_detected_by_the_call_tracer(course, student, module):
    nb = cells_by_id(autograded(course, "softmax_and_cost", student))
    messages = [o.get("evalue", "") for o in nb["softmax-hidden-tests"].outputs]
    assert [m for m in messages if "must use numpy only" in m and f"into {module}" in m], messages


def test_infinite_loop_is_stopped_by_the_cell_timeout(course):
    nb = cells_by_id(autograded(course, "softmax_and_cost", "fault-infinite-loop"))
    assert "CellTimeoutError" in errors(nb["overflow-demo"])
    assert errors(nb["gradient-check-hidden-tests"]) == []


def test_dead_kernel_is_graded_as_far_as_it_got(course):
    nb = autograded(course, "softmax_and_cost", "fault-kernel-exit")
    by_id = cells_by_id(nb)
    assert errors(by_id["log-softmax-hidden-tests"]) == []
    died = [c for c in nb.cells if "KernelDied" in errors(c)]
    assert died and all(c.cell_type == "code" for c in died)
    assert "the kernel died while running this cell" in died[0].outputs[-1].evalue
    assert errors(by_id["gradient-check-hidden-tests"]) == ["KernelDied"]


def test_written_answers_wait_for_the_instructor(course):
    for assignment, written in WRITTEN.items():
        graded = course["scores"][assignment]
        assert graded["solution"]["cells"][written]["auto"] is None
        assert graded["solution"]["cells"][written]["needs_manual_grade"] is True
        # an untouched answer cell is scored 0 automatically
        assert graded["blank"]["cells"][written]["auto"] == 0
        assert graded["blank"]["cells"][written]["needs_manual_grade"] is False


def test_gradebook_and_export_hold_every_submission(course):
    with open(course["root"] / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    got = {(r["assignment"], r["student_id"]): float(r["raw_score"]) for r in rows}
    want = {(a, s): float(sum(EXPECTED[a][s])) for a, s in STUDENT_CASES}
    # nbgrader exports every student for every assignment; without a submission the score is 0
    assert {k: v for k, v in got.items() if k in want} == want
    assert {v for k, v in got.items() if k not in want} <= {0.0}
    assert {float(r["max_score"]) for r in rows if r["assignment"] == "softmax_and_cost"} == {15.0}
    assert {float(r["max_score"]) for r in rows if r["assignment"] == "train_classifier"} == {10.0}


MAX_POINTS = {"softmax_and_cost": 15, "train_classifier": 10}


@pytest.mark.parametrize(("assignment", "student"), STUDENT_CASES)
def test_feedback_html_for_every_submission(course, assignment, student):
    html = course["root"] / "feedback" / student / assignment / f"{assignment}.html"
    text = html.read_text()
    total = float(sum(EXPECTED[assignment][student]))
    assert f"<title>{assignment}</title>" in text
    assert f"Score: {total} / {float(MAX_POINTS[assignment])}" in text


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_holds_no_solution_and_no_hidden_test(course, assignment):
    text = (course["root"] / "release" / assignment / f"{assignment}.ipynb").read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "_expect_close"):
        assert marker not in text, marker
    assert "raise NotImplementedError()" in text and "YOUR ANSWER HERE" in text
    # no expected value of a hidden test leaks (they are long float literals)
    source = (COURSE / "source" / assignment / f"{assignment}.ipynb").read_text()
    hidden = re.findall(r"BEGIN HIDDEN TESTS.*?END HIDDEN TESTS", source, flags=re.S)
    literals = {x for block in hidden for x in re.findall(r"-?\d\.\d{9,}(?:e-?\d+)?", block)}
    assert literals and not [x for x in literals if x in text]


def test_hidden_test_constants_are_the_mpmath_values():
    # Every value printed by scripts/assignment_reference_values.py appears in a hidden test.
    import subprocess
    import sys

    printed = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "assignment_reference_values.py")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    sources = "".join((COURSE / "source" / a / f"{a}.ipynb").read_text() for a in ASSIGNMENTS)
    values = re.findall(r"-?\d+\.\d+(?:e-?\d+)?", printed)
    missing = [v for v in values if v not in sources and v not in ("1.0", "0.0")]
    assert len(values) > 100 and missing == []


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebook_metadata(assignment):
    nb = nbformat.read(COURSE / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
    assert len(ids) == len(set(ids)) == len(nb.cells)
    for cell in nb.cells:
        meta = cell.metadata["nbgrader"]
        assert cell.get("outputs", []) == [] and cell.get("execution_count") is None
        if "hidden-tests" in meta["grade_id"]:
            assert meta["grade"] and meta["locked"] and meta["points"] > 0
            assert "### BEGIN HIDDEN TESTS" in cell.source
        if "visible-tests" in meta["grade_id"]:
            assert meta["locked"] and not meta["grade"]


def test_release_is_deterministic(course):
    # The website links the generated files, so the same sources must give the same bytes.
    # (Runs last: it regenerates the release of the graded course.)
    release = course["root"] / "release"
    before = {p.relative_to(release): p.read_bytes() for p in release.rglob("*.ipynb")}
    run_script(course["root"], "release")
    after = {p.relative_to(release): p.read_bytes() for p in release.rglob("*.ipynb")}
    assert len(before) == len(ASSIGNMENTS) and after == before
