"""The nbgrader assignments, graded end to end by the instructor commands.

One module-scoped fixture copies the course directory (config + sources) into a temporary
folder and runs the documented flow through ``scripts/assignments.py``: release (generate the
student versions), collect a folder of submissions, autograde (one nbgrader run per
assignment grades every submission), export grades.csv, generate feedback. The submissions are
two honest students (the instructor solution), one honest student per style (honest-*), the
blank student version, and the wrong,
tampered, faulty and adversarial notebooks described under tests/fixtures/assignments/. Every
kernel runs in the bubblewrap sandbox of assignments/grader/. Every test below reads the
results, except the few that grade a small class of their own (the Formgrader, a non-root
instructor, no bwrap) and the unit tests of the declaration of checks.
"""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from assignment_grading import (
    COURSE,
    COURSE_FILES,
    FIXTURES,
    ROOT,
    SECRET,
    copy_course,
    formgrader,
    run_script,
    scores,
    write_submissions,
)

from scripts import prerequisites

# The tests that grade need bwrap: the fixture `course` and the tests that grade a class of
# their own call require_sandbox(); the others (the grader's declarations, the missing-sandbox
# message) run without it, on a Mac too.
pytestmark = pytest.mark.slow


def require_sandbox():
    prerequisites.require("bwrap")


ASSIGNMENTS = ("softmax_and_cost", "train_classifier")
sys.path.insert(0, str(COURSE))  # the grader's package, for the declaration of the checks
from grader import checks, inputs, reference  # noqa: E402

# Expected auto-graded points per hidden-test cell, in the order of TASKS[assignment]; the
# points of a cell are split over its checks (grader/checks.py), so one miss costs its share.
TASKS = {a: tuple(checks.tasks(a)) for a in ASSIGNMENTS}
SOLUTION = {"softmax_and_cost": (3, 3, 2, 2, 1, 2), "train_classifier": (2, 3, 2, 1)}
INSTRUCTOR = 1000  # an ordinary user id, for the test of grading without root
HONEST = ("aa-honest", "solution")  # graded before and after the attacks
# every honest fixture, written from the blank release in a style of its own
HONEST_STYLES = {
    a: sorted(p.stem for p in (FIXTURES / a).glob("honest-*.cells")) for a in ASSIGNMENTS
}
# the unshifted softmax: right on ordinary logits (n != m, 1-D), wrong on extreme and float32
# ones, and so is everything that calls it on extreme logits
UNSHIFTED = (1.5, 3, 2, 0, 0, 2)
NOTHING = {a: (0,) * len(TASKS[a]) for a in TASKS}
EXPECTED = {
    "softmax_and_cost": {
        **{student: SOLUTION["softmax_and_cost"] for student in HONEST},
        **{student: SOLUTION["softmax_and_cost"] for student in HONEST_STYLES["softmax_and_cost"]},
        "blank": NOTHING["softmax_and_cost"],
        "wrong-unshifted": UNSHIFTED,
        # `shifted - log(sum)` rounds a confident prediction's log P to 0: that check's share
        "wrong-shifted-log": (3, 2.5, 2, 2, 1, 2),
        # misses exactly one requirement (float32 stays float32): loses that check's 0.5
        "partial-float64-only": (2.5, 3, 2, 2, 1, 2),
        # answers pasted for the inputs published before: the drawn inputs are others
        "known-answers": NOTHING["softmax_and_cost"],
        # tampering on top of the unshifted softmax earns exactly what the honest one does
        "tamper-edit-tests": UNSHIFTED,
        "tamper-delete-tests": UNSHIFTED,
        # scipy and lib are not in the sandbox: the cells that import them fail; the central
        # differences and relative_error of Task 6 are the student's own and count
        "tamper-uses-scipy": (0, 0, 0, 0, 0, 1.25),
        "tamper-uses-lib": (0, 3, 0, 0, 0, 1.25),
        # the overflow-demo cell is stopped by the CPU limit after z_demo and stable_probs
        # (which count); the cells after it are graded
        "fault-infinite-loop": (3, 3, 2, 2, 0.5, 2),
        # the kernel dies in Task 3: Tasks 1-2 keep their points
        "fault-kernel-exit": (3, 3, 0, 0, 0, 0),
        # the classes of attack, each on top of the honest work it states
        "attack-hooks": NOTHING["softmax_and_cost"],  # its transformer hides even its own work
        "attack-result-outputs": NOTHING["softmax_and_cost"],
        "attack-poison-pill": NOTHING["softmax_and_cost"],
        "attack-lying-objects": NOTHING["softmax_and_cost"],
        "attack-filesystem": NOTHING["softmax_and_cost"],
        "attack-sabotage": NOTHING["softmax_and_cost"],
        "attack-config-hijack": NOTHING["softmax_and_cost"],
        "attack-resource-hog": SOLUTION["softmax_and_cost"],
        "attack-output-flood": SOLUTION["softmax_and_cost"],
        "gap-typed-demo": UNSHIFTED,
    },
    "train_classifier": {
        **{student: SOLUTION["train_classifier"] for student in HONEST},
        **{student: SOLUTION["train_classifier"] for student in HONEST_STYLES["train_classifier"]},
        "blank": NOTHING["train_classifier"],
        # train() is judged with the grader's own cost and passes; the costs are right, their
        # gradients not, and 1347x too large steps leave the squared-error model untrained
        "wrong-missing-1-over-n": (0.75, 3, 0.75, 0),
        # zero weights classify 10% of the test digits, whatever test_accuracy_ce claims; its
        # train() and accuracy() are right
        "tamper-reported-accuracy": (2, 1.5, 2, 1),
        # misses exactly one requirement (labelled axes): loses that check's 0.5
        "partial-unlabelled-figure": (2, 3, 2, 0.5),
        "known-answers": NOTHING["train_classifier"],
        "attack-tracer-evasion": NOTHING["train_classifier"],
        "gap-untrained-mse": (2, 3, 2, 0),
    },
}
ATTACKS = sorted(s for a in EXPECTED for s in EXPECTED[a] if s.startswith(("attack-", "gap-")))
WRITTEN = {"softmax_and_cost": "written-shift", "train_classifier": "written-costs"}
STUDENT_CASES = [(a, s) for a in ASSIGNMENTS for s in sorted(EXPECTED[a])]
HONEST_CASES = [(a, s) for a in ASSIGNMENTS for s in HONEST_STYLES[a]]


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    """A temporary course directory after the whole instructor flow has run once: one release,
    and one autograde run that grades every fixture of both assignments; every test reads it."""
    require_sandbox()
    root = copy_course(tmp_path_factory.mktemp("course"))
    course_files = {name: (root / name).read_bytes() for name in COURSE_FILES}
    run_script(root, "release")
    result = {"root": root, "students": {}, "scores": {}, "course_files": course_files}
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


