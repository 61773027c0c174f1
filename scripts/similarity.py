"""Which submissions of an assignment are close to each other or to the instructor solution.

The comparison is copydetect's (winnowed fingerprints of the tokenised code, Schleimer et al.
2003, the method of MOSS): a real plagiarism detector, not a diff. What this module adds is only
what copydetect cannot know about notebooks:

- the code of a notebook is its code cells, so each student's submitted notebooks
  (``submitted/<student>/<assignment>/*.ipynb``, after collect) become one Python file;
- the released student version (``release/<assignment>/``) is the boilerplate: every code cell
  the students were given (imports, the locked tests, ``raise NotImplementedError()``) is the
  same in every submission and must not count as copying;
- the instructor solution is the solution cells of ``source/<assignment>/``, without the
  nbgrader markers and without the hidden tests (no student has those).

Every file is compared with every other. A pair's similarity is the larger of copydetect's two
fractions (the share of one file's code found in the other): a student who pasted the whole
solution into a longer notebook is flagged by the solution's side. A pair is flagged when its
similarity exceeds the threshold (copydetect's own rule for its report).

Writes ``reports/<assignment>-similarity.html`` (copydetect's report, with the two lines that
would load Bootstrap from a CDN removed: the report holds students' code and names, and opening
it must not contact a third party; it reads fine unstyled) and
``reports/<assignment>-similarity.json``::

    {"threshold": 0.5,
     "pairs": [{"a": "ada", "b": "instructor-solution", "similarity": 0.93, "flagged": true}, ...]}

Usage: ``python scripts/assignments.py similarity <assignment>`` (also run by ``grade``).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import tempfile
import warnings
from pathlib import Path

INSTRUCTOR = "instructor-solution"  # the name of the instructor solution in the pairs
# Flag a pair above this similarity. Independent honest solutions of these short numpy tasks
# share idioms (np.exp(z - z.max(axis=-1, keepdims=True)) is the same tokens in every hand):
# two written independently for softmax_and_cost scored 0.30 against each other and 0.19 and
# 0.27 against the instructor solution, while submissions built on the solution scored 0.95 to
# 1.0, renamed variables included (copydetect compares tokens with the names taken out). Hence
# higher than copydetect's default of 0.33, and far below a copy.
THRESHOLD = 0.5
# copydetect's noise threshold: matches shorter than this many characters of tokenised code
# (every name becomes one letter) are ignored. Its default, 25, is about one numpy statement.
NOISE = 25
MARKER = re.compile(r"^\s*### (BEGIN|END) (SOLUTION|HIDDEN TESTS)\s*$")


def cell_sources(path: Path):
    """The source of each code cell of a notebook, read as plain JSON.

    A submitted notebook is untrusted input: it is read without nbformat's validation (a
    student's notebook with a stray metadata key is still compared), and one that is not a
    notebook at all raises ValueError naming the file.
    """
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{path}: not a notebook ({error})") from None
    if not isinstance(cells, list):
        raise ValueError(f"{path}: not a notebook (its cells are not a list)")
    for cell in cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            yield "".join(map(str, source)) if isinstance(source, list) else str(source)


def notebooks_code(paths) -> str:
    """All code cells of these notebooks, in order, as one Python file."""
    return "\n\n".join(src for path in sorted(paths) for src in cell_sources(path)) + "\n"


def solution_code(paths) -> str:
    """The instructor's solution cells, without nbgrader's markers and hidden tests."""
    kept = []
    for path in sorted(paths):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            grading = cell.get("metadata", {}).get("nbgrader", {})
            if cell["cell_type"] != "code" or not grading.get("solution"):
                continue
            lines = "".join(cell["source"]).splitlines()
            kept.append("\n".join(line for line in lines if not MARKER.match(line)))
    return "\n\n".join(kept) + "\n"


def write_inputs(course: Path, name: str, work: Path) -> list[str]:
    """Write one .py file per student, the instructor's and the boilerplate into ``work``.

    Returns the students compared. Students whose submission holds no notebook are left out;
    one whose notebook cannot be read is left out with a line saying so.
    """
    (work / "code").mkdir()
    (work / "boilerplate").mkdir()
    students = []
    for folder in sorted((course / "submitted").glob(f"*/{name}")):
        notebooks = list(folder.glob("*.ipynb"))
        if not notebooks:
            continue
        try:
            code = notebooks_code(notebooks)
        except ValueError as error:
            print(f"similarity: skipped {error}")
            continue
        student = folder.parent.name
        (work / "code" / f"{student}.py").write_text(code, encoding="utf-8")
        students.append(student)
    source = list((course / "source" / name).glob("*.ipynb"))
    if not source:
        raise FileNotFoundError(f"no instructor notebook in {course / 'source' / name}")
    (work / "code" / f"{INSTRUCTOR}.py").write_text(solution_code(source), encoding="utf-8")
    release = list((course / "release" / name).glob("*.ipynb"))
    if not release:
        raise FileNotFoundError(
            f"no student version in {course / 'release' / name}: run `scripts/assignments.py "
            "release` first (it is the boilerplate that copying is measured against)"
        )
    (work / "boilerplate" / "release.py").write_text(notebooks_code(release), encoding="utf-8")
    return students


def detect(work: Path, out_file: Path, threshold: float):
    """Run copydetect in ``work`` (relative paths, so the report names files code/<student>.py)."""
    try:
        import matplotlib
        from copydetect import CopyDetector
    except ImportError:
        raise SystemExit(
            "copydetect is not installed: run `make venv` (requirements.txt lists it)"
        ) from None
    matplotlib.use("Agg")  # the report's two figures are drawn off-screen, never shown
    with contextlib.chdir(work):
        detector = CopyDetector(
            test_dirs=["code"],
            ref_dirs=["code"],
            boilerplate_dirs=["boilerplate"],
            extensions=["py"],
            noise_t=NOISE,
            guarantee_t=NOISE,
            display_t=threshold,
            autoopen=False,
            silent=True,
            out_file=str(out_file),
        )
        detector.run()
        with warnings.catch_warnings():
            # copydetect 0.5 reads its template with importlib.resources.open_text, which
            # Python 3.11 and 3.12 mark deprecated; the call works and the warning is theirs
            warnings.simplefilter("ignore", DeprecationWarning)
            html = detector.generate_html_report(output_mode="return")
    return detector, html


def strip_cdn(html: str) -> str:
    """Remove the report's <link>/<script> tags that point at another host."""
    html = re.sub(r'<link\b[^>]*href="https?://[^"]*"[^>]*>', "", html)
    html = re.sub(r'<script\b[^>]*src="https?://[^"]*"[^>]*>\s*</script>', "", html)
    return html


