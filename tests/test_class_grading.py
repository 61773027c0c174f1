"""Grading a class: several submissions at once (`grade A IN --jobs N`), and the class report.

A small class is graded twice from the same inbox, serially and with two nbgrader processes
writing one gradebook; every score, the export and the feedback must be the same.
"""

import csv
import json

import pytest
from assignment_grading import copy_course, run_script, scores, write_submissions

pytestmark = [pytest.mark.slow, pytest.mark.needs_bwrap]  # graded in the sandbox

ASSIGNMENT = "softmax_and_cost"
CLASS = ("aa-honest", "blank", "wrong-unshifted", "attack-filesystem", "fault-kernel-exit")


def grade(root, jobs):
    course = copy_course(root / f"course-jobs{jobs}")
    run_script(course, "release")
    write_submissions(course, ASSIGNMENT, root / f"inbox-jobs{jobs}", only=CLASS)
    log = run_script(
        course, "grade", ASSIGNMENT, str(root / f"inbox-jobs{jobs}"), "--jobs", f"{jobs}"
    )
    return course, log


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("jobs")
    return {jobs: grade(root, jobs) for jobs in (1, 2)}


def test_two_jobs_give_the_serial_scores(graded):
    serial, parallel = (scores(graded[jobs][0], ASSIGNMENT) for jobs in (1, 2))
    assert sorted(serial) == sorted(CLASS)
    assert parallel == serial
    # the class is not trivially uniform: full marks, nothing, and something in between
    totals = {student: serial[student]["score"] for student in CLASS}
    assert totals["aa-honest"] == max(totals.values()) > totals["wrong-unshifted"] > 0
    assert totals["blank"] == totals["attack-filesystem"] == 0


def test_two_jobs_ran_two_nbgrader_processes(graded):
    log = graded[2][1]
    assert "2 processes at a time" in log
    shares = [line for line in log.splitlines() if line.startswith("--- autograde of ")]
    assert len(shares) == 2
    graded_students = sorted(s for line in shares for s in line[17:].split(", "))
    assert graded_students == sorted(CLASS)


def test_export_and_feedback_for_everyone(graded):
    exported = {}
    for jobs in (1, 2):
        course = graded[jobs][0]
        with open(course / "grades.csv", newline="") as handle:
            rows = [row for row in csv.DictReader(handle) if row["assignment"] == ASSIGNMENT]
        assert sorted(row["student_id"] for row in rows) == sorted(CLASS)
        exported[jobs] = {row["student_id"]: (row["raw_score"], row["score"]) for row in rows}
        for student in CLASS:
            page = course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html"
            assert page.exists(), page
    assert exported[1] == exported[2]


def report_data(page):
    """The numbers a class report embeds (its JSON block)."""
    start = page.index('<script type="application/json" id="report-data">')
    start = page.index(">", start) + 1
    return json.loads(page[start : page.index("</script>", start)].replace("<\\/", "</"))


def test_class_report_numbers_are_the_gradebooks(graded, tmp_path):
    course = graded[2][0]
    similarity = {
        "threshold": 0.8,
        "pairs": [
            {"a": "aa-honest", "b": "instructor-solution", "similarity": 0.97, "flagged": True},
            {"a": "blank", "b": "wrong-unshifted", "similarity": 0.31, "flagged": False},
        ],
    }
    (course / "reports").mkdir(exist_ok=True)
    (course / "reports" / f"{ASSIGNMENT}-similarity.json").write_text(json.dumps(similarity))
    out = run_script(course, "report", ASSIGNMENT, "--site-url", "https://course.example/")
    page = (course / "reports" / f"{ASSIGNMENT}.html").read_text()
    assert out.strip().endswith(f"reports/{ASSIGNMENT}.html")
    data = report_data(page)
    gradebook = scores(course, ASSIGNMENT)
    assert data["scores"] == {s: gradebook[s]["score"] for s in CLASS}
    assert data["students"] == len(CLASS)
    # every auto-graded cell has a row; passed = students with all of its points
    # (this course names its auto-graded cells <task>-hidden-tests; the written answer is by hand)
    cells = gradebook["aa-honest"]["cells"]
    auto = {t: c["max"] for t, c in cells.items() if t.endswith("-hidden-tests")}
    totals = [gradebook[s]["score"] for s in CLASS]
    assert data["mean"] == pytest.approx(sum(totals) / len(CLASS))
    assert data["max_score"] == sum(c["max"] for c in cells.values())
    if data["per_check_records"]:  # the grader's records: their points are the gradebook's
        for student in CLASS:
            records = json.loads((course / "checks" / ASSIGNMENT / f"{student}.json").read_text())
            for task in auto:
                earned = sum(r["points"] for r in records if r["task"] == task)
                assert earned == pytest.approx(gradebook[student]["cells"][task]["auto"])
        assert {row["task"] for row in data["checks"]} == set(auto)
    else:  # one row per auto-graded task
        by_task = {row["task"]: row for row in data["checks"]}
        assert sorted(by_task) == sorted(auto)
        for task, row in by_task.items():
            full = sum(gradebook[s]["cells"][task]["auto"] == auto[task] for s in CLASS)
            assert (row["passed"], row["students"]) == (full, len(CLASS))
            assert f'<td class="n">{full} / {len(CLASS)}</td>' in page
    # the three most often failed are the lowest pass rates
    rates = sorted(row["pass_rate"] for row in data["checks"] if row["pass_rate"] < 1)
    assert [row["pass_rate"] for row in data["most_failed"]] == rates[:3]
    assert page.count("<li><code>") == len(data["most_failed"])
    # the flagged pair only, and every figure embedded: nothing is fetched to read the page
    assert data["similarity"]["flagged"] == similarity["pairs"][:1]
    assert "instructor-solution" in page and "wrong-unshifted</td>" not in page
    assert page.count('src="data:image/png;base64,') == 2
    assert ' src="http' not in page and "<link" not in page


def test_class_report_reads_the_per_check_records(graded, tmp_path):
    # the records the grader writes (checks/<assignment>/<student>.json): one row per check
    course = graded[1][0]
    folder = course / "checks" / ASSIGNMENT
    folder.mkdir(parents=True, exist_ok=True)
    chapter = "chapters/05_numerical_issues.html#overflow"
    for student in CLASS:
        passed = student == "aa-honest"
        record = {"task": "softmax-hidden-tests", "check": "extreme logits", "passed": passed,
                  "points": 1.0 if passed else 0.0, "max_points": 1.0, "input": "z = [1000, 0]",
                  "expected": "[1, 0]", "got": "[1, 0]" if passed else "[nan, 0]",
                  "tolerance": "rtol 1e-12", "chapter": chapter}  # fmt: skip
        (folder / f"{student}.json").write_text(json.dumps([record]))
    run_script(course, "report", ASSIGNMENT, "--site-url", "https://course.example/")
    page = (course / "reports" / f"{ASSIGNMENT}.html").read_text()
    data = report_data(page)
    assert data["per_check_records"]
    [row] = data["checks"]
    assert (row["passed"], row["students"]) == (1, len(CLASS))
    assert (row["most_common_wrong"], row["wrong_count"]) == ("[nan, 0]", len(CLASS) - 1)
    assert f'href="https://course.example/{chapter}"' in page
