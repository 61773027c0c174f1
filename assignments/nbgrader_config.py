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

Everything except ``source/``, ``grader/``, ``hidden_tasks.py``, this file, ``README.md`` and
``index.md`` is generated and ignored by git, and so is the course secret ``.course_secret``.
"""

import os
import shutil
import sys

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

# --- Autograding: a sandboxed kernel, verdicts in the grader's process (grader/) ----------------
# The grader package lives beside this file; nbgrader reads this file wherever it runs (the
# command line in this folder, or the Formgrader), so this folder goes on the import path first.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from grader.execute import SandboxedExecute  # noqa: E402
from grader.judge import JudgeHiddenTests  # noqa: E402
from grader.restore import RestoreDeletedTests  # noqa: E402
from grader.sandbox import SANDBOX_PACKAGE  # noqa: E402
from grader.save import SaveJudgedScores  # noqa: E402

# Every grading kernel runs in bubblewrap (Debian package `bubblewrap`); without it, grading
# stops with one line naming the package. To grade WITHOUT a sandbox (student code then runs as
# you, with your files), opt out explicitly with the next line; the log then says so per kernel.
# c.SandboxedKernelManager.sandbox = False
if "autograde" in sys.argv[1:3] and shutil.which("bwrap") is None:
    if c.SandboxedKernelManager.get("sandbox", True):
        sys.exit(
            f"nbgrader autograde: the grading sandbox needs bwrap; install the Debian package "
            f"'{SANDBOX_PACKAGE}' (apt-get install {SANDBOX_PACKAGE})"
        )
# Limits of each sandbox: address space per process (MiB), processes, CPU seconds per process.
c.SandboxedKernelManager.memory_limit_mb = 6144
c.SandboxedKernelManager.process_limit = 64
c.SandboxedKernelManager.cpu_limit_s = 300
# Per cell: CPU seconds of the whole sandbox before the cell is interrupted (an error: the cell's
# tests score 0, and grading goes on with the next cell). The slowest honest cell (the imports
# of matplotlib and scikit-learn) needs about 3 CPU seconds, training 300 epochs about 0.3. CPU
# time, not wall time: a loaded grading machine cannot time out an honest student.
c.SandboxedExecute.cell_cpu_limit_s = 10
# Wall-clock backstop for a cell that waits without using CPU (time.sleep, a blocked read).
c.SandboxedExecute.timeout = 60
c.SandboxedExecute.interrupt_on_timeout = True
# Per assignment: packages hidden from the kernel. Assignment 1 needs numpy only, so scipy (whose
# scipy.special.softmax the rules forbid) is not there at all; `lib` never is (the repository is
# outside the sandbox).
c.SandboxedExecute.sandbox_options = {
    "softmax_and_cost": {"hidden_packages": ["scipy", "sklearn"]},
}
# Output messages (IOPub) can lag behind the execute reply on a busy machine: wait a while, then
# give up on them instead of failing the submission.
c.SandboxedExecute.iopub_timeout = 10
c.SandboxedExecute.raise_on_iopub_timeout = False
# Run the student's notebook exactly once: a retry would only run a crashing notebook again.
c.SandboxedExecute.execute_retries = 0


# Put deleted grade cells back (see RestoreDeletedTests) instead of leaving them ungraded.
c.RestoreDeletedTests.add_missing_cells = True
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    RestoreDeletedTests,
    "nbgrader.preprocessors.CheckCellMetadata",
]

# The stock list of nbgrader 0.9.6 with the grader's Execute and SaveAutoGrades, and the judge
# between them: scores come from the judge, never from what a grade cell printed or returned.
c.Autograde.autograde_preprocessors = [
    SandboxedExecute,
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    JudgeHiddenTests,  # before LimitOutput, which could cut a long record short
    "nbgrader.preprocessors.LimitOutput",
    SaveJudgedScores,
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

# --- Hidden inputs, feedback and export ---------------------------------------------------------
# The hidden inputs are drawn per student from the course secret: the environment variable
# SOFTMAX_COURSE_SECRET, or the uncommitted file .course_secret in this folder (written with a
# random secret by the first grading run if neither exists). See README.md, "Hidden inputs".
# The feedback links every check to the chapter section that teaches it, under this address of
# the published site (the course's GitHub Pages address; change it with repository.url).
c.JudgeHiddenTests.site_url = "https://example-course.github.io/softmax-lecture/"
# Per-check records for the class report: checks/<assignment>/<student>.json in this folder.
c.JudgeHiddenTests.records_folder = "checks"
# --- Feedback and export ------------------------------------------------------------------------
# nbgrader export writes grades.csv (one row per student and assignment) with the stock CSV plugin.
c.ExportApp.plugin_class = "nbgrader.plugins.export.CsvExportPlugin"
