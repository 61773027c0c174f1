"""The hidden checks of every assignment, each declared once: the one place to read or change them.

A ``Check`` belongs to the hidden-test cell (``task``, its nbgrader grade_id) whose points it
shares (``weight``, in points: the weights of a cell add up to its points). It names the input
family it draws from (``families``), the probes the kernel runs on those inputs
(``hidden_tasks.py`` runs them and records what came back), the judgement of that record in the
grader's process against values computed there (``reference``), what it enforces, where the
student's text states it, and the chapter section that teaches it (a site-relative URL, for the
feedback). ``requires`` names checks of the same cell that must pass for this one to count (so
that a stub, say one that always raises ``ValueError``, earns nothing).

Everything else reads this list: ``execute`` (the plan of inputs for the kernel), ``judge`` (the
scores, the feedback and the per-check records), the tests, and ``python -m grader.checks``
(the table of checks, in Markdown). Adding a task is its notebook cells plus its checks here
(assignments/README.md shows an example).
"""

import math
from dataclasses import dataclass

import numpy as np

from . import compare, families, reference
from .compare import Verdict

# float32 softmax: the shift z - max is rounded to half an ulp of float32, so e^(z - max)
# carries a relative error up to |z - max| u (u = 6e-8); the float32 family's logits lie up to
# about 250 apart, hence 3e-5. The unshifted formula gives inf or nan there, far outside.
F32_RTOL = 3e-5
ACCURACY_FLOOR_CE, ACCURACY_FLOOR_MSE = 0.93, 0.80  # LEARNING_RATE 0.25, 300 epochs: 0.944, 0.847

CH2 = "chapters/02_softmax_layer.html"
CH3 = "chapters/03_likelihood_cost.html"
CH4 = "chapters/04_gradient_theorem.html"
CH5 = "chapters/05_numerical_issues.html"
CH7 = "chapters/07_digits_classifier.html"


@dataclass(frozen=True)
class Check:
    assignment: str
    task: str  # grade_id of the hidden-test cell
    name: str
    weight: float  # points of the cell this check carries
    family: object  # rng -> inputs (families.py); one draw per cell and family
    probes: object  # inputs -> [probe]: what the kernel runs (inputs only, never an answer)
    judge: object  # (recorded values, inputs) -> Verdict, in the grader's process
    enforces: str
    stated: str  # where the student's text states it
    chapter: str  # site-relative URL of the section that teaches it
    requires: tuple = ()

    def shows(self, inputs):
        """A short text of the inputs, for the feedback."""
        parts = []
        for key, value in inputs.items():
            if isinstance(value, np.ndarray):
                parts.append(
                    f"{key} = {compare.short(value, 90, precision=6)} "
                    f"({value.dtype}, shape {value.shape})"
                )
            else:
                parts.append(f"{key} = {value!r}")
        return "; ".join(parts) or "what the notebook computed"


# --- Probes: what the kernel runs (hidden_tasks.py) -----------------------------------------------
def arg(value):
    """A probe argument: an array (exact values, dtype and shape) or a plain value."""
    if isinstance(value, np.ndarray):
        return {
            "array": value.ravel().tolist(),
            "shape": list(value.shape),
            "dtype": str(value.dtype),
        }
    return {"value": value}


def call(key, function, *args, unchanged=False):
    """Call the student's `function` on `args`; with `unchanged`, also record whether the array
    arguments are unchanged afterwards (``key + " unchanged"``)."""
    return {
        "key": key,
        "call": function,
        "args": [a if isinstance(a, dict) else arg(a) for a in args],
        "unchanged": unchanged,
    }


def variable(key, name):
    return {"key": key, "variable": name}


def on_variable(key, function, name):
    """The student's `function` on a copy of the notebook's array `name`."""
    return {"key": key, "call": function, "variable": name}


def figure(key, name):
    return {"key": key, "figure": name}


def callable_arg(kind, **details):
    return {"callable": kind, **details}