def pair_list(detector, students: list[str], threshold: float) -> list[dict]:
    """Every pair of students, and every student with the instructor solution, once."""
    index = {Path(f).stem: i for i, f in enumerate(detector.test_files)}
    pairs = []
    for a, b in itertools.combinations([*students, INSTRUCTOR], 2):
        both = detector.similarity_matrix[index[a], index[b]]
        value = round(float(max(both[0], both[1], 0.0)), 4)
        pairs.append({"a": a, "b": b, "similarity": value, "flagged": value > threshold})
    return pairs


def similarity(course: Path, name: str, threshold: float = THRESHOLD) -> dict:
    """Compare the submissions of ``name`` and write the two reports; return the JSON data."""
    reports = course / "reports"
    reports.mkdir(exist_ok=True)
    html_file = reports / f"{name}-similarity.html"
    with tempfile.TemporaryDirectory(prefix="similarity-") as tmp:
        work = Path(tmp)
        students = write_inputs(course, name, work)
        if not students:  # nothing to compare: say so instead of an empty report
            html_file.write_text(
                f"<!DOCTYPE html><html lang='en'><title>{name}: similarity</title>"
                f"<p>No submissions of {name} to compare.</p></html>\n",
                encoding="utf-8",
            )
            pairs = []
        else:
            detector, html = detect(work, html_file.resolve(), threshold)
            html_file.write_text(strip_cdn(html), encoding="utf-8")
            pairs = pair_list(detector, students, threshold)
    pairs.sort(key=lambda pair: (-pair["similarity"], pair["a"], pair["b"]))
    result = {"threshold": threshold, "pairs": pairs}
    json_file = reports / f"{name}-similarity.json"
    json_file.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    flagged = sum(pair["flagged"] for pair in pairs)
    print(
        f"similarity: {len(students)} submissions of {name}, {flagged} pairs flagged "
        f"(> {threshold}): {json_file}, {html_file}"
    )
    return result
