"""The nbgrader assignments, graded end to end by the instructor commands.

One module-scoped fixture copies the course directory (config + sources) into a temporary
folder and runs the documented flow through ``scripts/assignments.py``: release (generate the
student versions), collect a folder of submissions, autograde (one nbgrader run per
assignment grades every submission), export grades.csv, generate feedback. The submissions are
three honest students (the instructor solution), the blank student version, and the wrong,
tampered, faulty and adversarial notebooks described under tests/fixtures/assignments/. Every
kernel runs in the bubblewrap sandbox of assignments/grading.py. Every test below reads the
results.
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
    ROOT,
    copy_course,
    formgrader,
    run_script,
    scores,
    write_submissions,
)

pytestmark = [pytest.mark.slow, pytest.mark.needs_bwrap]

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
SOLUTION = {"softmax_and_cost": (3, 3, 2, 2, 1, 2), "train_classifier": (2, 3, 2, 1)}
INSTRUCTOR = 1000  # an ordinary user id, for the test of grading without root
HONEST = ("aa-honest", "solution")  # graded before and after the attacks
UNSHIFTED = (0, 3, 2, 0, 0, 2)  # softmax wrong; everything calling it on extreme logits too
NOTHING = {a: (0,) * len(TASKS[a]) for a in TASKS}
EXPECTED = {
    "softmax_and_cost": {
        **{student: SOLUTION["softmax_and_cost"] for student in HONEST},
        "blank": NOTHING["softmax_and_cost"],
        "wrong-unshifted": UNSHIFTED,
        # the earlier model solution: `shifted - log(sum)` rounds a confident log P to 0
        "wrong-shifted-log": (3, 0, 2, 2, 1, 2),
        # tampering on top of the unshifted softmax earns exactly what the honest one does
        "tamper-edit-tests": UNSHIFTED,
        "tamper-delete-tests": UNSHIFTED,
        # scipy and lib are not in the sandbox: the cells that import them fail
        "tamper-uses-scipy": NOTHING["softmax_and_cost"],
        "tamper-uses-lib": (0, 3, 0, 0, 0, 0),
        # the overflow-demo cell is stopped by the CPU limit; the cells after it are graded
        "fault-infinite-loop": (3, 3, 2, 2, 0, 2),
        # the kernel dies in Task 3: Tasks 1-2 keep their points
        "fault-kernel-exit": (3, 3, 0, 0, 0, 0),
        # one fixture per class of attack, each on top of the honest work it states
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
        "blank": NOTHING["train_classifier"],
        # train() is judged with the grader's own gradient and passes; the gradient tasks fail,
        # and 1347x too large steps leave the squared-error model below its accuracy floor
        "wrong-missing-1-over-n": (0, 3, 0, 0),
        # zero weights classify 10% of the test digits, whatever test_accuracy_ce claims
        "tamper-reported-accuracy": (2, 0, 2, 1),
        "attack-tracer-evasion": NOTHING["train_classifier"],
        "gap-untrained-mse": (2, 3, 2, 0),
    },
}
ATTACKS = sorted(s for a in EXPECTED for s in EXPECTED[a] if s.startswith(("attack-", "gap-")))
WRITTEN = {"softmax_and_cost": "written-shift", "train_classifier": "written-costs"}
STUDENT_CASES = [(a, s) for a in ASSIGNMENTS for s in sorted(EXPECTED[a])]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A temporary course directory after the whole instructor flow has run once."""
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
    """The grader's line in a hidden-test cell: '[grader] passed' or '[grader] failed: ...'."""
    texts = [o.get("text", "") for o in cell.outputs if o.get("name") == "stdout"]
    return [line for text in texts for line in text.splitlines() if line.startswith("[grader]")]


def test_execute_results_and_hooks_set_no_score(course):
    for student in ("attack-result-outputs", "attack-poison-pill", "attack-hooks"):
        nb = cells_by_id(autograded(course, "softmax_and_cost", student))
        cell = nb["softmax-hidden-tests"]
        assert [o for o in cell.outputs if o.output_type == "execute_result"] == []
        assert verdict(cell) and verdict(cell)[0].startswith("[grader] failed"), student


