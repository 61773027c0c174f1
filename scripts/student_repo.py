"""Write the students' repository: the course without its answers (`make student-repo`).

This repository is the instructor's: it holds the instructor versions of the assignments
(``assignments/source/``, solutions and model answers), the grader and its tests. It stays
private. Students get another repository, written by this script into ``_build/student-repo/``
as a git repository, ready to push to the URL that ``repository.url`` in
_config.yml names (the site's buttons and every chapter's first cell point there).

What goes in is an allow-list, ``MANIFEST`` below, one entry per kind of file with the reason
it is there. Anything not listed stays out: the solutions, the hidden tests, the grader, the
tests, the fixtures, the benchmarks, any file someone adds later. The assignments go in only as
nbgrader's student versions (``assignments/release/``, made by ``make assignments-release``),
checked once more here for nbgrader's solution and hidden-test markers. ``tests/test_leaks.py``
scans the result for every solution line.

Files that only the students' repository has (its README, Makefile and .gitignore) live in
``scripts/student-repo/``.

Usage::

    python scripts/student_repo.py                  # -> _build/student-repo/
    python scripts/student_repo.py --out DIR --release DIR
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OWN_FILES = ROOT / "scripts" / "student-repo"  # README.md, Makefile, gitignore
OUT = ROOT / "_build" / "student-repo"

# (glob relative to the repository root, why students need it)
MANIFEST = [
    ("chapters/*.ipynb", "the lecture: the chapters, with their committed outputs"),
    ("lib/**/*.py", "the tested library the chapters import"),
    ("viz/**/*.py", "the chapters' figures and explorers"),
    ("viz/**/*.js", "the explorers' ES modules (anywidget front ends)"),
    ("viz/**/*.css", "the explorers' shared stylesheet"),
    (
        "pyproject.toml",
        "makes lib and viz pip-installable: each chapter's first cell installs "
        "them from this repository (repository.url) in Colab, on a hub or in a download",
    ),
    ("requirements.txt", "what Binder installs, and the source of the lock"),
    ("requirements.lock", "the pinned, hashed versions that `make` installs"),
    ("_config.yml", "the book's configuration; repository.url names this repository"),
    ("_toc.yml", "the book's table of contents"),
    ("intro.md", "the home page"),
    ("bibliography.md", "the reference page"),
    ("references.bib", "the bibliography the chapters cite"),
    ("assignments/index.md", "the Practice page: what each assignment asks and how it is checked"),
    ("web/course_site.py", "the book's Sphinx extension (_config.yml sphinx.local_extensions)"),
    ("web/course_math.py", "the extension that typesets the formulas when the book is built"),
    ("web/typeset_math.js", "MathJax in node, which it runs"),
    ("web/favicon.svg", "the site's tab icon (_config.yml html.favicon)"),
    ("web/static/*.css", "the site's own style sheets (html_static_path)"),
    ("web/static/*.js", "the site's own scripts (html_static_path)"),
    ("web/package.json", "the web assets: MathJax, which typesets the formulas, and its fonts"),
    ("web/package-lock.json", "their pinned versions, installed by `npm ci`"),
    ("scripts/vendor_assets.py", "copies those assets into web/static/npm (`make book`)"),
]
# nbgrader's student versions, at the path the Practice page downloads them from
RELEASE_GLOB = "*/*.ipynb"
RELEASE_TO = Path("assignments") / "release"
# Never in a student version (nbgrader removes them); their presence means a broken release.
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS")


def manifest_files(root: Path = ROOT) -> list[Path]:
    """The files the MANIFEST selects, relative to ``root``; an entry that matches nothing is an
    error (a renamed file would otherwise silently drop out of the students' repository)."""
    files = set()
    for pattern, _why in MANIFEST:
        matched = [p for p in root.glob(pattern) if p.is_file() and "__pycache__" not in p.parts]
        if not matched:
            raise SystemExit(f"student repository: no file matches {pattern!r} in {root}")
        files.update(p.relative_to(root) for p in matched)
    return sorted(files)


def release_files(release: Path) -> list[Path]:
    """The released student notebooks, after checking that none holds an answer marker."""
    notebooks = sorted(release.glob(RELEASE_GLOB))
    if not notebooks:
        raise SystemExit(f"no student versions in {release}: run `make assignments-release` first")
    for notebook in notebooks:
        text = notebook.read_text(encoding="utf-8")
        for marker in MARKERS:
            if marker in text:
                raise SystemExit(f"{notebook} holds {marker!r}: it is not a student version")
    return notebooks


def git(folder: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run git in ``folder``; commits carry the instructor's identity, or a neutral one."""
    env = dict(os.environ)
    for role in ("AUTHOR", "COMMITTER"):
        env.setdefault(f"GIT_{role}_NAME", "Course team")
        env.setdefault(f"GIT_{role}_EMAIL", "course-team@localhost")
    command = ["git", *args]
    return subprocess.run(command, cwd=folder, env=env, check=check, stdout=subprocess.DEVNULL)


def build(out: Path = OUT, release: Path = ROOT / "assignments" / "release") -> Path:
    """Write the students' repository into ``out`` and commit what changed.

    The first build makes a git repository with one commit. A later build into the same folder
    keeps its history (and its remote): the files are written afresh and only the difference is
    committed, so the students' clones, and nbgitpuller on the hub, pull it as an ordinary
    update. Nothing but the committed files survives a rebuild (a ``_build`` or ``.venv`` made
    inside it is generated anyway).
    """
    if shutil.which("git") is None:
        raise SystemExit("git not found: install it (Debian/Ubuntu: apt-get install git)")
    out = out.resolve()
    if out.exists() and not (out / ".git").is_dir() and any(out.iterdir()):
        raise SystemExit(f"{out} exists and is not an earlier students' repository: not touched")
    notebooks = release_files(release)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".student-repo-", dir=out.parent))
    try:
        for relative in manifest_files():
            (staging / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / relative, staging / relative)
        for notebook in notebooks:
            target = staging / RELEASE_TO / notebook.relative_to(release)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(notebook, target)
        for name, target in [
            ("README.md", "README.md"),
            ("Makefile", "Makefile"),
            ("gitignore", ".gitignore"),
        ]:
            shutil.copy2(OWN_FILES / name, staging / target)
        if (out / ".git").is_dir():
            shutil.copytree(out / ".git", staging / ".git", symlinks=True)
            message = "Update from the course team's repository"
        else:
            config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
            branch = str(config.get("repository", {}).get("branch", "main"))
            git(staging, "init", "--quiet", "--initial-branch", branch)
            message = "The course, for students"
        git(staging, "add", "--all")
        if git(staging, "diff", "--cached", "--quiet", check=False).returncode:
            git(staging, "commit", "--quiet", "--message", message)
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="where to write it")
    parser.add_argument(
        "--release",
        type=Path,
        default=ROOT / "assignments" / "release",
        help="nbgrader's release folder (student versions)",
    )
    args = parser.parse_args(argv)
    out = build(args.out, args.release)
    url = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["repository"]["url"]
    print(f"Students' repository written to {out}")
    print(f"Publish it: cd {out} && git remote add origin {url} && git push -u origin HEAD")
    print("(after the first time: cd there and git push; a rebuild keeps the history)")


if __name__ == "__main__":
    sys.exit(main())
