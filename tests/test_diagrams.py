"""Tests of viz.diagrams: the softmax-layer diagram and the probability bar charts."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.patches import Circle, FancyArrowPatch

from lib import softmax
from viz.diagrams import (
    draw_softmax_network,
    format_failure_grid,
    image_row,
    plot_probabilities,
    temperature_panels,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def node_labels(ax):
    """Texts drawn inside the nodes (their positions coincide with a circle's centre)."""
    centres = {tuple(np.round(p.center, 6)) for p in ax.patches if isinstance(p, Circle)}
    return [t.get_text() for t in ax.texts if tuple(np.round(t.get_position(), 6)) in centres]


@pytest.mark.parametrize("sizes", [(3, 4, 3), (2, 5), (4, 3, 3, 6)])
def test_one_node_per_unit_plus_one_per_probability(sizes):
    fig = draw_softmax_network(sizes)
    (ax,) = fig.axes
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    assert len(circles) == sum(sizes) + sizes[-1]
    labels = node_labels(ax)
    m = sizes[-1]
    assert [f"$P_{{{j}}}$" for j in range(1, m + 1)] == [s for s in labels if s.startswith("$P")]
    assert [f"$z^L_{{{j}}}$" for j in range(1, m + 1)] == [s for s in labels if s.startswith("$z")]
    assert not ax.axison


def test_softmax_couples_every_logit_to_every_probability():
    # The diagram's point (slip S2): m^2 arrows into the softmax outputs, m into sigmoid outputs.
    sizes = (3, 4, 3)
    fig = draw_softmax_network(sizes, show_before=True)
    sigmoid_ax, softmax_ax = fig.axes
    dense = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    for ax, final_edges in [(sigmoid_ax, sizes[-1]), (softmax_ax, sizes[-1] ** 2)]:
        arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
        assert len(arrows) == dense + final_edges
        assert not ax.axison
    assert "softmax" in softmax_ax.get_title()
    assert "sigmoid" in sigmoid_ax.get_title()


@pytest.mark.parametrize("bad", [(3,), (3, 0), (3, 9), (2.5, 3), (True, 3)])
def test_bad_layer_sizes_raise_a_readable_error(bad):
    with pytest.raises(ValueError, match="layer_sizes"):
        draw_softmax_network(bad)


def test_plot_probabilities_draws_one_labelled_bar_per_class():
    fig, ax = plt.subplots()
    probs = softmax(np.array([3.0, 1.0, 0.0, -1.0]))
    bars = plot_probabilities(ax, probs, title="P", highlight=0)
    assert len(bars) == 4
    np.testing.assert_allclose([b.get_height() for b in bars], probs)
    assert ax.get_xlabel() and ax.get_ylabel() == "probability"
    assert bars[0].get_facecolor() != bars[1].get_facecolor()
    assert any(t.get_text() == "sum = 1.000" for t in ax.texts)


def test_plot_probabilities_reports_a_sum_that_is_not_one():
    fig, ax = plt.subplots()
    plot_probabilities(ax, [0.9, 0.8, 0.7])
    assert any(t.get_text() == "sum = 2.400" for t in ax.texts)


@pytest.mark.parametrize(
    ("probs", "highlight", "message"),
    [([[0.5, 0.5]], None, "shape"), ([], None, "empty"), ([0.5, 0.5], 2, "highlight")],
)
def test_plot_probabilities_rejects_bad_input(probs, highlight, message):
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match=message):
        plot_probabilities(ax, probs, highlight=highlight)


def test_temperature_panels_show_softmax_of_z_over_t():
    z = np.array([2.0, 1.0, 0.0])
    temps = [0.25, 1.0, 4.0]
    fig = temperature_panels(z, temps)
    assert len(fig.axes) == len(temps)
    for ax, t in zip(fig.axes, temps, strict=True):
        heights = [p.get_height() for p in ax.patches]
        np.testing.assert_allclose(heights, softmax(z / t))
        assert ax.get_title() == f"T = {t:g}"
        assert ax.get_xlabel()
    assert fig.axes[0].get_ylabel() == "probability"


def test_temperature_panels_accept_another_softmax():
    fig = temperature_panels([1.0, 0.0], [1.0], softmax_fn=lambda z: np.array([0.25, 0.75]))
    assert [p.get_height() for p in fig.axes[0].patches] == [0.25, 0.75]


@pytest.mark.parametrize("temps", [[], [0.0], [-1.0], [float("inf")]])
def test_temperature_panels_reject_bad_temperatures(temps):
    with pytest.raises(ValueError, match="temperature"):
        temperature_panels([1.0, 0.0], temps)


def test_image_row_puts_each_vector_in_its_own_image_on_one_scale():
    images = np.arange(12.0).reshape(3, 4) - 5.0  # signed values, largest magnitude 6
    fig = image_row(images, ["x", "y", "z"], image_shape=(2, 2), centred=True)
    image_axes = [ax for ax in fig.axes if ax.images and ax.get_title()]
    assert [ax.get_title() for ax in image_axes] == ["x", "y", "z"]
    for ax, expected in zip(image_axes, images, strict=True):
        (shown,) = ax.images
        assert np.array_equal(shown.get_array(), expected.reshape(2, 2))
        assert shown.get_clim() == (-6.0, 6.0)  # symmetric about 0: white means 0
    assert len(fig.axes) == 4  # three images and one colour bar


def test_image_row_rejects_images_of_the_wrong_size():
    with pytest.raises(ValueError, match="shape"):
        image_row(np.zeros((2, 5)), ["a", "b"])
    with pytest.raises(ValueError, match="titles"):
        image_row(np.zeros((2, 64)), ["a"])


def test_format_failure_grid_draws_the_unshifted_formula_breaking_past_each_threshold():
    from lib.floating import exp_thresholds

    fig = format_failure_grid(("float16", "float64"))
    assert len(fig.axes) == 6
    for row, name in enumerate(("float16", "float64")):
        overflow = exp_thresholds(name).overflow
        ax = fig.axes[3 * row]  # first column: z = (t, 0)
        shifted, naive, ticks = ax.lines[:3]
        t, p_naive = naive.get_data()
        assert np.all(np.isfinite(shifted.get_ydata()))  # the shifted formula never breaks
        assert np.all(np.isnan(p_naive[t > overflow + 0.05]))  # drawn as a gap past ln(max)
        assert np.all(np.isfinite(p_naive[t < overflow - 0.05]))
        assert np.all(ticks.get_xdata() > overflow - 0.05)  # nan ticks only past it
        assert [line.get_xdata()[0] for line in ax.lines[3:]] == [overflow]


def test_format_failure_grid_needs_a_format():
    with pytest.raises(ValueError, match="at least one"):
        format_failure_grid(())
