"""Re-execute notebooks top to bottom and store their outputs (the one way outputs are made).

Usage::

    python scripts/execute_notebooks.py chapters/*.ipynb     # or: make notebooks [NB=path]

Each notebook runs in a fresh kernel with its own folder as the working directory (as Jupyter and
nbval run it), so it imports ``lib`` because ``lib`` is installed, not through ``sys.path``.
Widget state is stored in the notebook metadata so the static website can render the controls.
Volatile metadata (execution timestamps) is dropped and widget model ids (random per kernel) are
renamed deterministically, so two runs of an unchanged notebook give the same file.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from pathlib import Path

import nbformat
from nbclient import NotebookClient

KERNEL = "python3"
TIMEOUT_PER_CELL = 300  # seconds; a chapter must run in well under a minute in total


def normalise(nb: nbformat.NotebookNode) -> None:
    """Drop metadata that changes from run to run and pin the kernel description."""
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": KERNEL,
    }
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
        if cell.cell_type == "code":
            cell.outputs = merge_streams(cell.outputs)


def merge_streams(outputs: list) -> list:
    """Join consecutive stdout (or stderr) chunks: their split is timing, not content."""
    merged = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            output.output_type == "stream"
            and previous is not None
            and previous.output_type == "stream"
            and previous.name == output.name
        ):
            previous.text += output.text
        else:
            merged.append(output)
    return merged


WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def stable_widget_ids(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """Rename the random widget model ids to ids derived from the notebook name and order."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    if not state:
        return nb
    text = json.dumps(nb)
    for index, old in enumerate(list(state)):
        text = text.replace(old, uuid.uuid5(uuid.NAMESPACE_URL, f"{name}/{index}").hex)
    return nbformat.from_dict(json.loads(text))


def execute(path: Path) -> float:
    """Run one notebook in place; return the wall time in seconds."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    client = NotebookClient(
        nb,
        timeout=TIMEOUT_PER_CELL,
        kernel_name=KERNEL,
        resources={"metadata": {"path": str(path.parent.resolve())}},
        store_widget_state=True,
        record_timing=False,
        allow_errors=False,
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    normalise(nb)
    nb = stable_widget_ids(nb, path.name)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    for path in args.notebooks:
        print(f"executing {path} ...", end=" ", flush=True)
        print(f"{execute(path):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
