"""Make every chapter self-sufficient: its first code cell installs `lib` and `viz` if missing.

A chapter opened in Colab, on a JupyterHub or downloaded into a plain Jupyter has no `lib` (only
this repository's `make` installs it). The first code cell of each chapter, rendered here from
one template, installs the course's package with pip from the repository that _config.yml names
(``repository.url`` at ``repository.branch``), says so in one line, and does nothing where the
packages are installed. The environment variable ``SOFTMAX_LECTURE_SOURCE`` replaces the pip
requirement (the tests point it at a local copy of the repository).

Usage::

    python scripts/first_cell.py            # write the cell into every chapter (before its
                                            # first code cell, or over an older version of it)
    python scripts/first_cell.py --check    # exit 1 if a chapter's first code cell differs

tests/test_first_cell.py fails when a chapter's first code cell is not the template rendered
with the current _config.yml, so a change of `repository` is one command, then `make notebooks`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
CELL_ID = "setup-course-packages"
MARKER = "# Setup: this chapter needs the course's packages"
ENVIRONMENT_VARIABLE = "SOFTMAX_LECTURE_SOURCE"
# Not shown on the website (nothing runs there, and a reader copying code needs no install);
# the notebook itself, downloaded or opened in Colab or on a hub, keeps and runs it.
TAGS = ["remove-cell"]
DISTRIBUTION = "softmax-lecture-lib"  # pyproject.toml [project] name; extras: what chapters import

TEMPLATE = """\
{marker} `lib` and `viz`. Where they are installed
# (this repository after `make`) it does nothing; anywhere else (Colab, a JupyterHub, a downloaded
# notebook) it installs them with pip from the course repository. Made by scripts/first_cell.py.
import importlib.util
import os
import subprocess
import sys

REPOSITORY = "{url}"
COURSE_PACKAGES = f"{distribution}[viz,reference,training] @ git+{{REPOSITORY}}@{branch}"
if importlib.util.find_spec("lib") and importlib.util.find_spec("viz"):
    print("lib and viz are installed: nothing to install.")
else:
    source = os.environ.get("{variable}", COURSE_PACKAGES)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", source], check=True)
    importlib.invalidate_caches()
    print(f"Installed lib and viz from {{source}}.")"""


def repository(config_path: Path = ROOT / "_config.yml") -> tuple[str, str]:
    """``repository.url`` (no trailing slash) and ``repository.branch`` from _config.yml."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    setting = config["repository"]
    return str(setting["url"]).rstrip("/"), str(setting.get("branch", "main"))


def render(config_path: Path = ROOT / "_config.yml") -> str:
    """The first code cell's source for the current _config.yml."""
    url, branch = repository(config_path)
    return TEMPLATE.format(
        marker=MARKER,
        url=url,
        distribution=DISTRIBUTION,
        branch=branch,
        variable=ENVIRONMENT_VARIABLE,
    )


def first_code_cell(nb: nbformat.NotebookNode) -> int:
    """Index of the first code cell (ValueError when the notebook has none)."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            return index
    raise ValueError("the notebook has no code cell")


def printed_here(source: str) -> str:
    """What the cell prints when run by this Python, in a chapter's folder (lib installed)."""
    result = subprocess.run(
        [sys.executable, "-c", source],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT / "chapters",
    )
    return result.stdout


def write(path: Path, source: str, printed: str) -> bool:
    """Put the cell first among the code cells of `path`; True if the file changed.

    Only that cell changes: its source and, so that strict nbval passes before the next
    ``make notebooks``, the line it prints here (`printed`) with execution count 1 (nbval
    refuses outputs without a count; the next ``make notebooks`` renumbers every cell).
    """
    nb = nbformat.read(path, as_version=4)
    index = first_code_cell(nb)
    cell = nb.cells[index]
    if not cell.source.startswith(MARKER):
        cell = nbformat.v4.new_code_cell()
        cell.id = CELL_ID
        nb.cells.insert(index, cell)
    elif cell.source == source and cell.metadata.get("tags") == TAGS and cell.execution_count:
        return False
    cell.source = source
    cell.metadata["tags"] = TAGS
    cell.execution_count = 1
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed)]
    nbformat.write(nb, path)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report chapters that differ")
    args = parser.parse_args(argv)
    source = render()
    printed = None if args.check else printed_here(source)
    stale = []
    for path in CHAPTERS:
        if args.check:
            nb = nbformat.read(path, as_version=4)
            if nb.cells[first_code_cell(nb)].source != source:
                stale.append(path)
        elif write(path, source, printed):
            print(f"wrote the setup cell into {path.relative_to(ROOT)}")
    for path in stale:
        print(f"{path.relative_to(ROOT)}: first code cell differs from scripts/first_cell.py")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