# --- Judgements -----------------------------------------------------------------------------------
MISSING = {"type": "missing"}


def got(values, key):
    value = values.get(key)
    return value if isinstance(value, dict) else MISSING


def unchanged(values, key, verdict, what):
    if verdict.passed and got(values, key + " unchanged") != {"type": "bool", "value": True}:
        return Verdict(
            False,
            verdict.expected,
            verdict.got,
            verdict.tolerance,
            f"{what} must not modify its input in place",
        )
    return verdict


def same_dtype(z):
    return np.dtype(np.float32).str if z.dtype == np.float32 else np.dtype(np.float64).str


def rows_close(function, key, expect, rtol, atol, what=None):
    """Judge: the recorded array `key` is expect(z) entry-wise, in the dtype of z (float32 stays
    float32) and its shape."""

    def judge(values, inputs):
        z = inputs["z"]
        verdict = compare.array_close(
            got(values, key), expect(z), rtol, atol, same_dtype(z), z.shape
        )
        return unchanged(values, key, verdict, function) if what == "unchanged" else verdict

    return judge


def items(value, count):
    """The items of a recorded tuple or list of `count` items, or None."""
    if value.get("type") in ("tuple", "list") and len(value.get("items", [])) == count:
        return value["items"]
    return None


def _model_probes(function):
    return lambda x: [call("model", function, x["W"], x["b"], x["X"], x["labels"], unchanged=True)]


def _cost_and_grads(loss, part):
    """Judge one part (0 cost, 1 dW, 2 db) of (cost, dW, db) on the model family."""

    def judge(values, x):
        value = got(values, "model")
        parts = items(value, 3)
        if parts is None:
            return Verdict(
                False,
                "(cost, dW, db)",
                compare.kind(value),
                "",
                f"expected (cost, dW, db), got {compare.kind(value)}",
            )
        expected = reference.cost_and_grads(x["W"], x["b"], x["X"], x["labels"], loss)
        if part == 0:
            return compare.number_close(parts[0], expected[0], 1e-12, 0.0)
        shape = x["W"].shape if part == 1 else x["b"].shape
        return compare.array_close(parts[part], expected[part], 1e-10, 1e-14, "<f8", shape)

    return judge


def _arguments_unchanged(values, x):
    ok = got(values, "model unchanged") == {"type": "bool", "value": True}
    return Verdict(
        ok,
        "W, b, X, labels unchanged",
        "unchanged" if ok else "modified",
        "exact",
        "" if ok else "the function modified an argument in place",
    )


def _cell_checks(assignment, task, loss, function, stated):
    return [
        Check(
            assignment,
            task,
            "cost",
            0.75,
            families.model,
            _model_probes(function),
            _cost_and_grads(loss, 0),
            "the mean cost, a float (Python or numpy), relative error <= 1e-12",
            stated,
            CH4 + "#a-batch-of-examples-the-gradient-of-the-mean-cost",
        ),
        Check(
            assignment,
            task,
            "dW",
            0.5,
            families.model,
            _model_probes(function),
            _cost_and_grads(loss, 1),
            "dW of shape (64, 10)",
            stated,
            CH4 + "#one-layer-further-partial-c-partial-w-and-partial-c-partial-b",
        ),
        Check(
            assignment,
            task,
            "db",
            0.5,
            families.model,
            _model_probes(function),
            _cost_and_grads(loss, 2),
            "db of shape (10,)",
            stated,
            CH4 + "#one-layer-further-partial-c-partial-w-and-partial-c-partial-b",
        ),
        Check(
            assignment,
            task,
            "arguments unchanged",
            0.25,
            families.model,
            _model_probes(function),
            _arguments_unchanged,
            "W, b, X and labels are not modified",
            stated,
            CH4 + "#one-layer-further-partial-c-partial-w-and-partial-c-partial-b",
            requires=("cost", "dW", "db"),
        ),
    ]


