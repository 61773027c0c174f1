"""Input checks shared by the modules of `lib`, made once at a public entry point.

Every public function turns bad input into a `ValueError` whose message a student can act on
("labels[3] = 12 is outside 0..9 (num_classes=10)"), instead of a silent nan or an IndexError
from deep inside numpy. This module is private (its name starts with an underscore): the
public functions document what they accept. What a public function has checked, it passes to
unchecked code: loops (training steps, a gradient check's cost evaluations) never check again.
"""

from collections.abc import Sequence

import numpy as np


def as_float_array(values, name):
    """Return `values` as a float ndarray without copying when it already is one.

    float32 and float64 keep their dtype (so float32 in gives float32 out); integers and
    booleans become float64; float16 becomes float32. Complex, string and object input is
    rejected. The input is never modified by `lib`, so no copy is needed here.
    """
    array = np.asarray(values)
    kind = array.dtype.kind
    if kind == "f":
        if array.dtype.itemsize < 4:
            return array.astype(np.float32)
        return array
    if kind in "iub":
        return array.astype(np.float64)
    raise ValueError(f"{name} must be real numbers, got an array of dtype {array.dtype}")


def normalize_axis(array, axis, name):
    """Return `axis` as a non-negative int, checking that the class axis exists and is not empty."""
    if array.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension (the classes), got a scalar")
    if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
        raise ValueError(f"axis must be an integer, got {axis!r}")
    if not -array.ndim <= axis < array.ndim:
        raise ValueError(f"axis={axis} is out of range for {name} with shape {array.shape}")
    axis = int(axis) % array.ndim
    if array.shape[axis] == 0:
        raise ValueError(
            f"{name} has no classes: axis {axis} of shape {array.shape} is empty, "
            "and a probability distribution over zero classes does not exist"
        )
    return axis


def format_index(flat_index, shape):
    """Format a position as numpy indexing syntax: '3' for 1-d, '1, 2' for 2-d."""
    position = np.unravel_index(flat_index, shape)
    return ", ".join(str(int(i)) for i in position)


def as_class_labels(labels, num_classes, name="labels"):
    """Return integer class labels as an int64 array, checking each is in 0..num_classes-1.

    Float labels are accepted when every value is a whole number (data loaded from text files
    often arrives as float). The first offending entry is named in the message.
    """
    array = np.asarray(labels)
    kind = array.dtype.kind
    if kind == "b" or kind not in "iuf":
        raise ValueError(f"{name} must be integer class indices, got dtype {array.dtype}")
    if array.size == 0:
        return array.astype(np.int64)
    if kind == "f":
        bad = ~(np.isfinite(array) & (array == np.round(array)))
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            where = format_index(first, array.shape)
            raise ValueError(
                f"{name}[{where}] = {float(array.flat[first])!r} is not a whole number; "
                "class labels must be integers 0..m-1"
            )
    bad = (array < 0) | (array >= num_classes)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        where = format_index(first, array.shape)
        message = (
            f"{name}[{where}] = {array.flat[first]:g} is outside 0..{num_classes - 1} "
            f"(num_classes={num_classes})"
        )
        if array.min() >= 1 and array.max() == num_classes:
            message += "; the lecture numbers classes 1..m, here they are 0..m-1: subtract 1"
        raise ValueError(message)
    return array.astype(np.int64)


def as_labels_for(labels, n, num_classes, name="labels"):
    """`as_class_labels` for exactly one label per example: shape (n,)."""
    array = np.asarray(labels)
    if array.ndim != 1 or array.shape[0] != n:
        raise ValueError(
            f"{name} must have shape (n,) = ({n},), one class per row (one per example), "
            f"got shape {array.shape}"
        )
    return as_class_labels(array, num_classes, name)


