"""What the class missed: one self-contained HTML page per graded assignment.

``python scripts/assignments.py report NAME`` writes ``<course>/reports/NAME.html`` from what
grading left in the course directory:

- the gradebook (``gradebook.db``): every student's score, and per hidden-test cell (task) the
  points earned;
- the per-check records, when the grader wrote them (``checks/NAME/<student>.json``, one
  object per hidden check: task, check, passed, points, max_points, input, expected, got,
  tolerance, chapter): the pass rate of every check and the wrong results students got;
  without them, the pass rate of every task (full points or not) from the gradebook;
- the similarity report, when there is one (``reports/NAME-similarity.json``): its flagged pairs.

The page embeds its figures (PNG, base64) and its numbers (a JSON block, ``id="report-data"``),
so it can be mailed, archived and read offline. Links to the chapters go to the published site.
"""

import base64
import collections
import html
import io
import json
import statistics
from pathlib import Path


def _records(course, name):
    """{student: [record, ...]} from checks/<name>/<student>.json (empty if there are none)."""
    folder = course / "checks" / name
    if not folder.is_dir():
        return {}
    return {path.stem: json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))}


def _task_chapters(course, records):
    """{task: chapter URL} from the records, else from the grader's check declarations."""
    chapters = {}
    for student_records in records.values():
        for record in student_records:
            chapters.setdefault(record["task"], record.get("chapter", ""))
    if chapters:
        return chapters
    try:  # the grader's one declaration of the checks, when this course has it
        import importlib
        import sys

        sys.path.insert(0, str(course))
        checks = importlib.import_module("grader.checks")
    except ImportError:
        return {}
    finally:
        sys.path.remove(str(course))
    for check in checks.CHECKS:
        chapters.setdefault(check.task, check.chapter)
    return chapters


def _autograded_cells(course, name):
    """grade_ids of the auto-graded cells: the graded code cells of the instructor version
    (graded markdown cells are the written answers, scored by hand)."""
    import nbformat

    found = set()
    for path in (course / "source" / name).glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and cell.cell_type == "code":
                found.add(meta["grade_id"])
    return found


def summarise(course, name, gradebook_scores):
    """Every number the page shows, from the gradebook scores (scripts/assignments.py scores),
    the per-check records and the similarity report."""
    autograded = _autograded_cells(course, name)
    students = sorted(gradebook_scores)
    totals = {s: gradebook_scores[s]["score"] for s in students}
    cells_max, auto_cells = {}, {}  # grade_id -> points; the auto-graded ones
    for s in students:
        for task, cell in gradebook_scores[s]["cells"].items():
            cells_max[task] = cell["max"]
            if task in autograded:
                auto_cells[task] = cell["max"]
    max_score = sum(cells_max.values())
    records = _records(course, name)
    chapters = _task_chapters(course, records)
    rows = []
    if records:  # one row per hidden check
        by_check = collections.defaultdict(list)
        for student, student_records in records.items():
            for record in student_records:
                by_check[(record["task"], record["check"])].append((student, record))
        for (task, check), results in sorted(by_check.items()):
            failed = [r for _, r in results if not r["passed"]]
            wrong = collections.Counter(r.get("got", "") for r in failed).most_common(1)
            same = [r for r in failed if wrong and r.get("got", "") == wrong[0][0]]
            example = same[0] if same else {}
            rows.append(
                {
                    "task": task,
                    "check": check,
                    "students": len(results),
                    "passed": len(results) - len(failed),
                    "chapter": results[0][1].get("chapter", chapters.get(task, "")),
                    "most_common_wrong": wrong[0][0] if wrong else None,
                    "wrong_count": wrong[0][1] if wrong else 0,
                    "expected": example.get("expected"),
                    "input": example.get("input"),
                }
            )
    else:  # one row per auto-graded task: passed = full points
        for task in sorted(auto_cells):
            earned = [gradebook_scores[s]["cells"][task]["auto"] or 0 for s in students
                      if task in gradebook_scores[s]["cells"]]  # fmt: skip
            full = auto_cells[task]
            failed = [e for e in earned if e < full]
            wrong = collections.Counter(failed).most_common(1)
            rows.append(
                {
                    "task": task,
                    "check": "(whole task)",
                    "students": len(earned),
                    "passed": len(earned) - len(failed),
                    "chapter": chapters.get(task, ""),
                    "most_common_wrong": f"{wrong[0][0]:g} of {full:g} points" if wrong else None,
                    "wrong_count": wrong[0][1] if wrong else 0,
                    "expected": f"{full:g} points",
                    "input": None,
                }
            )
    for row in rows:
        row["pass_rate"] = row["passed"] / row["students"] if row["students"] else 0.0
    most_failed = sorted(
        (row for row in rows if row["passed"] < row["students"]),
        key=lambda row: (row["pass_rate"], row["task"], row["check"]),
    )[:3]
    similarity_path = course / "reports" / f"{name}-similarity.json"
    similarity = json.loads(similarity_path.read_text()) if similarity_path.exists() else None
    flagged = [p for p in (similarity or {}).get("pairs", []) if p.get("flagged")]
    values = list(totals.values())
    return {
        "assignment": name,
        "students": len(students),
        "scores": totals,
        "max_score": max_score,
        "mean": statistics.fmean(values) if values else None,
        "median": statistics.median(values) if values else None,
        "per_check_records": bool(records),
        "checks": rows,
        "most_failed": most_failed,
        "similarity": None
        if similarity is None
        else {"threshold": similarity.get("threshold"), "flagged": flagged},
    }


