"""Restoring deleted test cells: nbgrader's ``OverwriteCells``, plus deleted grade cells put
back."""

from nbgrader.preprocessors import OverwriteCells


class RestoreDeletedTests(OverwriteCells):
    """nbgrader's OverwriteCells, plus: a deleted grade cell is put back and run.

    Stock nbgrader (0.9.6) can re-add deleted grade cells (``add_missing_cells``), but it looks
    for the insertion point only among grade and solution cells and fails with a KeyError when
    the cell before the deleted one is a locked, ungraded cell (here: every hidden test cell
    follows a visible test cell). Left off, a deleted test cell is simply not graded (it needs
    manual grading). Here each deleted grade cell goes back after the nearest earlier cell of
    the instructor version that the submission still has, so its tests run as usual.
    """

    def add_missing_grade_cells(self, nb, resources):
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        order = [cell.name for cell in source_nb.source_cells]
        grade_cells = {cell.name: cell for cell in source_nb.grade_cells}
        solution_ids = {cell.name for cell in source_nb.solution_cells}
        for name in order:
            if name not in grade_cells:
                continue
            present = [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells]
            if name in present:
                continue
            self.log.warning("Missing grade cell %s encountered, adding it back", name)
            restored = self.missing_cell_transform(
                source_nb.source_cells[order.index(name)],
                grade_cells[name].max_score,
                is_solution=name in solution_ids,
            )
            restored["id"] = name  # nbformat 4.5 wants cell ids; the grade_id is unique
            position = 0
            for earlier in reversed(order[: order.index(name)]):
                if earlier in present:
                    position = present.index(earlier) + 1
                    break
            nb.cells.insert(position, restored)
        return nb, resources
