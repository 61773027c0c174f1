"""Build student submissions for the assignment tests and run the instructor commands on them.

A submission is described by a ``.cells`` file (format: tests/fixtures/assignments/README.md)
as edits of the generated student version, so the fixtures follow the source notebooks.
nbgrader itself always runs in a subprocess (``scripts/assignments.py``), never in pytest's
process, where its DeprecationWarnings would be errors.
"""

import contextlib
import copy
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "assignments"
FIXTURES = ROOT / "tests" / "fixtures" / "assignments"
SCRIPT = ROOT / "scripts" / "assignments.py"
# the committed course files besides source/ (the config and the grader's modules)
COURSE_FILES = (
    "nbgrader_config.py",
    "hidden_tasks.py",
    *sorted(
        str(p.relative_to(COURSE))
        for p in (COURSE / "grader").iterdir()
        if p.suffix in (".py", ".json")
    ),
)
# the course secret of the tests (an instructor's is never committed: assignments/README.md)
SECRET = {"SOFTMAX_COURSE_SECRET": "secret of the tests"}
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def run_script(course, *args, user=None):
    """Run ``scripts/assignments.py --course COURSE ARGS``; return its stdout (raise on failure).

    With `user` (a uid), run it as an ordinary user: in a user namespace that maps this
    process's own uid to `user` (util-linux ``unshare``), so that it still owns this process's
    files but is not root."""
    env = dict(os.environ, JUPYTER_PLATFORM_DIRS="1", PYDEVD_DISABLE_FILE_VALIDATION="1", **SECRET)
    prefix = []
    if user is not None:
        prefix = ["unshare", "--user", f"--map-user={user}", f"--map-group={user}"]
    result = subprocess.run(
        [*prefix, sys.executable, str(SCRIPT), "--course", str(course), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"scripts/assignments.py {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
        )
    return result.stdout


def copy_course(destination):
    """A fresh course directory: the committed config and sources, nothing generated."""
    (destination / "grader").mkdir(parents=True, exist_ok=True)
    for name in COURSE_FILES:
        shutil.copy(COURSE / name, destination / name)
    shutil.copytree(COURSE / "source", destination / "source")
    return destination


def grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _index(nb, wanted):
    for i, cell in enumerate(nb.cells):
        if grade_id(cell) == wanted:
            return i
    raise KeyError(f"no cell with grade_id {wanted!r}")


def strip_solution_markers(source):
    return "\n".join(
        line for line in source.split("\n") if line.strip() not in SOLUTION_MARKERS
    ).strip("\n")


def parse_cells_file(path):
    """[(directive, grade_id, source)] from a .cells file; the description lines are skipped."""
    edits, current = [], None
    for line in path.read_text().split("\n"):
        if line.startswith("%% "):
            directive, _, target = line[3:].partition(" ")
            current = [directive, target.strip(), []]
            edits.append(current)
        elif current is not None:
            current[2].append(line)
    return [(d, target, "\n".join(lines).strip("\n")) for d, target, lines in edits]


def build_submission(release_nb, source_nb, edits):
    """The student's notebook: the release version with the edits applied."""
    nb = copy.deepcopy(release_nb)
    inserted = 0
    for directive, target, text in edits:
        if directive == "solution":
            for cell in nb.cells:
                if cell.metadata.get("nbgrader", {}).get("solution"):
                    original = source_nb.cells[_index(source_nb, grade_id(cell))].source
                    cell.source = strip_solution_markers(original)
        elif directive == "cell":
            nb.cells[_index(nb, target)].source = text
        elif directive == "delete":
            del nb.cells[_index(nb, target)]
        elif directive == "insert-after":
            inserted += 1
            new = nbformat.v4.new_code_cell(text)
            new.id = f"student-cell-{inserted}"
            nb.cells.insert(_index(nb, target) + 1, new)
        else:
            raise ValueError(f"unknown directive %% {directive}")
    return nb


def write_submissions(course, assignment, inbox, only=None):
    """Write every submission of one assignment (or those named in `only`) as
    inbox/<student>/<assignment>.ipynb.

    Returns the student ids: two honest ones ('aa-honest', 'solution'), 'blank' and one per
    .cells fixture.
    """
    notebook = f"{assignment}.ipynb"
    release_nb = nbformat.read(course / "release" / assignment / notebook, as_version=4)
    source_nb = nbformat.read(course / "source" / assignment / notebook, as_version=4)
    honest = [("solution", "", "")]
    # two honest students, graded before ("aa-") and after the attacks ("attack-", "gap-")
    submissions = {"aa-honest": honest, "solution": honest, "blank": []}
    for path in sorted((FIXTURES / assignment).glob("*.cells")):
        submissions[path.stem] = parse_cells_file(path)
    if only is not None:
        submissions = {student: submissions[student] for student in only}
    for student, edits in submissions.items():
        folder = inbox / student
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(build_submission(release_nb, source_nb, edits), folder / notebook)
    return sorted(submissions)


def scores(course, assignment):
    """{student: {"score": total, "cells": {grade_id: {"auto", "manual", "max", ...}}}}."""
    return json.loads(run_script(course, "scores", assignment))


@contextlib.contextmanager
def formgrader(course, home):
    """A Jupyter server with nbgrader's Formgrader, started in the course directory as an
    instructor starts it; yields ``post(path) -> JSON``, the request its "autograde" button sends.
    Its settings and runtime files go to `home`, not to the user's own."""
    with socket.socket() as probe:  # a free port on the loopback interface
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = secrets.token_hex(16)
    env = dict(os.environ, HOME=str(home), JUPYTER_CONFIG_DIR=str(home / "config"), **SECRET)
    env["PYTHONPATH"] = str(ROOT)  # the grader's lib.reference
    env.update(JUPYTER_RUNTIME_DIR=str(home / "runtime"), JUPYTER_PLATFORM_DIRS="1")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    command = [sys.executable, "-m", "jupyter_server", "--no-browser", f"--port={port}"]
    command += ["--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}"]
    command += ['--ServerApp.jpserver_extensions={"nbgrader.server_extensions.formgrader": True}']
    command += ["--allow-root"] if os.geteuid() == 0 else []
    log = open(home / "server.log", "w")  # noqa: SIM115  (closed below, after the server)
    server = subprocess.Popen(command, cwd=course, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"

    def post(path):
        request = urllib.request.Request(
            base + path, data=b"", method="POST", headers={"Authorization": f"token {token}"}
        )
        with urllib.request.urlopen(request, timeout=600) as response:
            return json.loads(response.read())

    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise AssertionError(f"the Jupyter server stopped: {log.name}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1):
                    break
            except OSError as error:
                if isinstance(error, urllib.error.HTTPError):
                    error.close()  # it holds the response, and so its socket, until closed
                if time.monotonic() > deadline:
                    raise AssertionError(f"the Jupyter server did not answer: {log.name}") from None
                time.sleep(0.2)
        yield post
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
