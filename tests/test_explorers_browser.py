"""The explorers on the built website, in a real browser: they compute, and agree with `lib`.

Serves _build/html (``make book``) on 127.0.0.1 and drives headless Chromium (Debian's
``chromium`` through Playwright) over every page that saved an explorer (an anywidget). Each
page is loaded once, checked in the light theme, then switched to the dark one (contrast again)
and to a phone's width. On every such page:

- every saved explorer renders, and nothing is requested from outside 127.0.0.1;
- every control has a visible label that names it (its accessible name) and is keyboard
  operable: each slider is moved with the arrow keys, the format menu with the arrow keys, the
  button with Enter;
- after each move the numbers the page shows changed where they should (and, for c added to
  every logit, did not: shift invariance), and agree with `lib`: float64 probabilities with
  ``lib.softmax`` to 1e-12 relative; float32 and float16 with ``lib.floating``'s same-format
  formulas (to 4 float32 ulps, to 1 float16 ulp); the learning curves with
  ``SlowdownExplorer.curves`` (lib); the gradient with ``lib.cross_entropy_grad``;
- the gradient explorer's step is exact: after several presses of its button the logits are
  the same steps z <- z - eta (P - y) done in Python with ``lib.cross_entropy_grad`` (no
  rounding to the sliders' 0.1 grid), and their sum has not moved;
- the temperature slider's ends are exactly T = 0.05 and T = 20, its stated range;
- the explorers' text and bars have enough contrast (4.5 for text, 3 for bars), in both themes;
- at 390 px every explorer fits its card: nothing in it scrolls, every number column of its
  tables (e.g. "P (unshifted)", which the text asks to compare) is on screen, and the chart's
  labels are drawn at 11 px or more.

Without Chromium these tests are skipped with a message saying how to install it, except under
CI (CI=true), where they fail.
"""

from __future__ import annotations

import numpy as np
import pytest

from lib import cross_entropy_grad, softmax
from lib.floating import softmax_shift_divide, softmax_unshifted
from tests.site_fixtures import SITE, open_site_page, set_color_mode, site_pages
from viz.explorers.slowdown_explorer import SlowdownExplorer

pytestmark = [pytest.mark.browser, pytest.mark.needs_chromium]

TIMEOUT_MS = 60_000  # a long chapter typesets its math before "load" on a busy 2-core machine
ROOTS = "fieldset.sx-explorer, fieldset.sd-explorer, fieldset.gx-explorer"


def explorer_pages() -> list[str]:
    """Pages of the built site whose saved widget state holds an anywidget explorer."""
    if not (SITE / "index.html").is_file():
        return []
    return [p for p in site_pages() if '"model_module": "anywidget"' in (SITE / p).read_text()]


PAGES = explorer_pages() or ["(no page with explorers: site not built)"]


# --- what the page shows, read by JavaScript ---------------------------------------------------

JS_SAVED_EXPLORERS = """() => {
  const state = document.querySelector('script[type="application/vnd.jupyter.widget-state+json"]');
  if (!state) return 0;
  const models = JSON.parse(state.textContent).state;
  return Array.from(document.querySelectorAll(
      'script[type="application/vnd.jupyter.widget-view+json"]'))
    .filter(s => (models[JSON.parse(s.textContent).model_id] || {}).model_module === 'anywidget')
    .length;
}"""

# Every control's visible label (the accessible name of a labelled input) and its state.
JS_CONTROLS = """(root) => Array.from(root.querySelectorAll('input, select, button'))
  .filter(c => c.offsetParent !== null)
  .map(c => ({
    tag: c.tagName, type: c.type, id: c.id,
    label: c.tagName === 'BUTTON' ? c.textContent.trim()
         : Array.from(c.labels || [])
             .map(l => l.offsetParent ? l.textContent.trim() : '').join(' '),
    valuetext: c.getAttribute('aria-valuetext'), value: c.value,
  }))"""

