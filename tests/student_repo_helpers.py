"""Build the students' repository in a temporary folder, as `make student-repo` does.

nbgrader's release runs on a copy of the course directory (so the test never writes into this
repository), then ``scripts/student_repo.py`` writes the students' repository from it. nbgrader
runs in a subprocess, where its DeprecationWarnings are not pytest's errors.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "assignments"
# what nbgrader and the grader generate in the course directory: not copied
GENERATED = (
    "release", "downloaded", "submitted", "autograded", "feedback", "reports",
    "gradebook.db", "grades.csv", ".nbgrader.log", "__pycache__",
)  # fmt: skip


def run(*command: str, cwd: Path = ROOT) -> str:
    """Run a command; return its stdout, or fail the test with its output."""
    env = dict(os.environ, JUPYTER_PLATFORM_DIRS="1", PYDEVD_DISABLE_FILE_VALIDATION="1")
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} failed ({result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result.stdout


def build_student_repo(tmp: Path) -> dict[str, Path]:
    """Release the assignments into ``tmp/course`` and write the repository to ``tmp/repo``."""
    course = tmp / "course"
    shutil.copytree(COURSE, course, ignore=shutil.ignore_patterns(*GENERATED))
    run(sys.executable, "scripts/assignments.py", "--course", str(course), "release")
    repo = tmp / "repo"
    run(
        sys.executable, "scripts/student_repo.py",
        "--out", str(repo), "--release", str(course / "release"),
    )  # fmt: skip
    return {"course": course, "release": course / "release", "repo": repo}


def tracked_files(repo: Path) -> list[str]:
    """The files committed in the students' repository (what a push publishes)."""
    return run("git", "ls-files", cwd=repo).split()