def test_honest_students_keep_full_marks_beside_every_attack(course):
    # graded in one run with every attack, one before all of them and one after
    for assignment in ASSIGNMENTS:
        for student in HONEST:
            cells = course["scores"][assignment][student]["cells"]
            for task in TASKS[assignment]:
                assert cells[task]["auto"] == cells[task]["max"], (student, task)


@pytest.mark.parametrize("student", ATTACKS)
def test_attack_earns_nothing_beyond_its_honest_work(course, student):
    # Each attack fixture states the honest work it contains: the solution for the hog and
    # the tracer evasion, the unshifted softmax for the hooks and the typed-in demo, and
    # nothing for the others (the blank notebook), whose expected tuples are that work.
    assignment = next(a for a in ASSIGNMENTS if student in EXPECTED[a])
    honest = {
        "attack-hooks": UNSHIFTED,
        "attack-resource-hog": SOLUTION[assignment],
        "attack-output-flood": SOLUTION[assignment],
        "attack-tracer-evasion": SOLUTION[assignment],
        "gap-typed-demo": UNSHIFTED,
        "gap-untrained-mse": (2, 3, 2, 0),  # all but the model it did not train
    }.get(student, NOTHING[assignment])
    cells = course["scores"][assignment][student]["cells"]
    for task, most in zip(TASKS[assignment], honest, strict=True):
        assert cells[task]["auto"] <= most, task