JS_SOFTMAX_READOUT = """(root) => ({
  logits: JSON.parse(root.dataset.logits), shift: Number(root.dataset.shift),
  temperature: Number(root.dataset.temperature), dtype: root.dataset.dtype,
  shifted: Array.from(root.querySelectorAll('tbody tr')).map(r => Number(r.cells[2].dataset.value)),
  naive: Array.from(root.querySelectorAll('tbody tr')).map(r => Number(r.cells[4].dataset.value)),
  text: root.querySelector('table').innerText + root.querySelector('[role=status]').innerText,
})"""

JS_SLOWDOWN_READOUT = """(root) => ({
  gap: Number(root.dataset.gap), learning_rate: Number(root.dataset.learningRate),
  steps: Number(root.dataset.steps),
  cells: Array.from(root.querySelectorAll('td[data-cost]')).map(c => [
    c.dataset.cost, Number(c.dataset.step), Number(c.dataset.value)]),
  first: Array.from(root.querySelectorAll('[role=status] p')).map(p => p.dataset.first),
  text: root.innerText,
})"""

JS_GRADIENT_READOUT = """(root) => ({
  logits: JSON.parse(root.dataset.logits), label: Number(root.dataset.label),
  learning_rate: Number(root.dataset.learningRate),
  gradient: Array.from(root.querySelectorAll('tbody tr'))
    .map(r => Number(r.cells[3].dataset.value)),
  text: root.innerText,
})"""

# Contrast (WCAG relative luminance) of text and of bars against the first opaque background.
JS_CONTRAST = """(root) => {
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
  const ratio = (a, b) => (Math.max(lum(a), lum(b)) + 0.05) / (Math.min(lum(a), lum(b)) + 0.05);
  const text = Array.from(root.querySelectorAll(
      'legend, label, th, td, p, output, caption, input, select, button'))
    .filter(e => (e.textContent.trim() || e.tagName === 'INPUT') && e.offsetParent !== null)
    .map(e => ({what: e.textContent.trim().slice(0, 30),
                ratio: ratio(parse(getComputedStyle(e).color), background(e))}));
  const bars = Array.from(root.querySelectorAll('.sx-bar, .gx-bar'))
    .map(e => ({what: 'bar', ratio: ratio(parse(getComputedStyle(e).backgroundColor),
                                          background(e.parentElement))}));
  return {text, bars};
}"""


# --- the checks --------------------------------------------------------------------------------


def press(page, locator, key, times=1):
    locator.focus()
    for _ in range(times):
        page.keyboard.press(key)
    page.wait_for_timeout(50)


def move_slider(page, slider):
    """Three arrow presses to the right, or to the left when the slider is at its maximum."""
    at_max = slider.evaluate("s => Number(s.value) >= Number(s.max)")
    press(page, slider, "ArrowLeft" if at_max else "ArrowRight", 3)


def check_controls(root, problems):
    controls = root.evaluate(JS_CONTROLS)
    if not controls:
        problems.append("an explorer shows no control")
    for control in controls:
        if not control["label"]:
            problems.append(f"{control['tag']} #{control['id']} has no visible label")
        if control["type"] == "range" and not control["valuetext"]:
            problems.append(f"slider {control['label']!r} has no aria-valuetext")
    return controls


def expected_softmax(readout):
    """lib's answer in the explorer's format: lib.softmax in float64, lib.floating otherwise."""
    kind = np.dtype(readout["dtype"]).type
    z = np.array(readout["logits"], dtype=np.float64)
    if kind is np.float64:
        x = (z + readout["shift"]) / readout["temperature"]
        with np.errstate(all="ignore"):
            naive = softmax_unshifted(x)
        return softmax(x), naive
    with np.errstate(all="ignore"):  # every operation in the format, as the page does it
        x = (z.astype(kind) + kind(readout["shift"])) / kind(readout["temperature"])
        return softmax_shift_divide(x), softmax_unshifted(x)