def test_edited_test_cells_are_restored_from_the_gradebook(course):
    nb = cells_by_id(autograded(course, "softmax_and_cost", "tamper-edit-tests"))
    assert "BEGIN HIDDEN TESTS" in nb["softmax-hidden-tests"].source
    assert "rows must sum to 1" in nb["softmax-visible-tests"].source
    assert verdict(nb["softmax-hidden-tests"])[0].startswith("[grader] failed: extreme")


def test_deleted_test_cells_are_put_back_and_run(course):
    nb = cells_by_id(autograded(course, "softmax_and_cost", "tamper-delete-tests"))
    for task in TASKS["softmax_and_cost"]:
        assert "was missing from the submission" in nb[task].source
    assert verdict(nb["log-softmax-hidden-tests"]) == ["[grader] passed"]


def test_forbidden_libraries_are_not_in_the_sandbox(course):
    nb = cells_by_id(autograded(course, "softmax_and_cost", "tamper-uses-scipy"))
    assert "ModuleNotFoundError" in errors(nb["softmax"])
    nb = cells_by_id(autograded(course, "softmax_and_cost", "tamper-uses-lib"))
    assert "ModuleNotFoundError" in errors(nb["softmax"])


def test_library_run_from_a_worker_thread_is_caught(course):
    nb = cells_by_id(autograded(course, "train_classifier", "attack-tracer-evasion"))
    assert "a thread started by the notebook" in verdict(nb["loss-and-grad-hidden-tests"])[0]


def test_confident_prediction_needs_log1p(course):
    nb = cells_by_id(autograded(course, "softmax_and_cost", "wrong-shifted-log"))
    assert "confident: entry 0 is 0.0" in verdict(nb["log-softmax-hidden-tests"])[0]


def test_infinite_loop_is_stopped_by_the_cpu_limit(course):
    nb = cells_by_id(autograded(course, "softmax_and_cost", "fault-infinite-loop"))
    assert "KeyboardInterrupt" in errors(nb["overflow-demo"])
    assert verdict(nb["gradient-check-hidden-tests"]) == ["[grader] passed"]


def test_dead_kernel_is_graded_as_far_as_it_got(course):
    nb = autograded(course, "softmax_and_cost", "fault-kernel-exit")
    by_id = cells_by_id(nb)
    assert verdict(by_id["log-softmax-hidden-tests"]) == ["[grader] passed"]
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


def test_expected_values_are_the_mpmath_values():
    # assignments/expected_values.json is what scripts/assignment_reference_values.py computes
    script = ROOT / "scripts" / "assignment_reference_values.py"
    result = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    expected = json.loads((COURSE / "expected_values.json").read_text())
    assert expected["log-softmax-hidden-tests"]["confident"][0] == -4.248354255291589e-18


def test_grader_reads_the_test_digits_of_chapter_6():
    # the grader reads scikit-learn's bundled digits file and the held-out rows from
    # expected_values.json instead of importing scikit-learn (a second of every grading run):
    # exactly load_digits and the stratified split of chapter 7
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    sys.path.insert(0, str(COURSE))
    import grading
    import hidden_tasks

    digits = load_digits()
    split = train_test_split(
        digits.data / 16.0,
        digits.target,
        test_size=hidden_tasks.DIGITS_TEST_SIZE,
        random_state=hidden_tasks.DIGITS_SEED,
        stratify=digits.target,
    )
    x_test, labels_test = grading._digits_test_split()
    assert x_test.shape == (450, 64)
    assert np.array_equal(x_test, split[1]) and np.array_equal(labels_test, split[3])


def test_formgrader_autograde_button_grades_in_the_same_sandbox(tmp_path):
    # The Formgrader's "autograde" button (JupyterHub, or `jupyter lab` in the course folder)
    # sends this POST to nbgrader's API in the Jupyter server; the server reads the same
    # nbgrader_config.py, so its kernels are sandboxed and its verdicts are the grader's.
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
