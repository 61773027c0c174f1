"""The system tools the course needs beyond Python: one declaration, read by make, CI and pytest.

Each tool is a command looked up on PATH, the Debian package that provides it, and what needs
it. ``python3 scripts/prerequisites.py`` (first step of ``make test``) prints one line per missing
tool, naming the package, and exits 1 only under ``CI=true``: on a developer's machine the tests
that need a missing tool are skipped with that same line (conftest.py, markers ``needs_bwrap``
and ``needs_chromium``, or ``require()`` in a fixture), and under CI they fail. ``--packages``
prints the Debian packages of the missing tools, one per line, for ``.ci/run`` to install.

Standard library only: it runs before .venv exists.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Tool:
    """A command on PATH, the Debian packages that install it, and what it is for."""

    name: str  # as in the marker: needs_<name>
    commands: tuple[str, ...]  # any one of them will do
    packages: tuple[str, ...]
    needed_by: str
    env: str | None = None  # a variable that may name the executable instead

    def find(self) -> str | None:
        """The executable: $env if set (and a file), else the first command found on PATH."""
        if self.env and os.environ.get(self.env):
            return os.environ[self.env] if Path(os.environ[self.env]).is_file() else None
        return next(filter(None, map(shutil.which, self.commands)), None)

    def missing_line(self) -> str:
        """The one line that says what is missing and which package brings it."""
        instead = f", or set {self.env}=/path/to/it" if self.env else ""
        return (
            f"{self.commands[0]} not found, needed by {self.needed_by}. Install the Debian package "
            f"{' '.join(self.packages)} (apt-get install {' '.join(self.packages)}{instead})."
        )


TOOLS = (
    Tool(
        "chromium",
        ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"),
        ("chromium",),
        "the website's browser tests (a real headless browser)",
        env="CHROMIUM",
    ),
    Tool(
        "bwrap",
        ("bwrap",),
        ("bubblewrap",),
        "grading and the assignment tests (every grading kernel runs in its sandbox)",
    ),
    Tool(
        "npm",
        ("npm",),
        ("nodejs", "npm"),
        "`make book` (the site's own web assets, pinned in web/package-lock.json)",
    ),
)
BY_NAME = {tool.name: tool for tool in TOOLS}


def under_ci() -> bool:
    """True when CI=true (or 1, yes): a missing tool is then a failure, not a skip."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def missing() -> list[Tool]:
    """The tools that are not installed."""
    return [tool for tool in TOOLS if tool.find() is None]


def require(name: str) -> None:
    """In a test or fixture: skip it when tool `name` is missing, with the tool's one line (fail
    it under CI). conftest.py calls this for the ``needs_<name>`` markers; a fixture calls it
    itself when only the tests that use it need the tool."""
    import pytest  # only tests call this, and they run in .venv

    tool = BY_NAME[name]
    if tool.find() is None:
        if under_ci():
            pytest.fail(f"{tool.missing_line()} (CI=true: a missing tool is a failure)")
        pytest.skip(tool.missing_line())


def main(argv: list[str]) -> int:
    absent = missing()
    if argv[1:] == ["--packages"]:
        print("\n".join(package for tool in absent for package in tool.packages))
        return 0
    if argv[1:]:
        print("usage: prerequisites.py [--packages]", file=sys.stderr)
        return 2
    for tool in absent:
        print(tool.missing_line(), file=sys.stderr)
    if absent and under_ci():
        print("CI=true: every prerequisite must be installed (.ci/run does)", file=sys.stderr)
        return 1
    if absent:
        print("the tests that need them are skipped (each says why)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