def agree(shown, expected, dtype):
    shown = np.array(shown, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if not np.array_equal(np.isnan(shown), np.isnan(expected)):
        return False
    ok = ~np.isnan(shown)
    # the browser's Math.exp rounds differently from numpy's exp: float64 within 1e-12 relative,
    # float32 within 4 ulps, float16 within 1 ulp
    rtol = {"float64": 1e-12, "float32": 4 * 2.0**-23, "float16": 2.0**-10}[dtype]
    tiny = float(np.finfo(dtype).smallest_subnormal)
    return np.allclose(shown[ok], expected[ok], rtol=rtol, atol=tiny)


def check_softmax_explorer(page, root, problems):
    def readout():
        return root.evaluate(JS_SOFTMAX_READOUT)

    def compare(state, what):
        shifted, naive = expected_softmax(state)
        if not agree(state["shifted"], shifted, state["dtype"]):
            problems.append(f"{what}: shifted P {state['shifted']} != lib {shifted.tolist()}")
        if not agree(state["naive"], naive, state["dtype"]):
            problems.append(f"{what}: unshifted P {state['naive']} != lib {naive.tolist()}")

    start = readout()
    compare(start, f"saved state ({start['dtype']})")
    for slider in root.locator("input[type=range]:visible").all():
        name = slider.evaluate("s => s.labels[0].textContent")
        before = readout()
        move_slider(page, slider)
        after = readout()
        compare(after, f"after moving {name!r} ({after['dtype']})")
        inputs = ("logits", "shift", "temperature")
        if all(after[k] == before[k] for k in inputs):
            problems.append(f"the arrow keys did not move {name!r}")
        elif name.startswith("c,"):  # shift invariance: P must not move (up to rounding)
            same = agree(after["shifted"], before["shifted"], after["dtype"])
            if not same and after["dtype"] == "float64":
                problems.append(f"adding c changed P: {before['shifted']} -> {after['shifted']}")
        elif after["text"] == before["text"]:
            problems.append(f"moving {name!r} changed none of the numbers shown")
    menu = root.locator("select")
    if menu.is_visible():
        for _ in range(2):
            before = readout()
            last = menu.evaluate("m => m.selectedIndex === m.options.length - 1")
            press(page, menu, "ArrowUp" if last else "ArrowDown")
            after = readout()
            if after["dtype"] == before["dtype"]:
                problems.append("the arrow key did not change the number format")
            compare(after, f"after choosing {after['dtype']}")
    check_temperature_range(page, root, problems, compare, readout)


def check_temperature_range(page, root, problems, compare, readout):
    """The T slider's ends are its stated range, T = 0.05 and T = 20, exactly."""
    sliders = [
        s
        for s in root.locator("input[type=range]").all()
        if s.is_visible() and s.evaluate("s => s.labels[0].textContent.startsWith('Temperature')")
    ]
    for slider in sliders:
        for key, expected in (("Home", 0.05), ("End", 20.0)):
            press(page, slider, key)
            state = readout()
            if state["temperature"] != expected:
                problems.append(f"the T slider's {key} end is T = {state['temperature']}")
            compare(state, f"at T = {state['temperature']}")


def check_slowdown_explorer(page, root, problems):
    def compare(state, what):
        explorer = SlowdownExplorer(
            gap=state["gap"], learning_rate=state["learning_rate"], steps=state["steps"]
        )
        horizon = min(state["steps"], 100)  # the table's rows for steps 0, 1, 10, 100
        curves = explorer.curves(steps=horizon)
        for cost, step, value in state["cells"]:
            if step <= horizon and not np.isclose(value, curves[cost][step], rtol=1e-9, atol=0):
                problems.append(
                    f"{what}: {cost} P_y at step {step} = {value}, lib {curves[cost][step]}"
                )

    state = root.evaluate(JS_SLOWDOWN_READOUT)
    compare(state, "saved state")
    for slider in root.locator("input[type=range]:visible").all():
        name = slider.evaluate("s => s.labels[0].textContent")
        before = root.evaluate(JS_SLOWDOWN_READOUT)
        move_slider(page, slider)
        after = root.evaluate(JS_SLOWDOWN_READOUT)
        if after["text"] == before["text"] or after["cells"] == before["cells"]:
            problems.append(f"moving {name!r} changed neither the curve's table nor the text")
        compare(after, f"after moving {name!r}")


def check_gradient_explorer(page, root, problems):
    def compare(state, what):
        expected = cross_entropy_grad(np.array([state["logits"]]), [state["label"]])[0]
        if not np.allclose(state["gradient"], expected, rtol=1e-12, atol=1e-16):
            problems.append(f"{what}: gradient {state['gradient']} != lib {expected.tolist()}")

    compare(root.evaluate(JS_GRADIENT_READOUT), "saved state")
    for slider in root.locator("input[type=range]:visible").all():
        name = slider.evaluate("s => s.labels[0].textContent")
        before = root.evaluate(JS_GRADIENT_READOUT)
        move_slider(page, slider)
        after = root.evaluate(JS_GRADIENT_READOUT)
        if after["gradient"] == before["gradient"]:
            problems.append(f"moving {name!r} did not change the gradient")
        compare(after, f"after moving {name!r}")
    before = root.evaluate(JS_GRADIENT_READOUT)
    menu = root.locator("select")
    last = menu.evaluate("m => m.selectedIndex === m.options.length - 1")
    press(page, menu, "ArrowUp" if last else "ArrowDown")
    after = root.evaluate(JS_GRADIENT_READOUT)
    if after["label"] == before["label"]:
        problems.append("the arrow key did not change the true class")
    compare(after, "after choosing another class")
    press(page, root.locator("button"), "Enter")
    stepped = root.evaluate(JS_GRADIENT_READOUT)
    compare(stepped, "after a gradient step")
    label = stepped["label"]
    if softmax(stepped["logits"])[label] <= softmax(after["logits"])[label]:
        problems.append("the gradient step did not raise the true class's probability")
    check_gradient_step_is_exact(page, root, problems)


GRADIENT_STEPS = 17  # the count: the old, rounded step had stalled by then


def check_gradient_step_is_exact(page, root, problems):
    """N presses of the button take the same N steps as Python does with lib, unrounded."""
    start = root.evaluate(JS_GRADIENT_READOUT)
    press(page, root.locator("button"), "Enter", GRADIENT_STEPS)
    end = root.evaluate(JS_GRADIENT_READOUT)
    z = np.array(start["logits"], dtype=np.float64)
    for _ in range(GRADIENT_STEPS):
        z = z - start["learning_rate"] * cross_entropy_grad(z[None, :], [start["label"]])[0]
    if not np.allclose(end["logits"], z, rtol=1e-12, atol=1e-12):
        problems.append(
            f"{GRADIENT_STEPS} gradient steps from {start['logits']} reached {end['logits']}, "
            f"lib's steps {z.tolist()}"
        )
    if abs(sum(end["logits"]) - sum(start["logits"])) > 1e-12:
        problems.append(
            f"the gradient steps moved the sum of the logits: {sum(start['logits'])} -> "
            f"{sum(end['logits'])}"
        )


CHECKS = {
    "sx-explorer": check_softmax_explorer,
    "sd-explorer": check_slowdown_explorer,
    "gx-explorer": check_gradient_explorer,
}


# At a phone's width: what in an explorer sticks out of its card (cells, the card's own
# scrolling), and the smallest label of a chart as drawn (font size times the SVG's scale).
JS_REFLOW = """(root) => {
  const card = root.getBoundingClientRect();
  const out = Array.from(root.querySelectorAll('th, td, legend, label, input, select, button'))
    .filter(e => e.offsetParent !== null)
    .filter(e => { const r = e.getBoundingClientRect();
                   return r.left < card.left - 0.5 || r.right > card.right + 0.5; })
    .map(e => e.textContent.trim().slice(0, 30) || e.tagName);
  const columns = Array.from(root.querySelectorAll('thead th'))
    .filter(th => th.offsetParent !== null).map(th => th.textContent.trim());
  const labels = Array.from(root.querySelectorAll('svg')).flatMap(svg => {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    return Array.from(svg.querySelectorAll('text'))
      .map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
  });
  return {scrolls: root.scrollWidth > root.clientWidth + 1, out, columns,
          smallest_label: labels.length ? Math.min(...labels) : null,
          page_width: document.documentElement.scrollWidth};
}"""
PHONE_WIDTH = 390
# the columns the chapters' text compares, which must stay on a phone's screen
COMPARED = {
    "sx-explorer": ["P (shifted, eq. 14)", "P (unshifted)"],
    "gx-explorer": ["P_j", "dC/dz_j = P_j - y_j"],
    "sd-explorer": ["cross-entropy", "squared error"],
}


def check_contrast(root, theme, found):
    contrast = root.evaluate(JS_CONTRAST)
    for item in contrast["text"]:
        if item["ratio"] < 4.5:
            found.append(f"{theme}: text {item['what']!r} has contrast {item['ratio']:.1f}")
    for item in contrast["bars"]:
        if item["ratio"] < 3.0:
            found.append(f"{theme}: a bar has contrast {item['ratio']:.1f} < 3")


def check_reflow(root, kind, found):
    state = root.evaluate(JS_REFLOW)
    if state["page_width"] > PHONE_WIDTH:
        found.append(f"390 px: the page is {state['page_width']} px wide")
    if state["scrolls"]:
        found.append(f"390 px: the {kind} scrolls sideways inside its card")
    if state["out"]:
        found.append(f"390 px: outside the {kind}'s card: {state['out']}")
    for column in COMPARED[kind]:
        if not any(column.lower() in shown.lower() for shown in state["columns"]):
            found.append(f"390 px: the {kind} hides the column {column!r}: {state['columns']}")
    if state["smallest_label"] is not None and state["smallest_label"] < 11:
        found.append(f"390 px: a chart label of the {kind} is {state['smallest_label']:.1f} px")


@pytest.mark.parametrize("page_path", PAGES)
def test_explorers_compute_in_the_page_and_agree_with_lib(site_tab, page_problems, page_path):
    # loaded once: checked in the light theme, then in the dark one, then at a phone's width
    page = site_tab
    page.set_default_timeout(TIMEOUT_MS)
    open_site_page(page, page_path)
    saved = page.evaluate(JS_SAVED_EXPLORERS)
    assert saved > 0, f"{page_path} saved no explorer view"
    page.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel).length >= n", arg=[ROOTS, saved]
    )
    roots = page.locator(ROOTS)
    assert roots.count() == saved
    found: list[str] = []
    kinds = []
    for index in range(saved):
        root = roots.nth(index)
        root.scroll_into_view_if_needed()
        kind = root.evaluate("r => [...r.classList].find((c) => c.endsWith('-explorer'))")
        kinds.append(kind)
        check_controls(root, found)
        CHECKS[kind](page, root, found)
        check_contrast(root, "light", found)
    set_color_mode(page, "dark")
    for index in range(saved):
        check_contrast(roots.nth(index), "dark", found)
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 800})
    page.wait_for_timeout(300)  # the chart redraws for its new width
    for index in range(saved):
        check_reflow(roots.nth(index), kinds[index], found)
    problems = page_problems + found
    assert not problems, f"{page_path}:\n  " + "\n  ".join(dict.fromkeys(problems))


def test_explorer_pages_are_found(site_dir):
    # Protects against a walk that silently finds no explorer (e.g. state saved without them).
    found = explorer_pages()
    assert "chapters/02_softmax_layer.html" in found, found
    assert all("AnyModel" in (site_dir / p).read_text() for p in found)
