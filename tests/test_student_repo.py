"""`make student-repo`: the students' repository is complete, self-consistent and ready to push.

What it must not hold (answers, the grader, tests) is tests/test_leaks.py's; here: that it is a
git repository with one clean commit, that its own README and Makefile are for students, that
every file the Practice page links is there, that the builder refuses a release that still
holds answers, and that the repository builds the website by itself.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from student_repo_helpers import ROOT, build_student_repo, run, tracked_files

sys.path.insert(0, str(ROOT / "scripts"))
import student_repo  # noqa: E402  (scripts/ is not a package)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_student_repo(tmp_path_factory.mktemp("student-repo"))


def test_it_is_one_clean_commit_on_the_configured_branch(built):
    repo = built["repo"]
    assert run("git", "status", "--porcelain", cwd=repo) == ""
    assert run("git", "rev-list", "--count", "HEAD", cwd=repo).strip() == "1"
    branch = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["branch"]
    assert run("git", "branch", "--show-current", cwd=repo).strip() == branch


def test_a_rebuild_keeps_the_history_and_commits_only_a_change(built, tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(built["repo"], repo, symlinks=True)
    run("git", "remote", "add", "origin", "https://example.invalid/students.git", cwd=repo)
    first = run("git", "rev-parse", "HEAD", cwd=repo)
    student_repo.build(repo, built["release"])  # nothing changed: no commit
    assert run("git", "rev-parse", "HEAD", cwd=repo) == first
    release = tmp_path / "release"
    shutil.copytree(built["release"], release)
    notebook = next(release.glob("*/*.ipynb"))
    notebook.write_text(notebook.read_text().replace("YOUR ANSWER HERE", "YOUR ANSWER HERE."))
    student_repo.build(repo, release)
    assert run("git", "rev-list", "--count", "HEAD", cwd=repo).strip() == "2"
    assert run("git", "status", "--porcelain", cwd=repo) == ""
    assert "example.invalid" in run("git", "remote", "-v", cwd=repo)
    changed = run("git", "diff", "--name-only", "HEAD~1", cwd=repo).split()
    assert changed == [f"assignments/release/{notebook.parent.name}/{notebook.name}"]


def test_it_holds_what_the_manifest_selects_and_its_own_files(built):
    names = set(tracked_files(built["repo"]))
    selected = {path.as_posix() for path in student_repo.manifest_files()}
    released = {
        f"assignments/release/{p.parent.name}/{p.name}" for p in built["release"].glob("*/*.ipynb")
    }
    assert released, "no released notebook"
    assert names == selected | released | {"README.md", "Makefile", ".gitignore"}
    # the book and the packages the chapters' first cell installs from this repository
    for needed in ("_config.yml", "_toc.yml", "pyproject.toml", "lib/softmax.py"):
        assert needed in names


def test_its_readme_is_for_students(built):
    readme = (built["repo"] / "README.md").read_text()
    assert "make book" in readme and "make lab" in readme
    for word in ("nbgrader", "autograde", "grader", "hidden", "solution", "source/"):
        assert word not in readme.lower(), f"the students' README mentions {word!r}"


def test_its_makefile_uses_only_files_it_has(built):
    repo = built["repo"]
    makefile = (repo / "Makefile").read_text()
    for script in re.findall(r"scripts/[\w/]+\.py", makefile):
        assert (repo / script).is_file(), f"the Makefile runs {script}, which is not there"
    assert "assignments.py" not in makefile


def test_every_download_of_the_practice_page_is_there(built):
    page = built["repo"] / "assignments" / "index.md"
    targets = re.findall(r"\{download\}`[^`<]*<([^>]+)>`", page.read_text())
    assert targets, "the Practice page links no download"
    for target in targets:
        assert (page.parent / target).is_file(), f"the Practice page links {target}"


def test_a_release_with_answers_is_refused(tmp_path):
    # the instructor versions handed over as if they were the release
    result = subprocess.run(
        [sys.executable, "scripts/student_repo.py", "--out", str(tmp_path / "repo"),
         "--release", str(ROOT / "assignments" / "source")],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode != 0
    assert "is not a student version" in result.stderr
    assert not (tmp_path / "repo").exists()


def test_another_folder_is_never_overwritten(built, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(SystemExit, match="not an earlier students' repository"):
        student_repo.build(tmp_path / "mine", built["release"])
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


@pytest.mark.slow
def test_it_builds_the_website_by_itself(built, tmp_path):
    # The students' repository gets the same pinned web assets `make vendor` installed here (npm
    # is not run again: the copied fonts, and the installed packages, whose MathJax typesets
    # the formulas), then Jupyter Book builds it strictly, as its own `make book` does.
    vendored = ROOT / "web" / "static" / "npm"
    if not (vendored / ".copied").exists():
        pytest.skip("web assets not installed (`make vendor`; `make test` builds the book first)")
    repo = tmp_path / "repo"
    shutil.copytree(built["repo"], repo)
    shutil.copytree(vendored, repo / "web" / "static" / "npm")
    (repo / "web" / "node_modules").symlink_to(ROOT / "web" / "node_modules")
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    run(str(jupyter_book), "build", ".", "--warningiserror", "--nitpick", "--keep-going",
        "--quiet", cwd=repo)  # fmt: skip
    html = repo / "_build" / "html"
    assert (html / "assignments" / "index.html").is_file()
    assert len(list((html / "chapters").glob("*.html"))) == len(list(ROOT.glob("chapters/*.ipynb")))
    downloads = {p.name for p in (html / "_downloads").rglob("*.ipynb")}
    assert downloads == {p.name for p in built["release"].glob("*/*.ipynb")}