# --- Assignment 1: softmax_and_cost --------------------------------------------------------------
A1 = "softmax_and_cost"
BAD_LABELS = {  # name: labels made from valid ones (m = 3 classes, n = 4 examples)
    "label m": lambda y: np.where(np.arange(y.size) == 1, 3, y),
    "label -1": lambda y: np.where(np.arange(y.size) == 2, -1, y),
    "one label short": lambda y: y[:-1],
    "float labels": lambda y: y.astype(np.float64),
    "labels of shape (1, n)": lambda y: y[np.newaxis, :],
}


def _labels_probe(function, name):
    return lambda x: [call(name, function, x["z"], BAD_LABELS[name](x["labels"]))]


def _overflow_stable(values, x):
    z, stable, again = (
        got(values, "z_demo"),
        got(values, "stable_probs"),
        got(values, "softmax of z_demo"),
    )
    if (
        z.get("type") != "ndarray"
        or z.get("dtype") != "<f8"
        or len(z.get("shape", [])) != 1
        or not z.get("values")
    ):
        return Verdict(
            False,
            "z_demo: a 1-D float64 array",
            compare.kind(z),
            "",
            f"z_demo must be a 1-D float64 array, got {compare.kind(z)}",
        )
    zs = np.array(z["values"])
    if stable.get("values") is None or stable.get("values") != again.get("values"):
        return Verdict(
            False,
            "stable_probs = softmax(z_demo)",
            compare.kind(stable),
            "exact",
            "stable_probs must be softmax(z_demo), computed by your softmax",
        )
    return compare.array_close(
        stable, reference.softmax(zs[np.newaxis, :]), 1e-10, 1e-300, "<f8", zs.shape
    )


def _overflow_breaks(values, x):
    z, naive = got(values, "z_demo"), got(values, "naive_probs")
    want = "naive_probs: inf, nan or wrong probabilities (chapter 5's three failures)"
    if (
        naive.get("type") != "ndarray"
        or naive.get("shape") != z.get("shape")
        or naive.get("values") is None
    ):
        return Verdict(
            False,
            want,
            compare.kind(naive),
            "",
            f"naive_probs must be an array of the shape of z_demo, got {compare.kind(naive)}",
        )
    exact = reference.softmax(np.array([z["values"]]))
    broken = any(
        not math.isfinite(v) or abs(v - w) > 1e-6
        for v, w in zip(naive["values"], exact, strict=True)
    )
    problem = "" if broken else "naive_probs is right: choose logits where e^z/sum e^z breaks"
    return Verdict(
        broken,
        want,
        compare.short(naive["values"]),
        "some entry not finite or off by > 1e-6",
        problem,
    )


def _cube(values, x):
    verdict = compare.array_close(
        got(values, "cube"),
        reference.cube_central_difference(x["x"], x["eps"]),
        0.0,
        1e-8,
        "<f8",
        x["x"].shape,
    )
    return unchanged(values, "cube", verdict, "numerical_gradient")


def _gradients_agree(values, x):
    a, n = got(values, "analytic"), got(values, "numerical")
    shape = list(x["z"].shape)
    for name, value in (("cross_entropy_grad", a), ("numerical_gradient", n)):
        if (
            value.get("type") != "ndarray"
            or value.get("shape") != shape
            or value.get("values") is None
        ):
            return Verdict(
                False,
                f"two arrays of shape {tuple(shape)}",
                compare.kind(value),
                "",
                f"{name}: expected an array of shape {tuple(shape)}, got {compare.kind(value)}",
            )
    pairs = zip(a["values"], n["values"], strict=True)
    worst = max((abs(p - q) / (abs(p) + abs(q)) if p or q else 0.0) for p, q in pairs)
    ok = worst < 1e-6
    return Verdict(
        ok,
        "relative error < 1e-6",
        f"{worst:.2e}",
        "< 1e-6",
        "" if ok else f"cross_entropy_grad and the numerical gradient differ by {worst:.2e}",
    )


