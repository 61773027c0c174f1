"""Every chapter opens anywhere: its first code cell installs `lib` and `viz` when they are missing.

- The first code cell of every chapter is scripts/first_cell.py's template rendered with the
  current _config.yml and pyproject.toml (change the site's URL there, run the script, and the
  chapters follow).
- In this environment (the distribution installed) the cell prints one line and installs nothing.
- Slow: a chapter downloaded from the built website, served on 127.0.0.1, runs top to bottom in a
  fresh virtual environment that has Jupyter and the scientific stack but not the course's
  package, with pip allowed no index. First the cell alone, in a folder holding a ``lib`` of the
  reader's own (a check by module name would skip the install) and no wheel: it installs the
  wheel from the website's URL. Then, uninstalled again, the whole chapter, saved with the wheel
  beside it: the cell installs that copy, and the chapter runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import first_cell  # noqa: E402  (scripts/ is not a package)

SITE = ROOT / "_build" / "html"
FRESH_CHAPTER = "02_softmax_layer.ipynb"  # the softmax explorer, figures, lib and scipy


@pytest.mark.parametrize("path", first_cell.CHAPTERS, ids=lambda p: p.name)
def test_first_code_cell_is_the_rendered_template(path):
    nb = nbformat.read(path, as_version=4)
    cell = nb.cells[first_cell.first_code_cell(nb)]
    fix = f"{path.name}: run `python scripts/first_cell.py`, then `make notebooks NB={path}`"
    assert cell.source == first_cell.render(), fix
    assert cell.metadata.get("tags") == first_cell.TAGS, fix


def test_template_takes_the_site_and_the_version_from_the_config(tmp_path, monkeypatch):
    config = tmp_path / "_config.yml"
    config.write_text("html:\n  baseurl: https://example.org/course\n")
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "softmax-lecture-lib"\nversion = "2.3.4"\n')
    monkeypatch.delenv(first_cell.ENVIRONMENT_VARIABLE, raising=False)
    namespace = {}
    exec(first_cell.render(config, pyproject).split("try:")[0], namespace)  # the settings only
    assert namespace["SITE"] == "https://example.org/course/"
    assert namespace["WHEEL"] == "softmax_lecture_lib-2.3.4-py3-none-any.whl"


def test_cell_does_nothing_where_the_distribution_is_installed(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", first_cell.render()],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,  # no lib/ folder here: the installed distribution is what counts
        env={**os.environ, first_cell.ENVIRONMENT_VARIABLE: "http://127.0.0.1:9/"},
    )
    assert result.stdout == "lib and viz are installed: nothing to install.\n"


def _run(args, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise AssertionError(
            f"{args[:4]} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result


def download(url: str, target: Path) -> Path:
    with urllib.request.urlopen(url, timeout=30) as response:
        target.write_bytes(response.read())
    return target


@pytest.mark.slow
def test_downloaded_chapter_runs_in_a_fresh_environment(tmp_path, base_url):
    served_site = base_url  # the built site on 127.0.0.1 (tests/site_fixtures.py)
    # The reader's folder: the chapter and the wheel, as the website offers them.
    folder = tmp_path / "downloads"
    folder.mkdir()
    chapter = download(f"{served_site}_sources/chapters/{FRESH_CHAPTER}", folder / FRESH_CHAPTER)
    wheel = first_cell.wheel_name()
    download(f"{served_site}{first_cell.WHEEL_FOLDER}{wheel}", folder / wheel)

    # Jupyter and the scientific stack at this environment's versions (uv, from its cache), but
    # not the course's package.
    frozen = _run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"]).stdout
    constraints = tmp_path / "constraints.txt"
    constraints.write_text(frozen)
    venv = tmp_path / "venv"
    uv = [str(Path(sys.executable).with_name("uv"))]
    _run([*uv, "venv", "--quiet", "--python", sys.executable, str(venv)])
    python = venv / "bin" / "python"
    stack = ["nbclient", "ipykernel", "numpy", "scipy", "matplotlib", "ipywidgets", "anywidget",
             "mpmath", "scikit-learn", "pip"]  # fmt: skip
    _run([*uv, "pip", "install", "--quiet", "--python", str(python), "-c", constraints, *stack],
         timeout=900)  # fmt: skip
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "VIRTUAL_ENV", "JUPYTER_PATH", "JUPYTER_DATA_DIR"}
    }
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"),  # no kernel spec from elsewhere
        PIP_NO_INDEX="1",  # no package index: the website is the only source
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        SOFTMAX_LECTURE_SITE=served_site,
    )
    probe = "import importlib.metadata as m; m.distribution('softmax-lecture-lib')"
    missing = subprocess.run([python, "-c", probe], env=env, cwd=tmp_path, capture_output=True)
    assert missing.returncode != 0, "the fresh environment must not have the course's package"
    _run([python, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3"], env=env)

    # A folder with a lib of the reader's own and no wheel: the cell installs from the website.
    own = tmp_path / "own-work"
    (own / "lib").mkdir(parents=True)
    (own / "lib" / "__init__.py").write_text("")
    cell = _run([python, "-c", first_cell.render()], env=env, cwd=own)
    assert cell.stdout == f"Installed lib and viz from {served_site}_static/{wheel}.\n"
    _run([python, "-c", probe], env=env, cwd=tmp_path)
    _run([python, "-m", "pip", "uninstall", "--quiet", "--yes", "softmax-lecture-lib"], env=env)

    executed = tmp_path / "executed.ipynb"
    script = textwrap.dedent(
        f"""
        import nbformat
        from nbclient import NotebookClient
        nb = nbformat.read({str(chapter)!r}, as_version=4)
        NotebookClient(nb, kernel_name="python3", timeout=600, allow_errors=False,
                       resources={{"metadata": {{"path": {str(folder)!r}}}}}).execute()
        nbformat.write(nb, {str(executed)!r})
        """
    )
    _run([python, "-c", script], env=env, cwd=tmp_path, timeout=1200)

    nb = nbformat.read(executed, as_version=4)
    setup = nb.cells[first_cell.first_code_cell(nb)]
    printed = "".join(o.get("text", "") for o in setup.outputs)
    assert printed == f"Installed lib and viz from {(folder / wheel).as_uri()}.\n"
    views = [
        output
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "application/vnd.jupyter.widget-view+json" in output.get("data", {})
    ]
    assert views, "the explorer did not display in the fresh environment"
    imported = "import anywidget, lib, viz; print(lib.__file__)"
    installed = _run([python, "-c", imported], env=env, cwd=tmp_path)
    assert str(venv) in installed.stdout  # installed into the fresh environment