def test_submission_saw_no_course_file_and_changed_none(course):
    # filesystem, sabotage and config hijack: nothing of the course is in the sandbox
    root = course["root"]
    for name in COURSE_FILES:
        assert (root / name).read_bytes() == course["course_files"][name], name
    nb = cells_by_id(autograded(course, "softmax_and_cost", "attack-filesystem"))
    student_cell = next(c for c in nb.values() if "course files found" in c.source)
    assert "course files found: 0" in "".join(o.get("text", "") for o in student_cell.outputs)
    graded = course["scores"]["softmax_and_cost"]
    assert graded["attack-filesystem"]["score"] == 0  # no extra credit either
    for student in HONEST:
        submitted = root / "submitted" / student / "softmax_and_cost" / "softmax_and_cost.ipynb"
        assert "np.log1p(others.sum(axis=-1, keepdims=True))" in submitted.read_text()


def test_an_output_flood_is_cut_as_it_arrives(course):
    # 100 MB printed by one cell: the grader kept 2,000,000 characters and a note, no more
    nb = autograded(course, "softmax_and_cost", "attack-output-flood")
    flood = next(c for c in nb.cells if "student-output-flood" in c.source)
    kept = json.dumps(flood.outputs)
    assert len(kept) < 2_100_000
    assert "[grader] output cut: more than 2000000 characters" in kept


def test_processes_of_a_submission_end_with_its_kernel(course):
    # attack-resource-hog started detached busy processes; the PID namespace ended them
    alive = []
    for entry in Path("/proc").iterdir():
        try:
            if b"student-resource-hog" in (entry / "cmdline").read_bytes():
                alive.append(entry.name)
        except OSError:
            continue
    assert alive == []


def verdict(cell):
    """The grader's lines in a hidden-test cell: '[grader] 2.5 of 3 points', then one line per
    check, '[grader] passed <check> (<points>)' or '[grader] failed <check> (0 of ...): why'."""
    texts = [o.get("text", "") for o in cell.outputs if o.get("name") == "stdout"]
    return [line for text in texts for line in text.splitlines() if line.startswith("[grader]")]


def all_passed(cell):
    lines = verdict(cell)
    return len(lines) > 1 and all(line.startswith("[grader] passed") for line in lines[1:])


def failures(cell):
    return [line for line in verdict(cell) if line.startswith("[grader] failed")]


def test_execute_results_and_hooks_set_no_score(course):
    for student in ("attack-result-outputs", "attack-poison-pill", "attack-hooks"):
        nb = cells_by_id(autograded(course, "softmax_and_cost", student))
        cell = nb["softmax-hidden-tests"]
        assert [o for o in cell.outputs if o.output_type == "execute_result"] == []
        assert verdict(cell)[0] == "[grader] 0 of 3 points", student
        assert len(failures(cell)) == len(checks.of_task("softmax-hidden-tests")), student


def test_edited_test_cells_are_restored_from_the_gradebook(course):
    nb = cells_by_id(autograded(course, "softmax_and_cost", "tamper-edit-tests"))
    assert "BEGIN HIDDEN TESTS" in nb["softmax-hidden-tests"].source
    assert "rows must sum to 1" in nb["softmax-visible-tests"].source
    assert failures(nb["softmax-hidden-tests"])[0].startswith("[grader] failed extreme logits")


def test_deleted_test_cells_are_put_back_and_run(course):
    nb = cells_by_id(autograded(course, "softmax_and_cost", "tamper-delete-tests"))
    for task in TASKS["softmax_and_cost"]:
        assert "was missing from the submission" in nb[task].source
    assert all_passed(nb["log-softmax-hidden-tests"])


def test_forbidden_libraries_are_not_in_the_sandbox(course):
    nb = cells_by_id(autograded(course, "softmax_and_cost", "tamper-uses-scipy"))
    assert "ModuleNotFoundError" in errors(nb["softmax"])
    nb = cells_by_id(autograded(course, "softmax_and_cost", "tamper-uses-lib"))
    assert "ModuleNotFoundError" in errors(nb["softmax"])


def test_library_run_from_a_worker_thread_is_caught(course):
    nb = cells_by_id(autograded(course, "train_classifier", "attack-tracer-evasion"))
    assert "a thread started by the notebook" in failures(nb["loss-and-grad-hidden-tests"])[0]


def test_confident_prediction_needs_log1p(course):
    nb = cells_by_id(autograded(course, "softmax_and_cost", "wrong-shifted-log"))
    (line,) = failures(nb["log-softmax-hidden-tests"])  # only that check fails
    assert line.startswith("[grader] failed confident prediction (0 of 0.5): entry")
    assert "is 0.0, expected -" in line


