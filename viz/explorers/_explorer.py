"""The base class of the explorers: an anywidget with the stylesheet they share."""

from pathlib import Path

import anywidget


class Explorer(anywidget.AnyWidget):
    """anywidget with ``explorer.css`` (the card, rows and tables every explorer has);
    a subclass gives its ES module as ``_esm``."""

    _css = (Path(__file__).parent / "explorer.css").read_text(encoding="utf-8")
