"""The learning-slowdown explorer: squared error against cross-entropy, step by step.

One example, three classes, started confidently wrong at the logits z = (g, 0, 0) with true
class 1; gradient descent on the logits with the same learning rate for both costs. The browser
(``slowdown_explorer.js`` beside this file) runs the descent and draws the true class's
probability over the steps; `SlowdownExplorer.curves` runs the same descent with `lib`.
"""

from pathlib import Path

import numpy as np
import traitlets

from lib import cross_entropy_grad, mse_grad, one_hot, softmax, softmax_jacobian

from ._explorer import Explorer

__all__ = ["SlowdownExplorer", "slowdown_explorer"]

LABEL = 1  #: the true class (index 1, the lecture's class 2)
NUM_CLASSES = 3
COSTS = ("cross_entropy", "squared_error")  #: the two costs, in the order the explorer shows them


class SlowdownExplorer(Explorer):
    """Sliders for the gap g, the learning rate and the number of steps; P_y as curve and text.

    Attributes
    ----------
    gap : float
        The start z = (g, 0, 0): how confidently the example is wrong.
    learning_rate : float
        The step size, the same for both costs.
    steps : int
        How many steps are run and drawn.
    """

    _esm = (Path(__file__).parent / "slowdown_explorer.js").read_text(encoding="utf-8")

    title = traitlets.Unicode("Learning slowdown explorer").tag(sync=True)
    gap = traitlets.Float(10.0).tag(sync=True)
    gap_max = traitlets.Float(12.0).tag(sync=True)
    learning_rate = traitlets.Float(1.0).tag(sync=True)
    steps = traitlets.Int(10_000).tag(sync=True)
    steps_max = traitlets.Int(100_000).tag(sync=True)

    def curves(self, steps=None):
        """The true class's probability after 0..steps steps, for each cost, computed with lib.

        Parameters
        ----------
        steps : int, optional
            Default: the explorer's `steps`.

        Returns
        -------
        dict of str to ndarray, shape (steps + 1,)
            ``"cross_entropy"``: gradient ``lib.cross_entropy_grad`` (= P - y);
            ``"squared_error"``: gradient ``J(z) @ lib.mse_grad(P, y)``, the chain rule through
            the softmax Jacobian ``lib.softmax_jacobian`` (symmetric, so J = J^T).
        """
        steps = self.steps if steps is None else int(steps)
        return {
            cost: np.array([probs[LABEL] for _, probs in self._descent(cost, steps)])
            for cost in COSTS
        }

    def first_step_most_probable(self, steps=None):
        """For each cost, the first step at which the true class is the most probable (or None).

        Parameters
        ----------
        steps : int, optional
            Default: the explorer's `steps`.

        Returns
        -------
        dict of str to int or None
        """
        steps = self.steps if steps is None else int(steps)
        return {
            cost: next(
                (k for k, probs in self._descent(cost, steps) if probs[LABEL] >= probs.max()), None
            )
            for cost in COSTS
        }

    def _descent(self, cost, steps):
        """Yield ``(k, P)`` for steps k = 0..steps of gradient descent on `cost` (one shared loop
        for `curves` and `first_step_most_probable`)."""
        target = one_hot([LABEL], NUM_CLASSES)[0]
        gradient = {
            "cross_entropy": lambda z: cross_entropy_grad(z[None, :], [LABEL])[0],
            "squared_error": lambda z: softmax_jacobian(z) @ mse_grad(softmax(z), target),
        }[cost]
        z = np.array([self.gap, 0.0, 0.0])
        for k in range(steps + 1):
            yield k, softmax(z)
            if k < steps:
                z = z - self.learning_rate * gradient(z)


def slowdown_explorer(gap=10.0, *, learning_rate=1.0, steps=10_000, title=None):
    """Build a `SlowdownExplorer`, checking every setting.

    Parameters
    ----------
    gap : float, 0 <= gap <= 12
        The start z = (gap, 0, 0) with true class 1 (on the slider's 0.5 grid).
    learning_rate : float, 0.01 <= learning_rate <= 10
        The step size of both descents.
    steps : int, 10 <= steps <= 100000
        How many steps are run.
    title : str, optional
        The explorer's heading (also its accessible name).

    Returns
    -------
    SlowdownExplorer

    Examples
    --------
    >>> explorer = slowdown_explorer(10.0, learning_rate=1.0, steps=100)
    >>> explorer.first_step_most_probable()
    {'cross_entropy': 6, 'squared_error': None}
    """
    g = float(gap)
    if not 0.0 <= g <= 12.0:
        raise ValueError(f"gap must be between 0 and 12, got {gap!r}")
    eta = float(learning_rate)
    if not 0.01 <= eta <= 10.0:
        raise ValueError(f"learning_rate must be between 0.01 and 10, got {learning_rate!r}")
    if int(steps) != steps or not 10 <= steps <= 100_000:
        raise ValueError(f"steps must be a whole number from 10 to 100000, got {steps!r}")
    options = {"title": title} if title else {}
    return SlowdownExplorer(gap=g, learning_rate=eta, steps=int(steps), **options)