T1 = (
    "Task 1: z of shape (m,) or (n, m), normalised along the last "
    "axis; float32 stays float32; z not modified"
)
T2 = (
    "Task 2: log-space, log1p for a confident prediction (z = "
    "[40, 0]); same shapes and dtypes as Task 1"
)
T3 = (
    "Task 3: the mean cost as a float; ValueError for labels that are "
    "not a 1-D integer array of length n in 0..m-1"
)
CHECKS = [
    Check(
        A1,
        "softmax-hidden-tests",
        "extreme logits",
        1.0,
        families.extreme,
        lambda x: [call("extreme", "softmax", x["z"], unchanged=True)],
        rows_close("softmax", "extreme", reference.softmax, 1e-12, 1e-300, "unchanged"),
        "no overflow for logits above 709.78, a sum that "
        "overflows, logits below -745.13; z unchanged",
        T1,
        CH5 + "#the-shift-eqs-13-14",
    ),
    Check(
        A1,
        "softmax-hidden-tests",
        "n != m",
        0.75,
        families.wide,
        lambda x: [call("wide", "softmax", x["z"])],
        rows_close("softmax", "wide", reference.softmax, 1e-12, 1e-300),
        "a batch (n, m) with n != m, along the last axis",
        T1,
        CH2 + "#the-layer",
    ),
    Check(
        A1,
        "softmax-hidden-tests",
        "1-D logits",
        0.75,
        families.vector,
        lambda x: [call("vector", "softmax", x["z"])],
        rows_close("softmax", "vector", reference.softmax, 1e-12, 1e-300),
        "one example of shape (m,)",
        T1,
        CH2 + "#the-layer",
    ),
    Check(
        A1,
        "softmax-hidden-tests",
        "float32",
        0.5,
        families.float32,
        lambda x: [call("f32", "softmax", x["z"])],
        rows_close("softmax", "f32", reference.softmax, F32_RTOL, 1e-30),
        "float32 in, float32 out, no float32 overflow",
        T1,
        CH5 + "#where-each-format-breaks",
    ),
    Check(
        A1,
        "log-softmax-hidden-tests",
        "extreme logits",
        0.75,
        families.extreme,
        lambda x: [call("extreme", "log_softmax", x["z"])],
        rows_close("log_softmax", "extreme", reference.log_softmax, 1e-12, 1e-12),
        "log-sum-exp on extreme logits",
        T2,
        CH5 + "#what-the-shift-does-not-cure",
    ),
    Check(
        A1,
        "log-softmax-hidden-tests",
        "n != m",
        0.5,
        families.wide,
        lambda x: [call("wide", "log_softmax", x["z"])],
        rows_close("log_softmax", "wide", reference.log_softmax, 1e-12, 1e-12),
        "a batch with n != m",
        T2,
        CH5 + "#what-the-shift-does-not-cure",
    ),
    Check(
        A1,
        "log-softmax-hidden-tests",
        "1-D logits",
        0.5,
        families.vector,
        lambda x: [call("vector", "log_softmax", x["z"])],
        rows_close("log_softmax", "vector", reference.log_softmax, 1e-12, 1e-12),
        "one example of shape (m,)",
        T2,
        CH5 + "#what-the-shift-does-not-cure",
    ),
    Check(
        A1,
        "log-softmax-hidden-tests",
        "underflowing probabilities",
        0.5,
        families.dominant,
        lambda x: [call("dominant", "log_softmax", x["z"])],
        rows_close("log_softmax", "dominant", reference.log_softmax, 1e-12, 1e-12),
        "log P finite where P underflows (z = [0, -800])",
        T2,
        CH5 + "#what-the-shift-does-not-cure",
    ),
    Check(
        A1,
        "log-softmax-hidden-tests",
        "confident prediction",
        0.5,
        families.confident,
        lambda x: [call("confident", "log_softmax", x["z"])],
        rows_close("log_softmax", "confident", reference.log_softmax, 1e-12, 0.0),
        "log P of the likeliest class is -log1p(s), not 0",
        T2,
        CH5 + "#what-the-shift-does-not-cure",
    ),
    Check(
        A1,
        "log-softmax-hidden-tests",
        "float32",
        0.25,
        families.float32,
        lambda x: [call("f32", "log_softmax", x["z"])],
        rows_close("log_softmax", "f32", reference.log_softmax, 2e-6, 1e-5),
        "float32 in, float32 out",
        T2,
        CH5 + "#where-each-format-breaks",
    ),
    Check(
        A1,
        "cross-entropy-hidden-tests",
        "extreme logits",
        0.75,
        families.extreme,
        lambda x: [call("extreme", "cross_entropy", x["z"], x["labels"])],
        lambda v, x: compare.number_close(
            got(v, "extreme"), reference.mean_cost(x["z"], x["labels"]), 1e-12, 0.0
        ),
        "the mean cost (a float: Python or numpy) on extreme logits",
        T3,
        CH3 + "#cross-entropy-and-what-a-nat-is",
    ),
    Check(
        A1,
        "cross-entropy-hidden-tests",
        "float32",
        0.75,
        families.float32,
        lambda x: [call("f32", "cross_entropy", x["z"], x["labels"])],
        lambda v, x: compare.number_close(
            got(v, "f32"), reference.mean_cost(x["z"], x["labels"]), 1e-5, 0.0
        ),
        "the mean cost of float32 logits",
        T3,
        CH3 + "#cross-entropy-and-what-a-nat-is",
    ),
    *[
        Check(
            A1,
            "cross-entropy-hidden-tests",
            name,
            0.1,
            families.labelled,
            _labels_probe("cross_entropy", name),
            lambda v, x, name=name: compare.raises(got(v, name)),
            f"ValueError for {name}",
            T3,
            CH3 + "#classes-1-dots-m-in-the-lecture-0-dots-m-1-in-code",
            requires=("extreme logits",),
        )
        for name in BAD_LABELS
    ],
    Check(
        A1,
        "gradient-hidden-tests",
        "extreme logits",
        1.5,
        families.extreme,
        lambda x: [call("extreme", "cross_entropy_grad", x["z"], x["labels"])],
        lambda v, x: compare.array_close(
            got(v, "extreme"),
            reference.cost_gradient(x["z"], x["labels"]),
            1e-12,
            1e-15,
            "<f8",
            x["z"].shape,
        ),
        "(P - onehot)/n of shape (n, m) on extreme logits",
        "Task 4: the (n, m) array (P - onehot(y))/n, for extreme logits",
        CH4 + "#a-batch-of-examples-the-gradient-of-the-mean-cost",
    ),
    Check(
        A1,
        "gradient-hidden-tests",
        "label m",
        0.5,
        families.labelled,
        _labels_probe("cross_entropy_grad", "label m"),
        lambda v, x: compare.raises(got(v, "label m")),
        "ValueError for the label m (check_labels)",
        "Task 4: it validates the labels with check_labels",
        CH3 + "#classes-1-dots-m-in-the-lecture-0-dots-m-1-in-code",
        requires=("extreme logits",),
    ),
    Check(
        A1,
        "overflow-demo-hidden-tests",
        "stable_probs",
        0.5,
        families.nothing,
        lambda x: (
            [variable(k, k) for k in ("z_demo", "naive_probs", "stable_probs")]
            + [on_variable("softmax of z_demo", "softmax", "z_demo")]
        ),
        _overflow_stable,
        "z_demo a 1-D float64 array; stable_probs is your softmax of it, and right",
        "Task 5: z_demo a 1-D float64 array, stable_probs = softmax(z_demo)",
        CH5 + "#the-shift-eqs-13-14",
    ),
    Check(
        A1,
        "overflow-demo-hidden-tests",
        "naive formula breaks",
        0.5,
        families.nothing,
        lambda x: [variable(k, k) for k in ("z_demo", "naive_probs")],
        _overflow_breaks,
        "naive_probs shows a failure: inf, nan, or wrong numbers "
        "such as the zeros of (709, 709, 709)",
        "Task 5: logits for which the formula without the shift breaks",
        CH5 + "#the-textbook-formula-fails-three-ways",
        requires=("stable_probs",),
    ),
    Check(
        A1,
        "gradient-check-hidden-tests",
        "central differences",
        0.75,
        families.cube,
        lambda x: [
            call(
                "cube",
                "numerical_gradient",
                callable_arg("cube_sum"),
                x["x"],
                x["eps"],
                unchanged=True,
            )
        ],
        _cube,
        "the central difference of sum(x^3) (exactly 3x^2 + eps^2), x unchanged",
        "Task 6: the central difference for every entry of x; x unchanged",
        CH4 + "#numerically-central-differences-of-the-cost",
    ),
    Check(
        A1,
        "gradient-check-hidden-tests",
        "relative error",
        0.5,
        families.relative,
        lambda x: [call("relative", "relative_error", x["a"], x["b"])],
        lambda v, x: compare.number_close(
            got(v, "relative"), reference.relative_error(x["a"], x["b"]), 1e-12, 0.0
        ),
        "max_k |a_k - b_k| / (|a_k| + |b_k|) with 0/0 = 0, entry-wise, a float (Python or numpy)",
        "Task 6: the formula of relative_error",
        CH4 + "#numerically-central-differences-of-the-cost",
    ),
    Check(
        A1,
        "gradient-check-hidden-tests",
        "gradient check",
        0.75,
        families.gradient_check,
        lambda x: [
            call("analytic", "cross_entropy_grad", x["z"], x["labels"]),
            call(
                "numerical",
                "numerical_gradient",
                callable_arg("cost_of", function="cross_entropy", labels=arg(x["labels"])),
                x["z"],
            ),
        ],
        _gradients_agree,
        "cross_entropy_grad agrees with the numerical gradient of cross_entropy (< 1e-6)",
        "Task 6: compare cross_entropy_grad with the numerical gradient of cross_entropy",
        CH4 + "#numerically-central-differences-of-the-cost",
    ),
]

