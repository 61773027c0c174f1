"""The built website in a real browser (pytest-playwright, Debian's Chromium), light and dark.

Every content page of _build/html, loaded once and checked in both colour modes (the system
scheme is switched in the open page; fixtures: tests/site_fixtures.py):

- WCAG 2.1 AA as axe-core checks it (Deque's engine, pinned in web/package-lock.json): no
  violation of the rules tagged wcag2a, wcag2aa, wcag21a, wcag21aa, none disabled; headings
  in order (axe's ``heading-order``); no horizontal scrolling at a 390 px wide phone screen;
- loads nothing from another host, nothing fails to load, no console error;
- math arrives typeset (MathJax ran when the book was built: web/course_math.py), so no page
  loads MathJax; every formula is exposed to screen readers (assistive MathML), no TeX error;
- every image has loaded and has alt text; a figure sits on a white card in dark mode too;
- proofs, exercises and solutions render, and a solution starts hidden and opens on click;
- saved widgets render, and moving a slider changes another control (a ``jslink``);
- navigation: on a laptop (1280 px) the menu button collapses the chapter list and brings it
  back; on a phone (390 px) it opens the chapter list, which holds every chapter, and a chapter
  link in it opens that chapter;
- nothing is cut: at 1280 px every display equation fits beside its number and every code
  block fits its box (long lines wrap); at 390 px whatever is wider than the screen scrolls
  sideways inside its own box and shows that it does (web/static/course-a11y.js, course.css);
- the printed handout (print CSS): solutions stay collapsed, no button, sidebar or "Click to"
  hint, code wraps; one chapter printed to PDF has a page count in a stated range.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest

from tests.site_fixtures import ROOT, SITE, open_site_page, set_color_mode, site_pages

pytestmark = [pytest.mark.browser, pytest.mark.needs_chromium]

AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PAGES = site_pages() if (SITE / "index.html").is_file() else ["(site not built: make book)"]

PHONE_WIDTH = 390
SCREENSHOTS = ROOT / "test-output" / "site"

JS_AXE = """async (tags) => {
  const wcag = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  const order = await axe.run(document, {runOnly: {type: 'rule', values: ['heading-order']}});
  return wcag.violations.concat(order.violations).map(v => ({
    rule: v.id, impact: v.impact,
    nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary.split('\\n')[1])}));
}"""

JS_MATH = """() => ({
  nodes: document.querySelectorAll('span.math, div.math').length,
  loader: !!window.MathJax || !!document.querySelector('script[src*="mathjax"]'),
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
    if math["loader"]:
        problems.append("the page loads MathJax: its formulas should arrive typeset")
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
        # a box folded into an optional dropdown is read from the page's text, not its layout
        if not box.text_content().strip():
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


# --- navigation ------------------------------------------------------------------------------

# The theme's menu button (pydata-sphinx-theme 0.16.1 with sphinx-book-theme 1.2.0, pinned in
# requirements.txt): on a laptop it hides and shows the sidebar, on a phone it opens the chapter
# list as a modal dialog.
MENU_BUTTON = ".primary-toggle"
SIDEBAR = "#pst-primary-sidebar"
MENU_DIALOG = "#pst-primary-sidebar-modal"
JS_CHAPTER_LINKS = """(root) => Array.from(document.querySelectorAll(root + ' nav a.reference'))
  .filter(a => a.offsetParent !== null && a.getBoundingClientRect().width > 0)
  .map(a => a.getAttribute('href'))"""


def check_sidebar_collapses(page, problems: list[str]) -> None:
    """1280 px: the menu button moves the chapter list off screen, and a second press back."""
    sidebar = page.locator(SIDEBAR)
    button = page.locator(MENU_BUTTON).first
    if not sidebar.is_visible():
        problems.append("1280 px: the chapter list is not shown")
        return
    button.click()
    try:
        sidebar.wait_for(state="hidden", timeout=5_000)
    except Exception:  # playwright's TimeoutError
        problems.append("1280 px: the menu button does not collapse the chapter list")
        return
    button.click()
    try:
        sidebar.wait_for(state="visible", timeout=5_000)
    except Exception:
        problems.append("1280 px: the menu button does not bring the chapter list back")


def open_phone_menu(page, problems: list[str]) -> bool:
    """390 px: the visible menu button opens the chapter list (a dialog) holding the chapters."""
    buttons = page.locator(MENU_BUTTON)
    visible = [b for b in buttons.all() if b.is_visible()]
    if len(visible) != 1:
        problems.append(f"390 px: {len(visible)} visible menu buttons (one expected)")
        if not visible:
            return False
    visible[0].click()
    dialog = page.locator(MENU_DIALOG)
    try:
        dialog.wait_for(state="visible", timeout=5_000)
    except Exception:
        problems.append("390 px: the menu button does not open the chapter list")
        return False
    here = page.url.split("#")[0]
    shown = {
        urljoin(here, link).split("#")[0] for link in page.evaluate(JS_CHAPTER_LINKS, MENU_DIALOG)
    }
    chapters = {urljoin(here, "/" + path) for path in PAGES if path.startswith("chapters/")}
    if not chapters <= shown:
        problems.append(f"390 px: the open menu misses chapters: {sorted(chapters - shown)}")
        return False
    box = dialog.bounding_box()
    if box is None or box["x"] < 0 or box["x"] + box["width"] > PHONE_WIDTH + 1:
        problems.append(f"390 px: the open menu is not on screen ({box})")
    return True


def check_phone_menu(page, problems: list[str]) -> None:
    if open_phone_menu(page, problems):
        page.keyboard.press("Escape")
        try:
            page.locator(MENU_DIALOG).wait_for(state="hidden", timeout=5_000)
        except Exception:
            problems.append("390 px: Escape does not close the chapter list")


# --- nothing cut -----------------------------------------------------------------------------

# Display equations (MathJax 3, CommonHTML) whose formula is wider than the room beside the
# equation number, so that its box scrolls (the theme lays div.math out as a row: number on the
# right, the formula's mjx-container in the rest, overflow: auto; a number that MathJax sets
# itself is inside the formula's box, and then div.math scrolls). Named by number and by the
# text of its MathML.
JS_CUT_EQUATIONS = """() => Array.from(document.querySelectorAll('div.math'))
  .filter(div => div.offsetParent !== null && div.querySelector('mjx-container'))
  .map(div => {
    const box = div.querySelector('mjx-container');
    const eqno = div.querySelector('.eqno');
    const spoken = div.querySelector('mjx-assistive-mml');  // the formula as MathML text
    const text = spoken ? spoken.textContent : '';
    const tag = div.querySelector('mjx-mlabeledtr mjx-mtd:first-child, mjx-labels');
    // a number set by Sphinx is a span beside the formula; one set by MathJax (\\tag) is part
    // of the formula, whose box then is as wide as both (MathJax's min-width): div.math scrolls
    const [width, room] = box.scrollWidth > box.clientWidth + 1
      ? [box.scrollWidth, box.clientWidth] : [div.scrollWidth, div.clientWidth];
    return {label: eqno ? eqno.firstChild.textContent.trim()
                        : tag ? tag.textContent.trim() : 'unnumbered',
            text: text.replace(/\\s+/g, ' ').trim().slice(0, 60), width, room};
  })
  .filter(e => e.width > e.room + 1)"""

# Code blocks (cells and their printed outputs) that are wider than their box.
JS_CUT_CODE = """() => Array.from(document.querySelectorAll('.bd-content pre'))
  .filter(pre => pre.offsetParent !== null && pre.scrollWidth > pre.clientWidth + 1)
  .map(pre => pre.textContent.split('\\n').reduce((a, b) => b.length > a.length ? b : a, '')
    .slice(0, 60))"""

# What is wider than its box at a phone's width: either it scrolls (overflow auto/scroll) and
# shows the scroll cue (course-scrolls, an inset shadow on the side with more), or it is cut.
# Inline boxes (a word, an inline formula) are measured against their own overflow setting.
JS_OVERFLOW = """() => {
  const found = [];
  // a formula is measured by what MathJax draws (its hidden MathML may be wider)
  const width = el => {
    const math = el.matches('span.math, mjx-container') && el.querySelector('mjx-math');
    return math ? math.getBoundingClientRect().width : el.scrollWidth;
  };
  for (const el of document.querySelectorAll('.bd-article *')) {
    if (el.offsetParent === null || el.closest('svg') || el.clientWidth === 0) continue;
    const inMath = el.parentElement.closest('mjx-container, span.math');
    if (inMath || width(el) <= el.clientWidth + 1) continue;
    const style = getComputedStyle(el);
    const what = el.tagName.toLowerCase() + (el.className && el.className.baseVal === undefined
      ? '.' + String(el.className).trim().split(/\\s+/).slice(0, 2).join('.') : '')
      + ': ' + (el.textContent || '').replace(/\\s+/g, ' ').trim().slice(0, 50);
    if (/(auto|scroll)/.test(style.overflowX)) {
      const cue = el.classList.contains('course-scrolls') && style.boxShadow !== 'none';
      if (!cue) found.push('scrolls without a cue: ' + what);
    } else if (/(hidden|clip)/.test(style.overflowX)) {
      // cut: a child that reaches past the box (a hidden MathML copy does not count)
      const box = el.getBoundingClientRect();
      const past = Array.from(el.children).filter(c => c.tagName !== 'MJX-ASSISTIVE-MML')
        .some(c => { const r = c.getBoundingClientRect();
                     return r.width && (r.left < box.left - 1 || r.right > box.right + 1); });
      if (past) found.push('cut (overflow hidden): ' + what);
    }
  }
  return found;
}"""


def check_nothing_cut_laptop(page, problems: list[str]) -> None:
    for eq in page.evaluate(JS_CUT_EQUATIONS):
        problems.append(
            f"1280 px: equation {eq['label']} is {eq['width']} px wide in {eq['room']} px "
            f"beside its number: {eq['text']!r}"
        )
    for line in page.evaluate(JS_CUT_CODE):
        problems.append(f"1280 px: a code block is wider than its box: {line!r}")


def check_nothing_cut_phone(page, problems: list[str]) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE_WIDTH:
        problems.append(f"scrolls sideways on a {PHONE_WIDTH} px screen ({width} px wide)")
    page.wait_for_timeout(300)  # the scroll cue is set 100 ms after the last layout change
    problems += [f"390 px: {item}" for item in page.evaluate(JS_OVERFLOW)]


# --- the whole page ----------------------------------------------------------------------------


def check_colours(page, color_mode: str, problems: list[str]) -> None:
    """What depends on the colour mode: figures on white, and axe's WCAG 2.1 AA rules."""
    assert page.evaluate("document.documentElement.dataset.theme") == color_mode
    check_images(page, color_mode, problems)
    for violation in page.evaluate(JS_AXE, WCAG_21_AA):
        nodes = "\n      ".join(violation["nodes"])
        problems.append(
            f"axe {violation['rule']} ({violation['impact']}, {color_mode}):\n      {nodes}"
        )


@pytest.mark.parametrize("path", PAGES)
def test_page_is_accessible_complete_navigable_and_uncut(site_tab, page_problems, path):
    # One load per page: light first, then the system scheme switched to dark in the same page.
    page = site_tab
    open_site_page(page, path)
    problems = page_problems
    check_math(page, problems)
    views = page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count()
    drawn = page.locator(".widget-subarea:has(.jupyter-widgets)").count()
    if drawn < views:
        problems.append(f"{drawn} of {views} saved widget views rendered")
    page.add_script_tag(path=AXE)
    check_colours(page, "light", problems)
    check_nothing_cut_laptop(page, problems)
    check_sidebar_collapses(page, problems)
    set_color_mode(page, "dark")
    check_colours(page, "dark", problems)
    # behaviour, not colour: once is enough
    check_solutions(page, problems)
    check_slider_drives_another_control(page, problems)
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 800})
    page.wait_for_timeout(200)
    check_nothing_cut_phone(page, problems)
    check_phone_menu(page, problems)
    report = f"{path}:\n  " + "\n  ".join(dict.fromkeys(problems))
    assert not problems, report


