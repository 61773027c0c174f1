"""The gradient-theorem explorer: the gradient P - y of C = -log P_y, for logits you move.

The browser (``gradient_explorer.js`` beside this file) computes P, the one-hot y and the
gradient, shows them as numbers and as bars around 0, and can take a gradient-descent step;
`GradientExplorer.gradient` is the same gradient from `lib.cross_entropy_grad`.
"""

from pathlib import Path

import numpy as np
import traitlets

from lib import cross_entropy_grad

from ._explorer import Explorer

__all__ = ["GradientExplorer", "gradient_explorer"]


class GradientExplorer(Explorer):
    """Sliders for the logits, a menu for the true class, a button for one descent step.

    Attributes
    ----------
    logits : list of float
        The logits z (2 to 8 classes).
    label : int
        The true class y, in 0..m-1.
    learning_rate : float
        The step size of the button's gradient-descent step.
    gradient : ndarray, shape (m,)
        ``lib.cross_entropy_grad`` at the current state (read-only).
    """

    _esm = (Path(__file__).parent / "gradient_explorer.js").read_text(encoding="utf-8")

    title = traitlets.Unicode("Gradient theorem explorer").tag(sync=True)
    logits = traitlets.List(traitlets.Float(), minlen=2, maxlen=8).tag(sync=True)
    label = traitlets.Int(0).tag(sync=True)
    learning_rate = traitlets.Float(1.0).tag(sync=True)
    logit_min = traitlets.Float(-6.0).tag(sync=True)
    logit_max = traitlets.Float(6.0).tag(sync=True)

    @property
    def gradient(self):
        """dC/dz = P - y from ``lib.cross_entropy_grad`` for the current logits and class."""
        return cross_entropy_grad(np.array([self.logits]), [self.label])[0]


def gradient_explorer(logits=(2.0, 1.0, 0.0, -1.0), label=2, *, learning_rate=1.0, title=None):
    """Build a `GradientExplorer`, checking every setting.

    Parameters
    ----------
    logits : array_like, shape (m,), 2 <= m <= 8
        Starting logits, in [-6, 6] on a 0.1 grid.
    label : int
        The true class, in 0..m-1.
    learning_rate : float, default 1.0
        The step of the button (0 < learning_rate <= 10).
    title : str, optional
        The explorer's heading (also its accessible name).

    Returns
    -------
    GradientExplorer

    Examples
    --------
    >>> gradient_explorer([0.0, 0.0], label=0).gradient
    array([-0.5,  0.5])
    """
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 1 or not 2 <= z.size <= 8:
        raise ValueError(f"logits must be a vector of 2 to 8 numbers, got shape {z.shape}")
    if not (np.isfinite(z) & (np.abs(z) <= 6.0)).all():
        raise ValueError(f"logits must be in the slider range [-6, 6], got {z.tolist()}")
    if int(label) != label or not 0 <= label < z.size:
        raise ValueError(f"label = {label!r} is outside 0..{z.size - 1} (num_classes={z.size})")
    eta = float(learning_rate)
    if not 0.0 < eta <= 10.0:
        raise ValueError(f"learning_rate must be in (0, 10], got {learning_rate!r}")
    options = {"title": title} if title else {}
    return GradientExplorer(
        logits=[float(v) for v in z], label=int(label), learning_rate=eta, **options
    )
