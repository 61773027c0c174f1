"""The sandboxed kernel: every grading kernel runs inside bubblewrap (Debian ``bubblewrap``).

A user and PID namespace of its own that dies with the grader, no network, a private ``/tmp``,
the system and the Python installation read-only, and of the course only the notebook's own
folder (read-only: nbgrader, running as the instructor, writes the graded notebook there next),
the kernel side of the hidden tests (``hidden_tasks.py``) and this submission's plan of hidden
inputs (``plan.json``: inputs only, never an expected value). The course directory, the
gradebook, the config, the course secret, other students' work and the repository's ``lib`` are
not there at all. Limits on memory, processes and CPU time apply to every process in it
(``prlimit``). The kernel talks to the grader over ZeroMQ's ``ipc`` transport (Unix sockets in
a per-kernel folder), since it has no network, not even loopback.

Why not an existing tool: jupyter_client has no sandbox; this is the smallest addition to its
kernel manager that puts bubblewrap (the existing sandbox tool) around the kernel.
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Integer, List, Unicode

COURSE_CODE = Path(__file__).resolve().parent.parent  # the folder of hidden_tasks.py
KERNEL_SIDE = COURSE_CODE / "hidden_tasks.py"
MOUNT = "/opt/grading"  # where the sandbox sees hidden_tasks.py and plan.json
PLAN_VARIABLE = "GRADER_PLAN"  # the environment variable that names the plan file
SANDBOX_PACKAGE = "bubblewrap"
NOBODY = 65534


class SandboxMissing(RuntimeError):
    pass


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
    plan_file = Unicode("", help="This submission's hidden inputs (bound read-only).")

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
            plan = [f"{PLAN_VARIABLE}={self.plan_file}"] if self.plan_file else []
            return ["env", f"PYTHONPATH={COURSE_CODE}", *plan, *command]
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
        bind("--ro-bind", KERNEL_SIDE, f"{MOUNT}/hidden_tasks.py")
        if self.plan_file:
            bind("--ro-bind", self.plan_file, f"{MOUNT}/plan.json")
        if self.notebook_dir:
            bind("--ro-bind", self.notebook_dir)
            args += ["--chdir", self.notebook_dir]
        bind("--bind", self._socket_dir)
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": "/tmp",
            "LANG": "C.UTF-8",
            "PYTHONPATH": MOUNT,
            PLAN_VARIABLE: f"{MOUNT}/plan.json",
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


def tree_cpu_seconds(root_pid):
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
