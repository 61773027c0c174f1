"""The instructor's commands for the nbgrader assignments (see assignments/README.md).

Each command runs nbgrader (as ``python -m nbgrader``, in a subprocess) inside the course
directory ``assignments/`` (or ``--course DIR``), where ``nbgrader_config.py`` lives::

    python scripts/assignments.py release              # student versions -> release/
    python scripts/assignments.py collect NAME FOLDER  # FOLDER/<student>/NAME.ipynb -> submitted/
    python scripts/assignments.py autograde [NAME]     # run and score every submission
    python scripts/assignments.py export               # grades.csv
    python scripts/assignments.py feedback [NAME]      # feedback/<student>/NAME/*.html
    python scripts/assignments.py grade NAME FOLDER    # collect + autograde + export + feedback
    python scripts/assignments.py scores NAME          # per-task scores as JSON

Without NAME, ``release``, ``autograde`` and ``feedback`` process every assignment in one
nbgrader run (the glob ``*``); nbgrader's start-up is a good part of the time of a small class.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "assignments"


def assignment_names(course):
    """Names of the assignments: the folders of ``source/`` that hold a notebook."""
    return sorted(p.parent.name for p in (course / "source").glob("*/*.ipynb"))


def nbgrader(course, *args):
    """Run one nbgrader command in the course directory; raise if it fails."""
    env = dict(os.environ, JUPYTER_PLATFORM_DIRS="1", PYDEVD_DISABLE_FILE_VALIDATION="1")
    # nbgrader runs the `alembic` executable (from PATH) when it creates a gradebook: put the
    # interpreter's own bin/ first, so that the venv's alembic is found without activating it.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    # the grader computes the expected values with this repository's lib.reference
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    command = [sys.executable, "-m", "nbgrader", *args]
    print("$", " ".join(["nbgrader", *args]), flush=True)
    subprocess.run(command, cwd=course, env=env, check=True)


def release(course, names):
    """Generate the student version of each assignment into release/<name>/.

    Without names, one nbgrader run generates every assignment (the glob ``*``): nbgrader's
    start-up dominates the time, so this is about twice as fast as one run per assignment.
    """
    for name in names or ["*"]:
        nbgrader(course, "generate_assignment", name, "--force", "--log-level=ERROR")


def collect(course, name, folder):
    """Copy a folder of submissions (<student>/<notebook>.ipynb, or zip files) and collect it."""
    archive = course / "downloaded" / name / "archive"
    if archive.exists():
        shutil.rmtree(archive)
    shutil.copytree(Path(folder).resolve(), archive)
    nbgrader(course, "zip_collect", name, "--force")


def autograde(course, name):
    nbgrader(course, "autograde", name, "--force")


def export(course, to="grades.csv"):
    nbgrader(course, "export", "--to", to)


def feedback(course, name):
    nbgrader(course, "generate_feedback", name, "--force")


def scores(course, name):
    """Per student: total and, per graded cell (grade_id), the auto and manual score."""
    from nbgrader.api import Gradebook  # imported here: only this command needs the API

    result = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        assignment = gradebook.find_assignment(name)
        for submission in assignment.submissions:
            cells = {}
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    cells[grade.name] = {
                        "auto": grade.auto_score,
                        "manual": grade.manual_score,
                        "max": grade.max_score,
                        "needs_manual_grade": grade.needs_manual_grade,
                    }
            result[submission.student_id] = {"score": submission.score, "cells": cells}
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--course", type=Path, default=COURSE, help="nbgrader course directory")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("release").add_argument("names", nargs="*")
    for command in ("collect", "grade"):
        sub = commands.add_parser(command)
        sub.add_argument("name")
        sub.add_argument("folder", type=Path)
    for command in ("autograde", "feedback"):  # without a name: every assignment, in one run
        commands.add_parser(command).add_argument("name", nargs="?", default="*")
    commands.add_parser("scores").add_argument("name")
    commands.add_parser("export").add_argument("--to", default="grades.csv")
    args = parser.parse_args(argv)
    course = args.course.resolve()

    if args.command == "release":
        release(course, args.names)
    elif args.command == "collect":
        collect(course, args.name, args.folder)
    elif args.command == "autograde":
        autograde(course, args.name)
    elif args.command == "export":
        export(course, args.to)
    elif args.command == "feedback":
        feedback(course, args.name)
    elif args.command == "grade":
        collect(course, args.name, args.folder)
        try:
            autograde(course, args.name)
        except subprocess.CalledProcessError:
            # nbgrader has named the submissions it could not grade; the class still gets
            # its grades and feedback, then this command fails
            export(course)
            feedback(course, args.name)
            sys.exit("autograde failed for some submissions (named in the log above)")
        export(course)
        feedback(course, args.name)
    elif args.command == "scores":
        print(json.dumps(scores(course, args.name), indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