def test_infinite_loop_is_stopped_by_the_cpu_limit(course):
    nb = cells_by_id(autograded(course, "softmax_and_cost", "fault-infinite-loop"))
    assert "KeyboardInterrupt" in errors(nb["overflow-demo"])
    assert all_passed(nb["gradient-check-hidden-tests"])


def test_dead_kernel_is_graded_as_far_as_it_got(course):
    nb = autograded(course, "softmax_and_cost", "fault-kernel-exit")
    by_id = cells_by_id(nb)
    assert all_passed(by_id["log-softmax-hidden-tests"])
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
    # the poison pill and every other attack graded in the same run: export still happens
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
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "_run_hidden_tests"):
        assert marker not in text, marker
    assert "raise NotImplementedError()" in text and "YOUR ANSWER HERE" in text
    assert sorted(p.name for p in (course["root"] / "release" / assignment).iterdir()) == [
        f"{assignment}.ipynb"
    ]


def test_grader_reads_the_test_digits_of_chapter_7():
    # the grader reads scikit-learn's bundled digits file and the held-out rows from
    # grader/digits_test_rows.json instead of importing scikit-learn (a second of every grading
    # run): exactly load_digits and the stratified split of chapter 7
    from grader import digits as grader_digits
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    split = train_test_split(
        digits.data / 16.0,
        digits.target,
        test_size=grader_digits.TEST_SIZE,
        random_state=grader_digits.SEED,
        stratify=digits.target,
    )
    x_test, labels_test = grader_digits.test_split()
    assert x_test.shape == (450, 64)
    assert np.array_equal(x_test, split[1]) and np.array_equal(labels_test, split[3])


def test_formgrader_autograde_button_grades_in_the_same_sandbox(tmp_path):
    # The Formgrader's "autograde" button (JupyterHub, or `jupyter lab` in the course folder)
    # sends this POST to nbgrader's API in the Jupyter server; the server reads the same
    # nbgrader_config.py, so its kernels are sandboxed and its verdicts are the grader's.
    require_sandbox()
    root = copy_course(tmp_path / "course")
    run_script(root, "release")
    students = ("aa-honest", "attack-result-outputs", "attack-filesystem")
    write_submissions(root, "softmax_and_cost", tmp_path / "inbox", only=students)
    run_script(root, "collect", "softmax_and_cost", str(tmp_path / "inbox"))
    (tmp_path / "home").mkdir()
    with formgrader(root, tmp_path / "home") as post:
        for student in students:
            result = post(f"/formgrader/api/submission/softmax_and_cost/{student}/autograde")
            assert result["success"], result.get("error")
            assert "SandboxedExecute" in result["log"] and "JudgeHiddenTests" in result["log"]
    graded = scores(root, "softmax_and_cost")
    assert {s: graded[s]["score"] for s in students} == {
        "aa-honest": 13,
        "attack-result-outputs": 0,
        "attack-filesystem": 0,
    }
    autograded = root / "autograded" / "attack-filesystem" / "softmax_and_cost"
    assert "course files found: 0" in (autograded / "softmax_and_cost.ipynb").read_text()


def _can_map_user(uid):
    probe = ["unshare", "--user", f"--map-user={uid}", f"--map-group={uid}", "true"]
    try:
        return subprocess.run(probe, capture_output=True, check=False).returncode == 0
    except OSError:
        return False


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="as an ordinary user, every test of this module already takes this path",
)
@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0 and not _can_map_user(INSTRUCTOR),
    reason="needs util-linux's `unshare --map-user` (2.38 or newer) and user namespaces",
)
def test_an_instructor_who_is_not_root_grades_in_the_same_sandbox(tmp_path):
    # A lecturer on their own laptop is not root: the grader then gives bwrap a user namespace
    # and the kernel keeps the instructor's uid (the mounts alone keep the course out of its
    # reach). Here the whole flow runs as uid 1000, in a user namespace (CI runs as root).
    require_sandbox()
    root = copy_course(tmp_path / "course")
    students = ("aa-honest", "attack-filesystem")
    run_script(root, "release", user=INSTRUCTOR)
    write_submissions(root, "softmax_and_cost", tmp_path / "inbox", only=students)
    run_script(root, "collect", "softmax_and_cost", str(tmp_path / "inbox"), user=INSTRUCTOR)
    run_script(root, "autograde", "softmax_and_cost", user=INSTRUCTOR)
    graded = scores(root, "softmax_and_cost")
    assert {s: graded[s]["score"] for s in students} == {"aa-honest": 13, "attack-filesystem": 0}
    autograded = root / "autograded" / "attack-filesystem" / "softmax_and_cost"
    assert "course files found: 0" in (autograded / "softmax_and_cost.ipynb").read_text()


