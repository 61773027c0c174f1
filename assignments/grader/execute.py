"""Running the notebook: nbgrader's ``Execute`` in the sandbox, with the hidden inputs of the
submission handed to the kernel.

Before the kernel starts, this preprocessor draws the submission's hidden inputs (``inputs``:
from the course secret, the assignment and the student) and writes them as ``plan.json``, which
the sandbox binds read-only for ``hidden_tasks.py``. The plan holds inputs only: the expected
values are computed later, in the grader's process (``judge``).
"""

import asyncio
import json
import os
import shutil
import signal
import tempfile
from pathlib import Path

from nbclient.exceptions import DeadKernelError
from nbclient.util import run_sync
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Dict, Float, Integer

from .inputs import course_secret, kernel_plan
from .sandbox import SandboxedKernelManager, SandboxMissing, tree_cpu_seconds


class SandboxedExecute(Execute):
    """nbgrader's Execute in the sandbox, with CPU-time cell limits; a dead kernel costs only
    the cells after it.

    Stock nbgrader (0.9.6) lets ``DeadKernelError`` escape, discards the whole submission and
    exits non-zero. Here the cell during which the kernel died gets an error output, every
    later code cell a ``KernelDied`` error without being run, and earlier cells keep their
    scores.
    """

    cell_cpu_limit_s = Float(
        10.0, help="CPU seconds (the whole sandbox) one cell may use before it is interrupted."
    ).tag(config=True)
    sandbox_options = Dict(
        help="Per assignment: traits of SandboxedKernelManager, e.g. hidden_packages."
    ).tag(config=True)
    max_output_chars = Integer(
        2_000_000,
        help="Characters of output one cell may keep; what comes after is dropped on arrival "
        "(a flood of output would otherwise fill the grader's memory before LimitOutput runs).",
    ).tag(config=True)

    def __init__(self, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        kwargs.setdefault("store_widget_state", False)  # nor any widget state it sends
        super().__init__(**kwargs)

    def preprocess(self, nb, resources=None, km=None):
        self._kernel_died_in, self._kernel_cpu_s, self._output_chars = None, 0.0, {}
        about = resources.get("nbgrader", {})
        self._assignment = about.get("assignment", "")
        self._notebook_dir = str(Path(resources.get("metadata", {}).get("path") or ".").resolve())
        plan = kernel_plan(course_secret(self.config), self._assignment, about.get("student", ""))
        folder = tempfile.mkdtemp(prefix="nbgrader-plan-")
        self._plan_file = os.path.join(folder, "plan.json")
        with open(self._plan_file, "w") as handle:
            json.dump(plan, handle)
        os.chmod(self._plan_file, 0o644)  # readable for the sandbox's user (nobody, as root)
        try:
            result = super().preprocess(nb, resources, km)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        self.log.info("the sandboxed kernel used %.1f CPU seconds", self._kernel_cpu_s)
        return result

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        km.notebook_dir = self._notebook_dir
        km.plan_file = self._plan_file
        for name, value in self.sandbox_options.get(self._assignment, {}).items():
            setattr(km, name, value)
        return km

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        watchdog = asyncio.ensure_future(self._limit_cpu(cell_index))
        try:
            return await super().async_execute_cell(
                cell, cell_index, execution_count, store_history
            )
        finally:
            watchdog.cancel()
            pid = self.km.sandbox_pid() if hasattr(self.km, "sandbox_pid") else None
            if pid is not None:
                self._kernel_cpu_s = max(self._kernel_cpu_s, tree_cpu_seconds(pid))

    execute_cell = run_sync(async_execute_cell)  # nbclient wraps the base class's coroutine

    async def _limit_cpu(self, cell_index):
        """Interrupt the cell after cell_cpu_limit_s CPU seconds; kill the kernel if it ignores."""
        pid = self.km.sandbox_pid() if hasattr(self.km, "sandbox_pid") else None
        if pid is None:
            return
        start, interrupted = tree_cpu_seconds(pid), False
        while True:
            await asyncio.sleep(0.2)
            used = tree_cpu_seconds(pid) - start
            if used > self.cell_cpu_limit_s and not interrupted:
                self.log.warning("cell %d used %.1f CPU s: interrupting it", cell_index, used)
                await self.km.interrupt_kernel()
                interrupted = True
            elif used > self.cell_cpu_limit_s + 5:
                self.log.warning("cell %d ignores the interrupt: killing the kernel", cell_index)
                os.kill(pid, signal.SIGKILL)  # bwrap: --die-with-parent takes the sandbox along
                return

    def output(self, outs, msg, display_id, cell_index):
        """Keep a cell's outputs up to max_output_chars; drop the rest, with one note."""
        used = self._output_chars.get(cell_index, 0)
        size = len(json.dumps(msg.get("content", {})))
        self._output_chars[cell_index] = used + size
        if used + size <= self.max_output_chars:
            return super().output(outs, msg, display_id, cell_index)
        if used <= self.max_output_chars:  # the first message over the limit
            self.log.warning(
                "cell %d printed over %d characters: the rest is dropped",
                cell_index,
                self.max_output_chars,
            )
            note = f"[grader] output cut: more than {self.max_output_chars} characters\n"
            outs.append(new_output("stream", name="stderr", text=note))
        return None

    def preprocess_cell(self, cell, resources, index):
        if self._kernel_died_in is not None:
            if cell.cell_type == "code":
                cell.outputs = [
                    _error_output(
                        "KernelDied", f"not run: the kernel died in cell {self._kernel_died_in}"
                    )
                ]
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            reason = "the kernel died while running this cell"
        except Exception as error:  # noqa: BLE001 (any kernel failure ends this notebook's run)
            if isinstance(error, SandboxMissing):
                raise
            reason = f"the kernel failed while running this cell ({type(error).__name__}: {error})"
        self._kernel_died_in = index
        cell.outputs.append(_error_output("KernelDied", reason))
        return cell, resources


def _error_output(name, message):
    return new_output("error", ename=name, evalue=message, traceback=[f"{name}: {message}"])
