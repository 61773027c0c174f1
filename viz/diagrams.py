"""Figures the chapters draw more than once: the softmax-layer diagram and probability bar charts.

The lecture says "Diagrammatically, we replace the last layer of our network with a softmax
layer" but has no diagram (slip S2). `draw_softmax_network` draws it: a small fully connected
network whose last layer computes the logits $z^L_j$, followed by the softmax layer that turns
all $m$ logits into the $m$ probabilities $P_j = e^{z^L_j} / Q$. With ``show_before=True`` a
second panel shows the layer it replaces (one sigmoid per output unit, each looking at its own
$z^L_j$ only), so the one structural change is visible: every $P_j$ depends on every $z^L_k$.

`plot_probabilities` draws one probability vector as a bar chart with labelled axes, and
`temperature_panels` draws softmax(z / T) for several temperatures T side by side (the static
companion of the interactive explorer in `viz.widgets`). `image_row` draws a row of small images
on one colour scale (the digits of chapter 7, and the weights that a classifier learns for them).
`format_failure_grid` draws where the unshifted softmax breaks in each floating-point format,
against the shifted one (chapter 5).

Only matplotlib's object-oriented API is used (no pyplot state is changed besides creating the
figure), so the functions can be called from tests without a display.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from lib.softmax import softmax

__all__ = [
    "draw_softmax_network",
    "format_failure_grid",
    "image_row",
    "plot_probabilities",
    "temperature_panels",
]

NODE_RADIUS = 0.22
COLUMN_GAP = 2.2
EDGE_COLOR = "0.55"
SOFTMAX_COLOR = "tab:orange"
SIGMOID_COLOR = "tab:blue"


def _check_layer_sizes(layer_sizes):
    sizes = tuple(layer_sizes)
    if len(sizes) < 2:
        raise ValueError(
            f"layer_sizes needs at least an input and an output layer, got {layer_sizes!r}"
        )
    for position, size in enumerate(sizes):
        if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1:
            raise ValueError(f"layer_sizes[{position}] = {size!r} is not a positive integer")
        if size > 8:
            raise ValueError(
                f"layer_sizes[{position}] = {size} is too many nodes to draw legibly (at most 8)"
            )
    return sizes


def _column_y(size):
    """Vertical positions of `size` nodes, centred on 0, top to bottom."""
    return np.arange(size)[::-1] - (size - 1) / 2.0


def _node(ax, x, y, label, color):
    ax.add_patch(Circle((x, y), NODE_RADIUS, facecolor="white", edgecolor=color, lw=1.5, zorder=3))
    ax.text(x, y, label, ha="center", va="center", fontsize=9, zorder=4)


def _edge(ax, start, end, color, style="-", lw=0.8):
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=7,
            shrinkA=NODE_RADIUS * 72 / 2.6,
            shrinkB=NODE_RADIUS * 72 / 2.6,
            color=color,
            lw=lw,
            linestyle=style,
            zorder=1,
        )
    )


def _layer_labels(size, kind, layer):
    if kind == "input":
        return [f"$x_{{{k + 1}}}$" for k in range(size)]
    if kind == "hidden":
        return [f"$a^{{{layer}}}_{{{k + 1}}}$" for k in range(size)]
    if kind == "logit":
        return [f"$z^L_{{{k + 1}}}$" for k in range(size)]
    if kind == "sigmoid":
        return [f"$a^L_{{{k + 1}}}$" for k in range(size)]
    return [f"$P_{{{k + 1}}}$" for k in range(size)]


def _draw_panel(ax, sizes, final):
    """Draw one network on `ax`; `final` is "softmax" or "sigmoid" (the layer after the logits)."""
    columns = []
    for position, size in enumerate(sizes):
        if position == 0:
            kind = "input"
        elif position == len(sizes) - 1:
            kind = "logit"
        else:
            kind = "hidden"
        columns.append((kind, position, size))
    final_color = SOFTMAX_COLOR if final == "softmax" else SIGMOID_COLOR
    columns.append((final, len(sizes) - 1, sizes[-1]))

    xs = [COLUMN_GAP * i for i in range(len(columns))]
    ys = [_column_y(size) for _, _, size in columns]

    # Weighted connections of the ordinary layers: every node feeds every node of the next layer.
    for i in range(len(sizes) - 1):
        for y0 in ys[i]:
            for y1 in ys[i + 1]:
                _edge(ax, (xs[i], y0), (xs[i + 1], y1), EDGE_COLOR)
    # The final layer: softmax couples every logit to every probability; a sigmoid does not.
    last = len(columns) - 1
    for j, y0 in enumerate(ys[last - 1]):
        for k, y1 in enumerate(ys[last]):
            if final == "softmax" or j == k:
                _edge(ax, (xs[last - 1], y0), (xs[last], y1), final_color, style="--", lw=1.0)

    for (kind, layer, size), x, column_y in zip(columns, xs, ys, strict=True):
        color = final_color if kind in ("softmax", "sigmoid") else "black"
        for label, y in zip(_layer_labels(size, kind, layer), column_y, strict=True):
            _node(ax, x, y, label, color)

    top = max(float(column_y[0]) for column_y in ys) + 0.9
    headers = {
        "input": "input $x$",
        "hidden": "hidden layer",
        "logit": "logits $z^L$",
        "softmax": "probabilities $P$",
        "sigmoid": "outputs $a^L$",
    }
    for (kind, _, _), x in zip(columns, xs, strict=True):
        ax.text(x, top, headers[kind], ha="center", va="bottom", fontsize=9)

    # A shaded box marks the layer that changes between the two panels.
    half = (sizes[-1] - 1) / 2.0 + 0.55
    left = xs[last - 1] - 0.55
    ax.add_patch(
        FancyBboxPatch(
            (left, -half),
            xs[last] - xs[last - 1] + 1.1,
            2 * half,
            boxstyle="round,pad=0.05",
            facecolor=final_color,
            alpha=0.08,
            edgecolor=final_color,
            zorder=0,
        )
    )
    if final == "softmax":
        caption = r"softmax layer: $P_j = e^{z^L_j}/Q,\ Q = \sum_k e^{z^L_k}$"
    else:
        caption = r"sigmoid outputs: $a^L_j = \sigma(z^L_j)$"
    bottom = min(float(column_y[-1]) for column_y in ys) - 0.9
    ax.text((xs[last - 1] + xs[last]) / 2, bottom, caption, ha="center", va="top", fontsize=9)

    ax.set_xlim(-0.8, xs[-1] + 0.8)
    ax.set_ylim(bottom - 0.8, top + 0.6)
    ax.set_aspect("equal")
    ax.set_axis_off()


def draw_softmax_network(layer_sizes=(3, 4, 3), *, show_before=False):
    """Draw a small network whose last layer is a softmax layer (the lecture's missing diagram).

    Parameters
    ----------
    layer_sizes : sequence of int, length >= 2
        Number of nodes per layer, from the inputs to the logits $z^L$; the last entry is the
        number of classes m. Each entry must be between 1 and 8 (more cannot be read).
    show_before : bool, default False
        Also draw, on the left, the network of Lecture 5: the same layers, ending in one
        sigmoid per output unit.

    Returns
    -------
    matplotlib.figure.Figure
        One axes (two with ``show_before``), axes turned off. Each node is a
        `matplotlib.patches.Circle` holding a text label such as ``$z^L_{2}$``.

    Notes
    -----
    The softmax layer has no weights: it maps the logits to $P_j = e^{z^L_j} / Q$ with
    $Q = \\sum_{k=1}^m e^{z^L_k}$ (eqs. (2)-(3)). Because $Q$ contains every logit, each $P_j$
    depends on all of $z^L_1, \\dots, z^L_m$, which the diagram draws as $m^2$ dashed arrows; a
    sigmoid output $a^L_j = \\sigma(z^L_j)$ depends on its own logit only ($m$ arrows).

    Examples
    --------
    >>> fig = draw_softmax_network((3, 4, 3))
    >>> ax = fig.axes[0]
    >>> sum(isinstance(p, Circle) for p in ax.patches)  # 3 + 4 + 3 logits + 3 probabilities
    13
    >>> plt.close(fig)
    """
    sizes = _check_layer_sizes(layer_sizes)
    width = COLUMN_GAP * len(sizes) + 1.6
    height = max(sizes) + 2.6
    panels = 2 if show_before else 1
    fig, axes = plt.subplots(
        1, panels, figsize=(0.75 * width * panels, 0.75 * height), squeeze=False
    )
    finals = ["sigmoid", "softmax"] if show_before else ["softmax"]
    titles = {
        "sigmoid": "Lecture 5: one sigmoid per output",
        "softmax": "Lecture 6: softmax layer",
    }
    for ax, final in zip(axes[0], finals, strict=True):
        _draw_panel(ax, sizes, final)
        ax.set_title(titles[final], fontsize=10)
    fig.tight_layout()
    return fig


def plot_probabilities(ax, probs, *, title=None, highlight=None, ylim=(0.0, 1.0)):
    """Draw a probability vector as a bar chart on `ax`, classes numbered as in the code.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    probs : array_like, shape (m,)
        The values to draw, usually probabilities $P_0, \\dots, P_{m-1}$. They are not
        required to sum to 1 (chapter 1 draws independent sigmoid outputs with it); the sum is
        written in the corner so the reader can see whether they do.
    title : str, optional
        Axes title.
    highlight : int, optional
        Index of a bar to draw in a second colour (for example the true class).
    ylim : tuple of float, default (0, 1)
        Limits of the probability axis.

    Returns
    -------
    matplotlib.container.BarContainer
        The bars, one per class.

    Notes
    -----
    The x axis is labelled "class index j (code: 0..m-1)": the lecture's class $j$ is index
    $j - 1$ here.

    Examples
    --------
    >>> fig, ax = plt.subplots()
    >>> bars = plot_probabilities(ax, [0.7, 0.2, 0.1])
    >>> len(bars), ax.get_ylabel()
    (3, 'probability')
    >>> plt.close(fig)
    """
    values = np.asarray(probs, dtype=np.float64)  # a figure needs no float32 rules
    if values.ndim != 1:
        raise ValueError(f"probs must be one vector of shape (m,), got shape {values.shape}")
    if values.size == 0:
        raise ValueError("probs is empty: there is nothing to draw")
    m = values.size
    if highlight is not None and not 0 <= highlight < m:
        raise ValueError(f"highlight = {highlight} is outside 0..{m - 1}")
    colors = ["tab:blue"] * m
    if highlight is not None:
        colors[highlight] = "tab:green"
    bars = ax.bar(np.arange(m), values, color=colors)
    ax.set_xticks(np.arange(m))
    ax.set_xlabel("class index j (code: 0..m-1)")
    ax.set_ylabel("probability")
    ax.set_ylim(*ylim)
    total = float(np.sum(values, dtype=np.float64))
    ax.text(0.98, 0.95, f"sum = {total:.3f}", transform=ax.transAxes, ha="right", va="top")
    if title is not None:
        ax.set_title(title, fontsize=10)
    return bars


def temperature_panels(logits, temperatures, *, softmax_fn=None):
    """Small multiples: softmax(z / T) for each temperature T, one bar chart per panel.

    Parameters
    ----------
    logits : array_like, shape (m,)
        The logits $z$.
    temperatures : sequence of float, each > 0
        One panel per temperature, left to right.
    softmax_fn : callable, optional
        The softmax to use; defaults to `lib.softmax`. (Passing one lets a chapter compare
        implementations with the same figure.)

    Returns
    -------
    matplotlib.figure.Figure
        ``len(temperatures)`` axes sharing the probability axis; the argmax of z is drawn in a
        second colour in every panel.

    Notes
    -----
    Dividing by T before the softmax sharpens the distribution for T < 1 (as T -> 0 it tends to
    the one-hot vector of the argmax) and flattens it for T > 1 (as T -> infinity it tends to
    the uniform 1/m). The order of the bars never changes, since z_j / T is increasing in z_j.

    Examples
    --------
    >>> fig = temperature_panels([2.0, 1.0, 0.0], [0.5, 1.0, 5.0])
    >>> len(fig.axes)
    3
    >>> plt.close(fig)
    """
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 1 or z.size == 0:
        raise ValueError(f"logits must be one non-empty vector of shape (m,), got {z.shape}")
    temps = [float(t) for t in temperatures]
    if not temps:
        raise ValueError("temperatures is empty: give at least one T > 0")
    for position, t in enumerate(temps):
        if not t > 0 or not np.isfinite(t):
            raise ValueError(f"temperatures[{position}] = {t} must be a finite number > 0")
    if softmax_fn is None:
        softmax_fn = softmax
    fig, axes = plt.subplots(
        1, len(temps), figsize=(2.3 * len(temps), 2.6), sharey=True, squeeze=False
    )
    winner = int(np.argmax(z))
    for ax, t in zip(axes[0], temps, strict=True):
        plot_probabilities(ax, softmax_fn(z / t), title=f"T = {t:g}", highlight=winner)
    for ax in axes[0][1:]:
        ax.set_ylabel("")
    fig.tight_layout()
    return fig


def image_row(images, titles, *, image_shape=(8, 8), centred=False, colorbar_label=None):
    """Draw vectors as a row of small images that share one colour scale.

    Parameters
    ----------
    images : array_like, shape (k, h * w)
        One image per row, flattened row by row (the way the digits of chapter 7 reach the
        network).
    titles : sequence of str, length k
        One title per image.
    image_shape : tuple of int, default (8, 8)
        ``(h, w)``, the shape each row is reshaped to.
    centred : bool, default False
        False: grey levels, 0 white and the largest value black (pixels in [0, 1]).
        True: a diverging colour map symmetric about 0 (red positive, blue negative, white 0),
        for signed values such as weights, with a colour bar.
    colorbar_label : str, optional
        Label of the colour bar (drawn only when `centred` is True).

    Returns
    -------
    matplotlib.figure.Figure
        ``k`` image axes without ticks (plus one colour-bar axes when `centred`).

    Examples
    --------
    >>> fig = image_row(np.eye(4), ["a", "b", "c", "d"], image_shape=(2, 2))
    >>> [ax.get_title() for ax in fig.axes]
    ['a', 'b', 'c', 'd']
    >>> plt.close(fig)
    """
    values = np.asarray(images, dtype=np.float64)  # a figure needs no float32 rules
    height, width = (int(size) for size in image_shape)
    if values.ndim != 2 or values.shape[0] == 0 or values.shape[1] != height * width:
        raise ValueError(
            f"images must have shape (k, {height * width}) for image_shape {image_shape}, "
            f"got {values.shape}"
        )
    labels = list(titles)
    if len(labels) != values.shape[0]:
        raise ValueError(f"titles has {len(labels)} entries for {values.shape[0]} images")
    if centred:
        limit = float(np.max(np.abs(values))) or 1.0
        style = {"cmap": "RdBu_r", "vmin": -limit, "vmax": limit}
    else:
        style = {"cmap": "gray_r", "vmin": 0.0, "vmax": float(np.max(values)) or 1.0}
    count = values.shape[0]
    fig, axes = plt.subplots(1, count, figsize=(0.95 * count + 0.8 * centred, 1.45), squeeze=False)
    for ax, image, label in zip(axes[0], values, labels, strict=True):
        shown = ax.imshow(image.reshape(height, width), **style)
        ax.set_title(label, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    if centred:
        fig.colorbar(shown, ax=list(axes[0]), fraction=0.02, pad=0.02, label=colorbar_label)
    return fig


def format_failure_grid(dtype_names=("float16", "float32", "float64")):
    """Where the unshifted softmax breaks, per format (rows) and per failure (columns).

    Each panel plots $P_0$ of the unshifted formula, eqs. (2)-(3) (coloured, with red ticks
    where it returns nan or inf), and of the shifted one, eq. (14) (black), as a logit ``t``
    moves past the format's thresholds (dotted lines, from `lib.floating.exp_thresholds`).
    Columns: ``z = (t, 0)`` (one large logit), ``z = (t, t, t)`` ($Q$ overflows first) and
    ``z = (t, t - 1)`` (every term underflows). Both formulas compute in the row's format, with
    `lib.floating.softmax_unshifted` and `lib.floating.softmax_shift_divide`.

    Returns
    -------
    matplotlib.figure.Figure
        ``len(dtype_names)`` rows of three axes.
    """
    from lib.floating import exp_thresholds, softmax_shift_divide, softmax_unshifted

    names = tuple(dtype_names)
    if not names:
        raise ValueError("dtype_names is empty: give at least one floating-point format")
    fig, axes = plt.subplots(len(names), 3, figsize=(10, 2.5 * len(names)), squeeze=False)
    for row, name in enumerate(names):
        kind = np.dtype(name).type
        t = exp_thresholds(name)
        columns = [
            (
                np.linspace(0, 1.15 * t.overflow, 400),
                lambda s: np.stack([s, 0 * s], 1),
                "$z = (t, 0)$",
                [t.overflow],
            ),
            (
                np.linspace(t.overflow - 4, t.overflow + 1.5, 400),
                lambda s: np.stack([s, s, s], 1),
                "$z = (t, t, t)$",
                [t.overflow - np.log(3), t.overflow],
            ),
            (
                np.linspace(t.underflow_zero - 3, t.underflow_normal + 6, 400),
                lambda s: np.stack([s, s - 1], 1),
                "$z = (t, t - 1)$",
                [t.underflow_normal, t.underflow_zero + 1, t.underflow_zero],
            ),
        ]
        for col, (grid, make, title, marks) in enumerate(columns):
            ax = axes[row, col]
            z = make(grid).astype(kind)
            with np.errstate(all="ignore"):  # the failures are what is drawn
                naive = softmax_unshifted(z)[:, 0].astype(np.float64)
                shifted = softmax_shift_divide(z)[:, 0].astype(np.float64)
            broken = ~np.isfinite(naive)
            ax.plot(grid, shifted, "k-", linewidth=2.5, label="shifted")
            ax.plot(grid, np.where(broken, np.nan, naive), color="C1", label="naive")
            ax.plot(grid[broken], np.zeros(broken.sum()), "|", color="C3", label="naive = nan")
            for mark in marks:
                ax.axvline(mark, color="grey", linestyle=":")
            ax.set_ylim(-0.05, 1.05)
            if row == 0:
                ax.set_title(title)
            if col == 0:
                ax.set_ylabel(f"{name}\n$P_0$")
            if row == len(names) - 1:
                ax.set_xlabel("$t$")
    axes[0, 0].legend(fontsize=9, loc="center left")
    fig.tight_layout()
    return fig