def test_missing_sandbox_stops_grading_with_one_line(tmp_path):
    # bwrap is looked up on PATH: without it, `nbgrader autograde` names the package and stops
    root = copy_course(tmp_path / "course")
    env = dict(os.environ, PATH=str(Path(sys.executable).parent), JUPYTER_PLATFORM_DIRS="1")
    env.update(SECRET)
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", "autograde", "softmax_and_cost"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .endswith("install the Debian package 'bubblewrap' (apt-get install bubblewrap)")
    )


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
            # the points of the cell are exactly the weights of its declared checks
            assert checks.points(meta["grade_id"]) == pytest.approx(meta["points"])
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


def records_of(course, assignment, student):
    path = course["root"] / "checks" / assignment / f"{student}.json"
    return json.loads(path.read_text())


@pytest.mark.parametrize(("assignment", "student"), HONEST_CASES)
def test_honest_styles_earn_full_marks(course, assignment, student):
    # graded in the same run as every attack; loops, vectorised code, other helper names,
    # numpy scalars, 0-d arrays, hard-coded or inferred shapes, other plots
    failed = [r for r in records_of(course, assignment, student) if not r["passed"]]
    assert failed == [], [(r["task"], r["check"], r["got"]) for r in failed]
    assert course["scores"][assignment][student]["score"] == sum(SOLUTION[assignment])
    # and the visible tests agree with the hidden ones: none of them fails for this student
    for grade, cell in cells_by_id(autograded(course, assignment, student)).items():
        if grade and grade.endswith("visible-tests"):
            assert errors(cell) == [], (grade, [o.get("evalue") for o in cell.outputs])


def test_at_least_six_honest_styles_per_assignment():
    for assignment in ASSIGNMENTS:
        assert len(HONEST_STYLES[assignment]) >= 6, assignment


@pytest.mark.parametrize(
    ("assignment", "student", "check"),
    [
        ("softmax_and_cost", "partial-float64-only", "float32"),
        ("train_classifier", "partial-unlabelled-figure", "learning curves"),
    ],
)
def test_one_missed_requirement_costs_its_share(course, assignment, student, check):
    records = records_of(course, assignment, student)
    failed = [(r["task"], r["check"]) for r in records if not r["passed"]]
    assert [name for _, name in failed] == [check]
    task = failed[0][0]
    lost = next(c.weight for c in checks.of_task(task) if c.name == check)
    assert course["scores"][assignment][student]["score"] == sum(SOLUTION[assignment]) - lost


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_pasted_answers_for_published_inputs_earn_nothing(course, assignment):
    assert course["scores"][assignment]["known-answers"]["score"] == 0


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_per_check_records_of_every_submission(course, assignment):
    # <course>/checks/<assignment>/<student>.json: one object per declared check, whose points
    # add up to the student's auto-graded score
    fields = {"task", "check", "passed", "points", "max_points", "input", "expected", "got"}
    fields |= {"tolerance", "chapter"}
    declared = [(c.task, c.name) for c in checks.CHECKS if c.assignment == assignment]
    for student in EXPECTED[assignment]:
        records = records_of(course, assignment, student)
        assert [(r["task"], r["check"]) for r in records] == declared, student
        assert all(set(r) == fields for r in records), student
        assert sum(r["points"] for r in records) == pytest.approx(
            sum(EXPECTED[assignment][student])
        )
        assert all(r["chapter"].startswith("chapters/0") for r in records)


def test_feedback_page_lists_every_check_with_its_lesson(course):
    page = course["root"] / "feedback" / "wrong-shifted-log" / "softmax_and_cost"
    text = (page / "softmax_and_cost.html").read_text()
    for check in checks.CHECKS:
        if check.assignment == "softmax_and_cost":
            assert f"<td>{html_escape(check.name)}</td>" in text, check.name
    assert text.count('<table class="grader-checks">') == len(TASKS["softmax_and_cost"])
    link = "https://example-course.github.io/softmax-lecture/chapters/05_numerical_issues.html"
    assert f'href="{link}#what-the-shift-does-not-cure"' in text
    assert "failed: entry" in text and "|got - expected| &lt;= 0 + 1e-12 |expected|" in text


