"""What the hidden test cells run inside the student's kernel: call the submission, report.

Each hidden test cell of ``source/*/*.ipynb`` is one line, ``run("<grade_id>", globals())``.
It reads this submission's plan (``plan.json``, written by the grader before the kernel starts
and bound read-only into the sandbox: the hidden inputs, drawn at grading time from the course
secret; never an expected value), calls the student's functions on those inputs as the plan
says, and prints what they returned as **one line of JSON** (``RECORD_MARKER`` + record). It
judges nothing: the student's process can rebind or fake anything in it, so the expected values
and the comparisons live only in the grader's own process (``grader/judge.py``). A record can
only be right by holding the right values.

The plan is made from the one declaration of the checks (``grader/checks.py``); this file only
knows how to run its few kinds of probe. Needs numpy only.
"""

import json
import os
import sys
import threading

import numpy as np

RECORD_MARKER = "GRADER-RECORD "
PLAN_VARIABLE = "GRADER_PLAN"  # set by the sandbox: the path of plan.json
# numpy's own scalar types: numbers wherever the text says float or int (exact types only)
NUMPY_NUMBERS = tuple(
    t for t in set(np.sctypeDict.values()) if issubclass(t, (np.floating, np.integer, np.bool_))
)


# --- Describing values as plain JSON ------------------------------------------------------------
def describe(value):
    """A plain-JSON description of a value: its exact type, and its numbers if it is plain.

    Only exact built-in types, numpy's own scalar types and genuine float/int/bool numpy arrays
    are unpacked; anything else (subclasses, objects with their own ``__float__``) is reported
    by type name only, so a returned object cannot run code when it is described.
    """
    kind = type(value)
    if kind is np.ndarray:
        if value.dtype.kind not in "fiub":
            return {"type": "ndarray", "dtype": str(value.dtype), "shape": list(value.shape)}
        return {
            "type": "ndarray",
            "dtype": value.dtype.str,
            "shape": list(value.shape),
            "values": value.astype(np.float64).ravel().tolist(),
        }
    if kind in (float, int, bool, str) or value is None:
        return {"type": kind.__name__, "value": value}
    if kind in NUMPY_NUMBERS:
        return {"type": f"numpy.{kind.__name__}", "value": float(value)}
    if kind in (list, tuple):
        return {"type": kind.__name__, "items": [describe(item) for item in value]}
    if kind is dict:
        return {"type": "dict", "items": {str(k): describe(v) for k, v in value.items()}}
    return {"type": f"{kind.__module__}.{kind.__qualname__}"}


def _raised(error):
    return {"type": "raised", "raised": [c.__name__ for c in type(error).__mro__]}


class _Report:
    """Collects one cell's results and the modules the submission ran while producing them."""

    def __init__(self, grade_id):
        self.record = {"grade_id": grade_id, "values": {}, "modules": []}
        self._modules = set()

    def _watch(self, frame, event, arg):
        if event == "call":
            self._modules.add(str(frame.f_globals.get("__name__", "?")).split(".")[0])

    def call(self, name, function, *args):
        """Call the submission under a tracer (this thread and threads it starts); record it."""
        sys.setprofile(self._watch)
        threading.setprofile(self._watch)
        try:
            result = function(*args)
            self.record["values"][name] = describe(result)
            return result
        except BaseException as error:  # noqa: BLE001 (any failure is part of the record)
            self.record["values"][name] = _raised(error)
            return None
        finally:
            sys.setprofile(None)
            threading.setprofile(None)

    def value(self, name, value):
        self.record["values"][name] = describe(value)

    def emit(self):
        self.record["modules"] = sorted(self._modules)
        self.record["notebook_threads"] = _notebook_threads()
        print(RECORD_MARKER + json.dumps(self.record), flush=True)


def _notebook_threads():
    """Names of running threads that the notebook started (honest code starts none): a worker
    thread started beforehand would run code the tracer cannot see."""
    found = []
    for thread in threading.enumerate():
        owners = (type(thread), getattr(thread, "_target", None))
        modules = [str(getattr(owner, "__module__", "") or "") for owner in owners]
        if any(m.split(".")[0] in ("__main__", "lib", "scipy") for m in modules):
            found.append(thread.name)
    return found


def _name(namespace, name):
    """The student's object, or a function that raises NameError if it is missing."""
    if name in namespace:
        return namespace[name]

    def missing(*args):
        raise NameError(f"name {name!r} is not defined")

    return missing


# --- The few kinds of argument a plan passes ------------------------------------------------------
def _quadratic_loss_and_grad(W, b, X, labels):
    """A cost for judging ``train`` alone (not any task's answer): half the mean squared distance
    of the logits X W + b from the one-hot labels, and its gradients."""
    residual = X @ W + b
    residual[np.arange(labels.size), labels] -= 1.0
    n = labels.size
    return 0.5 * float(np.sum(residual * residual)) / n, X.T @ residual / n, residual.sum(0) / n


def _argument(spec, namespace):
    if "array" in spec:
        values = np.array(spec["array"], dtype=spec["dtype"])
        return values.reshape(spec["shape"])
    if "value" in spec:
        return spec["value"]
    kind = spec["callable"]
    if kind == "cube_sum":
        return lambda t: (t * t * t).sum()
    if kind == "quadratic_loss_and_grad":
        return _quadratic_loss_and_grad
    if kind == "cost_of":  # the student's own cost as a function of the logits alone
        function, labels = _name(namespace, spec["function"]), _argument(spec["labels"], namespace)
        return lambda t: function(t, labels)
    raise ValueError(f"unknown argument {kind!r}")


def _figure(figure):
    """Per axes of a figure: x label (or that of an axes sharing its x), y label, line lengths."""
    panels = []
    for axes in figure.axes:
        siblings = axes.get_shared_x_axes().get_siblings(axes)
        xlabel = next((str(a.get_xlabel()) for a in siblings if a.get_xlabel()), "")
        lengths = [int(len(line.get_xdata())) for line in axes.get_lines()]
        panels.append([xlabel, str(axes.get_ylabel()), lengths])
    return panels


def _probe(probe, namespace, report):
    key = probe["key"]
    if "figure" in probe:
        try:
            report.value(key, _figure(namespace.get(probe["figure"])))
        except Exception as error:  # noqa: BLE001 (no figure: the record says so)
            report.record["values"][key] = _raised(error)
    elif "variable" in probe and "call" not in probe:
        report.value(key, namespace.get(probe["variable"]))
    elif "variable" in probe:  # the student's function on a copy of the student's own array
        value = namespace.get(probe["variable"])
        if type(value) is np.ndarray:
            report.call(key, _name(namespace, probe["call"]), value.copy())
    else:
        args = [_argument(spec, namespace) for spec in probe["args"]]
        before = [a.copy() for a in args if type(a) is np.ndarray]
        report.call(key, _name(namespace, probe["call"]), *args)
        if probe.get("unchanged"):
            after = [a for a in args if type(a) is np.ndarray]
            same = all(np.array_equal(x, y) for x, y in zip(before, after, strict=True))
            report.value(key + " unchanged", bool(same))


def run(grade_id, namespace):
    """Run the hidden tests of one grade cell on the notebook's namespace; print the record."""
    report = _Report(grade_id)
    try:
        with open(os.environ.get(PLAN_VARIABLE, "/opt/grading/plan.json")) as handle:
            probes = json.load(handle)["tasks"].get(grade_id, [])
        for probe in probes:
            _probe(probe, namespace, report)
    finally:
        report.emit()
