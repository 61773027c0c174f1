"""JupyterHub configuration for the Lecture 6 (Softmax) course, as tests/test_hub.py runs it.

One machine, local Unix accounts: JupyterHub (as root) starts each user's Jupyter server as
that user (LocalProcessSpawner), behind configurable-http-proxy (npm, pinned in
web/package-lock.json). Students and the instructor exchange assignments through nbgrader's
exchange directory; the instructor grades in their own server with the Formgrader, whose
kernels run in the course's bubblewrap sandbox (assignments/nbgrader_config.py).

Start it as root from the repository root::

    COURSE_HUB_STUDENTS=ada,grace COURSE_HUB_INSTRUCTORS=lecturer \
        .venv/bin/jupyterhub -f assignments/hub/jupyterhub_config.py

Everything that differs between a real course and the test comes from the environment
variables read below (a name, its default, what it is); assignments/README.md ("Run it on
JupyterHub") describes the deployment.
"""

import os
import shutil
import sys
from pathlib import Path

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


def setting(name, default):
    """One deployment setting: the environment variable COURSE_HUB_<name>, else `default`."""
    return os.environ.get(f"COURSE_HUB_{name}", default)


def names(text):
    return {name.strip() for name in text.split(",") if name.strip()}


# --- Who may log in -------------------------------------------------------------------------
# Local Unix accounts, checked by PAM (JupyterHub's default authenticator). Only the listed
# students and instructors may use the hub; the instructors get the Formgrader.
STUDENTS = names(setting("STUDENTS", ""))
INSTRUCTORS = names(setting("INSTRUCTORS", ""))
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = STUDENTS | INSTRUCTORS
# Users are created by the administrator (useradd), never by the hub.
c.LocalAuthenticator.create_system_users = False

# --- Network: everything on the loopback interface unless told otherwise --------------------
# The public side is the proxy. Put a TLS-terminating web server (or The Littlest JupyterHub's
# Traefik) in front of it; never expose plain HTTP beyond the machine.
c.JupyterHub.ip = setting("IP", "127.0.0.1")
c.JupyterHub.port = int(setting("PORT", "8000"))
# The hub's own API (the proxy and the users' servers talk to it) and the proxy's API.
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(setting("HUB_PORT", "8081"))
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{setting('PROXY_API_PORT', '8001')}"

# --- The hub's state: root's own directory, mode 0700 ---------------------------------------
# The database (users, tokens), the cookie secret and the proxy's token live here; no user's
# server can read them (tests/test_hub.py checks it from a student's kernel).
STATE = Path(setting("STATE", "/srv/jupyterhub"))
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")

# --- The proxy: configurable-http-proxy from the repository's pinned npm packages -----------
# (`npm ci --prefix web`, which `make vendor` and `make test-hub` run); else the one on PATH.
PROXY = REPO / "web" / "node_modules" / ".bin" / "configurable-http-proxy"
c.ConfigurableHTTPProxy.command = [str(PROXY) if PROXY.exists() else "configurable-http-proxy"]
# JupyterHub starts the proxy and stops it when it stops.
c.ConfigurableHTTPProxy.should_start = True

# --- Each user's server: their own Unix user, the course's Python environment ----------------
# LocalProcessSpawner switches to the user's uid and gid and starts the server in their home
# directory (its notebook root). The server is this environment's jupyterhub-singleuser, so the
# users get exactly the locked packages (requirements.lock) and the course's kernel.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(Path(sys.executable).parent / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
# The nbgrader and Jupyter configuration of each user's role: student/ or instructor/ beside
# this file (their server extensions, and where the exchange and the course are).
EXCHANGE = setting("EXCHANGE", "/srv/nbgrader/exchange")
COURSE_DIR = setting("COURSE_DIR", "course")  # the instructor's course, relative to their home


def role_config(spawner):
    role = "instructor" if spawner.user.name in INSTRUCTORS else "student"
    return str(HERE / role)


# A user's server gets only these variables and those of Spawner.env_keep (PATH, LANG, ...):
# nothing else of the hub's own environment (its API tokens, a course secret) reaches it. The
# grader's course secret is the instructor's file ~/course/.course_secret (assignments/README.md).
c.Spawner.environment = {
    "JUPYTER_CONFIG_PATH": role_config,
    # the newer layout of Jupyter's own folders (silences a deprecation warning)
    "JUPYTER_PLATFORM_DIRS": "1",
    "NBGRADER_EXCHANGE": EXCHANGE,
    "COURSE_HUB_COURSE_DIR": COURSE_DIR,
    # nbgrader runs `alembic` and the grader runs `bwrap` from PATH: this environment's bin/
    # first, then the system's.
    "PATH": os.pathsep.join(
        [str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]
    ),
}
# bubblewrap, for the instructor's grading sandbox; a missing one is named at autograde time.
if shutil.which("bwrap") is None:
    print("warning: bwrap not found; install the Debian package 'bubblewrap'", file=sys.stderr)

# --- Services and roles: who may call the hub's REST API for what ---------------------------
# An API token from the environment (COURSE_HUB_API_TOKEN), for scripts that drive the hub:
# the test creates the users' servers and per-user tokens with it. Without it, no service.
API_TOKEN = os.environ.get("COURSE_HUB_API_TOKEN")
if API_TOKEN:
    c.JupyterHub.services = [{"name": "course-admin", "api_token": API_TOKEN}]
    c.JupyterHub.load_roles = [
        {
            "name": "course-admin",
            "scopes": ["admin:users", "admin:servers", "tokens", "list:users"],
            "services": ["course-admin"],
        }
    ]
# Users' servers stay up until stopped (no idle culler on a one-machine course).
c.JupyterHub.cleanup_servers = True
