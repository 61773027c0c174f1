"""A progress bar for training in a notebook: `epoch_progress` makes the ``on_epoch`` callback
of `lib.training.train`. Presentation only, so it lives here and not in `lib`.

While training runs the bar is a live ipywidgets progress bar. When the last epoch is done the
widget is closed and its output replaced by a static bar (an HTML ``<progress>`` and one line of
text), so a finished notebook stores no widget state for it: the website then shows the bar
without loading any widget code, and it reads the same in Jupyter, on GitHub or printed.

nbval does not replay the ``update_display_data`` message that swaps the bar for the finished
one (its run keeps the widget's own output), so a chapter cell that shows a bar is tagged
``nbval-ignore-output``: the bar is presentation, and the cells after it assert what training
did.
"""

import html

import ipywidgets
from IPython.display import display

__all__ = ["FinishedProgress", "epoch_progress"]


class FinishedProgress:
    """What a finished bar leaves in the notebook: ``label: done/total`` and a full bar."""

    def __init__(self, label, done, total):
        self.label, self.done, self.total = label, done, total

    def __repr__(self):
        return f"{self.label}: {self.done}/{self.total}"

    def _repr_html_(self):
        label = html.escape(self.label)
        return (
            f'<progress max="{self.total}" value="{self.done}" aria-label="{label}"></progress> '
            f"{label}: {self.done}/{self.total}"
        )


def epoch_progress(epochs, description="epochs"):
    """Show an ipywidgets progress bar of `epochs` steps; return the callback that advances it.

    Parameters
    ----------
    epochs : int
        The number of epochs `lib.training.train` will run.
    description : str
        The bar's label.

    Returns
    -------
    callable
        ``on_epoch(epoch, history)``: sets the bar to `epoch`; the bar is its ``bar`` attribute.
        At epoch `epochs` the widget closes and a `FinishedProgress` takes its place.
    """
    bar = ipywidgets.IntProgress(
        value=0, min=0, max=epochs, description=description, style={"description_width": "initial"}
    )
    handle = display(bar, display_id=True)  # None outside IPython (display() then prints)

    def on_epoch(epoch, history):
        bar.value = epoch
        if epoch >= epochs and handle is not None:
            for widget in (bar, bar.style, bar.layout):
                widget.close()
            handle.update(FinishedProgress(description, epoch, epochs))

    on_epoch.bar = bar
    return on_epoch
