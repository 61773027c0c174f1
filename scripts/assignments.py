"""The instructor's commands for the nbgrader assignments (see assignments/README.md).

Each command runs nbgrader (as ``python -m nbgrader``, in a subprocess) inside the course
directory ``assignments/`` (or ``--course DIR``), where ``nbgrader_config.py`` lives::

    python scripts/assignments.py release              # student versions -> release/
    python scripts/assignments.py collect NAME FOLDER  # FOLDER/<student>/NAME.ipynb -> submitted/
    python scripts/assignments.py autograde [NAME]     # run and score every submission
    python scripts/assignments.py export               # grades.csv
    python scripts/assignments.py feedback [NAME]      # feedback/<student>/NAME/*.html
    python scripts/assignments.py grade NAME FOLDER    # collect + autograde + export + feedback
                                                       # + similarity
    python scripts/assignments.py grade NAME FOLDER --jobs 2   # two submissions at a time
    python scripts/assignments.py scores NAME          # per-task scores as JSON
    python scripts/assignments.py similarity NAME      # copying report (copydetect) -> reports/
    python scripts/assignments.py report NAME          # reports/NAME.html: what the class missed

Without NAME, ``release``, ``autograde`` and ``feedback`` process every assignment in one
nbgrader run (the glob ``*``); nbgrader's start-up is a good part of the time of a small class.
"""

import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from similarity import similarity  # scripts/similarity.py: copydetect over the submissions

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "assignments"


def assignment_names(course):
    """Names of the assignments: the folders of ``source/`` that hold a notebook."""
    return sorted(p.parent.name for p in (course / "source").glob("*/*.ipynb"))


def nbgrader(course, *args, capture=False):
    """Run one nbgrader command in the course directory; raise if it fails.

    With `capture`, its output is returned (stdout and stderr together) instead of printed as it
    comes, so that parallel runs do not interleave their logs."""
    env = dict(os.environ, JUPYTER_PLATFORM_DIRS="1", PYDEVD_DISABLE_FILE_VALIDATION="1")
    # nbgrader runs the `alembic` executable (from PATH) when it creates a gradebook: put the
    # interpreter's own bin/ first, so that the venv's alembic is found without activating it.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    # the grader computes the expected values with this repository's lib.reference
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    command = [sys.executable, "-m", "nbgrader", *args]
    if not capture:
        print("$", " ".join(["nbgrader", *args]), flush=True)
        subprocess.run(command, cwd=course, env=env, check=True)
        return None
    done = subprocess.run(command, cwd=course, env=env, stdout=subprocess.PIPE, text=True,
                          stderr=subprocess.STDOUT, check=False)  # fmt: skip
    if done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, command, output=done.stdout)
    return done.stdout


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


def ensure_course_secret(course):
    """Make the grader's course secret before parallel runs, if this grader has one.

    The first grading run writes a random secret when there is none (grader/inputs.py); two
    runs started at once would both try. So one small process writes it first."""
    if os.environ.get("SOFTMAX_COURSE_SECRET") or (course / ".course_secret").exists():
        return
    if not (course / "grader" / "inputs.py").exists():
        return
    code = "import grader.inputs as i; i.course_secret(root='.')"
    subprocess.run([sys.executable, "-c", code], cwd=course, check=True)


def autograde(course, name, jobs=1):
    """Autograde every collected submission of `name`, `jobs` submissions at a time.

    With jobs > 1 the students are dealt round-robin to `jobs` nbgrader processes, each told to
    leave out everyone else's (``CourseDirectory.student_id_exclude``); each process grades its
    share one after the other, every kernel in its own sandbox, as one process does for the
    whole class. One process per share, not per submission: nbgrader's start-up (about 2 s) is
    paid `jobs` times, not once per student. The processes write the one gradebook: SQLite
    lets one writer at a time in, and the gradebook is opened with a busy timeout of 10 minutes,
    so a process waits for another's write instead of failing with "database is locked" (each
    write is one submission's scores, milliseconds). Every process runs to its end; if any
    failed, the first failure is raised after all have finished, with every log printed.
    """
    students = sorted(p.parent.name for p in (course / "submitted").glob(f"*/{name}") if p.is_dir())
    gradebook = course / "gradebook.db"
    if jobs <= 1 or len(students) <= 1 or name == "*" or not gradebook.exists():
        nbgrader(course, "autograde", name, "--force")
        return
    shares = [students[k::jobs] for k in range(min(jobs, len(students)))]
    ensure_course_secret(course)
    db_url = f"sqlite:///{gradebook.resolve()}?timeout=600"

    def grade_share(share):
        others = ",".join(s for s in students if s not in share)
        args = ["autograde", name, "--force", f"--CourseDirectory.db_url={db_url}"]
        args += [f"--CourseDirectory.student_id_exclude={others}"]
        return nbgrader(course, *args, capture=True)

    print(f"$ nbgrader autograde {name} --force  # {len(students)} students, {len(shares)} "
          "processes at a time", flush=True)  # fmt: skip
    failures = []
    with concurrent.futures.ThreadPoolExecutor(len(shares)) as pool:
        futures = [pool.submit(grade_share, share) for share in shares]
        for share, future in zip(shares, futures, strict=True):
            try:
                log = future.result()
            except subprocess.CalledProcessError as error:
                failures.append(error)
                log = error.output
            print(f"--- autograde of {', '.join(share)}\n{log}", end="", flush=True)
    if failures:
        raise failures[0]


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
    for sub in (commands.choices["grade"], commands.choices["autograde"]):
        sub.add_argument(
            "--jobs",
            type=int,
            default=1,
            help="submissions graded at once (nbgrader processes; one per core is a good choice)",
        )
    commands.add_parser("scores").add_argument("name")
    commands.add_parser("similarity").add_argument("name")
    report_parser = commands.add_parser("report")
    report_parser.add_argument("name")
    report_parser.add_argument(
        "--site-url", help="the published site (default: from _config.yml's repository.url)"
    )
    commands.add_parser("export").add_argument("--to", default="grades.csv")
    args = parser.parse_args(argv)
    course = args.course.resolve()

    if args.command == "release":
        release(course, args.names)
    elif args.command == "collect":
        collect(course, args.name, args.folder)
    elif args.command == "autograde":
        autograde(course, args.name, args.jobs)
    elif args.command == "export":
        export(course, args.to)
    elif args.command == "feedback":
        feedback(course, args.name)
    elif args.command == "grade":
        collect(course, args.name, args.folder)
        try:
            autograde(course, args.name, args.jobs)
        except subprocess.CalledProcessError:
            # nbgrader has named the submissions it could not grade; the class still gets
            # its grades and feedback, then this command fails
            export(course)
            feedback(course, args.name)
            similarity(course, args.name)
            sys.exit("autograde failed for some submissions (named in the log above)")
        export(course)
        feedback(course, args.name)
        similarity(course, args.name)
    elif args.command == "scores":
        print(json.dumps(scores(course, args.name), indent=1, sort_keys=True))
    elif args.command == "similarity":
        similarity(course, args.name)
    elif args.command == "report":
        import class_report  # beside this script

        site_url = args.site_url
        if site_url is None:
            site_url = class_report.site_url_from_config(Path(__file__).resolve().parent.parent)
        path = class_report.write_report(course, args.name, scores(course, args.name), site_url)
        print(path)


if __name__ == "__main__":
    main()
