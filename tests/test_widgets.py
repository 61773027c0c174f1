"""Tests of viz.widgets: the softmax explorer and its dtype-aware softmax."""

import ipywidgets as widgets
import numpy as np
import pytest

from lib import softmax, softmax_naive
from viz.widgets import DTYPES, diagnose, softmax_explorer, softmax_in_dtype


def test_explorer_starts_with_softmax_of_the_initial_logits():
    z = np.array([2.0, 1.0, 0.0, -1.0])
    explorer = softmax_explorer(z)
    np.testing.assert_allclose(explorer.probs, softmax(z))
    np.testing.assert_allclose([bar.value for bar in explorer.bars], softmax(z))
    assert len(explorer.logit_sliders) == len(explorer.bars) == 4


def test_moving_a_logit_slider_updates_bars_readout_and_status():
    explorer = softmax_explorer([0.0, 0.0, 0.0])
    np.testing.assert_allclose([bar.value for bar in explorer.bars], 1 / 3)
    explorer.logit_sliders[2].value = 3.0
    expected = softmax(np.array([0.0, 0.0, 3.0]))
    np.testing.assert_allclose(explorer.probs, expected)
    np.testing.assert_allclose([bar.value for bar in explorer.bars], expected)
    assert f"P_2 = {expected[2]:.4g}" in explorer.readout.value
    assert "ok" in explorer.status.value


def test_temperature_slider_divides_the_logits():
    z = np.array([2.0, 1.0, 0.0])
    explorer = softmax_explorer(z)
    for t in [0.1, 0.5, 3.0, 15.0]:
        explorer.temperature.value = t
        np.testing.assert_allclose(explorer.probs, softmax(z / t))


def test_sliders_and_temperature_are_jslinked_to_their_boxes():
    # The static website has no kernel: only jslink keeps a box in step with its slider there.
    explorer = softmax_explorer([1.0, 0.0])
    links = explorer.links
    assert all(isinstance(link, widgets.widget_link.Link) for link in links)
    pairs = {(link.source[0].model_id, link.target[0].model_id) for link in links}
    assert all(link.source[1] == link.target[1] == "value" for link in links)
    for slider, box in zip(explorer.logit_sliders, explorer.logit_boxes, strict=True):
        assert (slider.model_id, box.model_id) in pairs
        assert box.value == slider.value
    assert (explorer.temperature.model_id, explorer.temperature_box.model_id) in pairs


def test_dtype_and_formula_controls_only_when_asked():
    def descendants(widget):
        yield widget
        for child in getattr(widget, "children", ()):
            yield from descendants(child)

    plain = softmax_explorer([1.0, 0.0])
    full = softmax_explorer([1.0, 0.0], show_dtype=True, show_formula=True)
    assert plain.dtype not in list(descendants(plain.widget))
    assert full.dtype in list(descendants(full.widget))
    assert full.formula in list(descendants(full.widget))


def test_naive_float16_breaks_and_shows_it():
    explorer = softmax_explorer(
        [5.0, 0.0], dtype="float16", formula="naive", show_dtype=True, logit_range=(-20, 20)
    )
    assert explorer.status.value.count("ok") == 1
    explorer.logit_sliders[0].value = 12.0  # e^12 = 162755 > 65504, the largest float16
    assert np.isnan(explorer.probs[0])
    assert explorer.bars[0].bar_style == "danger"
    assert explorer.status.value.startswith("<b>broken") and "overflows float16" in (
        explorer.status.value
    )
    explorer.formula.value = "shifted"  # the shift of eq. (14) cures it
    assert np.isfinite(explorer.probs).all()
    assert "ok" in explorer.status.value


@pytest.mark.parametrize("name", list(DTYPES))
def test_softmax_in_dtype_keeps_the_dtype_and_agrees_with_float64(name):
    rng = np.random.default_rng(6)
    z = rng.normal(scale=3.0, size=5)
    for formula in ["shifted", "naive"]:
        probs = softmax_in_dtype(z, 0.7, dtype=name, formula=formula)
        assert probs.dtype == DTYPES[name]
        tolerance = 10 * float(np.finfo(DTYPES[name]).eps)
        np.testing.assert_allclose(probs, softmax(z / 0.7), rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize(("name", "threshold"), [("float16", 11.09), ("float32", 88.72)])
def test_naive_formula_overflows_just_above_log_of_largest_float(name, threshold):
    below = softmax_in_dtype([threshold - 0.05, 0.0], dtype=name, formula="naive")
    above = softmax_in_dtype([threshold + 0.05, 0.0], dtype=name, formula="naive")
    assert np.isfinite(below).all()
    assert np.isnan(above[0])
    assert np.isfinite(softmax_in_dtype([threshold + 0.05, 0.0], dtype=name)).all()


def test_float64_naive_is_lib_softmax_naive():
    z = np.array([710.0, 0.0])
    np.testing.assert_array_equal(softmax_in_dtype(z, formula="naive"), softmax_naive(z))


@pytest.mark.parametrize(
    ("logits", "temperature", "name", "cause"),
    [
        ([12.0, 0.0], 1.0, "float16", "overflows float16"),
        ([-20.0, -30.0], 1.0, "float16", "underflows to 0"),
        ([709.0, 709.0, 709.0], 1.0, "float64", "sum Q overflows float64"),
        ([88.0, 88.0, 88.0], 1.0, "float32", "sum Q overflows float32"),
        ([60000.0, 0.0], 0.5, "float16", "z/T overflows"),
    ],
)
def test_diagnose_names_the_cause(logits, temperature, name, cause):
    verdict = diagnose(logits, temperature, dtype=name, formula="naive")
    assert verdict.startswith("broken") and cause in verdict


def test_shifted_float16_underflow_is_harmless():
    assert diagnose([-20.0, -30.0], dtype="float16").startswith("ok")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"logits": [1.0]}, "2 to 8"),
        ({"logits": [20.0, 0.0]}, "outside logit_range"),
        ({"logits": [1.0, 0.0], "temperature": 0.0}, "temperature"),
        ({"logits": [1.0, 0.0], "temperature": 50.0}, "temperature_range"),
        ({"logits": [1.0, 0.0], "dtype": "int8"}, "dtype"),
        ({"logits": [1.0, 0.0], "formula": "fast"}, "formula"),
        ({"logits": [1.0, 0.0], "logit_range": (5, -5)}, "logit_range"),
        ({"logits": [1.0, 0.0], "logit_step": 0.0}, "logit_step"),
    ],
)
def test_bad_options_raise_a_readable_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        softmax_explorer(**kwargs)


def test_explorer_displays_as_its_widget():
    explorer = softmax_explorer([1.0, 0.0])
    bundle = explorer._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == (
        explorer.widget.model_id
    )
