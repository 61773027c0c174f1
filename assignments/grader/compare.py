"""Comparisons of what a submission returned (as ``hidden_tasks.describe`` recorded it) with the
expected values, in the grader's process. Each returns a ``Verdict``: passed or not, and short
texts of what was expected, what came back and the tolerance, for the feedback.

Numbers are every plain number: a Python float or int, numpy's own scalar types
(``numpy.float64``, ``numpy.float32``, ...) and 0-d float arrays (what ``np.mean`` and friends
return). Objects that only pretend to be numbers (subclasses, objects with their own
``__float__``) were recorded by type name alone and are never numbers here.
"""

import math
from dataclasses import dataclass

import numpy as np

NUMBER_TYPES = ("float", "int")  # exact built-ins; numpy.<scalar> and 0-d arrays below


@dataclass
class Verdict:
    passed: bool
    expected: str = ""
    got: str = ""
    tolerance: str = ""
    problem: str = ""  # what is wrong, in one line (empty when passed)


def short(values, limit=120, precision=17):
    """A short text of a number, an array or a list."""
    if isinstance(values, np.ndarray) or isinstance(values, list):
        array = np.asarray(values)
        array = array if array.dtype.kind in "iub" else array.astype(np.float64)
        text = np.array2string(
            array, precision=precision, threshold=8, separator=", ", max_line_width=10**6
        )
        text = " ".join(text.split())
    else:
        text = repr(values)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def kind(value):
    """The recorded type of a value, as the feedback names it."""
    if value.get("type") == "ndarray":
        return f"ndarray {value.get('dtype')} of shape {tuple(value.get('shape', []))}"
    if value.get("type") == "raised":
        return f"raised {value['raised'][0]}"
    return str(value.get("type"))


def number(value):
    """The number of a recorded value, or None if it is not a plain number."""
    if value.get("type") in NUMBER_TYPES or str(value.get("type")).startswith("numpy."):
        number = value.get("value")
        return float(number) if isinstance(number, (int, float)) else None
    if value.get("type") == "ndarray" and value.get("shape") == [] and "values" in value:
        return float(value["values"][0])
    return None


def _close(g, w, rtol, atol):
    if isinstance(w, float) and math.isnan(w):
        return math.isnan(g)
    return abs(g - w) <= atol + rtol * abs(w)


def tolerance_text(rtol, atol):
    return f"|got - expected| <= {atol:g} + {rtol:g} |expected|, every entry"


def array_close(value, expected, rtol, atol, dtype, shape):
    """An ndarray of the given dtype (numpy's ``str``, e.g. '<f8') and shape, close entry-wise."""
    want = f"ndarray {dtype} of shape {tuple(shape)}: {short(expected)}"
    tol = tolerance_text(rtol, atol)
    if value.get("type") != "ndarray":
        return Verdict(False, want, kind(value), tol, f"expected a numpy array, got {kind(value)}")
    if value.get("dtype") != dtype:
        return Verdict(
            False, want, kind(value), tol, f"dtype {value.get('dtype')}, expected {dtype}"
        )
    if value.get("shape") != list(shape):
        got_shape, problem = (
            tuple(value.get("shape", [])),
            f"shape {value.get('shape')}, expected {list(shape)}",
        )
        return Verdict(False, want, f"shape {got_shape}", tol, problem)
    got = value.get("values")
    if not isinstance(got, list) or len(got) != len(expected):
        return Verdict(False, want, kind(value), tol, "no values")
    for k, (g, w) in enumerate(zip(got, expected, strict=True)):
        if not (isinstance(g, (int, float)) and _close(g, float(w), rtol, atol)):
            return Verdict(
                False, want, short(got), tol, f"entry {k} is {g!r}, expected {float(w)!r}"
            )
    return Verdict(True, want, short(got), tol)


def number_close(value, expected, rtol, atol, what="a float"):
    want, tol = short(float(expected)), f"|got - expected| <= {atol:g} + {rtol:g} |expected|"
    got = number(value)
    if got is None:
        return Verdict(False, want, kind(value), tol, f"expected {what}, got {kind(value)}")
    if not _close(got, float(expected), rtol, atol):
        return Verdict(False, want, repr(got), tol, f"{got!r}, expected {float(expected)!r}")
    return Verdict(True, want, repr(got), tol)


def raises(value, error="ValueError"):
    if value.get("type") == "raised" and error in value.get("raised", []):
        return Verdict(True, f"raises {error}", kind(value), "exact")
    return Verdict(
        False, f"raises {error}", kind(value), "exact", f"must raise {error}, got {kind(value)}"
    )
