"""A class on a real JupyterHub: release, fetch, submit, grade and feedback through the exchange.

One module-scoped hub, started as root with the committed assignments/hub/jupyterhub_config.py:
JupyterHub, its proxy (configurable-http-proxy from web/node_modules), LocalProcessSpawner
starting each user's server as that user, three students and an instructor created here as
local Unix users (removed afterwards), and nbgrader's exchange in a shared directory. Everything
the users do goes through the hub's REST API and their own servers, with their own tokens:
nbgrader's assignment-list extension for the students, the Formgrader's API for the
instructor, a kernel in a student's server for what that student's code can reach. Nothing here
calls nbgrader's Python as root; the expected scores come from the command-line grader
(scripts/assignments.py) on the same three notebooks, graded in a separate course directory.
"""

import asyncio
import concurrent.futures
import contextlib
import json
import os
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import quote

import nbformat
import pytest
from assignment_grading import (
    FIXTURES,
    ROOT,
    build_submission,
    copy_course,
    parse_cells_file,
    run_script,
    scores,
    write_submissions,
)

pytestmark = pytest.mark.slow

HUB_CONFIG = ROOT / "assignments" / "hub" / "jupyterhub_config.py"
PROXY = ROOT / "web" / "node_modules" / ".bin" / "configurable-http-proxy"
BIN = Path(sys.executable).parent
COURSE_ID = "softmax-lecture-06"
ASSIGNMENT = "softmax_and_cost"
NOTEBOOK = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
# What each student hands in: the fixture it is built from (tests/assignment_grading.py)
WORK = {"stu1": "solution", "stu2": "wrong-unshifted", "stu3": "attack-filesystem"}
ATTACKER = "stu3"
MARK = "softmax course hub test"  # the comment (GECOS) of every user this test creates


def _userns_as_nobody():
    """Can an unprivileged user make a user namespace (what bwrap needs for the instructor)?"""
    try:
        probe = subprocess.run(
            ["unshare", "--user", "true"], user=65534, group=65534, capture_output=True
        )
    except OSError:
        return False
    return probe.returncode == 0


def _why_not():
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "the hub test needs root (it creates Unix users and spawns servers as them)"
    for tool, package in (
        ("useradd", "passwd"),
        ("bwrap", "bubblewrap"),
        ("unshare", "util-linux"),
    ):
        if shutil.which(tool) is None:
            return f"the hub test needs {tool}: install the Debian package '{package}'"
    if not PROXY.exists():
        return "the hub test needs configurable-http-proxy: run `make vendor` (npm ci --prefix web)"
    if not _userns_as_nobody():
        return "the hub test needs unprivileged user namespaces (the grading sandbox, bwrap)"
    return None


REASON = _why_not()
if REASON and os.environ.get("CI") == "true":  # CI must run it: a missing piece is a failure
    pytest.fail(REASON, pytrace=False)
elif REASON:
    pytest.skip(REASON, allow_module_level=True)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(url, token, method="GET", body=None, form=None, timeout=300):
    """(status, parsed JSON or text) of one HTTP request with a token."""
    headers = {"Authorization": f"token {token}"}
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif method in ("POST", "PUT"):
        data = b""
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        with error:  # an HTTPError holds the response, and so its socket, until closed
            status, text = error.code, error.read().decode(errors="replace")
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