# --- Assignment 2: train_classifier ---------------------------------------------------------------
A2 = "train_classifier"


def _train_probes(x):
    return [
        call(
            "train",
            "train",
            x["X"],
            x["labels"],
            x["lr"],
            x["epochs"],
            callable_arg("quadratic_loss_and_grad"),
            x["X_test"],
            x["labels_test"],
        )
    ]


def _trained(values, x, part):
    value = got(values, "train")
    parts = items(value, 3)
    if parts is None:
        return Verdict(
            False,
            "(W, b, history)",
            compare.kind(value),
            "",
            f"train must return (W, b, history), got {compare.kind(value)}",
        )
    costs, W, b = reference.quadratic_training(x["X"], x["labels"], x["lr"], x["epochs"])
    if part == "W":
        verdict = compare.array_close(
            parts[0], W, 1e-10, 1e-13, "<f8", (families.FEATURES, families.CLASSES)
        )
        return (
            verdict
            if not verdict.passed
            else compare.array_close(parts[1], b, 1e-10, 1e-13, "<f8", (families.CLASSES,))
        )
    history = parts[2].get("items", {}) if parts[2].get("type") == "dict" else {}
    recorded = {}
    for key in ("cost", "test_accuracy"):
        entries = history.get(key, {}).get("items") if isinstance(history.get(key), dict) else None
        numbers = [compare.number(e) for e in entries] if isinstance(entries, list) else None
        if numbers is None or len(numbers) != x["epochs"] or None in numbers:
            return Verdict(
                False,
                f"history[{key!r}]: {x['epochs']} numbers",
                compare.kind(history.get(key, MISSING)),
                "",
                f"history[{key!r}] must hold one number per epoch ({x['epochs']})",
            )
        recorded[key] = numbers
    return compare.array_close(
        {"type": "ndarray", "dtype": "<f8", "shape": [len(costs)], "values": recorded["cost"]},
        costs,
        1e-10,
        0.0,
        "<f8",
        (len(costs),),
    )


