"""The students' side holds no answer: neither the website nor the students' repository.

Every distinctive line of the answers in ``assignments/source/*/*.ipynb`` is looked for in
every text file of the built site (``_build/html``) and of the students' repository (built here,
as `make student-repo` does). The answers are what nbgrader takes out of the student version:

- the lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION``;
- the lines between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``;
- a solution cell without markers, whole (nbgrader replaces all of it), which is how the model
  answers of the written-answer (Markdown) cells are kept.

A line is too generic to prove a leak, and is skipped, when it is shorter than ``MIN_CHARS``
characters once its whitespace is collapsed (``return out``, ``else:``, ``]``), or when the
released student version contains it too, as a line or inside one (then the students were given
it: the task's text names ``stable_probs = softmax(z_demo)``), or when the course's own
published code has the same line (``lib`` and ``viz``, which the chapters teach from and
students may read: ``others = np.exp(shifted)`` there is the formula of the chapter, not an
answer leaked; the assignments forbid importing it). The rest must
occur nowhere: a hit names the file, the line of it and the answer line found there.

A file is read as text three ways, so that no format hides a line: as it is; a notebook as its
cells' sources and text outputs; an HTML page as its text (tags removed, entities decoded), as a
reader sees a highlighted code block.
"""

from __future__ import annotations

import html.parser
import json
import os
import re
from pathlib import Path

import pytest
from student_repo_helpers import ROOT, build_student_repo, tracked_files

SOURCE = ROOT / "assignments" / "source"
SITE = ROOT / "_build" / "html"
MIN_CHARS = 20
TAUGHT = ("lib", "viz")  # published teaching code: a line it shares is no leak
MARKER = re.compile(r"### (BEGIN|END) (SOLUTION|HIDDEN TESTS)")
# Third-party files the site serves itself, installed from npm at pinned versions (`make
# vendor`): nothing of the course is in them, and they are most of the site's bytes.
THIRD_PARTY = ("_static/npm/",)
BINARY = {".png", ".jpg", ".jpeg", ".gif", ".ico", ".woff", ".woff2", ".ttf", ".eot", ".pdf"}


def normalise(text: str) -> str:
    return " ".join(text.split())


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def answer_lines(cell: dict) -> list[str]:
    """The lines of one instructor cell that the student version does not get."""
    lines = "".join(cell["source"]).splitlines()
    grading = cell.get("metadata", {}).get("nbgrader", {})
    if grading.get("solution") and not any(MARKER.search(line) for line in lines):
        return lines  # replaced whole by nbgrader's stub
    kept, inside = [], False
    for line in lines:
        if MARKER.search(line):
            inside = "BEGIN" in line
        elif inside:
            kept.append(line)
    return kept


def notebook_text(path: Path) -> str:
    """A notebook's cell sources and text outputs, one after the other."""
    parts = []
    for cell in cells(path):
        parts.append("".join(cell.get("source", "")))
        for output in cell.get("outputs", []):
            parts.append("".join(output.get("text", "")))
            for value in output.get("data", {}).values():
                if isinstance(value, (str, list)):
                    parts.append("".join(value))
    return "\n".join(parts)


