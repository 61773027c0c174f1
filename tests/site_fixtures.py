"""Fixtures for tests of the built website, on top of pytest-playwright's (imported by conftest).

The site is the one `make book` builds into _build/html (``SITE_DIR`` points elsewhere). What
pytest-playwright does not know, and this module adds:

- ``base_url``: the built site served on 127.0.0.1 (a free port) for the whole session, so a
  test opens a page with ``site_page.goto("chapters/02_softmax_layer.html")``;
- ``browser_type_launch_args``: Playwright drives Debian's ``chromium`` (no browser download);
  without it the browser tests are skipped, except under CI (CI=true), where they fail;
- ``color_mode``: "light" and "dark"; every test that uses ``site_page`` runs in both;
- ``site_page``: a Playwright page whose system colour scheme is ``color_mode`` (the theme
  follows it), which refuses every request that would leave 127.0.0.1;
- ``site_tab``: the same page in the light scheme, not parametrized: a test that loads a page
  once and checks it in both modes switches with ``set_color_mode(page, mode)``;
- ``page_problems``: what went wrong while ``site_page`` was open (a request to another host,
  an HTTP error, a failed request, a console error, an uncaught exception): a test asserts it
  is empty.

``open_site_page(page, path)`` opens a page and waits until its saved widgets are drawn (its
formulas arrive typeset). ``set_color_mode(page, mode)`` switches the system colour scheme of an
open page and waits until the theme (in its default mode, "auto") has followed.

Screenshots: pytest-playwright's ``--screenshot``/``--full-page-screenshot``
options (pyproject addopts keep one of every failing test in test-output/playwright/).
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = Path(os.environ.get("SITE_DIR", ROOT / "_build" / "html")).resolve()
TIMEOUT_MS = 20_000

HOW_TO_INSTALL_CHROMIUM = (
    "Chromium was not found. The website's browser tests need it: on Debian/Ubuntu run "
    "`apt-get install chromium`, or set CHROMIUM=/path/to/chromium (any Chromium or Chrome)."
)


def site_pages(site: Path = SITE) -> list[str]:
    """Every content page of the built site, relative to its root (posix paths).

    Left out: assets and sources (folders starting with ``_``), Sphinx's search and index pages,
    and redirect stubs (Jupyter Book's index.html forwards to the first page).
    """
    found = []
    for path in sorted(site.rglob("*.html")):
        rel = path.relative_to(site)
        if rel.parts[0].startswith("_") or rel.name in {"search.html", "genindex.html"}:
            continue
        if 'http-equiv="refresh"' in path.read_text(encoding="utf-8")[:2000].lower():
            continue
        found.append(rel.as_posix())
    return found


def find_chromium() -> str | None:
    """$CHROMIUM if set, else the first Chromium or Chrome on PATH."""
    if os.environ.get("CHROMIUM"):
        return os.environ["CHROMIUM"] if Path(os.environ["CHROMIUM"]).is_file() else None
    names = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
    return next((shutil.which(name) for name in names if shutil.which(name)), None)


def is_local(url: str) -> bool:
    """True for the test server's URLs and for URLs that touch no network (data:, blob:)."""
    parts = urlsplit(url)
    return parts.scheme in {"data", "blob", "about"} or parts.hostname == "127.0.0.1"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # no line per request in the test output
        pass


@pytest.fixture(scope="session")
def site_dir() -> Path:
    """The built website (fails with a message when `make book` has not been run)."""
    if not (SITE / "index.html").is_file():
        pytest.fail(f"{SITE} has no index.html: run `make book` first (tests read the site).")
    return SITE


@pytest.fixture(scope="session")
def base_url(site_dir):
    """Serve the built site on 127.0.0.1 (standard library server, a free port); its URL."""
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch arguments, with the system's Chromium as the browser."""
    executable = find_chromium()
    if executable is None:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(HOW_TO_INSTALL_CHROMIUM + " (CI=true: a missing browser is a failure)")
        pytest.skip(HOW_TO_INSTALL_CHROMIUM)
    return {**browser_type_launch_args, "executable_path": executable}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """pytest-playwright's context arguments, with a laptop-sized window and no service workers."""
    return {
        **browser_context_args,
        "viewport": {"width": 1280, "height": 900},
        "service_workers": "block",
    }


@pytest.fixture(params=["light", "dark"])
def color_mode(request) -> str:
    """The reader's system colour scheme; the theme's default mode ("auto") follows it."""
    return request.param


@pytest.fixture
def page_problems() -> list[str]:
    """What went wrong on ``site_page`` (filled while it is open); a test asserts it is empty."""
    return []


@pytest.fixture
def site_page(new_context, color_mode, page_problems):
    """A page in ``color_mode`` that records its problems and reaches nothing but 127.0.0.1."""
    return _new_tab(new_context, color_mode, page_problems)


@pytest.fixture
def site_tab(new_context, page_problems):
    """``site_page`` in the light scheme, once: switch modes with `set_color_mode`."""
    return _new_tab(new_context, "light", page_problems)


def set_color_mode(page, mode: str) -> None:
    """Switch the system colour scheme to ``mode``; wait until the theme has followed."""
    page.emulate_media(color_scheme=mode)
    page.wait_for_function("(mode) => document.documentElement.dataset.theme === mode", arg=mode)
    # the theme fades its colours (CSS transitions): wait until they have settled
    page.evaluate(
        """() => Promise.race([Promise.all(document.getAnimations().map(a => a.finished)),
                               new Promise(done => setTimeout(done, 3000))])"""
    )


def _new_tab(new_context, color_mode, page_problems):
    context = new_context(color_scheme=color_mode)

    def refuse(route):
        page_problems.append(f"request to another host: {route.request.url}")
        route.abort()

    context.route(lambda url: not is_local(url), refuse)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.on("pageerror", lambda error: page_problems.append(f"uncaught error: {error}"))
    page.on(
        "console",
        lambda m: m.type == "error" and page_problems.append(f"console error: {m.text}"),
    )
    page.on(
        "response",
        lambda r: r.status >= 400 and page_problems.append(f"HTTP {r.status}: {r.url}"),
    )
    page.on(
        "requestfailed",
        lambda r: is_local(r.url) and page_problems.append(f"request failed: {r.url}"),
    )
    return page


# Saved widget views that the manager has not drawn yet.
_JS_WIDGETS_PENDING = """() =>
  document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length
  - Array.from(document.querySelectorAll('.widget-subarea'))
         .filter(area => area.querySelector('.jupyter-widgets')).length"""


def open_site_page(page, path: str) -> None:
    """Open ``path`` (relative to the site root); wait for its saved widgets to be drawn (its
    formulas arrive typeset: web/course_math.py)."""
    page.goto(path, wait_until="load")
    try:
        page.wait_for_function(f"({_JS_WIDGETS_PENDING})() <= 0", timeout=TIMEOUT_MS)
    except Exception:  # playwright's TimeoutError: the test reports what did not render
        pass
