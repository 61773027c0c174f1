"""Tests of the explorers' Python side (viz.explorers): settings, checks, state, lib's answers.

What the browser computes is tested in tests/test_explorers_browser.py.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from lib import softmax
from viz.explorers.gradient_explorer import gradient_explorer
from viz.explorers.slowdown_explorer import slowdown_explorer
from viz.explorers.softmax_explorer import softmax_explorer

EXPLORERS = Path(__file__).resolve().parent.parent / "viz" / "explorers"


@pytest.mark.parametrize("build", [softmax_explorer, slowdown_explorer, gradient_explorer])
def test_front_end_is_the_committed_es_module_beside_the_class(build):
    widget = build()
    module = Path(type(widget).__module__.replace(".", "/") + ".js").name
    source = (EXPLORERS / module).read_text(encoding="utf-8")
    assert widget._esm == source
    assert "export default { render }" in source
    state = widget.get_state()
    assert state["_model_module"] == "anywidget" and state["_esm"] == source


def test_softmax_explorer_probs_are_lib_softmax_of_shifted_scaled_logits():
    explorer = softmax_explorer([2.0, 1.0, 0.0, -1.0], shift=3.0, temperature=0.5)
    z = np.array([2.0, 1.0, 0.0, -1.0])
    np.testing.assert_array_equal(explorer.probs, softmax((z + 3.0) / 0.5))
    explorer.temperature = 4.0  # what the browser writes back while a kernel runs
    np.testing.assert_array_equal(explorer.probs, softmax((z + 3.0) / 4.0))


def test_softmax_explorer_state_holds_what_the_browser_starts_from():
    explorer = softmax_explorer([1.0, 0.0], dtype="float16", show_dtype=True, shift_range=(-5, 5))
    state = explorer.get_state()
    assert state["logits"] == [1.0, 0.0] and state["dtype"] == "float16"
    assert state["show_dtype"] is True and (state["shift_min"], state["shift_max"]) == (-5, 5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"logits": [1.0]}, "2 to 8"),
        ({"logits": [20.0, 0.0]}, "outside logit_range"),
        ({"logits": [np.nan, 0.0]}, "finite"),
        ({"temperature": 0.0}, "outside temperature_range"),
        ({"temperature_range": (0.0, 2.0)}, "0 < low < high"),
        ({"dtype": "int8"}, "dtype"),
        ({"logit_range": (5, -5)}, "logit_range"),
        ({"logit_step": 0.0}, "logit_step"),
        ({"shift": 50.0}, "shift_range"),
    ],
)
def test_softmax_explorer_bad_settings_raise_a_readable_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        softmax_explorer(**kwargs)


def test_slowdown_cross_entropy_recovers_long_before_squared_error():
    # The lecture's claim, at z = (10, 0, 0) with true class 1 and a large step (eta = 5).
    explorer = slowdown_explorer(learning_rate=5.0, steps=2000)
    curves = explorer.curves(steps=0)
    first = explorer.first_step_most_probable()
    assert curves["cross_entropy"][0] == curves["squared_error"][0] == softmax([10.0, 0, 0])[1]
    assert first["cross_entropy"] is not None and first["cross_entropy"] < 20
    assert first["squared_error"] is None or first["squared_error"] > 100 * first["cross_entropy"]


def test_slowdown_steps_are_gradient_descent_on_the_logits():
    explorer = slowdown_explorer(gap=2.0, learning_rate=0.5, steps=10)
    z = np.array([2.0, 0.0, 0.0])
    y = np.array([0.0, 1.0, 0.0])
    for _ in range(3):
        z = z - 0.5 * (softmax(z) - y)
    assert explorer.curves(steps=3)["cross_entropy"][3] == pytest.approx(softmax(z)[1], rel=1e-14)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"gap": -1.0}, "gap"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"steps": 0}, "steps"),
        ({"steps": 10**6}, "steps"),
    ],
)
def test_slowdown_bad_settings_raise_a_readable_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        slowdown_explorer(**kwargs)


def test_gradient_explorer_gradient_is_p_minus_y_and_sums_to_zero():
    explorer = gradient_explorer([1.0, -0.5, 2.0, 0.0], label=2)
    grad = explorer.gradient
    np.testing.assert_allclose(grad, softmax([1.0, -0.5, 2.0, 0.0]) - np.eye(4)[2])
    assert abs(grad.sum()) < 1e-15


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"logits": [0.0]}, "2 to 8"), ({"label": 5}, "label"), ({"logits": [0, 99]}, "range")],
)
def test_gradient_explorer_bad_settings_raise_a_readable_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gradient_explorer(**kwargs)


def test_chapters_saved_the_current_front_ends():
    # The website renders the ES module and stylesheet saved in a chapter's widget state: after
    # a change of a .js file or of explorer.css, re-execute the chapters (`make notebooks`).
    modules = {path.read_text(encoding="utf-8") for path in EXPLORERS.glob("*.js")}
    stylesheet = (EXPLORERS / "explorer.css").read_text(encoding="utf-8")
    saved = 0
    for chapter in sorted((EXPLORERS.parent.parent / "chapters").glob("*.ipynb")):
        widgets = json.loads(chapter.read_text(encoding="utf-8"))["metadata"].get("widgets", {})
        state = widgets.get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
        for model_id, model in state.items():
            if model["model_module"] == "anywidget":
                saved += 1
                assert model["state"]["_esm"] in modules, (
                    f"{chapter.name}: explorer {model_id} saved an old front end; "
                    f"run `make notebooks NB=chapters/{chapter.name}`"
                )
                assert model["state"]["_css"] == stylesheet, (
                    f"{chapter.name}: explorer {model_id} saved an old stylesheet; "
                    f"run `make notebooks NB=chapters/{chapter.name}`"
                )
    assert saved >= 4  # chapter 2's, chapter 4's two and chapter 5's
