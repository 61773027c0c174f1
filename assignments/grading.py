"""Grading that untrusted code cannot game: the grader's side of ``nbgrader autograde``.

``nbgrader_config.py`` puts the pieces below into nbgrader's own pipeline, so stock
``nbgrader autograde`` in this folder and the Formgrader's autograde button both use them:

* ``SandboxedKernelManager`` starts every grading kernel inside bubblewrap (Debian package
  ``bubblewrap``): a user and PID namespace of its own that dies with the grader, no network,
  a private ``/tmp``, the system and the Python installation read-only, and of the course only
  the notebook's own folder (read-only: nbgrader, running as the instructor, writes the graded
  notebook there next) and ``hidden_tasks.py``. The course directory, the gradebook, the
  config, other students' work and the repository's ``lib`` are not there at all. Limits on
  memory, processes and CPU time apply to every process in it (``prlimit``). The kernel talks
  to the grader over ZeroMQ's ``ipc`` transport (Unix sockets in a per-kernel folder), since it
  has no network, not even loopback.
* ``SandboxedExecute`` runs the notebook as nbgrader's ``Execute`` does, with a limit per cell
  in **CPU seconds** of the whole sandbox (a loaded grader cannot time out an honest student),
  a wall-clock backstop, and a dead kernel costing only the cells after it.
* ``JudgeHiddenTests`` computes every auto-graded score in the grader's own process: a hidden
  test cell only prints a JSON record of what the student's functions returned
  (``hidden_tasks.py``); the expected values (``expected_values.json``) and the comparisons
  are here. ``SaveJudgedScores`` stores those scores; outputs such as ``execute_result`` in a
  grade cell count for nothing, and no output can make a score leave ``0..points``.

Why not an existing tool: nbgrader has no sandbox and decides scores from cell outputs; the
pieces here are the smallest additions to nbgrader's own preprocessors and to jupyter_client's
kernel manager that put bubblewrap (the existing sandbox tool) around the kernel and move the
verdict out of the student's process.
"""

import asyncio
import functools
import importlib.util
import json
import math
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

import numpy as np
from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import DeadKernelError
from nbclient.util import run_sync
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute, NbGraderPreprocessor, SaveAutoGrades
from traitlets import Bool, Dict, Float, Integer, List, Unicode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # hidden_tasks: the inputs the grader shares with the kernel
import hidden_tasks  # noqa: E402

EXPECTED = json.loads((HERE / "expected_values.json").read_text())
DIGITS_FILE = "datasets/data/digits.csv.gz"  # in scikit-learn: pixels 0..16, then the label
SANDBOX_PACKAGE = "bubblewrap"
NOBODY = 65534


class SandboxMissing(RuntimeError):
    pass


