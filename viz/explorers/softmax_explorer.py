"""The softmax explorer: logits, a constant added to all of them, the temperature, the format.

The browser computes what it shows (``softmax_explorer.js`` beside this file): the probabilities
``P = softmax((z + c) / T)`` with the shifted formula of eq. (14) -- what `lib.softmax` does --
and with the unshifted formula of eqs. (2)-(3), in float64, float32 (``Math.fround``) or float16
(``Math.f16round``). So it works in any Jupyter front end and on the static website alike; the
Python side holds the settings, checks them, and computes the float64 answer with `lib`.

Classes are numbered 0..m-1, as everywhere in the code (the lecture's class j is index j - 1).
"""

from pathlib import Path

import numpy as np
import traitlets

from lib import softmax

from ._explorer import Explorer

__all__ = ["DTYPES", "SoftmaxExplorer", "softmax_explorer"]

#: the number formats the explorer offers (the browser rounds every operation to the chosen one)
DTYPES = ("float64", "float32", "float16")


def _finite(name, value):
    number = float(value)
    if not np.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return number


class SoftmaxExplorer(Explorer):
    """Sliders for the logits, for c added to every logit and for T; P as bars and as numbers.

    Build it with `softmax_explorer`; display it as the last expression of a cell. The traits
    are the state the browser starts from (and that it writes back while a kernel runs).

    Attributes
    ----------
    logits : list of float
        The logits $z$, one slider each (2 to 8 classes).
    shift : float
        The constant $c$ added to every logit (shift invariance, eq. (13)).
    temperature : float
        $T > 0$ (a slider on a log scale).
    dtype : {"float64", "float32", "float16"}
        The format every operation in the browser is rounded to.
    probs : ndarray, shape (m,)
        ``lib.softmax((z + c) / T)`` in float64, for the current traits (read-only).
    """

    _esm = (Path(__file__).parent / "softmax_explorer.js").read_text(encoding="utf-8")

    title = traitlets.Unicode("Softmax explorer").tag(sync=True)
    logits = traitlets.List(traitlets.Float(), minlen=2, maxlen=8).tag(sync=True)
    shift = traitlets.Float(0.0).tag(sync=True)
    temperature = traitlets.Float(1.0).tag(sync=True)
    dtype = traitlets.Enum(DTYPES, default_value="float64").tag(sync=True)
    logit_min = traitlets.Float(-10.0).tag(sync=True)
    logit_max = traitlets.Float(10.0).tag(sync=True)
    logit_step = traitlets.Float(0.1).tag(sync=True)
    shift_min = traitlets.Float(-10.0).tag(sync=True)
    shift_max = traitlets.Float(10.0).tag(sync=True)
    shift_step = traitlets.Float(0.1).tag(sync=True)
    temperature_min = traitlets.Float(0.05).tag(sync=True)
    temperature_max = traitlets.Float(20.0).tag(sync=True)
    show_shift = traitlets.Bool(True).tag(sync=True)
    show_temperature = traitlets.Bool(True).tag(sync=True)
    show_dtype = traitlets.Bool(False).tag(sync=True)

    @property
    def probs(self):
        """``lib.softmax((z + c) / T)`` in float64 for the current settings."""
        z = np.asarray(self.logits, dtype=np.float64)
        return softmax((z + self.shift) / self.temperature)


def softmax_explorer(
    logits=(2.0, 1.0, 0.0),
    *,
    shift=0.0,
    temperature=1.0,
    dtype="float64",
    logit_range=(-10.0, 10.0),
    logit_step=0.1,
    shift_range=(-10.0, 10.0),
    shift_step=None,
    temperature_range=(0.05, 20.0),
    show_shift=True,
    show_temperature=True,
    show_dtype=False,
    title="Softmax explorer",
):
    """Build a `SoftmaxExplorer`, checking every setting.

    Parameters
    ----------
    logits : array_like, shape (m,), 2 <= m <= 8
        Starting values of the logit sliders (on the grid ``low + k * logit_step``).
    shift : float, default 0.0
        Starting value of $c$, added to every logit.
    temperature : float, default 1.0
        Starting $T$, inside `temperature_range`.
    dtype : {"float64", "float32", "float16"}
        Starting number format.
    logit_range, shift_range : (float, float)
        Slider ranges of the logits and of $c$.
    logit_step : float, default 0.1
        Step of the logit sliders (what one arrow key press moves).
    shift_step : float, optional
        Step of the $c$ slider; default `logit_step`.
    temperature_range : (float, float)
        Range of $T$ (both > 0).
    show_shift, show_temperature, show_dtype : bool
        Which controls appear (all are in the state).
    title : str
        The explorer's heading (also its accessible name).

    Returns
    -------
    SoftmaxExplorer

    Examples
    --------
    >>> explorer = softmax_explorer([2.0, 1.0, 0.0], temperature=10.0)
    >>> explorer.probs.round(3)  # T = 10: close to uniform
    array([0.367, 0.332, 0.301])
    >>> softmax_explorer([20.0, 0.0])
    Traceback (most recent call last):
    ...
    ValueError: logits[0] = 20 is outside logit_range (-10.0, 10.0)
    """
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 1 or not 2 <= z.size <= 8:
        raise ValueError(f"logits must be a vector of 2 to 8 numbers, got shape {z.shape}")
    if not np.isfinite(z).all():
        raise ValueError("logits must be finite numbers")
    low, high = (_finite("logit_range", v) for v in logit_range)
    if not low < high:
        raise ValueError(f"logit_range must be (low, high) with low < high, got {logit_range}")
    outside = (z < low) | (z > high)
    if outside.any():
        first = int(np.flatnonzero(outside)[0])
        raise ValueError(f"logits[{first}] = {z[first]:g} is outside logit_range {logit_range}")
    step = _finite("logit_step", logit_step)
    if not 0 < step <= high - low:
        raise ValueError(f"logit_step must be > 0 and at most the range, got {logit_step!r}")
    shift_low, shift_high = (_finite("shift_range", v) for v in shift_range)
    c_step = step if shift_step is None else _finite("shift_step", shift_step)
    if not 0 < c_step <= shift_high - shift_low:
        raise ValueError(f"shift_step must be > 0 and at most the range, got {shift_step!r}")
    c = _finite("shift", shift)
    if not shift_low <= c <= shift_high:
        raise ValueError(f"shift = {c:g} is outside shift_range {shift_range}")
    t_low, t_high = (_finite("temperature_range", v) for v in temperature_range)
    t = _finite("temperature", temperature)
    if not 0 < t_low < t_high:
        raise ValueError(f"temperature_range must be 0 < low < high, got {temperature_range}")
    if not t_low <= t <= t_high:
        raise ValueError(f"temperature = {t:g} is outside temperature_range {temperature_range}")
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    return SoftmaxExplorer(
        title=str(title),
        logits=[float(v) for v in z],
        shift=c,
        temperature=t,
        dtype=dtype,
        logit_min=low,
        logit_max=high,
        logit_step=step,
        shift_min=shift_low,
        shift_max=shift_high,
        shift_step=c_step,
        temperature_min=t_low,
        temperature_max=t_high,
        show_shift=bool(show_shift),
        show_temperature=bool(show_temperature),
        show_dtype=bool(show_dtype),
    )
