"""Estimate how long a chapter takes to read and run, from what its web page shows.

Usage::

    python scripts/reading_time.py chapters/0[1-5]*.ipynb

The estimate counts only what a reader sees without clicking: prose at 180 words per minute,
code at 15 lines per minute, and one minute per visible code cell (to run it and look at its
output). Not counted: solutions, blocks that open on a click (a ``dropdown`` or ``toggle``
class, a ``{dropdown}`` or ``{toggle}`` directive), and code cells whose input the site hides
(the tags ``hide-input``, ``hide-cell``, ``remove-input``, ``remove-cell``). Titles of blocks
(exercises, admonitions, also of dropdowns) and exercise statements are counted; the time to
solve the exercises is not.

No reading-time tool (e.g. the ``readtime`` package) knows MyST's hidden blocks or notebook
cell tags, which decide what a page shows, so the few rules are written out here.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

WORDS_PER_MINUTE = 180
CODE_LINES_PER_MINUTE = 15
MINUTES_PER_CODE_CELL = 1.0

HIDDEN_INPUT_TAGS = {"hide-input", "hide-cell", "remove-input", "remove-cell"}
HIDDEN_DIRECTIVES = {"solution", "solution-start", "dropdown", "toggle"}
# An opening fence: three or more backticks or colons, then an optional {directive}.
FENCE = re.compile(r"^\s*(`{3,}|:{3,})\s*(\{([\w-]+)\})?")
STATED = re.compile(r"[Aa]bout\s+(\d+)\s+minutes")


@dataclass
class Page:
    """What one chapter shows: visible prose words, code lines and code cells."""

    words: int = 0
    code_lines: int = 0
    code_cells: int = 0

    @property
    def minutes(self) -> float:
        return (
            self.words / WORDS_PER_MINUTE
            + self.code_lines / CODE_LINES_PER_MINUTE
            + self.code_cells * MINUTES_PER_CODE_CELL
        )


def _opens_hidden(name: str | None, options: list[str]) -> bool:
    if name in HIDDEN_DIRECTIVES:
        return True
    for line in options:
        if re.match(r"^\s*:class:.*\b(dropdown|toggle)\b", line):
            return True
    return False


def visible_words(markdown: str, hidden: bool = False) -> tuple[int, bool]:
    """Count the words of ``markdown`` outside hidden blocks.

    ``hidden`` says whether the text starts inside a solution opened with ``solution-start``
    (it runs over several cells until ``solution-end``); the state at the end is returned.
    """
    lines = markdown.splitlines()
    stack: list[tuple[str, bool]] = []  # (fence, hidden) of each open block
    words = 0
    index = 0
    while index < len(lines):
        line = lines[index]
        match = FENCE.match(line)
        inside_hidden = hidden or any(h for _, h in stack)
        if match:
            fence, name = match.group(1), match.group(3)
            if (
                stack
                and line.strip() == stack[-1][0][0] * len(line.strip())
                and len(line.strip()) >= len(stack[-1][0])
            ):
                stack.pop()
                index += 1
                continue
            if name == "solution-end":
                hidden = False
                index += 1
                continue
            if name and not inside_hidden and not name.startswith("solution"):
                words += len(line[match.end() :].split())  # a title shows, even on a dropdown
            options = []
            while index + 1 < len(lines) and re.match(r"^\s*:[\w-]+:", lines[index + 1]):
                index += 1
                options.append(lines[index])
            opens_hidden = _opens_hidden(name, options)
            if name == "solution-start":
                hidden = hidden or opens_hidden
                # solution-start closes its own fence at once; the hidden part runs on.
            else:
                stack.append((fence, opens_hidden))
            index += 1
            continue
        if not inside_hidden and not re.match(r"^\s*\([\w-]+\)=\s*$", line):
            words += len(line.split())
        index += 1
    return words, hidden


def measure(path: Path) -> Page:
    """Measure one notebook."""
    nb = nbformat.read(path, as_version=4)
    page = Page()
    in_solution = False
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            words, in_solution = visible_words(cell.source, in_solution)
            page.words += words
        elif cell.cell_type == "code" and not in_solution:
            if HIDDEN_INPUT_TAGS & set(cell.metadata.get("tags", [])):
                continue
            page.code_cells += 1
            page.code_lines += sum(1 for line in cell.source.splitlines() if line.strip())
    return page


def stated_minutes(path: Path) -> int | None:
    """The reading time the page itself states ("About N minutes"), if any."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found = STATED.search(cell.source)
            if found:
                return int(found.group(1))
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    paths = parser.parse_args(argv).notebooks
    total = 0.0
    print(f"{'chapter':32} {'words':>6} {'lines':>6} {'cells':>6} {'min':>6} {'stated':>7}")
    for path in paths:
        page = measure(path)
        total += page.minutes
        stated = stated_minutes(path)
        print(
            f"{path.stem:32} {page.words:6d} {page.code_lines:6d} {page.code_cells:6d} "
            f"{page.minutes:6.0f} {'-' if stated is None else stated:>7}"
        )
    print(f"{'total':32} {'':6} {'':6} {'':6} {total:6.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