# --- The sandboxed kernel ----------------------------------------------------------------------
class SandboxedKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` whose kernel runs inside bubblewrap (see the module docstring)."""

    sandbox = Bool(True, help="Run the kernel in bubblewrap; False only for explicit opt-out.").tag(
        config=True
    )
    memory_limit_mb = Integer(6144, help="Address-space limit of each process (MiB).").tag(
        config=True
    )
    process_limit = Integer(64, help="Most processes the sandbox's user may have.").tag(config=True)
    cpu_limit_s = Integer(300, help="CPU seconds of each process over the whole notebook.").tag(
        config=True
    )
    hidden_packages = List(
        Unicode(), help="Top-level packages of site-packages hidden from this kernel."
    ).tag(config=True)
    notebook_dir = Unicode("", help="The notebook's folder (bound read-only).")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.cache_ports = False  # ports are socket-file suffixes here, not TCP ports
        if self.sandbox:
            self.transport = "ipc"
            self._socket_dir = tempfile.mkdtemp(prefix="nbgrader-kernel-")
            self.connection_file = os.path.join(self._socket_dir, "kernel.json")

    def format_kernel_cmd(self, extra_arguments=None):
        command = super().format_kernel_cmd(extra_arguments)
        if not self.sandbox:  # explicit opt-out: the kernel runs as the grader, unconfined
            self.log.warning("GRADING WITHOUT A SANDBOX (c.SandboxedKernelManager.sandbox=False)")
            return ["env", f"PYTHONPATH={HERE}", *command]
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            raise SandboxMissing(
                f"grading needs the sandbox tool bwrap: install the Debian package "
                f"'{SANDBOX_PACKAGE}' (or set c.SandboxedKernelManager.sandbox = False to grade "
                f"without a sandbox)"
            )
        as_root = os.geteuid() == 0
        # As root: the kernel drops to nobody inside the sandbox (it then owns nothing, and the
        # process limit applies, which it never does to root); bwrap keeps only the two
        # capabilities setpriv needs, and setpriv's exec leaves none (no_new_privs is set).
        user = []
        if as_root:
            os.chown(self._socket_dir, NOBODY, NOBODY)
            os.chown(self.connection_file, NOBODY, NOBODY)
            user = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
        limits = [
            "prlimit",
            f"--as={self.memory_limit_mb * 2**20}",
            f"--nproc={self.process_limit + _processes_of(NOBODY if as_root else os.getuid())}",
            f"--cpu={self.cpu_limit_s}",
            "--core=0",
        ]
        return [bwrap, *self._bwrap_arguments(as_root), "--", *user, *limits, *command]

    def _bwrap_arguments(self, as_root):
        # every namespace; as root without a user namespace (it would map only uid 0)
        args = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts"]
        args += ["--unshare-cgroup-try", "--die-with-parent", "--new-session"]
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"] if as_root else []
        args += [] if as_root else ["--unshare-user"]
        args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp"]
        args += ["--clearenv"]
        for top in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
            path = Path("/") / top
            if path.is_symlink():
                args += ["--symlink", os.readlink(path), str(path)]
            elif path.exists():
                args += ["--ro-bind", str(path), str(path)]
        args += ["--ro-bind", "/usr", "/usr"]
        args += ["--dir", "/etc"]  # 0755: made implicitly, it would be 0700, closed to nobody
        for etc in ("passwd", "group", "fonts", "localtime", "mime.types", "ld.so.cache"):
            args += ["--ro-bind-try", f"/etc/{etc}", f"/etc/{etc}"]
        made = {"/", "/tmp", "/usr", "/etc"}

        def bind(kind, source, destination=None):
            destination = destination or source
            parents = [str(p) for p in reversed(Path(destination).parents) if str(p) not in made]
            for parent in parents:  # bwrap would make them 0700: unreadable for nobody
                args.extend(["--dir", parent])
                made.add(parent)
            args.extend([kind, str(source), str(destination)])

        for prefix in sorted({sys.base_prefix, sys.prefix, os.path.realpath(sys.base_prefix)}):
            if not prefix.startswith("/usr/"):
                bind("--ro-bind", prefix)
        site = next(Path(p) for p in sys.path if p.endswith("site-packages"))
        for package in self.hidden_packages:
            if (site / package).is_dir():
                args += ["--tmpfs", str(site / package)]
        bind("--ro-bind", HERE / "hidden_tasks.py", "/opt/grading/hidden_tasks.py")
        if self.notebook_dir:
            bind("--ro-bind", self.notebook_dir)
            args += ["--chdir", self.notebook_dir]
        bind("--bind", self._socket_dir)
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": "/tmp",
            "LANG": "C.UTF-8",
            "PYTHONPATH": "/opt/grading",
            "MPLCONFIGDIR": "/tmp",
            "JOBLIB_MULTIPROCESSING": "0",  # serial, as it would be anyway: no warning about it
            # a parent (the sandbox's init, PID 1: bwrap --die-with-parent ends the kernel with
            # the grader), so ipykernel prints no "`ipython kernel` entry point" banner
            "JPY_PARENT_PID": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "JUPYTER_PLATFORM_DIRS": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        }
        for name in ("NPY_DISABLE_CPU_FEATURES", "OPENBLAS_CORETYPE"):  # another CPU path
            if name in os.environ:
                env[name] = os.environ[name]
        for name, value in env.items():
            args += ["--setenv", name, value]
        return args

    async def interrupt_kernel(self):
        """Interrupt by message: the kernel is in another PID namespace, behind bwrap."""
        if self.has_kernel:
            message = self.session.msg("interrupt_request", content={})
            self._connect_control_socket()
            self.session.send(self._control_socket, message)

    async def cleanup_resources(self, restart=False):
        await super().cleanup_resources(restart)
        if self.sandbox and not restart:
            shutil.rmtree(self._socket_dir, ignore_errors=True)

    def sandbox_pid(self):
        process = getattr(self.provisioner, "process", None)
        return getattr(process, "pid", None)


def _processes_of(uid):
    """How many processes the user already has (the process limit counts them too)."""
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                count += entry.stat().st_uid == uid
            except OSError:
                pass
    return count


def _tree_cpu_seconds(root_pid):
    """CPU seconds used by a process and all its descendants (dead children included)."""
    children, times = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        times[pid] = sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += times.get(pid, 0)
        stack += children.get(pid, [])
    return total / os.sysconf("SC_CLK_TCK")


# --- Running the notebook ----------------------------------------------------------------------
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
        self._assignment = resources.get("nbgrader", {}).get("assignment", "")
        self._notebook_dir = str(Path(resources.get("metadata", {}).get("path") or ".").resolve())
        result = super().preprocess(nb, resources, km)
        self.log.info("the sandboxed kernel used %.1f CPU seconds", self._kernel_cpu_s)
        return result

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        km.notebook_dir = self._notebook_dir
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
                self._kernel_cpu_s = max(self._kernel_cpu_s, _tree_cpu_seconds(pid))

    execute_cell = run_sync(async_execute_cell)  # nbclient wraps the base class's coroutine

    async def _limit_cpu(self, cell_index):
        """Interrupt the cell after cell_cpu_limit_s CPU seconds; kill the kernel if it ignores."""
        pid = self.km.sandbox_pid() if hasattr(self.km, "sandbox_pid") else None
        if pid is None:
            return
        start, interrupted = _tree_cpu_seconds(pid), False
        while True:
            await asyncio.sleep(0.2)
            used = _tree_cpu_seconds(pid) - start
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


# --- The verdict -------------------------------------------------------------------------------
class JudgeHiddenTests(NbGraderPreprocessor):
    """Score every auto-graded code cell from its record, in the grader's process.

    The score (0 or the cell's points) goes into ``resources["judged_scores"]``; the cell gets a
    stdout output that says what was wrong, for the feedback (the record lines, read, are
    removed, and so is any execute_result). A grade cell without a check, a
    missing or unreadable record, or two records for one cell score 0.
    """

    def preprocess(self, nb, resources):
        resources["judged_scores"] = {}
        self._assignment = resources.get("nbgrader", {}).get("assignment", "")
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader", {})
        if not (meta.get("grade") and cell.cell_type == "code"):
            return cell, resources
        grade_id, points = meta.get("grade_id"), float(meta.get("points", 0))
        try:
            problems = judge(self._assignment, grade_id, _records(cell))
        except Exception as error:  # noqa: BLE001 (a bad record never stops the run)
            problems = [f"the record could not be judged ({type(error).__name__})"]
        resources["judged_scores"][grade_id] = 0.0 if problems else points
        verdict = "passed" if not problems else "failed: " + "; ".join(problems[:5])
        cell.outputs = [o for o in map(_without_records, cell.outputs) if o is not None]
        cell.outputs.append(new_output("stream", name="stdout", text=f"[grader] {verdict}\n"))
        return cell, resources


def _records(cell):
    """The JSON records a cell printed (at most 4 MB of them are read)."""
    text = "".join(
        o.get("text", "") for o in cell.outputs if o.output_type == "stream" and o.name == "stdout"
    )[: 4 * 2**20]
    return [
        json.loads(line[len(hidden_tasks.RECORD_MARKER) :])
        for line in text.splitlines()
        if line.startswith(hidden_tasks.RECORD_MARKER)
    ]


def _without_records(output):
    """The output as the feedback shows it: no execute_result, no record lines (read already)."""
    if output.output_type == "execute_result":
        return
    if output.output_type == "stream":
        lines = output.get("text", "").splitlines(keepends=True)
        output.text = "".join(x for x in lines if not x.startswith(hidden_tasks.RECORD_MARKER))
        return output if output.text else None
    return output


class SaveJudgedScores(SaveAutoGrades):
    """nbgrader's SaveAutoGrades, with the judged score for code grade cells."""

    def _add_score(self, cell, resources):
        if cell.cell_type != "code":
            return super()._add_score(cell, resources)
        grade = self.gradebook.find_grade(
            cell.metadata["nbgrader"]["grade_id"],
            self.notebook_id,
            self.assignment_id,
            self.student_id,
        )
        score = resources.get("judged_scores", {}).get(grade.name, 0.0)
        grade.auto_score = min(max(float(score), 0.0), float(grade.max_score))
        grade.needs_manual_grade = grade.manual_score is not None
        self.gradebook.db.commit()


# --- The checks: expected values and comparisons --------------------------------------------------
def judge(assignment, grade_id, records):
    """Problems (strings) of one grade cell's records; [] means full points."""
    mine = [r for r in records if isinstance(r, dict) and r.get("grade_id") == grade_id]
    if len(mine) != 1:
        return [f"expected one record of the hidden tests, found {len(mine)}"]
    record = mine[0]
    values = record.get("values", {})
    problems = []
    forbidden = sorted(set(record.get("modules", [])) & {"lib", "scipy"})
    if forbidden:
        problems.append(f"must use numpy only, but it called into {forbidden[0]}")
    if record.get("notebook_threads"):
        problems.append("a thread started by the notebook was running during the tests")
    check = CHECKS.get(grade_id)
    if check is None:
        return [f"no check for the grade cell {grade_id!r}"]
    check(Checker(values, EXPECTED.get(grade_id, {}), problems))
    return problems


class Checker:
    """Comparisons of described values (``hidden_tasks.describe``) with expected ones."""

    def __init__(self, values, expected, problems):
        self.values, self.expected, self.problems = values, expected, problems

    def fail(self, message):
        self.problems.append(message)
        return False

    def get(self, name):
        value = self.values.get(name)
        return value if isinstance(value, dict) else {"type": "missing"}

    def array(self, name, shape=None, dtype="<f8"):
        """The numbers of an ndarray result, or None after recording what is wrong."""
        value = self.get(name)
        if value.get("type") == "raised":
            return self.fail(f"{name}: raised {value['raised'][0]}") or None
        if value.get("type") != "ndarray":
            return self.fail(f"{name}: expected a numpy array, got {value.get('type')}") or None
        if dtype is not None and value.get("dtype") != dtype:
            return self.fail(f"{name}: dtype {value.get('dtype')}, expected {dtype}") or None
        if shape is not None and value.get("shape") != list(shape):
            return self.fail(f"{name}: shape {value.get('shape')}, expected {list(shape)}") or None
        numbers = value.get("values")
        return numbers if isinstance(numbers, list) else self.fail(f"{name}: no values") or None

    def number(self, name, kind="float"):
        value = self.get(name)
        if value.get("type") != kind or not isinstance(value.get("value"), (int, float)):
            return self.fail(f"{name}: expected a Python {kind}, got {value.get('type')}") or None
        return float(value["value"])

    def close(self, name, got, want, rtol, atol):
        if got is None:
            return False
        if len(got) != len(want):
            return self.fail(f"{name}: {len(got)} entries, expected {len(want)}")
        for k, (g, w) in enumerate(zip(got, want, strict=True)):
            if not (isinstance(g, (int, float)) and abs(g - w) <= atol + rtol * abs(w)):
                return self.fail(f"{name}: entry {k} is {g!r}, expected {w!r}")
        return True

    def expect(self, name, shape, rtol, atol, dtype="<f8"):
        return self.close(name, self.array(name, shape, dtype), self.expected[name], rtol, atol)

    def raised(self, name, error="ValueError"):
        value = self.get(name)
        if value.get("type") != "raised" or error not in value.get("raised", []):
            return self.fail(f"{name}: must raise {error}, got {value.get('type')}")
        return True

    def true(self, name, message):
        return True if self.get(name) == {"type": "bool", "value": True} else self.fail(message)


def _check_softmax(c):
    c.expect("extreme", (4, 3), 1e-12, 1e-300)
    c.true("input_unchanged", "softmax must not modify its input in place")
    c.expect("wide", (2, 5), 1e-12, 1e-300)
    c.expect("vector", (3,), 1e-12, 1e-300)
    c.expect("f32", (3, 2), 1e-6, 1e-30, dtype="<f4")


def _check_log_softmax(c):
    c.expect("extreme", (4, 3), 1e-12, 1e-12)
    c.expect("wide", (2, 5), 1e-12, 1e-12)
    c.expect("vector", (3,), 1e-12, 1e-12)
    c.expect("dominant", (2, 2), 1e-12, 1e-12)
    # relative only: the most probable class's log P is -4.25e-18, not 0 (log1p, not log)
    c.expect("confident", (2, 2), 1e-12, 0.0)
    c.expect("f32", (3, 2), 1e-6, 1e-6, dtype="<f4")


def _check_cross_entropy(c):
    c.close("extreme", [c.number("extreme")], c.expected["extreme"], 1e-12, 0.0)
    c.close("f32", [c.number("f32")], c.expected["f32"], 1e-5, 0.0)
    for k in range(len(hidden_tasks.BAD_LABELS)):
        c.raised(f"bad_labels_{k}")


def _check_gradient(c):
    c.expect("extreme", (4, 3), 1e-12, 1e-15)
    c.raised("bad_labels")


def _check_overflow_demo(c):
    """The demo overflows, and stable_probs is the student's own softmax of z_demo, right."""
    z_demo = c.array("z_demo")
    naive = c.array("naive_probs")
    stable = c.array("stable_probs")
    recomputed = c.array("softmax_of_z_demo")
    if None in (z_demo, naive, stable, recomputed):
        return
    if len(c.get("z_demo")["shape"]) != 1 or len(z_demo) < 2:
        return c.fail("z_demo must be a 1-D array of at least 2 logits")
    if not max(z_demo) > math.log(sys.float_info.max):
        return c.fail(
            f"e^z overflows float64 only for z > 709.78; the largest entry is {max(z_demo)}"
        )
    if all(math.isfinite(v) for v in naive):
        return c.fail("naive_probs must show the failure (an inf or a nan)")
    if stable != recomputed:
        return c.fail("stable_probs must be softmax(z_demo), computed by your softmax")
    z = np.array(z_demo)
    e = np.exp(z - z.max())
    c.close("stable_probs", stable, (e / e.sum()).tolist(), 1e-10, 1e-300)


def _check_gradient_check(c):
    c.close("cube", c.array("cube", (2, 2)), c.expected["cube"], 0.0, 1e-8)
    c.true("x_unchanged", "numerical_gradient must not change x")
    c.close("relative", [c.number("relative")], [0.2], 1e-15, 0.0)
    c.close("relative_zero", [c.number("relative_zero")], [0.0], 0.0, 0.0)
    analytic = c.array("check_analytic", (5, 4))
    numerical = c.array("check_numerical", (5, 4))
    if analytic is not None and numerical is not None:
        pairs = zip(analytic, numerical, strict=True)
        worst = max(abs(a - b) / (abs(a) + abs(b)) if a or b else 0.0 for a, b in pairs)
        if not worst < 1e-6:
            c.fail(f"cross_entropy_grad and the numerical gradient differ by {worst:.2e}")


def _triple(c, key, names, what):
    """Unpack the recorded 3-tuple `key` into ``c.values`` under `names`; False if it is not one."""
    value = c.get(key)
    items = value.get("items", []) if value.get("type") == "tuple" else []
    if len(items) != 3:
        c.fail(f"{what}, got {value.get('type')}")
        return False
    c.values.update(zip(names, items, strict=True))
    return True


def _check_loss_and_grad(c):
    if not _triple(c, "tiny", ("cost", "dW", "db"), "expected (cost, dW, db)"):
        return
    c.close("cost", [c.number("cost")], c.expected["cost"], 1e-12, 0.0)
    c.expect("dW", (2, 3), 1e-10, 1e-14)
    c.expect("db", (3,), 1e-10, 1e-14)
    c.true("W_unchanged", "the function must not modify W")


def _digits_test_accuracy(c, w_name, b_name):
    """Test accuracy of the student's trained weights, measured here on the chapter's split."""
    w = c.array(w_name, (64, 10))
    b = c.array(b_name, (10,))
    if w is None or b is None:
        return
    x_test, labels_test = _digits_test_split()
    predicted = (x_test @ np.array(w).reshape(64, 10) + np.array(b)).argmax(axis=1)
    return float(np.mean(predicted == labels_test))


@functools.cache  # one split per grading run, not one per cell and submission
def _digits_test_split():
    """The test digits of chapter 7's split: the rows that scikit-learn's stratified
    ``train_test_split`` holds out (computed once, in expected_values.json), read from
    scikit-learn's bundled copy of the digits (the file ``load_digits`` reads). Importing
    scikit-learn would add a second to every grading run; tests/test_assignments.py checks that
    this is exactly ``load_digits`` and the split."""
    sklearn = importlib.util.find_spec("sklearn")  # where it is installed; nothing is imported
    table = np.loadtxt(Path(sklearn.origin).parent / DIGITS_FILE, delimiter=",")
    rows = EXPECTED["digits-test-split"]["rows"]
    return table[rows, :-1] / 16.0, table[rows, -1].astype(int)


def _history(c, name, epochs):
    history = c.get(name)
    costs = history.get("items", {}).get("cost", {}) if history.get("type") == "dict" else {}
    numbers = [item.get("value") for item in costs.get("items", [])]
    if len(numbers) != epochs:
        c.fail(f"{name} must hold one cost per epoch ({epochs}), has {len(numbers)}")
        return
    return numbers


def _check_train(c):
    if not _triple(c, "tiny_train", ("W2", "b2", "history2"), "train must return (W, b, history)"):
        return
    costs = _history(c, "history2", hidden_tasks.TINY_EPOCHS)
    c.close("costs of train(lr=0.5, epochs=2)", costs, c.expected["costs"], 1e-10, 0.0)
    c.expect("W2", (2, 3), 1e-10, 1e-14)
    c.expect("b2", (3,), 1e-10, 1e-14)
    epochs = c.number("EPOCHS", "int")
    costs = _history(c, "history_ce", int(epochs or 0))
    if costs is not None:
        c.close("first cost of history_ce (zero weights)", costs[:1], [math.log(10)], 1e-12, 0.0)
    accuracy = _digits_test_accuracy(c, "W_ce", "b_ce")
    if accuracy is not None and not accuracy >= hidden_tasks.ACCURACY_FLOOR_CE:
        c.fail(
            f"W_ce, b_ce classify {accuracy:.3f} of the test digits; at least "
            f"{hidden_tasks.ACCURACY_FLOOR_CE} is needed"
        )


def _check_curves(c):
    epochs = c.number("EPOCHS", "int")
    costs = _history(c, "history_mse", int(epochs or 0))
    if costs is not None:
        c.close("first cost of history_mse (zero weights)", costs[:1], [0.45], 1e-12, 0.0)
    accuracy = _digits_test_accuracy(c, "W_mse", "b_mse")
    if accuracy is not None:
        if not accuracy >= hidden_tasks.ACCURACY_FLOOR_MSE:
            c.fail(
                f"W_mse, b_mse classify {accuracy:.3f} of the test digits: the squared-error "
                f"model was not trained (at least {hidden_tasks.ACCURACY_FLOOR_MSE} expected)"
            )
        c.close("test_accuracy_mse", [c.number("test_accuracy_mse")], [accuracy], 1e-12, 0.0)
    panels = c.get("panels").get("items", [])
    curves = 0
    for panel in panels:
        fields = panel.get("items", [])
        if len(fields) != 3 or not (fields[0].get("value") and fields[1].get("value")):
            return c.fail("every panel of fig_curves needs axis labels")
        curves += sum(1 for n in fields[2].get("items", []) if n.get("value") == epochs)
    if curves < 4:
        c.fail(f"fig_curves shows {curves} curves over all epochs; expected 4 (2 costs x 2)")


CHECKS = {
    "softmax-hidden-tests": _check_softmax,
    "log-softmax-hidden-tests": _check_log_softmax,
    "cross-entropy-hidden-tests": _check_cross_entropy,
    "gradient-hidden-tests": _check_gradient,
    "overflow-demo-hidden-tests": _check_overflow_demo,
    "gradient-check-hidden-tests": _check_gradient_check,
    "loss-and-grad-hidden-tests": _check_loss_and_grad,
    "train-hidden-tests": _check_train,
    "loss-and-grad-mse-hidden-tests": _check_loss_and_grad,
    "curves-hidden-tests": _check_curves,
}
