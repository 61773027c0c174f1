"""The softmax explorer: sliders for the logits and the temperature, bars for the probabilities.

Chapter 2 uses it to let a reader feel how softmax(z / T) responds to each logit and to the
temperature T; chapter 5 turns on the dtype menu to watch the textbook formula break in float16
long before it breaks in float64.

The explorer is made only of ipywidgets controls (no matplotlib in the callback): the bar chart
is one `ipywidgets.FloatProgress` bar per class, which is light to redraw and which the static
website can render from the saved widget state. On the website no Python runs, so the bars
show the state the notebook was saved in; the number box beside each slider is tied to it with
`ipywidgets.jslink`, which runs in the browser, so moving a slider there still updates its box.

Classes are numbered 0..m-1, as everywhere in the code (the lecture's class j is index j - 1).
"""

import ipywidgets as widgets
import numpy as np

from lib._validation import as_float_array
from lib.softmax import softmax, softmax_naive

__all__ = ["DTYPES", "SoftmaxExplorer", "softmax_explorer", "softmax_in_dtype", "diagnose"]

DTYPES = {"float16": np.float16, "float32": np.float32, "float64": np.float64}
FORMULAS = {"shifted": "shifted by max, eq. (14)", "naive": "naive exp(z)/Q, eqs. (2)-(3)"}


def _check_dtype(dtype):
    name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    if name not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    return name


def _check_formula(formula):
    if formula not in FORMULAS:
        raise ValueError(f"formula must be 'shifted' or 'naive', got {formula!r}")
    return formula


def _check_temperature(temperature):
    t = float(temperature)
    if not (np.isfinite(t) and t > 0):
        raise ValueError(f"temperature must be a finite number > 0, got {temperature!r}")
    return t


def softmax_in_dtype(logits, temperature=1.0, *, dtype="float64", formula="shifted"):
    """softmax(z / T) with every arithmetic operation done in `dtype`, failures included.

    Parameters
    ----------
    logits : array_like, shape (m,)
        The logits $z$ (any real numbers; they are rounded to `dtype` first).
    temperature : float, default 1.0
        $T > 0$; the logits are divided by it (in `dtype`) before the softmax.
    dtype : {"float16", "float32", "float64"}
        The floating-point format of every intermediate result.
    formula : {"shifted", "naive"}
        "shifted" is `lib.softmax` (eq. (14), cannot overflow); "naive" is
        `lib.softmax_naive`, exp(z) / sum(exp(z)) exactly as eqs. (2)-(3) write it.

    Returns
    -------
    P : ndarray of `dtype`, shape (m,)
        The probabilities, or nan where the formula breaks down in this format.

    Notes
    -----
    float32 and float64 call `lib.softmax` / `lib.softmax_naive` directly. `lib` computes
    float16 input in float32 (numpy's half precision is a storage format), so for float16 the
    same two formulas are evaluated here with float16 arrays, which is what a half-precision
    kernel without a wider accumulator would do. $e^z$ overflows float16 for
    $z > \\ln 65504 \\approx 11.09$, float32 for $z > 88.72$, float64 for $z > 709.78$.

    Examples
    --------
    >>> softmax_in_dtype([12.0, 0.0], dtype="float16", formula="naive")  # e^12 > 65504
    array([nan,  0.], dtype=float16)
    >>> softmax_in_dtype([12.0, 0.0], dtype="float16")  # the shift cures it
    array([1.e+00, 6.e-06], dtype=float16)
    """
    name = _check_dtype(dtype)
    formula = _check_formula(formula)
    t = _check_temperature(temperature)
    kind = DTYPES[name]
    z = np.asarray(as_float_array(logits, "logits"), dtype=kind)
    if z.ndim != 1 or z.size == 0:
        raise ValueError(f"logits must be one non-empty vector of shape (m,), got {z.shape}")
    with np.errstate(all="ignore"):  # breaking down is what this function is for
        scaled = z / kind(t)
        if name != "float16":
            if formula == "naive":
                return softmax_naive(scaled)
            if not np.isfinite(scaled).all():
                return np.full_like(scaled, np.nan)
            return softmax(scaled)
        if formula == "shifted":
            scaled = scaled - np.max(scaled)
        terms = np.exp(scaled)
        return terms / np.sum(terms, dtype=kind)


