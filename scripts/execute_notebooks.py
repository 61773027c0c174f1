"""Re-execute notebooks top to bottom and store their outputs (the one way outputs are made).

Usage::

    python scripts/execute_notebooks.py chapters/*.ipynb     # or: make notebooks [NB=path]

nbconvert does the work: its ExecutePreprocessor (nbclient) runs each notebook in a fresh
kernel in the notebook's own folder (as Jupyter and nbval run it, so ``import lib`` works
because lib is installed), stores the widget state the static website needs, and records no
timestamps; its CoalesceStreamsPreprocessor joins stdout chunks whose split is only timing.
What neither can do is kept here:

- only the widget state a displayed view needs is stored: the models its outputs show and the
  models those refer to ("IPY_MODEL_<id>"). A widget made and never shown, or closed and
  replaced by text (viz.progress's finished bar), leaves nothing, so a page whose widgets are
  all finished loads no widget code on the website. State from an earlier run is dropped
  first (nbclient leaves it in place when a run makes no widget);
- widget model ids are random per kernel, so they are renamed to ids derived from the
  notebook's name and their order, and an unchanged notebook re-executes to the same file.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import uuid
from pathlib import Path

import nbformat
from nbconvert.preprocessors import CoalesceStreamsPreprocessor, ExecutePreprocessor

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
MODEL_REFERENCE = re.compile(r"IPY_MODEL_([0-9a-f]+)")


def keep_shown_widgets(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Keep the widget state of the displayed views and what they refer to; drop the rest."""
    widgets = nb.metadata.get("widgets", {}).get(WIDGET_STATE)
    if not widgets:
        nb.metadata.pop("widgets", None)
        return nb
    state = widgets["state"]
    wanted = [
        output["data"][WIDGET_VIEW]["model_id"]
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if WIDGET_VIEW in output.get("data", {})
    ]
    kept = set()
    while wanted:
        model = wanted.pop()
        if model in kept or model not in state:
            continue
        kept.add(model)
        wanted += MODEL_REFERENCE.findall(json.dumps(state[model]["state"]))
    widgets["state"] = {model: value for model, value in state.items() if model in kept}
    if not widgets["state"]:
        nb.metadata.pop("widgets")
    return nb


def stable_widget_ids(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """Rename the random widget model ids to ids derived from the notebook name and order."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    text = json.dumps(nb)
    for index, old in enumerate(list(state)):
        text = text.replace(old, uuid.uuid5(uuid.NAMESPACE_URL, f"{name}/{index}").hex)
    return nbformat.from_dict(json.loads(text))


def execute(path: Path) -> float:
    """Run one notebook in place; return the wall time in seconds."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("widgets", None)  # only this run's widgets count
    resources = {"metadata": {"path": str(path.parent.resolve())}}
    start = time.perf_counter()
    ExecutePreprocessor(
        timeout=300, kernel_name="python3", store_widget_state=True, record_timing=False
    ).preprocess(nb, resources)
    elapsed = time.perf_counter() - start
    CoalesceStreamsPreprocessor().preprocess(nb, resources)
    for cell in nb.cells:  # JupyterLab's run timestamps, if the notebook was run there
        cell.metadata.pop("execution", None)
    nb = stable_widget_ids(keep_shown_widgets(nb), path.name)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    for path in parser.parse_args(argv).notebooks:
        print(f"executing {path} ...", end=" ", flush=True)
        print(f"{execute(path):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