def _png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figures(data):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures = {}
    values = list(data["scores"].values())
    fig, ax = plt.subplots(figsize=(6.4, 2.8))
    top = data["max_score"] or max(values or [1])
    ax.hist(values, bins=[x - 0.5 for x in range(int(top) + 2)], color="#1f5f99", rwidth=0.85)
    ax.set_xlabel(f"score (of {top:g} points)")
    ax.set_ylabel("students")
    ax.yaxis.get_major_locator().set_params(integer=True)
    figures["distribution"] = _png(fig)
    plt.close(fig)
    rows = data["checks"]
    if rows:
        fig, ax = plt.subplots(figsize=(6.4, 0.3 * len(rows) + 0.9))
        labels = [f"{r['task']}: {r['check']}" for r in rows]
        ax.barh(range(len(rows)), [100 * r["pass_rate"] for r in rows], color="#2e7d32")
        ax.set_yticks(range(len(rows)), labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xlabel("students who passed (%)")
        figures["pass_rates"] = _png(fig)
        plt.close(fig)
    return figures


def _section(chapter):
    """A short name of a chapter section from its URL: 'ch. 3, cross entropy and what a nat is'."""
    page, _, anchor = chapter.partition("#")
    stem = page.rsplit("/", 1)[-1].removesuffix(".html")
    number, _, title = stem.partition("_")
    name = f"ch. {int(number)}" if number.isdigit() else stem
    words = (anchor or title).replace("-", " ").replace("_", " ")
    return f"{name}, {words}" if words else name


def _link(site_url, chapter, text):
    if not chapter:
        return html.escape(text)
    return f'<a href="{html.escape(site_url + chapter)}">{html.escape(text)}</a>'


def render(data, site_url):
    """The HTML page of `data` (summarise), figures embedded."""
    figures = _figures(data)
    e = html.escape
    unit = "check" if data["per_check_records"] else "task"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>What the class missed: {e(data['assignment'])}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:52rem;margin:1rem auto;"
        "padding:0 1rem;color:#1a1a1a;line-height:1.45}table{border-collapse:collapse;"
        "width:100%;font-size:.92rem}th,td{border-bottom:1px solid #bbb;padding:.3rem .4rem;"
        "text-align:left;vertical-align:top}td.n{text-align:right;white-space:nowrap}"
        "td:first-child code{white-space:nowrap}img{max-width:100%}"
        "code{font-size:.88rem;overflow-wrap:anywhere}a{color:#0b4f8a}</style>",
        "</head><body><main>",
        f"<h1>What the class missed: <code>{e(data['assignment'])}</code></h1>",
        f"<p>{data['students']} students graded; mean {data['mean']:.2f}, median "
        f"{data['median']:g} of {data['max_score']:g} points.</p>"
        if data["students"]
        else "<p>No graded submissions.</p>",
        "<h2>Score distribution</h2>",
        f'<img alt="Histogram of the scores of {data["students"]} students" '
        f'src="data:image/png;base64,{figures["distribution"]}">',
        f"<h2>Pass rate of every hidden {unit}</h2>",
    ]
    if not data["per_check_records"]:
        out.append(
            "<p>The grader wrote no per-check records for this assignment, so each row is a "
            "whole task: passed means all of its points.</p>"
        )
    if "pass_rates" in figures:
        out.append(
            f'<img alt="Bar chart of the pass rate of every {unit}" '
            f'src="data:image/png;base64,{figures["pass_rates"]}">'
        )
    out.append(
        '<table id="pass-rates"><thead><tr><th>Task</th><th>Check</th><th>Passed</th>'
        "<th>Pass rate</th><th>Taught in</th></tr></thead><tbody>"
    )
    for row in data["checks"]:
        taught = (
            _link(site_url, row["chapter"], _section(row["chapter"])) if row["chapter"] else "—"
        )
        out.append(
            f"<tr><td><code>{e(row['task'])}</code></td><td>{e(row['check'])}</td>"
            f'<td class="n">{row["passed"]} / {row["students"]}</td>'
            f'<td class="n">{100 * row["pass_rate"]:.0f} %</td>'
            f"<td>{taught}</td></tr>"
        )
    out.append("</tbody></table>")
    out.append(f"<h2>The three {unit}s most often failed</h2>")
    if not data["most_failed"]:
        out.append("<p>Every student passed every one.</p>")
    else:
        out.append('<ol id="most-failed">')
        for row in data["most_failed"]:
            failed = row["students"] - row["passed"]
            detail = (
                f"most common wrong result (of {row['wrong_count']} students): "
                f"<code>{e(str(row['most_common_wrong']))}</code>"
            )
            if row.get("expected"):
                detail += f", expected <code>{e(str(row['expected']))}</code>"
            if row.get("input"):
                detail += f", for <code>{e(str(row['input']))}</code>"
            out.append(
                f"<li><code>{e(row['task'])}</code>, {e(row['check'])}: failed by {failed} of "
                f"{row['students']}; {detail}."
                + (
                    f" {_link(site_url, row['chapter'], 'The section that teaches it.')}"
                    if row["chapter"]
                    else ""
                )
                + "</li>"
            )
        out.append("</ol>")
    out.append("<h2>Similar submissions</h2>")
    similarity = data["similarity"]
    if similarity is None:
        out.append(
            "<p>No similarity report yet: run <code>scripts/assignments.py similarity "
            f"{e(data['assignment'])}</code>.</p>"
        )
    elif not similarity["flagged"]:
        out.append(f"<p>No pair above the threshold ({similarity['threshold']}).</p>")
    else:
        out.append(
            f'<p>Pairs above the threshold ({similarity["threshold"]}):</p><table id="flagged">'
            "<thead><tr><th>Submission</th><th>Submission</th><th>Similarity</th></tr></thead>"
            "<tbody>"
        )
        for pair in similarity["flagged"]:
            out.append(
                f"<tr><td>{e(pair['a'])}</td><td>{e(pair['b'])}</td>"
                f'<td class="n">{pair["similarity"]:.2f}</td></tr>'
            )
        out.append("</tbody></table>")
    out.append(
        '<script type="application/json" id="report-data">'
        + json.dumps(data, sort_keys=True).replace("</", "<\\/")
        + "</script>"
    )
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"


def site_url_from_config(root):
    """The published site's address, from _config.yml's repository.url (GitHub Pages)."""
    import yaml

    config = yaml.safe_load((Path(root) / "_config.yml").read_text())
    url = config.get("repository", {}).get("url", "").rstrip("/")
    owner, _, repo = url.removeprefix("https://github.com/").partition("/")
    return f"https://{owner}.github.io/{repo}/" if owner and repo else ""


def write_report(course, name, gradebook_scores, site_url):
    data = summarise(course, name, gradebook_scores)
    path = course / "reports" / f"{name}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(data, site_url))
    return path