class Hub:
    """The running hub: its URL, the admin service's token, one token per user."""

    def __init__(self, base, url, admin_token, users):
        self.base, self.url, self.admin_token, self.users = base, url, admin_token, users
        self.tokens = {}

    def api(self, method, path, **kw):
        return request(f"{self.url}/hub/api/{path}", self.admin_token, method, **kw)

    def server(self, who, method, path, as_user=None, **kw):
        """A request to `who`'s own server, with the token of `as_user` (default: `who`)."""
        token = self.tokens[as_user or who]
        return request(f"{self.url}/user/{self.users[who]}/{path}", token, method, **kw)

    def ok(self, who, method, path, **kw):
        status, result = self.server(who, method, path, **kw)
        assert status in (200, 201), f"{method} {path} as {who}: {status} {result}"
        return result

    def run_code(self, who, code):
        """Run `code` in a new kernel of `who`'s server (as that Unix user); return its stdout."""
        kernel = self.ok(who, "POST", "api/kernels", body={"name": "python3"})
        try:
            # in a thread of its own: a browser test of the same pytest worker may keep
            # Playwright's event loop running in this one, where asyncio.run() refuses to start
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                return pool.submit(asyncio.run, self._execute(who, kernel["id"], code)).result()
        finally:
            self.server(who, "DELETE", f"api/kernels/{kernel['id']}")

    async def _execute(self, who, kernel_id, code):
        # Jupyter's kernel protocol over the server's websocket (through the proxy): one
        # execute_request, then the stream output until the kernel is idle again.
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        url = f"{self.url}/user/{self.users[who]}/api/kernels/{kernel_id}/channels"
        headers = {"Authorization": f"token {self.tokens[who]}"}
        ws = await websocket_connect(HTTPRequest(url.replace("http", "ws", 1), headers=headers))
        msg_id = uuid.uuid4().hex
        header = {"msg_id": msg_id, "msg_type": "execute_request", "username": who,
                  "session": uuid.uuid4().hex, "version": "5.3", "date": ""}  # fmt: skip
        content = {"code": code, "silent": False, "store_history": False,
                   "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}  # fmt: skip
        message = {"header": header, "parent_header": {}, "metadata": {}, "content": content}
        try:
            await ws.write_message(json.dumps({**message, "channel": "shell"}))
            out = []
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                reply = json.loads(await asyncio.wait_for(ws.read_message(), timeout=120))
                if reply.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind = reply["header"]["msg_type"]
                if kind == "stream":
                    out.append(reply["content"]["text"])
                elif kind == "error":
                    raise AssertionError("\n".join(reply["content"]["traceback"]))
                elif kind == "status" and reply["content"]["execution_state"] == "idle":
                    break
        finally:
            # close() only sends the close frame: tornado closes the socket when the server's
            # reply arrives (or after 5 s), on this event loop, which asyncio.run() ends on
            # return. Wait for the end of the stream (read_message gives None), or the
            # unclosed socket is collected later and fails another test with a ResourceWarning.
            ws.close()
            while await asyncio.wait_for(ws.read_message(), timeout=30) is not None:
                pass
        return "".join(out)


def _run(*command):
    subprocess.run(command, check=True, capture_output=True)


def _processes_of(uids):
    """PIDs of the processes that run as one of `uids` (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid in uids:
                    found.append(int(entry.name))
    return found


def _hidden_ancestor(path):
    """The first folder above `path` that other users cannot enter (None if they can)."""
    for folder in reversed(Path(path).resolve().parents):
        if not folder.stat().st_mode & stat.S_IXOTH:
            return folder
    return None


def _hub_command(base):
    """The command that starts the hub, so that its users can run the course's Python.

    Each user's server runs this environment's interpreter. Where that interpreter lives under
    a folder that other users cannot enter (pyenv under root's 0700 home, as on the test
    machine), the hub runs in its own mount namespace (util-linux unshare, as root) where that
    folder is an empty tmpfs, mode 0755, holding only the Python installation, bound read-only:
    the machine itself is not changed, and the users see nothing else of that folder."""
    command = [str(BIN / "jupyterhub"), "-f", str(HUB_CONFIG)]
    python = Path(sys.base_prefix).resolve()
    hidden = _hidden_ancestor(python / "bin")
    if hidden is None:
        return command
    keep = base / "python-installation"
    keep.mkdir()
    script = (
        'set -e; mount --bind "$1" "$2"; mount -t tmpfs -o mode=0755 tmpfs "$3"; '
        'mkdir -p "$1"; mount --bind "$2" "$1"; mount -o remount,bind,ro "$1"; '
        'umount "$2"; shift 3; exec "$@"'
    )
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
            str(python), str(keep), str(hidden), *command]  # fmt: skip


def _remove_users(users):
    """Delete the users this test created (and what they left running, by PID)."""
    import pwd

    uids = set()
    for name in users:
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(name)
            if entry.pw_gecos == MARK:
                uids.add(entry.pw_uid)
    for _ in range(20):
        pids = _processes_of(uids)
        if not pids:
            break
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, 15 if _ < 10 else 9)
        time.sleep(0.5)
    for name in users:
        with contextlib.suppress(KeyError):
            if pwd.getpwnam(name).pw_gecos == MARK:
                subprocess.run(["userdel", "--force", "--remove", name], capture_output=True)


def _expected_scores(base):
    """The command-line grader's scores of the three submissions (the reference)."""
    course = copy_course(base / "cli-course")
    run_script(course, "release")
    write_submissions(course, ASSIGNMENT, base / "cli-inbox", only=sorted(set(WORK.values())))
    run_script(course, "collect", ASSIGNMENT, str(base / "cli-inbox"))
    run_script(course, "autograde", ASSIGNMENT)
    return {student: result["score"] for student, result in scores(course, ASSIGNMENT).items()}


@pytest.fixture(scope="module")
def hub():
    # Everyone must reach the exchange and their own home: a base folder outside pytest's
    # private (0700) temporary directory.
    base = Path(tempfile.mkdtemp(prefix="softmax-hub-", dir="/tmp"))
    base.chmod(0o755)
    tag = secrets.token_hex(2)
    users = {role: f"sm{tag}-{role}" for role in (*WORK, "ins")}
    running = {}  # the hub's process and log, as soon as they exist
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            expected = pool.submit(_expected_scores, base)
            result = _start(base, users, running)
            result.expected = expected.result()
        yield result
    finally:
        if "process" in running:
            process = running["process"]
            process.terminate()  # JupyterHub stops the servers and the proxy (cleanup_servers)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if "log" in running:
            running["log"].close()
            if os.environ.get("CI") == "true" or sys.exc_info()[0] is not None:
                print((base / "hub.log").read_text()[-8000:])
        _remove_users(users.values())
        shutil.rmtree(base, ignore_errors=True)


def _start(base, users, running):
    (base / "home").mkdir()
    (base / "home").chmod(0o755)
    for name in users.values():
        _run("useradd", "--create-home", "--home-dir", str(base / "home" / name),
             "--user-group", "--shell", "/bin/sh", "--comment", MARK, name)  # fmt: skip
        (base / "home" / name).chmod(0o700)
    # nbgrader's exchange: one directory that every user can write to ("chmod ugo+rw" in
    # nbgrader's docs); the sticky bit, as on /tmp, keeps a student from renaming or deleting
    # the course's folder, which belongs to the instructor.
    exchange = base / "exchange"
    exchange.mkdir()
    exchange.chmod(0o1777)
    # The hub's own state: root's, 0700.
    state = base / "state"
    state.mkdir(mode=0o700)
    # The instructor's course directory: the committed course, owned by the instructor.
    instructor = base / "home" / users["ins"]
    copy_course(instructor / "course")
    _run("chown", "-R", f"{users['ins']}:{users['ins']}", str(instructor / "course"))

    port = free_port()
    admin_token = secrets.token_hex(32)
    env = dict(os.environ, JUPYTER_PLATFORM_DIRS="1", COURSE_HUB_API_TOKEN=admin_token)
    # a course secret in the hub's environment (the grader's hidden inputs): no user's server
    # may inherit it, nor the admin token above
    env.setdefault("SOFTMAX_COURSE_SECRET", secrets.token_hex(16))
    env.update(
        COURSE_HUB_STUDENTS=",".join(users[s] for s in WORK),
        COURSE_HUB_INSTRUCTORS=users["ins"],
        COURSE_HUB_PORT=str(port),
        COURSE_HUB_HUB_PORT=str(free_port()),
        COURSE_HUB_PROXY_API_PORT=str(free_port()),
        COURSE_HUB_STATE=str(state),
        COURSE_HUB_EXCHANGE=str(exchange),
    )
    log = running["log"] = open(base / "hub.log", "w")  # noqa: SIM115  (closed by the fixture)
    process = running["process"] = subprocess.Popen(
        _hub_command(base),
        cwd=state,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    result = Hub(base, f"http://127.0.0.1:{port}", admin_token, users)
    result.exchange, result.state, result.course = exchange, state, instructor / "course"
    result.log = base / "hub.log"
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            raise AssertionError(f"JupyterHub stopped:\n{result.log.read_text()[-4000:]}")
        with contextlib.suppress(OSError):
            if result.api("GET", "")[0] == 200:
                break
        if time.monotonic() > deadline:
            raise AssertionError(f"JupyterHub did not answer:\n{result.log.read_text()[-4000:]}")
        time.sleep(0.5)
    try:
        for role, name in users.items():
            status, token = result.api("POST", f"users/{name}/tokens", body={"note": "test"})
            assert status in (200, 201), (status, token)
            result.tokens[role] = token["token"]
            status, reply = result.api("POST", f"users/{name}/server")
            assert status in (201, 202), (status, reply)
        for role, name in users.items():
            deadline = time.monotonic() + 180
            while not result.api("GET", f"users/{name}")[1]["servers"].get("", {}).get("ready"):
                assert time.monotonic() < deadline, f"{role}'s server did not start"
                time.sleep(0.5)
    except BaseException:
        print(result.log.read_text()[-6000:])
        raise
    return result


@pytest.fixture(scope="module")
def round_trip(hub):
    """The whole round of one assignment, as the users do it; returns what they saw."""
    seen = {"lists": {}, "feedback": {}, "scores": {}}
    formgrader = "formgrader/api"
    # 1. the instructor generates the student version and releases it to the exchange
    assert hub.ok("ins", "POST", f"{formgrader}/assignment/{ASSIGNMENT}/assign")["success"]
    assert hub.ok("ins", "POST", f"{formgrader}/assignment/{ASSIGNMENT}/release")["success"]
    source = nbformat.read(hub.course / "source" / NOTEBOOK, as_version=4)
    course = {"course_id": COURSE_ID}
    for student, work in WORK.items():
        # 2. each student lists the released assignments and fetches this one
        listed = hub.ok(student, "GET", "assignments?" + urllib.parse.urlencode(course))
        seen["lists"][student] = listed
        action = {**course, "assignment_id": ASSIGNMENT}
        hub.ok(student, "POST", "assignments/fetch", form=action)
        # 3. ... fills it in, in the notebook the fetch put in their home
        fetched = hub.ok(student, "GET", f"api/contents/{NOTEBOOK}")
        released = nbformat.from_dict(fetched["content"])
        edits = [("solution", "", "")] if work == "solution" else []
        if work != "solution":
            edits = parse_cells_file(FIXTURES / ASSIGNMENT / f"{work}.cells")
        answer = build_submission(released, source, edits)
        body = {"type": "notebook", "format": "json", "content": answer}
        hub.ok(student, "PUT", f"api/contents/{NOTEBOOK}", body=body)
        # 4. ... and submits it
        submitted = hub.ok(student, "POST", "assignments/submit", form=action)
        assert not isinstance(submitted, dict) or submitted.get("success", True), submitted
    # 5. the instructor collects, autogrades each submission (in the sandbox), writes feedback
    assert hub.ok("ins", "POST", f"{formgrader}/assignment/{ASSIGNMENT}/collect")["success"]
    seen["autograde_logs"] = {}
    for student in WORK:
        path = f"{formgrader}/submission/{ASSIGNMENT}/{hub.users[student]}/autograde"
        graded = hub.ok("ins", "POST", path)
        assert graded["success"], graded.get("error")
        seen["autograde_logs"][student] = graded["log"]
    assert hub.ok("ins", "POST", f"{formgrader}/assignment/{ASSIGNMENT}/generate_feedback")[
        "success"
    ]
    assert hub.ok("ins", "POST", f"{formgrader}/assignment/{ASSIGNMENT}/release_feedback")[
        "success"
    ]
    for submission in hub.ok("ins", "GET", f"{formgrader}/submissions/{ASSIGNMENT}"):
        seen["scores"][submission["student"]] = submission["score"]
    # 6. each student fetches their feedback
    for student in WORK:
        action = {**course, "assignment_id": ASSIGNMENT}
        hub.ok(student, "POST", "assignments/fetch_feedback", form=action)
        folder = hub.ok(student, "GET", f"api/contents/{ASSIGNMENT}/feedback")
        pages = []
        for timestamp in folder["content"]:
            listing = hub.ok(student, "GET", "api/contents/" + quote(timestamp["path"]))
            for page in listing["content"]:
                pages.append(
                    hub.ok(student, "GET", "api/contents/" + quote(page["path"]))["content"]
                )
        seen["feedback"][student] = pages
    return seen


def test_each_student_lists_the_released_assignment(hub, round_trip):
    for student in WORK:
        listed = round_trip["lists"][student]
        assert listed["success"], listed
        released = [a for a in listed["value"] if a["assignment_id"] == ASSIGNMENT]
        assert [a["status"] for a in released] == ["released"], listed


def test_scores_are_the_command_line_graders(hub, round_trip):
    # the solution has full marks, the attack nothing, the partial answer in between; each is
    # what scripts/assignments.py gives the same notebook
    got = {student: round_trip["scores"][hub.users[student]] for student in WORK}
    want = {student: hub.expected[work] for student, work in WORK.items()}
    assert got == want
    assert got["stu1"] == 13 and got["stu3"] == 0 and 0 < got["stu2"] < 13


def test_autograde_ran_in_the_sandbox(hub, round_trip):
    for student in WORK:
        log = round_trip["autograde_logs"][student]
        assert "SandboxedExecute" in log and "JudgeHiddenTests" in log, log[-2000:]
    attack = hub.course / "autograded" / hub.users[ATTACKER] / NOTEBOOK
    assert "course files found: 0" in attack.read_text()


def test_each_student_gets_their_own_feedback(hub, round_trip):
    for student in WORK:
        pages = round_trip["feedback"][student]
        assert len(pages) == 1, f"{student}: {len(pages)} feedback pages"
        score = round_trip["scores"][hub.users[student]]
        # nbgrader's feedback page: "<notebook> (Score: 13.0 / 15.0)"
        assert f"{ASSIGNMENT} (Score: {float(score)} / " in pages[0], pages[0][:2000]


ISOLATION_PROBE = """
import json, os
def attempt(what, action):
    try:
        action(what)
        return "allowed"
    except OSError as error:
        return type(error).__name__
print(json.dumps({what: attempt(what, action) for what, action in %s}))
"""


def test_students_cannot_read_each_other_or_the_course(hub, round_trip):
    # From the attacking student's own kernel (their Unix user): other homes, the course, the
    # inbound folder of the exchange (write-only: submissions land there under names with a
    # random part, which nobody but the instructor can list), the hub's database and secret.
    others = [hub.base / "home" / hub.users[s] for s in WORK if s != ATTACKER]
    targets = [(str(home), "os.listdir") for home in others]
    targets += [(str(home / NOTEBOOK), "open") for home in others]
    targets += [(str(hub.course), "os.listdir"), (str(hub.course / "gradebook.db"), "open")]
    targets += [(str(hub.exchange / COURSE_ID / "inbound"), "os.listdir")]
    targets += [(str(hub.state / "jupyterhub.sqlite"), "open")]
    targets += [(str(hub.state / "jupyterhub_cookie_secret"), "open")]
    listing = "[" + ", ".join(f"({path!r}, {action})" for path, action in targets) + "]"
    result = json.loads(hub.run_code(ATTACKER, ISOLATION_PROBE % listing))
    assert result == {path: "PermissionError" for path, _ in targets}
    # the files exist (so the errors are about permission, not absence)
    for path, _ in targets:
        assert Path(path).exists(), path
    inbound = sorted(os.listdir(hub.exchange / COURSE_ID / "inbound"))
    assert len(inbound) == len(WORK), inbound


def test_no_secret_of_the_hub_reaches_a_students_kernel(hub, round_trip):
    shown = hub.run_code(ATTACKER, "import os; print(sorted(os.environ))")
    names = set(json.loads(shown.replace("'", '"')))
    assert not names & {"SOFTMAX_COURSE_SECRET", "COURSE_HUB_API_TOKEN", "CONFIGPROXY_AUTH_TOKEN"}
    assert "JUPYTERHUB_API_TOKEN" in names  # the student's own server token, and only that


def test_a_students_token_opens_only_their_own_server(hub, round_trip):
    status, _ = hub.server("stu1", "GET", f"api/contents/{NOTEBOOK}", as_user=ATTACKER)
    assert status in (403, 404)
    status, _ = hub.server(
        "ins", "GET", f"formgrader/api/submissions/{ASSIGNMENT}", as_user=ATTACKER
    )
    assert status in (403, 404)
    # and a student's own server has no Formgrader
    status, _ = hub.server(ATTACKER, "GET", f"formgrader/api/submissions/{ASSIGNMENT}")
    assert status == 404


def test_the_exchange_has_nbgraders_permissions(hub, round_trip):
    course = hub.exchange / COURSE_ID
    modes = {
        name: stat.S_IMODE((course / name).stat().st_mode)
        for name in ("", "outbound", "inbound", "feedback")
    }
    # outbound readable by all; inbound writable and enterable, not listable (setgid: the
    # instructor's group); feedback enterable only (pages are found by a hash of the submission)
    assert modes == {"": 0o755, "outbound": 0o755, "inbound": 0o2733, "feedback": 0o711}
    assert (hub.exchange.stat().st_mode & 0o7777) == 0o1777
