"""The built website in a real browser (pytest-playwright, Debian's Chromium), light and dark.

Every content page of _build/html, in both colour modes (fixtures: tests/site_fixtures.py):

- WCAG 2.1 AA as axe-core checks it (Deque's engine, pinned in web/package-lock.json): no
  violation of the rules tagged wcag2a, wcag2aa, wcag21a, wcag21aa, none disabled; headings
  in order (axe's ``heading-order``); no horizontal scrolling at a 390 px wide phone screen;
- loads nothing from another host, nothing fails to load, no console error;
- math is typeset with MathJax and exposed to screen readers (assistive MathML), no TeX error;
- every image has loaded and has alt text; a figure sits on a white card in dark mode too;
- proofs, exercises and solutions render, and a solution starts hidden and opens on click;
- saved widgets render, and moving a slider changes another control (a ``jslink``).
"""

from __future__ import annotations

import re

import pytest

from tests.site_fixtures import ROOT, SITE, open_site_page, site_pages

pytestmark = [pytest.mark.browser, pytest.mark.needs_chromium]

AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PAGES = site_pages() if (SITE / "index.html").is_file() else ["(site not built: make book)"]

# The ipywidgets explorers (viz/widgets.py) on these pages fail two axe rules: `label` (each
# slider's <label for=...> is hidden, display: none) and `aria-input-field-name` (the slider
# handle, role="slider", has no name). Their anywidget replacement (another branch) is to fix
# both; strict, so that a pass there fails this test until the mark is removed. Any other problem
# on these pages fails as usual.
PHONE_WIDTH = 390

JS_AXE = """async (tags) => {
  const wcag = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  const order = await axe.run(document, {runOnly: {type: 'rule', values: ['heading-order']}});
  return wcag.violations.concat(order.violations).map(v => ({
    rule: v.id, impact: v.impact,
    nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary.split('\\n')[1])}));
}"""

JS_MATH = """() => ({
  nodes: document.querySelectorAll('span.math, div.math').length,
  untypeset: Array.from(document.querySelectorAll('span.math, div.math'))
    .filter(n => !n.querySelector('mjx-container')).map(n => n.textContent.slice(0, 60)),
  errors: Array.from(document.querySelectorAll('mjx-merror'))
    .map(e => e.getAttribute('data-mjx-error') || e.textContent),
  unspoken: document.querySelectorAll('mjx-container:not(:has(mjx-assistive-mml math))').length,
})"""

JS_IMAGES = """() => Array.from(document.querySelectorAll('main img')).map(img => ({
  src: img.getAttribute('src'), alt: (img.getAttribute('alt') || '').trim(),
  loaded: img.complete && img.naturalWidth > 0,
  figure: !!img.closest('div.cell_output, figure'),
  background: getComputedStyle(img).backgroundColor}))"""

SLIDERS = ".widget-subarea .widget-slider .noUi-handle"
# Everything the widget areas show, except inside the slider at `skip`.
JS_WIDGET_TEXT = """(skip) => {
  const handles = document.querySelectorAll('.widget-subarea .widget-slider .noUi-handle');
  const own = skip === null ? null : handles[skip].closest('.widget-slider');
  return Array.from(document.querySelectorAll('.widget-subarea *'))
    .filter(el => !(own && own.contains(el)) && el.children.length === 0)
    .map(el => (el.value || '') + el.textContent + (el.getAttribute('style') || '')).join('|');
}"""


def check_math(page, problems: list[str]) -> None:
    math = page.evaluate(JS_MATH)
    problems += [f"math not typeset: {text!r}" for text in math["untypeset"]]
    problems += [f"MathJax error: {text!r}" for text in math["errors"]]
    if math["unspoken"]:
        problems.append(f"{math['unspoken']} formulas without assistive MathML (screen readers)")


def check_images(page, color_mode: str, problems: list[str]) -> None:
    for image in page.evaluate(JS_IMAGES):
        if not image["loaded"]:
            problems.append(f"image did not load: {image['src']}")
        # Sphinx writes the file name as alt when a figure has none: that says nothing.
        says_nothing = not image["alt"] or re.search(r"\.(png|jpe?g|svg|gif)$", image["alt"])
        if image["figure"] and says_nothing:
            problems.append(f"figure without alt text ({image['alt']!r}): {image['src']}")
        # Figures are drawn on white: in dark mode web/static/course.css keeps a white card.
        if image["figure"] and color_mode == "dark" and image["background"] != "rgb(255, 255, 255)":
            problems.append(f"figure {image['src']} sits on {image['background']} in dark mode")


def check_solutions(page, problems: list[str]) -> None:
    solutions = page.locator("div.solution")
    for index in range(solutions.count()):
        box = solutions.nth(index)
        body = box.locator(":scope > :not(.admonition-title)").first
        if body.is_visible():
            problems.append(f"solution {index} is shown before the reader asks")
            continue
        box.locator(".admonition-title .toggle-button").first.click()
        try:
            body.wait_for(state="visible", timeout=5_000)
        except Exception:  # playwright's TimeoutError
            problems.append(f"solution {index} does not open on click")
    for box in page.locator("div.proof, div.exercise").all():
        if not box.inner_text().strip():
            problems.append(f"empty box: {box.get_attribute('id')}")


def check_slider_drives_another_control(page, problems: list[str]) -> None:
    handles = page.locator(SLIDERS)
    for index in range(min(handles.count(), 6)):
        before = page.evaluate(JS_WIDGET_TEXT, index)
        handles.nth(index).focus()
        for key in ["ArrowRight"] * 3 + ["ArrowLeft"] * 6:  # back down if it was at its maximum
            handles.nth(index).press(key)
        page.wait_for_timeout(200)  # links update on the next animation frame
        if page.evaluate(JS_WIDGET_TEXT, index) != before:
            return
    if handles.count():
        problems.append("moving a slider changed no other control (no jslink works)")


@pytest.mark.parametrize("path", PAGES)
def test_page_is_accessible_and_complete(site_page, page_problems, color_mode, path):
    open_site_page(site_page, path)
    assert site_page.evaluate("document.documentElement.dataset.theme") == color_mode
    problems = page_problems
    check_math(site_page, problems)
    check_images(site_page, color_mode, problems)
    views = site_page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count()
    drawn = site_page.locator(".widget-subarea:has(.jupyter-widgets)").count()
    if drawn < views:
        problems.append(f"{drawn} of {views} saved widget views rendered")
    site_page.add_script_tag(path=AXE)
    for violation in site_page.evaluate(JS_AXE, WCAG_21_AA):
        nodes = "\n      ".join(violation["nodes"])
        problems.append(f"axe {violation['rule']} ({violation['impact']}):\n      {nodes}")
    check_solutions(site_page, problems)
    if color_mode == "light":  # behaviour, not colour: once is enough
        check_slider_drives_another_control(site_page, problems)
        site_page.set_viewport_size({"width": PHONE_WIDTH, "height": 800})
        site_page.wait_for_timeout(200)
        width = site_page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE_WIDTH:
            problems.append(f"scrolls sideways on a {PHONE_WIDTH} px screen ({width} px wide)")
    report = f"{path} ({color_mode}):\n  " + "\n  ".join(dict.fromkeys(problems))
    assert not problems, report


def test_every_page_is_checked(site_dir):
    # Protects against a site walk that silently finds nothing (e.g. a moved build folder).
    found = site_pages(site_dir)
    assert "intro.html" in found
    assert sum(bool(re.match(r"chapters/.+\.html$", p)) for p in found) >= 7, found
