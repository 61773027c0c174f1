"""The chapters' explorers, in one import: ``from viz.widgets import softmax_explorer``.

They are anywidgets whose front ends compute in the browser (see `viz.explorers`); this module
only gathers them under the name the chapters have always imported.
"""

from viz.explorers.softmax_explorer import DTYPES, SoftmaxExplorer, softmax_explorer

__all__ = ["DTYPES", "SoftmaxExplorer", "softmax_explorer"]
