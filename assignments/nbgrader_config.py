"""nbgrader configuration of the Lecture 6 (Softmax) course directory.

nbgrader reads this file when a command runs with ``assignments/`` as the working directory
(``scripts/assignments.py`` does that for you). Layout, relative to this folder::

    source/<assignment>/<notebook>.ipynb      instructor versions (the only committed notebooks)
    release/<assignment>/<notebook>.ipynb     student versions  (nbgrader generate_assignment)
    downloaded/<assignment>/archive/          submissions as handed in (zip_collect input)
    submitted/<student>/<assignment>/         collected submissions (autograde input)
    autograded/<student>/<assignment>/        executed and scored copies
    feedback/<student>/<assignment>/          HTML feedback per student
    gradebook.db                              scores (sqlite)

Everything except ``source/``, this file, ``README.md`` and ``index.md`` is generated and
ignored by git.
"""

from nbclient.exceptions import DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute, OverwriteCells

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

# --- Course -------------------------------------------------------------------------------
# Used by the JupyterHub exchange (release_assignment / collect) when the course outgrows
# one machine; the command-line flow in README.md does not need it.
c.CourseDirectory.course_id = "softmax-lecture-06"
# Students appear in the gradebook when their submission is first autograded.
c.Autograde.create_student = True

# --- Student version ----------------------------------------------------------------------
# What replaces a ### BEGIN SOLUTION ... ### END SOLUTION region in the student version.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# Hidden tests (### BEGIN HIDDEN TESTS ... ### END HIDDEN TESTS) are removed from the student
# version and restored from the gradebook at autograde time (OverwriteCells): a student who
# edits or deletes a test cell or a locked cell grades against the instructor's copy.
c.ClearHiddenTests.enforce_metadata = True

# --- Autograding: time limits and crashed kernels --------------------------------------------
# Per-cell limit in seconds. The slowest cell of the instructor solutions (imports of sklearn and
# matplotlib) takes 1.6 s on an idle 2-core machine, the others well under a second; 6 s leaves
# room for a loaded grader and keeps a looping submission under the 10 s budget per submission.
# Raise it (and expect slower grading of loops) on a machine that is much slower. A cell
# that runs longer (an infinite loop) is interrupted, recorded as an error (CellTimeoutError, so
# a test cell scores 0) and grading continues with the next cell.
c.Execute.timeout = 6
# Interrupt (SIGINT) a cell that times out instead of killing the kernel, so the cells after it
# still run with the student's earlier definitions.
c.Execute.interrupt_on_timeout = True
# Output messages (IOPub) can lag behind the execute reply on a busy machine. Scores come from
# the reply (an error reply becomes an error output, see nbgrader's Execute.on_cell_executed),
# so a late output is waited for a while and then given up, instead of failing the submission.
c.Execute.iopub_timeout = 10
c.Execute.raise_on_iopub_timeout = False
# Run the student's notebook exactly once: a retry would only run a crashing notebook again.
c.Execute.execute_retries = 0


class ExecuteAsFarAsItGets(Execute):
    """nbgrader's Execute, except that a kernel death costs only the cells after it.

    Stock nbgrader (0.9.6) lets ``DeadKernelError`` escape: the whole submission is discarded
    ("Removing failed assignment") and ``nbgrader autograde`` exits non-zero. Here the cell
    during which the kernel died (``os._exit``, a segfault, the OOM killer) gets an error
    output, every later code cell gets a ``KernelDied`` error output without being run (so
    each later test cell scores 0, it cannot pass by having no output), and the cells before
    keep the scores they earned. Any other failure of the kernel machinery during a cell (a
    kernel that ignores the interrupt, a broken channel) is treated the same way.
    """

    def preprocess(self, nb, resources=None, km=None):
        self._kernel_died_in = None
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        if self._kernel_died_in is not None:
            if cell.cell_type == "code":
                cell.outputs = [
                    _kernel_died_output(f"not run: the kernel died in cell {self._kernel_died_in}")
                ]
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            reason = "the kernel died while running this cell"
        except Exception as error:  # noqa: BLE001 (any kernel failure ends this notebook's run)
            reason = f"the kernel failed while running this cell ({type(error).__name__}: {error})"
        self._kernel_died_in = index
        cell.outputs.append(_kernel_died_output(reason))
        return cell, resources


def _kernel_died_output(message):
    return new_output(
        "error", ename="KernelDied", evalue=message, traceback=[f"KernelDied: {message}"]
    )


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


# Put deleted grade cells back (see RestoreDeletedTests) instead of leaving them ungraded.
c.RestoreDeletedTests.add_missing_cells = True
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    RestoreDeletedTests,
    "nbgrader.preprocessors.CheckCellMetadata",
]

# The stock list with Execute swapped for the subclass above (same order as nbgrader 0.9.6).
c.Autograde.autograde_preprocessors = [
    ExecuteAsFarAsItGets,
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# --- Collecting a folder of submissions -------------------------------------------------------
# zip_collect reads downloaded/<assignment>/archive/ (zip files and/or plain notebooks) laid out
# as <student_id>/<notebook>.ipynb, e.g. downloaded/softmax_and_cost/archive/ada/
# softmax_and_cost.ipynb, and copies each one to submitted/<student_id>/<assignment>/.
c.FileNameCollectorPlugin.named_regexp = (
    r".*/(?P<student_id>[A-Za-z0-9_.-]+)/(?P<file_id>[A-Za-z0-9_]+\.ipynb)$"
)

# --- Feedback and export ------------------------------------------------------------------------
# nbgrader export writes grades.csv (one row per student and assignment) with the stock CSV plugin.
c.ExportApp.plugin_class = "nbgrader.plugins.export.CsvExportPlugin"
