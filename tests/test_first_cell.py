"""Every chapter opens anywhere: its first code cell installs `lib` and `viz` when they are missing.

- The first code cell of every chapter is scripts/first_cell.py's template rendered with the
  current _config.yml (change `repository` there, run the script, and the chapters follow).
- In this environment (lib installed) the cell prints one line and installs nothing.
- Slow: a chapter runs top to bottom in a fresh virtual environment that has Jupyter and the
  scientific stack but not `lib`, `viz` or anywidget; its first cell installs them from a copy
  of this checkout (``SOFTMAX_LECTURE_SOURCE``), as it would from GitHub in Colab.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import first_cell  # noqa: E402  (scripts/ is not a package)

FRESH_CHAPTER = "02_softmax_layer.ipynb"  # the softmax explorer, figures, lib and scipy


@pytest.mark.parametrize("path", first_cell.CHAPTERS, ids=lambda p: p.name)
def test_first_code_cell_is_the_rendered_template(path):
    nb = nbformat.read(path, as_version=4)
    cell = nb.cells[first_cell.first_code_cell(nb)]
    fix = f"{path.name}: run `python scripts/first_cell.py`, then `make notebooks NB={path}`"
    assert cell.source == first_cell.render(), fix
    assert cell.metadata.get("tags") == first_cell.TAGS, fix


def test_template_takes_the_repository_from_the_config(tmp_path):
    config = tmp_path / "_config.yml"
    config.write_text("repository:\n  url: https://example.org/a/b/\n  branch: spring\n")
    namespace = {}
    exec(first_cell.render(config).split("if importlib")[0], namespace)  # the settings only
    assert (
        namespace["COURSE_PACKAGES"]
        == "softmax-lecture-lib[viz,reference,training] @ git+https://example.org/a/b@spring"
    )


def test_cell_does_nothing_where_lib_is_installed():
    result = subprocess.run(
        [sys.executable, "-c", first_cell.render()],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT / "chapters",
        env={**os.environ, "SOFTMAX_LECTURE_SOURCE": "this-package-does-not-exist==0"},
    )
    assert result.stdout == "lib and viz are installed: nothing to install.\n"


def _run(args, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise AssertionError(
            f"{args[:4]} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result


@pytest.mark.slow
def test_chapter_runs_in_a_fresh_environment_without_lib(tmp_path):
    # A copy of the checkout (tracked and new files), so pip's build leaves the work tree alone.
    listed = _run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT
    ).stdout.split("\0")
    source = tmp_path / "course"
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)

    # Jupyter and the scientific stack at this environment's versions (so pip's cache serves
    # them), but neither the course's package nor anywidget, which only it brings.
    frozen = _run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"]).stdout
    constraints = tmp_path / "constraints.txt"
    constraints.write_text(
        "".join(line + "\n" for line in frozen.splitlines() if "anywidget" not in line.lower())
    )
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "VIRTUAL_ENV", "JUPYTER_PATH", "JUPYTER_DATA_DIR"}
    }
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"),  # no kernel spec from elsewhere
        SOFTMAX_LECTURE_SOURCE=f"softmax-lecture-lib[viz,reference,training] @ {source.as_uri()}",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    stack = ["nbclient", "ipykernel", "numpy", "scipy", "matplotlib", "ipywidgets"]
    _run(
        [python, "-m", "pip", "install", "--quiet", "-c", constraints, *stack], env=env, timeout=900
    )
    chapter = source / "chapters" / FRESH_CHAPTER
    probe = "import importlib.util as u; print(u.find_spec('lib'))"
    missing = _run([python, "-c", probe], env=env, cwd=chapter.parent)  # where the kernel runs
    assert missing.stdout.strip() == "None", "the fresh environment must not have lib"
    _run([python, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3"], env=env)

    executed = tmp_path / "executed.ipynb"
    script = textwrap.dedent(
        f"""
        import nbformat
        from nbclient import NotebookClient
        nb = nbformat.read({str(chapter)!r}, as_version=4)
        NotebookClient(nb, kernel_name="python3", timeout=600, allow_errors=False,
                       resources={{"metadata": {{"path": {str(chapter.parent)!r}}}}}).execute()
        nbformat.write(nb, {str(executed)!r})
        """
    )
    _run([python, "-c", script], env=env, cwd=tmp_path, timeout=1200)

    nb = nbformat.read(executed, as_version=4)
    setup = nb.cells[first_cell.first_code_cell(nb)]
    printed = "".join(o.get("text", "") for o in setup.outputs)
    assert printed.startswith(
        "Installed lib and viz from softmax-lecture-lib[viz,reference,training] @ file:"
    )
    views = [
        output
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "application/vnd.jupyter.widget-view+json" in output.get("data", {})
    ]
    assert views, "the explorer did not display in the fresh environment"
    probe = "import anywidget, lib, viz; print(lib.__file__)"
    installed = _run([python, "-c", probe], env=env, cwd=chapter.parent)
    assert str(venv) in installed.stdout  # installed into the fresh environment, not found here