class TextOf(html.parser.HTMLParser):
    """The text of an HTML page, as a reader sees it (entities decoded, tags gone)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)


def html_text(raw: str) -> str:
    parser = TextOf()
    parser.feed(raw)
    return "".join(parser.parts)


def views(path: Path) -> list[tuple[str, str]]:
    """(how it was read, text) for a file; nothing for a binary file."""
    if path.suffix.lower() in BINARY:
        return []
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return []
    found = [("text", raw)]
    if path.suffix == ".ipynb":
        try:
            found.append(("cells", notebook_text(path)))
        except (ValueError, KeyError, TypeError):
            pass
    if path.suffix in {".html", ".htm", ".xml"}:
        found.append(("page text", html_text(raw)))
    return found


def distinctive_lines(release: Path) -> dict[str, str]:
    """Answer line (normalised) -> where it comes from, without the generic ones.

    ``release`` is nbgrader's release folder: a line of the student version is not an answer.
    """
    released = "\n".join(normalise(notebook_text(path)) for path in release.glob("*/*.ipynb"))
    taught = "\n".join(
        normalise(path.read_text()) for folder in TAUGHT for path in (ROOT / folder).rglob("*.py")
    )
    answers = {}
    for path in sorted(SOURCE.glob("*/*.ipynb")):
        for cell in cells(path):
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "?")
            for line in answer_lines(cell):
                line = normalise(line)
                if len(line) >= MIN_CHARS and line not in released and line not in taught:
                    answers.setdefault(line, f"{path.relative_to(ROOT)}, cell {grade_id}")
    return answers


def hits(files: list[Path], root: Path, answers: dict[str, str]) -> list[str]:
    """One message per answer line found in a file: the file, its line, the answer."""
    found = []
    for path in files:
        relative = path.relative_to(root).as_posix()
        if relative.startswith(THIRD_PARTY):
            continue
        for how, text in views(path):
            lines = text.splitlines()
            flat = [normalise(line) for line in lines]
            whole = normalise(text)
            for answer, origin in answers.items():
                if answer not in whole:
                    continue
                number = next((i + 1 for i, line in enumerate(flat) if answer in line), "?")
                found.append(f"{relative} ({how}, line {number}): {answer!r}  [from {origin}]")
    return sorted(set(found))


@pytest.fixture(scope="module")
def student_repo(tmp_path_factory):
    return build_student_repo(tmp_path_factory.mktemp("student-repo"))


@pytest.fixture(scope="module")
def answers(student_repo):
    found = distinctive_lines(student_repo["release"])
    assert len(found) >= 20, f"only {len(found)} answer lines: is the solution extraction broken?"
    return found


def test_the_scan_finds_an_answer_where_there_is_one(answers, tmp_path):
    # the scan itself: an answer pasted into a page (highlighted, HTML-escaped) and a notebook
    answer = next(line for line in answers if "<" in line or '"' in line or "(" in line)
    escaped = answer.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    words = escaped.split(" ")
    page = "<pre>" + " ".join(f'<span class="n">{w}</span>' for w in words) + "</pre>"
    (tmp_path / "page.html").write_text(f"<html><body>{page}</body></html>")
    notebook = {"cells": [{"cell_type": "code", "source": [f"x = 1\n    {answer}\n"]}]}
    (tmp_path / "leak.ipynb").write_text(json.dumps(notebook))
    (tmp_path / "clean.md").write_text("Nothing to see here.\n")
    found = hits(sorted(tmp_path.iterdir()), tmp_path, {answer: "test"})
    assert {message.split(" ")[0] for message in found} == {"leak.ipynb", "page.html"}
    assert all(answer in message for message in found)


def test_the_students_repository_holds_no_answer_line(student_repo, answers):
    repo = student_repo["repo"]
    files = [repo / name for name in tracked_files(repo)]
    assert files, "the students' repository is empty"
    found = hits(files, repo, answers)
    assert not found, "answers in the students' repository:\n" + "\n".join(found)


def test_the_students_repository_holds_no_grader_no_expected_values_no_sources(student_repo):
    names = tracked_files(student_repo["repo"])
    assert not [n for n in names if n.startswith("assignments/source/")], "instructor notebooks"
    assert not [n for n in names if "expected" in Path(n).name], "an expected-values file"
    grader = ("grading", "hidden_tasks", "nbgrader_config", "checks", "judge", "sandbox")
    assert not [n for n in names if n.startswith("assignments/") and n.endswith(".py")]
    assert not [n for n in names if Path(n).stem in grader], "a grader module"
    assert not [n for n in names if n.startswith(("tests/", "bench/"))], "tests or benchmarks"
    assert not [n for n in names if "fixtures" in Path(n).parts], "test fixtures"
    assignments = sorted(n for n in names if n.startswith("assignments/"))
    assert assignments == ["assignments/index.md"] + sorted(
        f"assignments/release/{p.parent.name}/{p.name}"
        for p in student_repo["release"].glob("*/*.ipynb")
    )


def test_the_built_site_holds_no_answer_line(answers):
    if not (SITE / "index.html").exists():
        reason = "the site is not built (`make book`); `make test` builds it first"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    files = [path for path in SITE.rglob("*") if path.is_file()]
    grader = {"grading", "hidden_tasks", "nbgrader_config", "expected_values", "checks", "judge"}
    served = [path.relative_to(SITE).as_posix() for path in files]
    assert not [name for name in served if Path(name).stem in grader], "a grader file is served"
    assert not [name for name in served if "/grader/" in f"/{name}"], "the grader is served"
    assert not [name for name in served if "/source/" in f"/{name}"], "a source/ folder is served"
    found = hits(files, SITE, answers)
    assert not found, "answers on the website:\n" + "\n".join(found)
