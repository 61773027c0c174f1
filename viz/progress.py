"""A progress bar for training in a notebook: `epoch_progress` makes the ``on_epoch`` callback
of `lib.training.train`. Presentation only, so it lives here and not in `lib`."""

import ipywidgets
from IPython.display import display

__all__ = ["epoch_progress"]


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
    """
    bar = ipywidgets.IntProgress(
        value=0, min=0, max=epochs, description=description, style={"description_width": "initial"}
    )
    display(bar)

    def on_epoch(epoch, history):
        bar.value = epoch

    on_epoch.bar = bar
    return on_epoch