def test_phone_menu_link_opens_the_chapter(site_page, page_problems, color_mode):
    """390 px, light and dark: the menu opens, and a chapter link in it navigates there.

    Leaves screenshots of chapter 2 and of the open menu in test-output/site/."""
    page = site_page
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 800})
    open_site_page(page, "chapters/02_softmax_layer.html")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"chapter-2-390px-{color_mode}.png")
    problems = page_problems
    assert open_phone_menu(page, problems), problems
    page.wait_for_timeout(300)  # the dialog's fade-in
    page.screenshot(path=SCREENSHOTS / f"menu-open-390px-{color_mode}.png")
    page.add_script_tag(path=AXE)
    for violation in page.evaluate(JS_AXE, WCAG_21_AA):  # the open menu is accessible too
        problems.append(f"axe with the menu open: {violation['rule']}: {violation['nodes']}")
    link = page.locator(f"{MENU_DIALOG} nav a.reference", has_text="The gradient theorem")
    link.first.click()
    page.wait_for_url("**/chapters/04_gradient_theorem.html")
    heading = page.locator("main h1").first.inner_text()
    assert "gradient" in heading.lower(), heading
    assert not problems, "\n".join(problems)


# --- the printed handout -----------------------------------------------------------------------

HANDOUT = "chapters/02_softmax_layer.html"
# Chapter 2 printed on A4 measured 13 pages (Chromium 156, solutions collapsed). The range
# allows for edits of the chapter; a count outside it means that the print CSS lost hold of
# something (every solution expanded, the sidebar printed beside the text, code cut or a figure
# split), or that the chapter grew or shrank a lot: measure again and restate it.
HANDOUT_PAGES = range(9, 21)

