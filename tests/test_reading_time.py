"""Part I reads in about two hours, and every Part I page states its own time truthfully.

The measure is scripts/reading_time.py: visible prose at 180 words a minute, visible code at 15
lines a minute and a minute per visible code cell (solutions, dropdowns and hidden inputs not
counted).
"""

import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
PART_ONE = sorted((ROOT / "chapters").glob("0[1-5]_*.ipynb"))
TOLERANCE_MINUTES = 3  # a stated "About N minutes" may be N rounded to a round number

spec = importlib.util.spec_from_file_location("reading_time", ROOT / "scripts/reading_time.py")
reading_time = importlib.util.module_from_spec(spec)
sys.modules["reading_time"] = reading_time
spec.loader.exec_module(reading_time)


def notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def test_part_one_has_its_five_chapters():
    assert [path.name[:2] for path in PART_ONE] == ["01", "02", "03", "04", "05"]


@pytest.mark.parametrize("path", PART_ONE, ids=lambda path: path.stem)
def test_each_part_one_page_states_its_measured_time(path):
    stated = reading_time.stated_minutes(path)
    assert stated is not None, f"{path.name} does not say 'About N minutes'"
    measured = reading_time.measure(path).minutes
    assert abs(stated - measured) <= TOLERANCE_MINUTES, (path.name, stated, round(measured, 1))


def test_part_one_takes_at_most_two_hours():
    total = sum(reading_time.measure(path).minutes for path in PART_ONE)
    assert total <= 120, f"Part I measures {total:.0f} minutes"


def test_hidden_blocks_and_cells_are_not_counted(tmp_path):
    markdown = nbformat.v4.new_markdown_cell
    code = nbformat.v4.new_code_cell
    nb = notebook(
        markdown("one two three\n\n```{solution} ex\n:class: dropdown\nfour five\n```"),
        markdown(":::{admonition} More\n:class: note dropdown\nsix seven\n:::\neight"),
        markdown("````{exercise} A\n:label: a\nnine\n```python\nten\n```\n````"),
        code("a = 1\n\nb = 2"),
        code("hidden = 1", metadata={"tags": ["hide-input"]}),
        markdown("```{solution-start} a\n:class: dropdown\n```\neleven"),
        code("inside_solution = 1"),
        markdown("```{solution-end}\n```\ntwelve"),
    )
    path = tmp_path / "page.ipynb"
    nbformat.write(nb, path)
    page = reading_time.measure(path)
    # counted: one two three | More (a dropdown shows its title) | eight | A nine ten | twelve
    assert (page.words, page.code_lines, page.code_cells) == (9, 2, 1)
    assert page.minutes == pytest.approx(9 / 180 + 2 / 15 + 1)