def check_positive_int(value, name):
    """Check that `value` is a positive integer (not a bool or a float) and return it as int."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return int(value)


def as_logits(z, axis, *, contiguous=False):
    """`z` as a float array with its classes along the last axis, and the axis they came from
    (non-negative): the one check and the one move of the class axis of a function of `lib`
    that takes logits. A result goes back with ``np.moveaxis(result, -1, axis)``.

    The moved array is a view of `z` (or of its float copy); ``contiguous=True`` copies it
    when needed so that its rows are C-contiguous too.
    """
    x = as_float_array(z, "z")
    axis = normalize_axis(x, axis, "z")
    x = np.moveaxis(x, axis, -1)
    return (np.ascontiguousarray(x) if contiguous else x), axis


def infinite_maxima(a, axis):
    """Mask of the slices whose maximum `a` (shape (..., 1), the classes last) is +inf, None if
    all are finite; ValueError naming a slice whose maximum is -inf, with ``:`` at `axis`, where
    the caller's `z` has its classes. (A nan needs nothing: it spreads over its own slice.)"""
    if np.isfinite(a).all():
        return None
    impossible = np.argwhere(np.atleast_1d(a[..., 0] == -np.inf))
    if impossible.size:
        position = [str(int(i)) for i in impossible[0]]
        position.insert(axis % a.ndim, ":")
        name = f"z[{', '.join(position)}]" if a.ndim > 1 else "z"
        raise ValueError(f"every logit of {name} is -inf: no class is possible")
    return a == np.inf


def check_choice(value, choices, name):
    """ValueError unless `value` is one of `choices` (a tuple, or the keys of a dict)."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")


def check_params(params):
    """`params` of a network: a list of float (W, b) pairs whose shapes chain, or ValueError."""
    if not isinstance(params, Sequence) or len(params) == 0:
        raise ValueError("params must be a non-empty list of (W, b) tuples, one per layer")
    checked = []
    previous_width = None
    for index, layer in enumerate(params):
        if not isinstance(layer, Sequence) or len(layer) != 2:
            raise ValueError(f"params[{index}] must be a (W, b) pair")
        weights, bias = np.asarray(layer[0]), np.asarray(layer[1])
        if weights.ndim != 2 or bias.ndim != 1 or bias.shape[0] != weights.shape[1]:
            raise ValueError(
                f"params[{index}]: W must be (d_in, d_out) and b (d_out,), "
                f"got W {weights.shape} and b {bias.shape}"
            )
        if weights.dtype.kind != "f" or bias.dtype.kind != "f":
            raise ValueError(f"params[{index}]: W and b must be float arrays")
        if previous_width is not None and weights.shape[0] != previous_width:
            raise ValueError(
                f"params[{index}]: W has {weights.shape[0]} input rows but the layer before "
                f"has {previous_width} outputs"
            )
        previous_width = weights.shape[1]
        checked.append((weights, bias))
    return checked


def check_inputs(params, x):
    """`x` as a finite float array (n, d) that fits the first layer of `params`, or ValueError."""
    x = np.asarray(x)
    if x.dtype.kind not in "iuf" or x.dtype.kind == "b":
        raise ValueError(f"x must be real numbers, got dtype {x.dtype}")
    if x.ndim != 2:
        raise ValueError(f"x must have shape (n, d) with one example per row, got shape {x.shape}")
    d_in = params[0][0].shape[0]
    if x.shape[1] != d_in:
        raise ValueError(f"x has {x.shape[1]} features per row but the first layer expects {d_in}")
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    if not np.isfinite(x).all():
        raise ValueError("x contains nan or inf")
    return x


def check_examples(params, x, labels, loss, activation, losses, activations, labels_name="labels"):
    """The checks of a network's parameters and examples: ``(params, x, labels)`` checked.

    `params` as `check_params`, `x` as `check_inputs`, `labels` one class per row of `x` in
    ``0..m-1`` (``m`` the last layer's width, named `labels_name` in messages), at least one
    row, `loss` one of `losses` and `activation` one of `activations`; ValueError otherwise.
    """
    params = check_params(params)
    x = check_inputs(params, x)
    check_choice(activation, activations, "activation")
    check_choice(loss, losses, "loss")
    labels = as_labels_for(labels, x.shape[0], params[-1][0].shape[1], labels_name)
    if x.shape[0] == 0:
        raise ValueError("x has no rows: the mean cost over zero examples is undefined")
    return params, x, labels
