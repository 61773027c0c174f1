"""The built website in a real browser: every page renders everything, from this site alone.

Serves _build/html (from `make book`) on 127.0.0.1 and drives headless Chromium (Debian's
`chromium`, through Playwright; no browser download) over every page. For each page:

- no request leaves 127.0.0.1, nothing 404s, no console error and no uncaught exception;
- math is typeset: every Sphinx math node holds MathJax output, no MathJax error box, and no
  raw TeX (``$$``, ``\\frac``, a ``$`` next to typeset math) is left in the text;
- theorem/proof/definition (sphinx-proof), exercise and solution boxes render; every solution
  starts hidden and opens on click;
- every image has loaded;
- on pages with saved widgets, every widget view renders, and moving a slider changes what a
  control outside that slider shows (a ``jslink``, which runs in the browser);
- text, figures and widgets are readable in both the light and the dark theme (contrast);
- a full-page screenshot in each theme is kept in test-output/site/ (<page>.light.jpg,
  <page>.dark.jpg) for a person to look at.

Without Chromium these tests are skipped with a message saying how to install it, except
under CI (CI=true), where they fail.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.site_server import (
    CHROMIUM_ARGS,
    HOW_TO_INSTALL_CHROMIUM,
    ROOT,
    find_chromium,
    missing_site_message,
    pages,
    serve,
    site_is_built,
    under_ci,
)

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "test-output" / "site"
TIMEOUT_MS = 20_000
# WCAG AA contrast for normal text.
MIN_CONTRAST = 4.5

PAGES = pages() if site_is_built() else ["(site not built)"]

# --- JavaScript run in the page -------------------------------------------------------------

# Resolves when MathJax 3 has finished typesetting (false when the page loads no MathJax).
JS_MATHJAX_DONE = """async () => {
  if (!window.MathJax || !window.MathJax.startup || !window.MathJax.startup.promise) return false;
  await window.MathJax.startup.promise;
  return true;
}"""

JS_MATH_REPORT = r"""() => {
  const nodes = Array.from(document.querySelectorAll('span.math, div.math'));
  const untypeset = nodes.filter(n => !n.querySelector('mjx-container'))
                         .map(n => n.textContent.trim().slice(0, 60));
  const errors = Array.from(document.querySelectorAll('mjx-merror'))
                      .map(e => e.getAttribute('data-mjx-error') || e.textContent);
  // Prose text outside code and outside typeset math: raw TeX there means math was not parsed.
  const skip = 'pre, code, script, style, textarea, mjx-container, .highlight, .linenos';
  const root = document.querySelector('main') || document.body;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const raw = [];
  const tex = /\$\$|\\[()[\]]|\\[A-Za-z]{2,}/;
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    if (t.parentElement.closest(skip)) continue;
    const text = t.textContent;
    if (tex.test(text)) raw.push(text.trim().slice(0, 80));
  }
  // A dollar sign right beside typeset math: a $...$ or $$...$$ only half parsed.
  for (const c of document.querySelectorAll('span.math, div.math, mjx-container')) {
    const before = c.previousSibling, after = c.nextSibling;
    if ((before && before.nodeType === 3 && /\$\s*$/.test(before.textContent)) ||
        (after && after.nodeType === 3 && /^\s*\$/.test(after.textContent))) {
      raw.push('$ beside math: ' + (c.parentElement.textContent || '').trim().slice(0, 80));
    }
  }
  return {nodes: nodes.length, untypeset, errors, raw};
}"""

BOX_SELECTOR = "div.proof, div.exercise, div.solution"

JS_BOXES = """(selector) => Array.from(document.querySelectorAll(selector))
  .map((box, index) => {
    const title = box.querySelector('.admonition-title');
    const kind = box.classList.contains('solution') ? 'solution'
               : box.classList.contains('exercise') ? 'exercise' : 'proof';
    const body = Array.from(box.children).filter(c => !c.classList.contains('admonition-title'));
    return {
      index, kind, id: box.id,
      title: title ? title.textContent.trim() : (box.textContent.trim().slice(0, 40)),
      height: box.getBoundingClientRect().height,
      hasBody: body.some(c => c.textContent.trim().length > 0) || !title,
    };
  })"""

JS_BROKEN_IMAGES = """() => Array.from(document.images)
  .filter(img => !(img.complete && img.naturalWidth > 0))
  .map(img => img.getAttribute('src'))"""

JS_WIDGET_VIEWS = """() => ({
  saved: document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')
           .length,
  rendered: Array.from(document.querySelectorAll('.widget-subarea'))
           .filter(a => a.querySelector('.jupyter-widgets')).length,
  // the manager's stand-in for a widget it could not render
  errors: Array.from(document.querySelectorAll('.widget-subarea .jupyter-widgets-error-widget'))
           .map(e => e.textContent.trim().slice(0, 80)),
})"""

# What every control in the widget areas shows, one string per control, keyed by a path.
SLIDER_HANDLES = ".widget-subarea .widget-slider .noUi-handle"
JS_WIDGET_STATE = """(exclude) => {
  const HANDLES = '.widget-subarea .widget-slider .noUi-handle';
  // exclude: index of a slider handle whose own slider (readout, handle) is left out
  const skipRoot = exclude === null ? null
      : document.querySelectorAll(HANDLES)[exclude].closest('.widget-slider');
  const state = {};
  document.querySelectorAll('.widget-subarea').forEach((area, a) => {
    area.querySelectorAll(
      'input, select, textarea, .widget-readout, .noUi-handle, .widget-html-content, ' +
      '.widget-label, .progress-bar, .widget-progress .bar, .widget-valid, .widget-button'
    ).forEach((el, i) => {
      if (skipRoot && skipRoot.contains(el)) return;
      state[a + ':' + i] = [el.value, el.textContent, el.getAttribute('aria-valuenow'),
                            el.style.width, el.style.height, el.className].join('|');
    });
  });
  return state;
}"""

# Contrast of text against the first opaque background behind it (WCAG relative luminance).
JS_CONTRAST = """(selectors) => {
  const parse = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const worst = [];
  for (const selector of selectors) {
    for (const el of document.querySelectorAll(selector)) {
      const style = getComputedStyle(el);
      if (!el.textContent.trim() && el.tagName !== 'INPUT') continue;
      if (style.visibility === 'hidden' || style.display === 'none' || !el.offsetParent) continue;
      const fg = lum(parse(style.color).slice(0, 3)), bg = lum(background(el));
      const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      worst.push({selector, ratio, text: (el.value || el.textContent).trim().slice(0, 40)});
    }
  }
  return worst;
}"""

# Output figures must sit on an opaque light background in both themes (they are drawn on white).
JS_FIGURE_BACKGROUNDS = """() => Array.from(
    document.querySelectorAll('div.cell_output img, figure img'))
  .map(img => {
    let c = '';
    for (let e = img; e; e = e.parentElement) {
      const bg = getComputedStyle(e).backgroundColor;
      const v = (bg.match(/[\\d.]+/g) || []).map(Number);
      if (v.length === 3 || (v.length === 4 && v[3] > 0.5)) { c = v; break; }
    }
    return {src: img.getAttribute('src'), background: c};
  })
  .filter(f => !f.background || Math.min(...f.background.slice(0, 3)) < 200)"""

TEXT_SELECTORS = [
    "main p",
    "main li",
    "main .admonition-title",
    ".widget-subarea .widget-label",
    ".widget-subarea .widget-readout",
    ".widget-subarea input",
    ".widget-subarea .widget-html-content",
]

# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site_url():
    if not site_is_built():
        pytest.fail(missing_site_message())
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)  # no stale screenshot of a removed page
    with serve() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    executable = find_chromium()
    if executable is None:
        if under_ci():
            pytest.fail(HOW_TO_INSTALL_CHROMIUM + " (CI=true: a missing browser is a failure)")
        pytest.skip(HOW_TO_INSTALL_CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Playwright gives every launch a fresh, empty profile (user data dir) of its own.
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def is_local(url: str) -> bool:
    """True for URLs served by the test server (or that never touch a network)."""
    parts = urlsplit(url)
    if parts.scheme in {"data", "blob", "about"}:
        return True
    return parts.hostname == "127.0.0.1"


def screenshot_path(page_path: str, theme: str) -> Path:
    path = SCREENSHOTS / f"{page_path.removesuffix('.html')}.{theme}.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


class PageRun:
    """One page open in a fresh browser context, with every problem it reports collected."""

    def __init__(self, browser, site_url: str, page_path: str):
        self.problems: list[str] = []
        self.context = browser.new_context(
            viewport={"width": 1280, "height": 900}, service_workers="block"
        )
        # Record, then refuse, anything that would leave the machine.
        self.context.on(
            "request",
            lambda r: None if is_local(r.url) else self.problems.append(f"third-party: {r.url}"),
        )
        self.context.route(lambda url: not is_local(url), lambda route: route.abort())
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.problems.append(f"uncaught error: {e}"))
        self.page.on(
            "requestfailed",
            lambda r: is_local(r.url) and self.problems.append(f"request failed: {r.url}"),
        )
        self.page.on(
            "response",
            lambda r: r.status >= 400 and self.problems.append(f"HTTP {r.status}: {r.url}"),
        )
        self.page.goto(site_url + page_path, wait_until="load")

    def _console(self, message) -> None:
        if message.type == "error":
            self.problems.append(f"console error: {message.text}")

    def close(self) -> None:
        self.context.close()


# --- the checks ----------------------------------------------------------------------------------


def check_math(run: PageRun) -> None:
    page = run.page
    loaded = page.evaluate(JS_MATHJAX_DONE)
    report = page.evaluate(JS_MATH_REPORT)
    if report["nodes"] and not loaded:
        run.problems.append(f"{report['nodes']} math nodes but MathJax did not load")
    for text in report["untypeset"]:
        run.problems.append(f"math not typeset: {text!r}")
    for text in report["errors"]:
        run.problems.append(f"MathJax error: {text!r}")
    for text in report["raw"]:
        run.problems.append(f"raw TeX left in the text: {text!r}")


def check_boxes(run: PageRun) -> None:
    page = run.page
    boxes = page.evaluate(JS_BOXES, BOX_SELECTOR)
    for box in boxes:
        label = f"{box['kind']} box {box['id'] or box['index']} ({box['title'][:40]!r})"
        if box["height"] <= 0:
            run.problems.append(f"{label} is not displayed")
        if not box["title"] or not box["hasBody"]:
            run.problems.append(f"{label} has no title or no content")
        if box["kind"] != "solution":
            continue
        locator = page.locator(BOX_SELECTOR).nth(box["index"])
        body = locator.locator(":scope > :not(.admonition-title)").first
        if body.count() == 0:
            run.problems.append(f"{label} has no content")
            continue
        if body.is_visible():
            run.problems.append(f"{label} is shown before the reader asks (add :class: dropdown)")
            continue
        # The chevron button sphinx-togglebutton adds to the title. (Its click handler on the
        # title itself fails when the click lands on a link or math inside the title.)
        locator.locator(".admonition-title .toggle-button").first.click()
        try:
            body.wait_for(state="visible", timeout=5_000)
        except Exception:  # playwright's TimeoutError: the click did not open it
            run.problems.append(f"{label} does not open on click")


def check_images(run: PageRun) -> None:
    for src in run.page.evaluate(JS_BROKEN_IMAGES):
        run.problems.append(f"image did not load: {src}")


def check_widgets(run: PageRun) -> bool:
    """Widget views render and a slider drives a linked control. False if the page has none."""
    page = run.page
    views = page.evaluate(JS_WIDGET_VIEWS)
    if views["saved"] == 0:
        return False
    try:
        page.wait_for_function(
            """(n) => Array.from(document.querySelectorAll('.widget-subarea'))
                  .filter(a => a.querySelector('.jupyter-widgets')).length >= n""",
            arg=views["saved"],
            timeout=TIMEOUT_MS,
        )
    except Exception:  # playwright's TimeoutError: report what did render
        pass
    views = page.evaluate(JS_WIDGET_VIEWS)
    if views["rendered"] < views["saved"]:
        run.problems.append(f"{views['rendered']} of {views['saved']} widget views rendered")
    for text in views["errors"]:
        run.problems.append(f"widget error: {text!r}")
    return True


def check_linked_slider(run: PageRun) -> None:
    """Moving some slider changes what a control outside that slider shows."""
    page = run.page
    handles = page.locator(SLIDER_HANDLES)
    if handles.count() == 0:
        return  # display-only widgets (e.g. a progress bar): nothing for a reader to move
    tried = []
    for index in range(min(handles.count(), 6)):
        handle = handles.nth(index)
        if not handle.is_visible():
            continue
        before_all = page.evaluate(JS_WIDGET_STATE, None)
        before_others = page.evaluate(JS_WIDGET_STATE, index)
        handle.focus()
        for _ in range(3):
            handle.press("ArrowRight")
        if page.evaluate(JS_WIDGET_STATE, None) == before_all:  # at its maximum: go the other way
            for _ in range(6):
                handle.press("ArrowLeft")
        page.wait_for_timeout(200)  # links update on the next animation frame
        after_others = page.evaluate(JS_WIDGET_STATE, index)
        moved = handle.get_attribute("aria-valuenow")
        tried.append(moved)
        if after_others != before_others:
            return
    run.problems.append(
        f"moving a slider changed no other control (tried {len(tried)} sliders): "
        "no jslink-ed control responds in the browser"
    )


def check_contrast(run: PageRun, theme: str) -> None:
    results = run.page.evaluate(JS_CONTRAST, TEXT_SELECTORS)
    worst: dict[str, dict] = {}
    for item in results:
        if item["selector"] not in worst or item["ratio"] < worst[item["selector"]]["ratio"]:
            worst[item["selector"]] = item
    for selector, item in worst.items():
        if item["ratio"] < MIN_CONTRAST:
            run.problems.append(
                f"{theme} theme: {selector} text {item['text']!r} has contrast "
                f"{item['ratio']:.1f} < {MIN_CONTRAST}"
            )
    for figure in run.page.evaluate(JS_FIGURE_BACKGROUNDS):
        run.problems.append(
            f"{theme} theme: figure {figure['src']} is not on a light background "
            f"({figure['background']})"
        )


def take_screenshot(run: PageRun, page_path: str, theme: str) -> None:
    # JPEG: a full-page PNG of a long chapter takes seconds to encode and is several MB.
    run.page.screenshot(
        path=screenshot_path(page_path, theme), full_page=True, type="jpeg", quality=70
    )


def set_theme(run: PageRun, theme: str) -> None:
    run.page.evaluate(
        """(theme) => { document.documentElement.dataset.mode = theme;
                        document.documentElement.dataset.theme = theme; }""",
        theme,
    )
    run.page.wait_for_timeout(100)


# --- the test --------------------------------------------------------------------------------


@pytest.mark.parametrize("page_path", PAGES)
def test_page_renders_everything_from_this_site(browser, site_url, page_path):
    run = PageRun(browser, site_url, page_path)
    try:
        check_math(run)
        has_widgets = check_widgets(run)
        check_images(run)
        check_boxes(run)
        check_contrast(run, "light")
        take_screenshot(run, page_path, "light")
        set_theme(run, "dark")
        check_contrast(run, "dark")
        take_screenshot(run, page_path, "dark")
        set_theme(run, "light")
        if has_widgets:
            check_linked_slider(run)
    finally:
        run.close()
    assert not run.problems, f"{page_path}:\n  " + "\n  ".join(dict.fromkeys(run.problems))


def test_every_page_is_checked():
    # Protects against a site walk that silently finds nothing (e.g. a moved build folder).
    if not site_is_built():
        pytest.fail(missing_site_message())
    found = pages()
    assert "intro.html" in found or "index.html" in found
    assert any(re.match(r"chapters/.+\.html$", p) for p in found), found
