"""Helpers for the tests of the built website: where it is, its pages, a local server, Chromium.

The website tests (tests/test_site_links.py, tests/test_site_browser.py) read the site that
`make book` builds into _build/html. The environment variable ``SITE_DIR`` points them at
another built site (for example one built with ``jupyter-book build --path-output``).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = Path(os.environ.get("SITE_DIR", ROOT / "_build" / "html")).resolve()

# Generated pages that are not course content (Sphinx's search and index pages).
NOT_CONTENT = {"search.html", "genindex.html", "py-modindex.html"}
# Folders of the build that hold assets and copies of sources, not pages.
NOT_PAGE_FOLDERS = {"_static", "_sources", "_images", "_downloads", "_sphinx_design_static"}

# Flags for headless Chromium on a machine that may have no network: no sandbox (we run as
# root in CI), no GPU, and none of Chromium's own background traffic (updates, sync, QUIC).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

HOW_TO_INSTALL_CHROMIUM = (
    "Chromium was not found. The website's browser tests need it: on Debian/Ubuntu run "
    "`sudo apt-get install chromium`, or set CHROMIUM=/path/to/chromium (any Chromium or Chrome)."
)


def missing_site_message() -> str:
    """The message a website test fails with when the site has not been built."""
    return f"{SITE} has no index.html: run `make book` first (the tests read the built site)."


def site_is_built() -> bool:
    return (SITE / "index.html").is_file()


def html_files(site: Path = SITE) -> list[str]:
    """Every HTML file the site serves as a page (redirect stubs included), relative, posix."""
    found = []
    for path in sorted(site.rglob("*.html")):
        rel = path.relative_to(site)
        if rel.parts[0] in NOT_PAGE_FOLDERS:
            continue
        found.append(rel.as_posix())
    return found


def is_redirect(path: Path) -> bool:
    """True for a stub that only forwards the reader (Jupyter Book's index.html -> root page)."""
    head = path.read_text(encoding="utf-8", errors="replace")[:2000].lower()
    return 'http-equiv="refresh"' in head


def pages(site: Path = SITE) -> list[str]:
    """Every content page of the built site, relative to the site root (posix paths)."""
    return [
        rel for rel in html_files(site) if rel not in NOT_CONTENT and not is_redirect(site / rel)
    ]


def find_chromium() -> str | None:
    """Path of a Chromium executable: $CHROMIUM, else the first of the usual names on PATH."""
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def under_ci() -> bool:
    """True when running under CI (CI=true), where a missing browser is a failure."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static file handler that does not print a line per request."""

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(site: Path = SITE) -> Iterator[str]:
    """Serve `site` on 127.0.0.1 at a free port in a background thread; yield the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