def html_escape(text):
    import html

    return html.escape(text)


def test_chapter_links_name_sections_of_the_site():
    # every link is a chapter of the site and a section id that Jupyter Book gives a heading
    chapters = {p.stem for p in (ROOT / "chapters").glob("*.ipynb")}
    renamed = {"06_accuracy": "05b_accuracy", "07_digits_classifier": "06_digits_classifier"}
    for check in checks.CHECKS:
        page, _, anchor = check.chapter.partition("#")
        name = page.removeprefix("chapters/").removesuffix(".html")
        assert name in chapters or renamed.get(name) in chapters, check.chapter
        assert anchor and anchor == anchor.lower() and " " not in anchor, check.chapter


def test_the_kernel_gets_inputs_and_never_an_expected_value():
    # the plan bound into the sandbox holds the drawn inputs; the expected values (computed in
    # the grader's process) appear nowhere in it
    secret = "a secret"
    for assignment in ASSIGNMENTS:
        plan = json.dumps(inputs.kernel_plan(secret, assignment, "ada"))
        for check in checks.CHECKS:
            if check.assignment != assignment or check.family.__name__ != "extreme":
                continue
            x = inputs.inputs_of(check, secret, "ada")
            for value in reference.softmax(x["z"]):
                if 0.0 < value < 1.0:
                    assert repr(float(value)) not in plan
        assert "expected" not in plan


def test_inputs_are_drawn_from_the_secret_per_student():
    a1 = "softmax_and_cost"
    draw = inputs.draw
    same = draw("one", a1, "ada")[("softmax-hidden-tests", "extreme")]["z"]
    assert np.array_equal(same, draw("one", a1, "ada")[("softmax-hidden-tests", "extreme")]["z"])
    for other in (draw("two", a1, "ada"), draw("one", a1, "grace")):
        assert not np.array_equal(same, other[("softmax-hidden-tests", "extreme")]["z"])


def test_input_families_keep_their_hard_cases():
    from grader import families

    for seed in range(40):
        rng = np.random.default_rng(seed)
        z = families.extreme(rng)["z"]
        with np.errstate(over="ignore"):
            terms = np.exp(z)
            sums = terms.sum(axis=1)
        assert (z.max(axis=1) > 709.79).sum() == 1  # e^z overflows
        finite = np.all(np.isfinite(terms), axis=1)
        assert np.any(finite & ~np.isfinite(sums))  # every term finite, their sum not
        assert any(np.all(row < -745.2) for row in z)  # every e^z is 0
        w = families.wide(rng)["z"]
        assert w.shape[0] != w.shape[1]
        f32 = families.float32(rng)["z"]
        assert f32.dtype == np.float32 and (f32.max(axis=1) > 88.73).sum() >= 2
        c = families.confident(rng)["z"]
        gaps = np.sort(c, axis=1)
        assert np.all(gaps[:, -1] - gaps[:, -2] > 37.9)  # e^-gap below the rounding unit
        d = families.dominant(rng)["z"]
        assert np.sort(d[0])[-1] - np.sort(d[0])[-2] > 745.2
        for family in (families.model, families.training):
            x = family(rng)
            assert x["X"].shape[1] == 64 and sorted(set(x["labels"])) == list(range(10))
        assert families.model(rng)["W"].shape == (64, 10)


def test_without_a_secret_the_first_run_writes_one_and_keeps_it(tmp_path, monkeypatch):
    monkeypatch.delenv(inputs.SECRET_VARIABLE, raising=False)
    first = inputs.course_secret(root=tmp_path)
    assert len(first) == 64 and inputs.course_secret(root=tmp_path) == first
    path = tmp_path / inputs.SECRET_FILE
    assert path.stat().st_mode & 0o777 == 0o600 and sorted(tmp_path.iterdir()) == [path]
    monkeypatch.setenv(inputs.SECRET_VARIABLE, "from the environment")
    assert inputs.course_secret(root=tmp_path) == "from the environment"