def diagnose(logits, temperature=1.0, *, dtype="float64", formula="shifted"):
    """Say in one sentence whether softmax(z / T) survives in `dtype`, and if not, why.

    Parameters
    ----------
    logits : array_like, shape (m,)
        The logits $z$.
    temperature : float, default 1.0
        $T > 0$.
    dtype : {"float16", "float32", "float64"}
        The floating-point format.
    formula : {"shifted", "naive"}
        Which formula (see `softmax_in_dtype`).

    Returns
    -------
    str
        Starts with "ok" when every probability is a number and they sum to 1, "broken"
        otherwise, followed by
        the cause: overflow of $z/T$, of a term $e^{z_j/T}$ or of the sum $Q$, or underflow
        of every term to 0 (0/0).

    Examples
    --------
    >>> diagnose([12.0, 0.0], dtype="float16", formula="naive")
    'broken: e^(z_j/T) overflows float16 (largest 6.55e+04) for z_j/T > 11.09, and inf/inf = nan'
    >>> diagnose([12.0, 0.0], dtype="float16")
    'ok: sum of P = 1.00001'
    """
    name = _check_dtype(dtype)
    formula = _check_formula(formula)
    t = _check_temperature(temperature)
    kind = DTYPES[name]
    info = np.finfo(kind)
    probs = softmax_in_dtype(logits, t, dtype=name, formula=formula)
    with np.errstate(all="ignore"):
        scaled = np.asarray(as_float_array(logits, "logits"), dtype=kind) / kind(t)
        terms = np.exp(scaled)
        total = np.sum(terms, dtype=kind)
    total_probs = float(np.sum(probs, dtype=np.float64))
    if formula == "naive" and np.isfinite(terms).all() and np.isinf(total):
        return (
            f"broken: every term e^(z_j/T) is finite but their sum Q overflows {name}, "
            "so every P_j = finite/inf = 0"
        )
    if np.isnan(probs).any():
        if not np.isfinite(scaled).all():
            return f"broken: z/T overflows {name} (largest {float(info.max):.3g})"
        if formula == "naive":
            if np.isinf(terms).any():
                return (
                    f"broken: e^(z_j/T) overflows {name} (largest {float(info.max):.3g}) "
                    f"for z_j/T > {np.log(float(info.max)):.2f}, and inf/inf = nan"
                )
            if (terms == 0).all():
                tiny = float(info.smallest_subnormal)
                return (
                    f"broken: every e^(z_j/T) underflows to 0 in {name} "
                    f"(z_j/T < {np.log(tiny):.1f}), and 0/0 = nan"
                )
        return "broken: P contains nan"
    return f"ok: sum of P = {total_probs:.6g}"


