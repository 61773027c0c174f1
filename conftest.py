"""Root pytest configuration: what pytest must not collect, and the system tools tests need.

Notebooks under tests/fixtures (wrong and tampered assignment submissions) are data for the
assignment tests, not notebooks to validate; the nbgrader course folders are checked by
tests/test_assignments*.py through nbgrader itself.

A test (or a module, with ``pytestmark``) that needs a system tool says so with a marker:
``needs_bwrap`` (the grading sandbox, Debian package bubblewrap) or ``needs_chromium`` (the
browser tests). When the tool is missing, such a test is skipped before any of its fixtures
run, with the one line of scripts/prerequisites.py that names the package; under CI=true it
fails with that line instead. A fixture that needs a tool calls ``prerequisites.require()``
itself, so that only the tests that use it are skipped. The header of every run lists the
missing tools.

Under pytest-xdist with ``--dist loadfile`` (``make test``), each test module and each notebook
runs whole on one worker, so a module-scoped fixture (the graded class) is built once and a
notebook's cells share one kernel, in order. The exception: the tests of a browser module
(``*_browser.py``) spread over the workers one by one, since each opens its own page and they
are the longest module by far; each worker then serves the site and starts Chromium itself
(session-scoped fixtures, cheap). A costly session-scoped fixture used by several modules would
be built once per worker.
"""

import pytest

from scripts import prerequisites

collect_ignore_glob = [
    "tests/fixtures/*",
    "tests/fixtures/**/*",
    "assignments/*",
    "_build/*",
    ".venv/*",
]

MISSING = {tool.name: tool for tool in prerequisites.missing()}


def pytest_configure(config):
    for tool in prerequisites.TOOLS:
        config.addinivalue_line("markers", f"needs_{tool.name}: {tool.needed_by} need it")


def pytest_report_header(config):
    return [f"missing: {tool.missing_line()}" for tool in MISSING.values()]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    # tryfirst: before the item's fixtures are set up (a graded class, a browser)
    for name in MISSING:
        if item.get_closest_marker(f"needs_{name}"):
            prerequisites.require(name)


def _scope(nodeid: str) -> str:
    """The unit of work: a test of a browser module on its own, anything else with its file."""
    path = nodeid.split("::", 1)[0]
    return nodeid if path.endswith("_browser.py") else path


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    # optionalhook: without pytest-xdist this hook is never called
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class LoadFileSpreadingBrowserTests(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _scope(nodeid)

    return LoadFileSpreadingBrowserTests(config, log)