def _digits_model(values, w_name, b_name, floor):
    """Judge: the notebook's trained weights classify at least `floor` of the test digits."""
    w, b = got(values, w_name), got(values, b_name)
    shapes = {w_name: [families.FEATURES, families.CLASSES], b_name: [families.CLASSES]}
    for name, value in ((w_name, w), (b_name, b)):
        if (
            value.get("type") != "ndarray"
            or value.get("shape") != shapes[name]
            or value.get("values") is None
        ):
            return Verdict(
                False,
                f"{name} of shape {tuple(shapes[name])}",
                compare.kind(value),
                "",
                f"{name}: expected an array of shape "
                f"{tuple(shapes[name])}, got {compare.kind(value)}",
            ), None
    x_test, labels_test = digits_test_split()
    measured = reference.accuracy(
        np.reshape(w["values"], shapes[w_name]), b["values"], x_test, labels_test
    )
    ok = measured >= floor
    problem = "" if ok else f"{w_name}, {b_name} classify {measured:.3f} of the test digits"
    problem += f"; at least {floor} is needed" if problem else ""
    return Verdict(
        ok, f"test accuracy >= {floor}", f"{measured:.3f}", f">= {floor}", problem
    ), measured


def _mse_model(values, x):
    verdict, measured = _digits_model(values, "W_mse", "b_mse", ACCURACY_FLOOR_MSE)
    if not verdict.passed:
        return verdict
    reported = compare.number_close(got(values, "test_accuracy_mse"), measured, 0.0, 1e-12)
    if not reported.passed:
        return Verdict(
            False,
            f"test_accuracy_mse = {measured}",
            reported.got,
            "1e-12",
            "test_accuracy_mse must be the test accuracy of W_mse, b_mse",
        )
    return verdict


