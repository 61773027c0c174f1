"""Sphinx extension for the course website: pages that load nothing from elsewhere, error-free.

Loaded by _config.yml (``sphinx.local_extensions``). It changes three things Jupyter Book 1,
its theme and Sphinx put in the pages:

- sphinx-thebe (always loaded by Jupyter Book 1) adds an inline script declaring
  ``const THEBE_JS_URL = "<a CDN URL>"`` and ``sphinx-thebe.js``. With Sphinx 7.4 the inline
  script is written twice, so every page raised "Identifier 'THEBE_JS_URL' has already been
  declared"; and Thebe, if started, loads its code from that CDN. The course has Thebe off
  (``launch_buttons.thebe: false``), so while it is off both scripts are left out of the pages.
- pydata-sphinx-theme reads the colour mode from the reader's localStorage and logs a console
  error ("Got invalid theme mode") on a first visit, when there is none. A one-line script sets
  the mode to "auto" (follow the system setting, the theme's own default) when none is stored.
- Sphinx 7 writes every bibliography entry as ``role="doc-biblioentry"`` inside a
  ``role="list"``. WAI-ARIA 1.3 deprecates that role (axe: aria-deprecated-role), and a list whose
  children are not list items fails aria-required-children (WCAG 1.3.1). Each entry becomes a
  plain ``role="listitem"``.
"""

from __future__ import annotations

from typing import Any

# Runs in <head> before the theme's deferred script reads the mode.
DEFAULT_MODE_JS = (
    "document.documentElement.dataset.mode = document.documentElement.dataset.mode || 'auto';"
)


def thebe_enabled(app: Any) -> bool:
    """True when the book's launch buttons include Thebe (then its scripts must stay)."""
    options = app.config.html_theme_options or {}
    return bool(options.get("launch_buttons", {}).get("thebe"))


def is_thebe_script(script: Any) -> bool:
    """True for sphinx-thebe's inline configuration script and for sphinx-thebe.js."""
    filename = str(getattr(script, "filename", "") or "")
    body = str(getattr(script, "attributes", {}).get("body", ""))
    return filename.endswith("sphinx-thebe.js") or "THEBE_JS_URL" in body


def drop_thebe_scripts(
    app: Any, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    """Leave sphinx-thebe's scripts out of the page while Thebe is switched off."""
    if thebe_enabled(app) or "script_files" not in context:
        return
    context["script_files"] = [s for s in context["script_files"] if not is_thebe_script(s)]


def bibliography_entries_as_list_items(
    app: Any, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    """Give bibliography entries the list-item role their list needs (not a deprecated one)."""
    if "body" in context:
        context["body"] = context["body"].replace('role="doc-biblioentry"', 'role="listitem"')


def setup(app: Any) -> dict:
    app.add_js_file(None, body=DEFAULT_MODE_JS, priority=100)
    app.connect("html-page-context", drop_thebe_scripts, priority=900)
    app.connect("html-page-context", bibliography_entries_as_list_items)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
