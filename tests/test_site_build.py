"""What web/course_site.py and the notebook executor promise, without a browser.

- a publishing setting that still names a placeholder is found, and a real one is not;
- the executor keeps the widget state a shown view needs and nothing else;
- a finished progress bar leaves text, not a widget;
- the built site (``make book``) serves /favicon.ico and the course's wheel under the name the
  chapters' first cell asks for, gives every page a description, and no page loads the theme's
  Font Awesome script or a figure as PNG.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "web"))
import course_site  # noqa: E402  (web/ and scripts/ are not packages)
import execute_notebooks  # noqa: E402
import first_cell  # noqa: E402

from tests.site_fixtures import SITE, site_pages  # noqa: E402

PLACEHOLDERS = {
    "repository": {"url": "https://github.com/example-course/softmax-lecture"},
    "launch_buttons": {"jupyterhub_url": "https://jupyterhub.example.edu"},
    "html": {"baseurl": "https://example-course.github.io/softmax-lecture/"},
}
REAL = {
    "repository": {"url": "https://github.com/uni-ml/softmax-lecture-students"},
    "launch_buttons": {"jupyterhub_url": "https://hub.uni-ml.ac.uk"},
    "html": {"baseurl": "https://uni-ml.github.io/softmax-lecture-students/"},
}


def test_placeholder_settings_are_named_in_one_line():
    line = course_site.placeholder_line(PLACEHOLDERS)
    assert "\n" not in line
    for setting in ("repository.url", "launch_buttons.jupyterhub_url", "html.baseurl"):
        assert setting in line
    assert course_site.placeholder_line(REAL) is None
    mixed = {**REAL, "html": PLACEHOLDERS["html"]}
    assert course_site.placeholder_settings(mixed) == [
        "html.baseurl = https://example-course.github.io/softmax-lecture/"
    ]


def _model(name, **state):
    return {"model_module": "@jupyter-widgets/controls", "model_name": name, "state": state}


def test_executor_keeps_only_the_state_shown_views_need():
    nb = nbformat.v4.new_notebook()
    view = {"model_id": "aa", "version_major": 2, "version_minor": 0}
    nb.cells = [
        nbformat.v4.new_code_cell(
            outputs=[
                nbformat.v4.new_output(
                    "display_data", data={execute_notebooks.WIDGET_VIEW: view, "text/plain": "x"}
                )
            ]
        )
    ]
    state = {
        "aa": _model("HBoxModel", children=["IPY_MODEL_bb"], layout="IPY_MODEL_cc"),
        "bb": _model("IntSliderModel", style="IPY_MODEL_dd"),
        "cc": _model("LayoutModel"),
        "dd": _model("SliderStyleModel"),
        "ee": _model("IntProgressModel", layout="IPY_MODEL_ff"),  # closed, not shown
        "ff": _model("LayoutModel"),
    }
    nb.metadata["widgets"] = {execute_notebooks.WIDGET_STATE: {"state": state}}
    kept = execute_notebooks.keep_shown_widgets(nb).metadata["widgets"]
    assert set(kept[execute_notebooks.WIDGET_STATE]["state"]) == {"aa", "bb", "cc", "dd"}

    nb.cells = []
    nb.metadata["widgets"] = {execute_notebooks.WIDGET_STATE: {"state": state}}
    assert "widgets" not in execute_notebooks.keep_shown_widgets(nb).metadata


def test_a_finished_progress_bar_is_text():
    from viz.progress import FinishedProgress

    done = FinishedProgress("epochs", 30, 30)
    assert repr(done) == "epochs: 30/30"
    assert '<progress max="30" value="30" aria-label="epochs">' in done._repr_html_()


def test_search_engines_get_a_description_without_tex():
    assert course_site.plain_tex(r"\sum_j P_j \ge 0") == "Σ_j P_j ≥ 0"


built = pytest.mark.skipif(not (SITE / "index.html").is_file(), reason="site not built: make book")


@built
def test_built_site_serves_the_favicon_and_the_wheel():
    assert (SITE / "favicon.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert (SITE / first_cell.WHEEL_FOLDER / first_cell.wheel_name()).is_file()


@built
@pytest.mark.parametrize("path", site_pages() if (SITE / "index.html").is_file() else [])
def test_built_page_is_described_and_light(path):
    text = (SITE / path).read_text(encoding="utf-8")
    description = re.search(r'<meta name="description" content="([^"]+)"', text)
    assert description and "\\" not in description.group(1), path
    assert "fontawesome.js" not in text, path
    assert not re.search(r'<img [^>]*src="[^"]*_images/[^"]*\.png"', text), path
