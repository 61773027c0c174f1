"""The environment the tests run in: exactly the lock, and the system tools named when missing.

- ``.venv`` holds exactly the packages of requirements.lock at their versions (``make`` installs
  it with ``uv pip sync``): uv, asked offline what a sync would change, has nothing to do but
  the course's own editable package, which the lock leaves out on purpose.
- A missing system tool (scripts/prerequisites.py declares them) is one line that names its
  Debian package: from ``make test``'s first step, and as the reason of every test that needs
  it, which is skipped before its fixtures run, or fails under CI=true.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

from scripts import prerequisites

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "softmax-lecture-lib"  # pyproject's name: installed editable, left out of the lock


def without_tools_env(**extra: str) -> dict[str, str]:
    """This environment with a PATH on which no system tool is found (only this Python)."""
    env = {k: v for k, v in os.environ.items() if k not in {"CI", "CHROMIUM"}}
    return {**env, "PATH": str(Path(sys.executable).parent), **extra}


def test_venv_holds_exactly_the_lock():
    uv = Path(sysconfig.get_path("scripts")) / ("uv.exe" if os.name == "nt" else "uv")
    if not (Path(sys.prefix) / "pyvenv.cfg").is_file() or not uv.is_file():
        pytest.skip("not run from the .venv that make installs (with uv from the lock)")
    run = subprocess.run(
        [uv, "pip", "sync", "--dry-run", "--offline", "--require-hashes"]
        + ["--python", sys.executable, str(ROOT / "requirements.lock")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    # one line per package a sync would install (" + name==version") or remove (" - ...")
    changes = [line.strip() for line in run.stderr.splitlines() if re.match(r" [-+~] ", line)]
    assert all(line.startswith(f"- {PROJECT}==") for line in changes), (
        "\n".join(changes) + "\n.venv differs from requirements.lock: run `make venv`"
    )


def test_a_missing_tool_is_one_line_naming_its_package():
    script = [sys.executable, str(ROOT / "scripts" / "prerequisites.py")]
    run = subprocess.run(script, capture_output=True, text=True, env=without_tools_env())
    lines = run.stderr.splitlines()
    assert run.returncode == 0  # outside CI, the tests that need them are skipped instead
    for tool in prerequisites.TOOLS:
        (line,) = [line for line in lines if line.startswith(f"{tool.commands[0]} not found")]
        assert f"apt-get install {' '.join(tool.packages)}" in line
    under_ci = subprocess.run(
        script, capture_output=True, text=True, env=without_tools_env(CI="true")
    )
    assert under_ci.returncode == 1
    packages = subprocess.run(
        [*script, "--packages"], capture_output=True, text=True, env=without_tools_env()
    )
    assert packages.stdout.split() == ["chromium", "bubblewrap", "nodejs", "npm"]


def test_readme_prerequisites_name_every_package():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    paragraph = readme[readme.index("Prerequisites:") :].split("\n\n")[0]
    for tool in prerequisites.TOOLS:
        for package in tool.packages:
            assert f"`{package}`" in paragraph, package


SAMPLE = """
import pytest

@pytest.fixture
def sandbox():
    raise RuntimeError("fixture set up although its tool is missing")

@pytest.mark.needs_bwrap
def test_grades(sandbox):
    pass

@pytest.mark.needs_chromium
def test_browses():
    pass

def test_needs_nothing():
    pass
"""


@pytest.mark.parametrize("ci", [False, True])
def test_a_test_needing_a_missing_tool_skips_with_its_line_or_fails_under_ci(tmp_path, ci):
    (tmp_path / "test_sample.py").write_text(textwrap.dedent(SAMPLE))
    env = without_tools_env(PYTHONPATH=str(ROOT), COLUMNS="300", **({"CI": "true"} if ci else {}))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", os.devnull, "--rootdir", str(tmp_path)]
        + ["-p", "conftest", "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:playwright"]
        + ["-rsE", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    out = run.stdout
    assert "fixture set up although" not in out, out
    assert "missing: bwrap not found" in out  # the session header
    assert "1 passed" in out, out
    for tool in ("bwrap", "chromium"):
        line = prerequisites.BY_NAME[tool].missing_line()
        assert line[:60] in out, out
    if ci:
        assert run.returncode == 1 and "2 errors" in out, out
        assert "CI=true: a missing tool is a failure" in out
    else:
        assert run.returncode == 0 and "2 skipped" in out, out