JS_PRINTED = """() => {
  const shown = el => el.offsetParent !== null || getComputedStyle(el).position === 'fixed'
    && getComputedStyle(el).display !== 'none';
  return {
    solutions: Array.from(document.querySelectorAll('div.solution'))
      .filter(box => Array.from(box.children).some(
        c => !c.classList.contains('admonition-title') && c.offsetParent !== null)).length,
    buttons: Array.from(document.querySelectorAll('button')).filter(shown).length,
    chrome: Array.from(document.querySelectorAll(
      '.bd-sidebar-primary, .bd-sidebar-secondary, .bd-header-article, .prev-next-area'))
      .filter(shown).length,
    hints: Array.from(document.querySelectorAll('button.toggle-button'))
      .filter(b => getComputedStyle(b, '::before').content.includes('Click')).length,
    cut_code: Array.from(document.querySelectorAll('.bd-content pre'))
      .filter(pre => pre.offsetParent !== null && pre.scrollWidth > pre.clientWidth + 1).length,
  };
}"""


def pdf_page_count(pdf: bytes) -> int:
    """The number of page objects of a PDF (Chromium writes one ``/Type /Page`` per page)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def test_chapter_prints_as_a_handout(site_tab, page_problems):
    page = site_tab
    open_site_page(page, HANDOUT)
    page.emulate_media(media="print")
    printed = page.evaluate(JS_PRINTED)
    assert printed == {"solutions": 0, "buttons": 0, "chrome": 0, "hints": 0, "cut_code": 0}, (
        f"printed {HANDOUT}: {printed}"
    )
    pdf = page.pdf(format="A4", print_background=True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "chapter-2-handout.pdf").write_bytes(pdf)
    pages = pdf_page_count(pdf)
    assert pages in HANDOUT_PAGES, f"{HANDOUT} prints on {pages} A4 pages, not {HANDOUT_PAGES}"
    assert not page_problems, page_problems


def test_every_page_is_checked(site_dir):
    # Protects against a site walk that silently finds nothing (e.g. a moved build folder).
    found = site_pages(site_dir)
    assert "intro.html" in found
    assert sum(bool(re.match(r"chapters/.+\.html$", p)) for p in found) >= 7, found
