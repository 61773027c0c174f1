"""The hidden inputs of a submission, drawn at grading time from the course secret.

The secret is the environment variable ``SOFTMAX_COURSE_SECRET`` or, without it, the file
``.course_secret`` in the course directory (never committed: ``.gitignore`` lists it). If
neither exists, the first grading run writes a random secret to that file (readable by the
instructor only) and says so in the log. Every check's family is drawn from a generator seeded
by a hash of the secret, the assignment, the student, the cell and the family's name: each
student gets inputs of their own, the same at every regrading, and nobody without the secret
can know them (or their answers) in advance.
"""

import functools
import hashlib
import logging
import os
import secrets
from pathlib import Path

import numpy as np

from . import checks

SECRET_VARIABLE = "SOFTMAX_COURSE_SECRET"
SECRET_FILE = ".course_secret"


def course_secret(config=None, root=None):
    """The course secret (see the module docstring); `root` defaults to nbgrader's course root."""
    if os.environ.get(SECRET_VARIABLE):
        return os.environ[SECRET_VARIABLE]
    if root is None:
        from nbgrader.coursedir import CourseDirectory

        root = CourseDirectory(config=config).root
    path = Path(root) / SECRET_FILE
    if not path.exists():
        # written whole, then linked into place: graders running in parallel all read the
        # secret of whichever came first, never a half-written file
        temporary = path.with_name(f"{SECRET_FILE}.{os.getpid()}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        try:
            os.link(temporary, path)
            logging.getLogger("grader").warning(
                "wrote a new course secret to %s (keep it, never commit it)", path
            )
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text().strip()


def generator(secret, assignment, student, task, family):
    text = "\0".join([secret, assignment, student, task, family])
    return np.random.default_rng(int.from_bytes(hashlib.sha256(text.encode()).digest()[:16], "big"))


@functools.cache  # the executor and the judge draw the same inputs once per submission
def draw(secret, assignment, student):
    """{(task, family name): inputs} for every check of the assignment."""
    drawn = {}
    for check in checks.CHECKS:
        key = (check.task, check.family.__name__)
        if check.assignment == assignment and key not in drawn:
            drawn[key] = check.family(generator(secret, assignment, student, *key))
    return drawn


def inputs_of(check, secret, student):
    return draw(secret, check.assignment, student)[(check.task, check.family.__name__)]


def kernel_plan(secret, assignment, student):
    """What the kernel runs, per hidden-test cell: the probes of its checks on the drawn inputs
    (each probe once). Inputs only: no expected value is in the plan."""
    tasks = {}
    for check in checks.CHECKS:
        if check.assignment != assignment:
            continue
        probes = tasks.setdefault(check.task, [])
        for probe in check.probes(inputs_of(check, secret, student)):
            if probe["key"] not in {p["key"] for p in probes}:
                probes.append(probe)
    return {"assignment": assignment, "tasks": tasks}
