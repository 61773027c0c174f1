"""How grading scales with cores: `scripts/assignments.py autograde NAME --jobs J` on a class.

For every class size and every --jobs value, a class of honest submissions (the instructor
solution, written into the student version) is collected once and autograded with ``--force``,
every kernel in the course's bubblewrap sandbox. Printed per run:

- wall seconds in all and per submission;
- the speed-up over --jobs 1;
- the "overhead": core-seconds per submission (wall x jobs / submissions) less the kernel's
  own CPU work for one submission (measured once, outside nbgrader: the same notebook executed
  by nbclient in a plain kernel, which reports its own CPU time);
- the ratio of wall time to the kernels' own CPU time (submissions x kernel CPU).

No CPU-time column: the sandboxed kernels run in bubblewrap's own PID namespace, and their CPU
time is not reported back to this process (getrusage's RUSAGE_CHILDREN counts only the children
that were waited for), so such a column would undercount.

    .venv/bin/python bench/bench_grading.py                      # 24 and 200, --jobs 1 and 2
    .venv/bin/python bench/bench_grading.py --sizes 6 --jobs 1 2 # a quick check
    .venv/bin/python bench/bench_grading.py --importtime          # what nbgrader's start-up imports

Run it on an otherwise idle machine: the numbers are only as steady as the machine.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from assignment_grading import copy_course, run_script, write_submissions  # noqa: E402

ENV = dict(os.environ, JUPYTER_PLATFORM_DIRS="1", PYDEVD_DISABLE_FILE_VALIDATION="1")


def kernel_cpu(notebook):
    """CPU seconds that a plain kernel spends running `notebook` (its own report, os.times)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    probe = (
        "import os; t = os.times(); print(t.user + t.system + t.children_user + t.children_system)"
    )
    nb.cells.append(nbformat.v4.new_code_cell(probe))
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True).execute()
    return float(nb.cells[-1].outputs[-1]["text"])


def make_class(base, assignment, size):
    """A course with `size` honest submissions collected: s000, s001, ..."""
    course = copy_course(base / f"course-{size}")
    run_script(course, "release")
    one = base / f"one-{size}"
    write_submissions(course, assignment, one, only=["solution"])
    inbox = base / f"inbox-{size}"
    for k in range(size):
        (inbox / f"s{k:03d}").mkdir(parents=True)
        shutil.copy(one / "solution" / f"{assignment}.ipynb", inbox / f"s{k:03d}")
    run_script(course, "collect", assignment, str(inbox))
    return course, one / "solution" / f"{assignment}.ipynb"


def grade(course, assignment, jobs):
    script = [sys.executable, str(ROOT / "scripts" / "assignments.py"), "--course", str(course)]
    start = time.perf_counter()
    subprocess.run([*script, "autograde", assignment, "--jobs", str(jobs)], env=ENV, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - start


def importtime(top=15):
    """The slowest imports (cumulative) of nbgrader's command-line start-up."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import nbgrader.apps.nbgraderapp"],
        env=ENV,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "cumulative" not in line:
            own, cumulative, name = line[len("import time:") :].split("|")
            rows.append((int(cumulative) / 1e6, int(own) / 1e6, name.rstrip()))
    print(f"{'cumulative s':>12} {'own s':>7}  module (python -X importtime)")
    for cumulative, own, name in sorted(rows, reverse=True)[:top]:
        print(f"{cumulative:12.3f} {own:7.3f}  {name}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assignment", default="softmax_and_cost")
    parser.add_argument("--sizes", type=int, nargs="+", default=[24, 200])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--importtime", action="store_true", help="profile the start-up only")
    args = parser.parse_args()
    if args.importtime:
        importtime()
        return
    print(f"{os.cpu_count()} cores; assignment {args.assignment}")
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        for size in args.sizes:
            course, notebook = make_class(Path(tmp), args.assignment, size)
            own = kernel_cpu(notebook)
            print(f"\n{size} submissions; one kernel's own work: {own:.2f} CPU s")
            columns = ("jobs", "wall s", "s/sub", "speed-up", "overhead s/sub", "wall/kernel CPU")
            widths = (4, 8, 7, 8, 14, 15)
            print(" ".join(f"{c:>{w}}" for c, w in zip(columns, widths, strict=True)))
            serial = None
            for jobs in args.jobs:
                wall = grade(course, args.assignment, jobs)
                serial = serial or wall
                overhead = wall * min(jobs, os.cpu_count() or 1) / size - own
                values = (wall, wall / size, serial / wall, overhead, wall / (size * own))
                cells = zip(values, widths[1:], strict=True)
                row = [f"{jobs:4d}"] + [f"{v:{w}.2f}" for v, w in cells]
                print(" ".join(row))


if __name__ == "__main__":
    main()