def _curves(values, x):
    epochs, panels = compare.number(got(values, "EPOCHS")), got(values, "panels")
    want = "every panel with axis labels; 4 curves of EPOCHS points (2 costs x cost and accuracy)"
    entries = panels.get("items", []) if panels.get("type") == "list" else None
    if not entries:
        return Verdict(False, want, compare.kind(panels), "", "fig_curves: no figure with axes")
    curves = 0
    for panel in entries:
        fields = panel.get("items", [])
        labelled = len(fields) == 3 and fields[0].get("value") and fields[1].get("value")
        if not labelled and (len(fields) != 3 or fields[2].get("items")):
            return Verdict(
                False,
                want,
                "a panel without axis labels",
                "",
                "every panel of fig_curves needs axis labels",
            )
        curves += sum(1 for n in fields[2].get("items", []) if n.get("value") == epochs)
    ok = curves >= 4
    return Verdict(
        ok,
        want,
        f"{curves} curves",
        ">= 4",
        "" if ok else f"fig_curves shows {curves} curves over all epochs; expected 4",
    )


CHECKS += [
    *_cell_checks(
        A2,
        "loss-and-grad-hidden-tests",
        "cross_entropy",
        "loss_and_grad",
        "Task 1 and the Rules: (cost, dW, db) of the mean "
        "cross-entropy, W (64, 10), b (10,), X (n, 64)",
    ),
    Check(
        A2,
        "train-hidden-tests",
        "gradient steps",
        0.75,
        families.training,
        _train_probes,
        lambda v, x: _trained(v, x, "W"),
        "train starts from zero W (64, 10), b (10,) and takes `epochs` steps W "
        "-= lr dW, b -= lr db of the given loss_and_grad_fn",
        "Task 2: train(X, labels, lr, epochs, loss_and_grad_fn, "
        "X_test, labels_test) from zero weights",
        CH7 + "#training",
    ),
    Check(
        A2,
        "train-hidden-tests",
        "history",
        0.5,
        families.training,
        _train_probes,
        lambda v, x: _trained(v, x, "history"),
        "history['cost'] holds the cost before each step, "
        "history['test_accuracy'] one number per epoch",
        "Task 2: in each epoch, append the cost and the current test accuracy",
        CH7 + "#training",
    ),
    Check(
        A2,
        "train-hidden-tests",
        "accuracy",
        0.25,
        families.model,
        lambda x: [call("accuracy", "accuracy", x["W"], x["b"], x["X"], x["labels"])],
        lambda v, x: compare.number_close(
            got(v, "accuracy"), reference.accuracy(x["W"], x["b"], x["X"], x["labels"]), 0.0, 1e-12
        ),
        "the fraction of rows whose largest logit is the label (a float: Python or numpy)",
        "Task 2: accuracy(W, b, X, labels)",
        CH7 + "#training",
    ),
    Check(
        A2,
        "train-hidden-tests",
        "trained model",
        1.5,
        families.nothing,
        lambda x: [variable("W_ce", "W_ce"), variable("b_ce", "b_ce")],
        lambda v, x: _digits_model(v, "W_ce", "b_ce", ACCURACY_FLOOR_CE)[0],
        f"W_ce, b_ce classify at least {ACCURACY_FLOOR_CE} of the "
        f"test digits (measured by the grader)",
        "Task 2: train into W_ce, b_ce, history_ce; the test accuracy must reach 0.93",
        CH7 + "#training",
    ),
    *_cell_checks(
        A2,
        "loss-and-grad-mse-hidden-tests",
        "mse",
        "loss_and_grad_mse",
        "Task 3: (cost, dW, db) like loss_and_grad, the squared error through the softmax Jacobian",
    ),
    Check(
        A2,
        "curves-hidden-tests",
        "squared-error model",
        0.5,
        families.nothing,
        lambda x: [variable(k, k) for k in ("W_mse", "b_mse", "test_accuracy_mse")],
        _mse_model,
        f"W_mse, b_mse trained (at least {ACCURACY_FLOOR_MSE} of the "
        f"test digits), test_accuracy_mse their accuracy",
        "Task 4: train again with loss_and_grad_mse into W_mse, "
        "b_mse, history_mse; test_accuracy_mse",
        CH7 + "#squared-error-through-softmax-on-real-data",
    ),
    Check(
        A2,
        "curves-hidden-tests",
        "learning curves",
        0.5,
        families.nothing,
        lambda x: [variable("EPOCHS", "EPOCHS"), figure("panels", "fig_curves")],
        _curves,
        "fig_curves: labelled axes, the cost and the test accuracy per epoch of both runs",
        "Task 4: one figure fig_curves, costs and test accuracies of both, labelled axes",
        CH4 + "#sec-ch4-slowdown",
        requires=("squared-error model",),
    ),
]


def of_task(task):
    return [c for c in CHECKS if c.task == task]


def tasks(assignment):
    """The hidden-test cells of an assignment, in the order of their checks."""
    return list(dict.fromkeys(c.task for c in CHECKS if c.assignment == assignment))


def points(task):
    return sum(c.weight for c in of_task(task))


def digits_test_split():
    """The test digits of chapter 7's split (see ``digits.py``)."""
    from .digits import test_split

    return test_split()


def markdown_table(assignment):
    """The table of checks of an assignment (for README and reports)."""
    lines = ["| Cell | Check | Points | Enforces | Stated in |", "|---|---|---|---|---|"]
    for c in CHECKS:
        if c.assignment == assignment:
            cells = [f"`{c.task}`", c.name, f"{c.weight:g}", c.enforces, c.stated]
            lines.append("| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    for name in sys.argv[1:] or [A1, A2]:
        print(f"## {name}\n\n{markdown_table(name)}\n")
