"""Make every chapter self-sufficient: its first code cell installs `lib` and `viz` if missing.

A chapter opened in Colab, on a JupyterHub or downloaded into a plain Jupyter has no `lib` (only
this repository's `make` installs it). The first code cell of each chapter, rendered here from
one template, checks whether the course's distribution (``softmax-lecture-lib``, by
importlib.metadata: a folder that happens to be called ``lib`` does not count) is installed. If
not, it installs the wheel the website carries (web/course_site.py builds it into ``_static/``):
from beside the notebook when the reader saved it there, else from the website's own URL
(_config.yml ``html.baseurl``). It says what it did in one line. The environment variable
``SOFTMAX_LECTURE_SITE`` replaces that URL (the tests point it at a local server).

Usage::

    python scripts/first_cell.py            # write the cell into every chapter (before its
                                            # first code cell, or over an older version of it)
    python scripts/first_cell.py --check    # exit 1 if a chapter's first code cell differs

tests/test_first_cell.py fails when a chapter's first code cell is not the template rendered
with the current _config.yml and pyproject.toml, so a change of the site's URL or of the
package's version is one command, then `make notebooks`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
CELL_ID = "setup-course-packages"
MARKER = "# Setup: this chapter needs the course's packages"
ENVIRONMENT_VARIABLE = "SOFTMAX_LECTURE_SITE"
WHEEL_FOLDER = "_static/"  # where the site keeps the wheel (web/course_site.py WHEEL_FOLDER)
# Not shown on the website (nothing runs there, and a reader copying code needs no install);
# the notebook itself, downloaded or opened in Colab or on a hub, keeps and runs it.
TAGS = ["remove-cell"]
EXTRAS = "viz,reference,training"  # pyproject.toml extras: what the chapters import

# As `ruff format` leaves it at the chapters' line length (chapters/ruff.toml: 84); SITE's
# arguments one per line (the trailing comma keeps them so), whatever the URL's length.
TEMPLATE = """\
{marker} `lib` and `viz`. Where they
# are installed (this repository after `make`) it does nothing; anywhere else
# (Colab, a JupyterHub, a downloaded notebook) it installs them with pip from the
# course website's wheel: the copy beside this notebook if you saved one there,
# else the website's. Made by scripts/first_cell.py.
import importlib.metadata
import os
import pathlib
import subprocess
import sys

SITE = os.environ.get(
    "{variable}",
    "{site}",
)
WHEEL = "{wheel}"
try:
    importlib.metadata.distribution("{distribution}")
    print("lib and viz are installed: nothing to install.")
except importlib.metadata.PackageNotFoundError:
    beside = pathlib.Path(WHEEL).resolve()
    if beside.is_file():
        wheel = beside.as_uri()
    else:
        wheel = SITE.rstrip("/") + "/{folder}" + WHEEL
    source = f"{distribution}[{extras}] @ {{wheel}}"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", source], check=True
    )
    importlib.invalidate_caches()
    print(f"Installed lib and viz from {{wheel}}.")"""


def project(pyproject: Path = ROOT / "pyproject.toml") -> tuple[str, str]:
    """The distribution's name and version (pyproject.toml [project])."""
    table = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    return table["name"], table["version"]


def wheel_name(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """The file name pip gives the course's wheel (pure Python, any platform)."""
    name, version = project(pyproject)
    return f"{name.replace('-', '_')}-{version}-py3-none-any.whl"


def site_url(config_path: Path = ROOT / "_config.yml") -> str:
    """``html.baseurl`` from _config.yml, ending in one slash."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    return str(config["html"]["baseurl"]).rstrip("/") + "/"


def render(
    config_path: Path = ROOT / "_config.yml", pyproject: Path = ROOT / "pyproject.toml"
) -> str:
    """The first code cell's source for the current _config.yml and pyproject.toml."""
    return TEMPLATE.format(
        marker=MARKER,
        variable=ENVIRONMENT_VARIABLE,
        site=site_url(config_path),
        wheel=wheel_name(pyproject),
        distribution=project(pyproject)[0],
        folder=WHEEL_FOLDER,
        extras=EXTRAS,
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