class SoftmaxExplorer:
    """Sliders for the logits and the temperature; one bar per class shows P = softmax(z / T).

    Build it with `softmax_explorer`. Display it by making it the last expression of a cell
    (or with ``IPython.display.display``). Its parts are attributes, so a test or a chapter can
    set a slider and read the result:

    Attributes
    ----------
    logit_sliders : list of ipywidgets.FloatSlider
        One per class, ``description`` "z_0", "z_1", ...
    logit_boxes : list of ipywidgets.BoundedFloatText
        The number box beside each logit slider, tied to it by ``jslink`` (works without a
        kernel, on the static website too).
    links : list of ipywidgets.widgets.widget_link.Link
        The browser-side links (slider, box): one per logit, then one for the temperature.
    temperature : ipywidgets.FloatLogSlider
        T, on a log scale.
    temperature_box : ipywidgets.BoundedFloatText
        Number box tied to `temperature` by ``jslink``.
    dtype : ipywidgets.Dropdown
        float16 / float32 / float64 (shown only with ``show_dtype=True``).
    formula : ipywidgets.ToggleButtons
        "shifted" or "naive" (shown only with ``show_formula=True``).
    bars : list of ipywidgets.FloatProgress
        The bar chart: ``bars[j].value`` is P_j (0 when P_j is nan).
    readout : ipywidgets.HTML
        The probabilities as numbers.
    status : ipywidgets.HTML
        `diagnose`'s verdict for the current settings, in bold when it starts with "broken".
    widget : ipywidgets.VBox
        Everything, laid out; what is displayed.
    probs : ndarray, shape (m,)
        The probabilities currently shown (updated by every change of a control).

    Notes
    -----
    The sliders report their value when released (``continuous_update=False``); their own
    readout follows the drag. This keeps the callback light, and it keeps the saved state
    exact: a browser snaps a slider to ``min + k * step`` in floating point when it first draws
    it (turning -1 into -0.9999999999999996), and with continuous updates it would write that
    back into the model and the linked box before anyone touched it.
    """

    def __init__(
        self,
        logits=(2.0, 1.0, 0.0),
        *,
        temperature=1.0,
        logit_range=(-10.0, 10.0),
        logit_step=0.1,
        temperature_range=(0.05, 20.0),
        dtype="float64",
        formula="shifted",
        show_temperature=True,
        show_dtype=False,
        show_formula=False,
    ):
        z = as_float_array(logits, "logits")
        if z.ndim != 1 or not 2 <= z.size <= 8:
            raise ValueError(f"logits must be a vector of 2 to 8 numbers, got shape {z.shape}")
        low, high = (float(v) for v in logit_range)
        if not low < high:
            raise ValueError(f"logit_range must be (low, high) with low < high, got {logit_range}")
        outside = (z < low) | (z > high)
        if outside.any():
            first = int(np.flatnonzero(outside)[0])
            raise ValueError(f"logits[{first}] = {z[first]:g} is outside logit_range {logit_range}")
        t_low, t_high = (_check_temperature(v) for v in temperature_range)
        t = _check_temperature(temperature)
        if not t_low <= t <= t_high:
            raise ValueError(
                f"temperature = {t:g} is outside temperature_range {temperature_range}"
            )

        step = float(logit_step)
        if not (np.isfinite(step) and 0 < step <= high - low):
            raise ValueError(f"logit_step must be > 0 and at most the range, got {logit_step!r}")
        self.logit_sliders = []
        self.logit_boxes = []
        self.links = []
        rows = []
        for j, value in enumerate(z):
            slider = widgets.FloatSlider(
                value=float(value),
                min=low,
                max=high,
                step=step,
                description=f"z_{j}",
                readout_format=".2f",
                continuous_update=False,  # see the note on snapping in the class docstring
            )
            box = widgets.BoundedFloatText(
                value=float(value), min=low, max=high, step=step, layout={"width": "7em"}
            )
            self.links.append(widgets.jslink((slider, "value"), (box, "value")))
            slider.add_class("softmax-logit-slider")
            box.add_class("softmax-logit-box")
            self.logit_sliders.append(slider)
            self.logit_boxes.append(box)
            rows.append(widgets.HBox([slider, box]))

        # exponents on a 0.01 grid that contains 0, so that T = 1 is a slider position
        low_exponent = np.floor(100 * np.log10(t_low)) / 100
        high_exponent = np.ceil(100 * np.log10(t_high)) / 100
        self.temperature = widgets.FloatLogSlider(
            value=t,
            base=10,
            min=low_exponent,
            max=high_exponent,
            step=0.01,
            description="T",
            readout_format=".3g",
            continuous_update=False,
        )
        self.temperature_box = widgets.BoundedFloatText(
            value=t,
            min=10.0**low_exponent,
            max=10.0**high_exponent,
            step=0.01,
            layout={"width": "7em"},
        )
        self.links.append(
            widgets.jslink((self.temperature, "value"), (self.temperature_box, "value"))
        )
        self.temperature.add_class("softmax-temperature")
        self.temperature_box.add_class("softmax-temperature-box")

        self.dtype = widgets.Dropdown(
            options=list(DTYPES), value=_check_dtype(dtype), description="dtype"
        )
        self.formula = widgets.ToggleButtons(
            options=[(label, key) for key, label in FORMULAS.items()],
            value=_check_formula(formula),
            description="formula",
        )
        self.bars = [
            widgets.FloatProgress(value=0.0, min=0.0, max=1.0, description=f"P_{j}")
            for j in range(z.size)
        ]
        for bar in self.bars:
            bar.add_class("softmax-bar")
        self.readout = widgets.HTML()
        self.status = widgets.HTML()
        self.readout.add_class("softmax-readout")

        controls = list(rows)
        if show_temperature:
            controls.append(widgets.HBox([self.temperature, self.temperature_box]))
        if show_dtype:
            controls.append(self.dtype)
        if show_formula:
            controls.append(self.formula)
        chart = widgets.VBox([widgets.HTML("<b>P = softmax(z / T)</b>"), *self.bars])
        self.widget = widgets.VBox(
            [widgets.HBox([widgets.VBox(controls), chart]), self.readout, self.status]
        )
        self.widget.add_class("softmax-explorer")

        self.probs = np.full(z.size, np.nan)
        for control in [*self.logit_sliders, self.temperature, self.dtype, self.formula]:
            control.observe(self._on_change, names="value")
        self.update()

    @property
    def logits(self):
        """The logits currently set on the sliders, as a float64 array of shape (m,)."""
        return np.array([slider.value for slider in self.logit_sliders])

    def _on_change(self, change):
        self.update()

    def update(self):
        """Recompute P from the controls and redraw the bars, the numbers and the verdict."""
        z = self.logits
        t = self.temperature.value
        self.probs = softmax_in_dtype(z, t, dtype=self.dtype.value, formula=self.formula.value)
        for bar, p in zip(self.bars, self.probs, strict=True):
            bar.value = float(p) if np.isfinite(p) else 0.0
            bar.bar_style = "danger" if np.isnan(p) else ""
        cells = "".join(
            f'<td style="padding-right: 1.5em">P_{j} = {float(p):.4g}</td>'
            for j, p in enumerate(self.probs)
        )
        self.readout.value = f"<table><tr>{cells}</tr></table>"
        verdict = diagnose(z, t, dtype=self.dtype.value, formula=self.formula.value)
        # No colour: the page's own text colour stays readable in the light and the dark theme;
        # a breakdown is marked in bold instead (and its bars turn red).
        self.status.value = verdict if verdict.startswith("ok") else f"<b>{verdict}</b>"

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def softmax_explorer(logits=(2.0, 1.0, 0.0), **options):
    """Build a `SoftmaxExplorer` (sliders for the logits and T, a bar per probability).

    Parameters
    ----------
    logits : array_like, shape (m,), 2 <= m <= 8
        Starting values of the logit sliders.
    **options
        ``temperature`` (default 1.0), ``logit_range`` (default (-10, 10)), ``logit_step``
        (default 0.1; the browser snaps a slider to ``low + k * logit_step`` when it draws it,
        so give starting logits on that grid),
        ``temperature_range`` (default (0.05, 20)), ``dtype`` ("float64"), ``formula``
        ("shifted"), and ``show_temperature`` (True), ``show_dtype`` (False),
        ``show_formula`` (False) to choose which controls appear.

    Returns
    -------
    SoftmaxExplorer
        Display it as the last expression of a notebook cell.

    Notes
    -----
    Every change of a control recomputes ``softmax_in_dtype(z, T, dtype, formula)``; in the
    default float64/shifted setting that is `lib.softmax` of z / T.

    Examples
    --------
    >>> explorer = softmax_explorer([2.0, 1.0, 0.0])
    >>> explorer.temperature.value = 100.0 ** 0.5  # T = 10: close to uniform
    >>> [round(bar.value, 3) for bar in explorer.bars]
    [0.367, 0.332, 0.301]
    >>> explorer.dtype.value = "float16"
    >>> explorer.formula.value = "naive"
    >>> explorer.logit_sliders[0].value = 10.0
    >>> explorer.temperature.value = 0.5  # z_0 / T = 20 > 11.09: e^20 overflows float16
    >>> explorer.probs
    array([nan,  0.,  0.], dtype=float16)
    >>> "broken: e^(z_j/T) overflows float16" in explorer.status.value
    True
    """
    return SoftmaxExplorer(logits, **options)
