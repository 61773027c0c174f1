"""The verdict: every auto-graded score, computed in the grader's process from the records.

A hidden-test cell only prints a JSON record of what the student's functions returned on the
submission's hidden inputs (``hidden_tasks.py``). Here each of the cell's checks
(``checks.py``) judges that record against values computed here (``reference.py``), and the
cell scores the weights of the checks that passed (partial credit). A record that shows a call
into ``lib`` or ``scipy``, or a thread of the notebook running during the tests, fails every
check of its cell; so do a missing record and two records for one cell.

For the feedback, the cell gets a line per check (``[grader] ...``) and a table (HTML): passed
or failed, the input, expected against got with the tolerance, the points and a link to the
chapter section that teaches it. The same facts go to ``<course>/checks/<assignment>/
<student>.json``, one object per check, for the class report.
"""

import html
import json
from pathlib import Path

from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from . import checks
from .compare import Verdict
from .inputs import course_secret, inputs_of

RECORD_MARKER = "GRADER-RECORD "  # as hidden_tasks.RECORD_MARKER
FORBIDDEN = ("lib", "scipy")


class JudgeHiddenTests(NbGraderPreprocessor):
    """Score every auto-graded code cell from its record (see the module docstring).

    The scores go into ``resources["judged_scores"]`` for ``SaveJudgedScores``; record lines and
    any ``execute_result`` are removed from the cell's outputs.
    """

    site_url = Unicode(
        "", help="Address of the published course site; the feedback links chapters under it."
    ).tag(config=True)
    records_folder = Unicode(
        "checks", help="Folder (in the course directory) of the per-check records."
    ).tag(config=True)

    def preprocess(self, nb, resources):
        about = resources.get("nbgrader", {})
        self._assignment, self._student = about.get("assignment", ""), about.get("student", "")
        self._secret = course_secret(self.config)
        self._rows = []
        resources["judged_scores"] = {}
        nb, resources = super().preprocess(nb, resources)
        self._write_records()
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader", {})
        if not (meta.get("grade") and cell.cell_type == "code"):
            return cell, resources
        grade_id, points = meta.get("grade_id"), float(meta.get("points", 0))
        results = self.judge_cell(grade_id, records(cell))
        score = min(sum(r["points"] for r in results), points)
        resources["judged_scores"][grade_id] = score
        self._rows += results
        cell.outputs = [o for o in map(_without_records, cell.outputs) if o is not None]
        cell.outputs.append(
            new_output("stream", name="stdout", text=_lines(score, points, results))
        )
        cell.outputs.append(
            new_output("display_data", data={"text/html": self._table(results), "text/plain": ""})
        )
        return cell, resources

    def judge_cell(self, grade_id, found):
        """One result (the per-check record of interfaces.md) per check of the cell."""
        declared = checks.of_task(grade_id)
        mine = [r for r in found if isinstance(r, dict) and r.get("grade_id") == grade_id]
        gate = ""
        if not declared:
            return [
                _result(
                    grade_id,
                    "declared checks",
                    0.0,
                    Verdict(False, problem="no checks are declared for this cell"),
                    "",
                    "",
                )
            ]
        if len(mine) != 1:
            gate = f"expected one record of the hidden tests, found {len(mine)}"
        else:
            used = sorted(set(mine[0].get("modules", [])) & set(FORBIDDEN))
            if used:
                gate = f"must use numpy only, but it called into {used[0]}"
            elif mine[0].get("notebook_threads"):
                gate = "a thread started by the notebook was running during the tests"
        values = (
            mine[0].get("values", {})
            if len(mine) == 1 and isinstance(mine[0].get("values"), dict)
            else {}
        )
        verdicts = {}
        for check in declared:
            inputs = inputs_of(check, self._secret, self._student)
            if gate:
                verdict = Verdict(False, problem=gate)
            else:
                try:
                    verdict = check.judge(values, inputs)
                except Exception as error:  # noqa: BLE001 (a bad record never stops the run)
                    verdict = Verdict(
                        False, problem=f"the record could not be judged ({type(error).__name__})"
                    )
            verdicts[check.name] = (check, inputs, verdict)
        results = []
        for check, inputs, verdict in verdicts.values():
            failed = [r for r in check.requires if not verdicts[r][2].passed]
            if verdict.passed and failed:
                verdict = Verdict(
                    False,
                    verdict.expected,
                    verdict.got,
                    verdict.tolerance,
                    f"counts only when '{failed[0]}' passes",
                )
            results.append(
                _result(
                    grade_id, check.name, check.weight, verdict, check.shows(inputs), check.chapter
                )
            )
        return results

    def _table(self, results):
        rows = []
        for r in results:
            link = html.escape(self.site_url + r["chapter"]) if r["chapter"] else ""
            result = "passed" if r["passed"] else "failed: " + html.escape(r["problem"])
            cells = [
                html.escape(r["check"]),
                f"<strong>{result}</strong>",
                f"{r['points']:g} of {r['max_points']:g}",
                html.escape(r["input"]),
                html.escape(r["expected"]),
                html.escape(r["got"]),
                html.escape(r["tolerance"]),
                f'<a href="{link}">{html.escape(r["chapter"].split("#")[-1])}</a>' if link else "",
            ]
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        head = "".join(
            f'<th scope="col">{h}</th>'
            for h in (
                "Check",
                "Result",
                "Points",
                "Input",
                "Expected",
                "Got",
                "Tolerance",
                "Chapter",
            )
        )
        return (
            '<table class="grader-checks"><caption>Hidden checks of this cell</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )

    def _write_records(self):
        from nbgrader.coursedir import CourseDirectory

        folder = (
            Path(CourseDirectory(config=self.config).root) / self.records_folder / self._assignment
        )
        folder.mkdir(parents=True, exist_ok=True)
        rows = [{k: v for k, v in r.items() if k != "problem"} for r in self._rows]
        (folder / f"{self._student}.json").write_text(json.dumps(rows, indent=1) + "\n")


def _result(task, name, weight, verdict, shown, chapter):
    return {
        "task": task,
        "check": name,
        "passed": bool(verdict.passed),
        "points": float(weight) if verdict.passed else 0.0,
        "max_points": float(weight),
        "input": shown,
        "expected": verdict.expected,
        "got": verdict.got,
        "tolerance": verdict.tolerance,
        "chapter": chapter,
        "problem": verdict.problem,
    }


def _lines(score, points, results):
    lines = [f"[grader] {score:g} of {points:g} points"]
    for r in results:
        if r["passed"]:
            lines.append(f"[grader] passed {r['check']} ({r['max_points']:g})")
        else:
            lines.append(f"[grader] failed {r['check']} (0 of {r['max_points']:g}): {r['problem']}")
    return "\n".join(lines) + "\n"


def records(cell):
    """The JSON records a cell printed (at most 4 MB of them are read)."""
    text = "".join(
        o.get("text", "") for o in cell.outputs if o.output_type == "stream" and o.name == "stdout"
    )[: 4 * 2**20]
    found = []
    for line in text.splitlines():
        if line.startswith(RECORD_MARKER):
            try:
                found.append(json.loads(line[len(RECORD_MARKER) :]))
            except ValueError:
                found.append(None)
    return found


def _without_records(output):
    """The output as the feedback shows it: no execute_result, no record lines (read already)."""
    if output.output_type == "execute_result":
        return None
    if output.output_type == "stream":
        lines = output.get("text", "").splitlines(keepends=True)
        output.text = "".join(x for x in lines if not x.startswith(RECORD_MARKER))
        return output if output.text else None
    return output
