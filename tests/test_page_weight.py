"""Every page of the built website is light, and its explorers do not make it jump.

Each content page of _build/html is opened in Chromium at a phone's size (the one Lighthouse's
mobile run emulates, 412 x 823), and every file it loads is recorded, until its explorers are
drawn. A page's weight is what a static host sends for those
files: gzip (level 6, as web servers use) for text, the bytes as they are for files that are
compressed already (images, fonts). Limits:

- a page without widgets weighs at most 600 kB, a page with widgets at most 1,200 kB;
- the widget loader (web/static/widgets-setup.js) is loaded only by pages that show a widget;
- the layout shifts while a page loads (PerformanceObserver "layout-shift" entries, summed: at
  least Lighthouse's CLS, which takes the worst 5 s window) stay at or under 0.1, on every page,
  with or without widgets. The formulas arrive typeset (web/course_math.py: MathJax ran when the
  book was built), the explorers keep the place their saved view needs, and every figure has its
  size (web/course_site.py), so nothing is inserted or grows once the page is shown;
- no page loads MathJax.

Run as a script for the table the README shows::

    .venv/bin/python tests/test_page_weight.py        # after `make book`
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import pytest

if __package__ in (None, ""):  # run as a script: make `tests.site_fixtures` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.site_fixtures import SITE, open_site_page, site_pages  # noqa: E402

pytestmark = pytest.mark.browser

KB = 1000
LIMIT_PLAIN = 600 * KB
LIMIT_WIDGETS = 1200 * KB
LIMIT_CLS = 0.1
PHONE = {"width": 412, "height": 823}  # Lighthouse's mobile screen (Moto G Power)
COMPRESSED = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".woff", ".woff2", ".ico")
VIEW = 'script[type="application/vnd.jupyter.widget-view+json"]'

# Layout shifts since the page started, not caused by the reader (buffered entries included).
JS_SHIFTS = """() => new Promise(resolve => {
  let total = 0;
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) if (!e.hadRecentInput) total += e.value;
  }).observe({type: 'layout-shift', buffered: true});
  setTimeout(() => resolve(total), 500);
})"""

PAGES = site_pages() if (SITE / "index.html").is_file() else ["(site not built: make book)"]


def sent_size(url: str, body: bytes) -> int:
    """What a static host sends for this file: gzip for text, as is when already compressed."""
    if url.split("?")[0].lower().endswith(COMPRESSED):
        return len(body)
    return min(len(body), len(gzip.compress(body, compresslevel=6)))


def measure(browser, base_url: str, path: str) -> dict:
    """Open `path` on a phone-sized page, cold cache; its files, weight, widget flag and CLS."""
    context = browser.new_context(base_url=base_url, viewport=PHONE, service_workers="block")
    context.set_default_timeout(60_000)
    page = context.new_page()
    responses = []
    page.on("response", lambda response: responses.append(response))
    open_site_page(page, path)
    page.wait_for_load_state("networkidle")
    shifts = page.evaluate(JS_SHIFTS)
    views = page.locator(VIEW).count()
    files = {}
    for response in responses:
        if response.status == 200 and response.url not in files:
            try:
                files[response.url] = sent_size(response.url, response.body())
            except Exception:  # a redirect or a response without a body
                continue
    context.close()
    return {
        "path": path,
        "weight": sum(files.values()),
        "files": files,
        "widgets": views > 0,
        "cls": shifts,
    }


def table(rows: list[dict]) -> str:
    """A Markdown table of the pages' weights (kB gzip) and layout shifts."""
    lines = [
        "| page | widgets | files | kB (gzip) | layout shift |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for row in rows:
        lines.append(
            f"| {row['path']} | {'yes' if row['widgets'] else 'no'} | {len(row['files'])} "
            f"| {row['weight'] / KB:,.0f} | {row['cls']:.3f} |"
        )
    return "\n".join(lines)


@pytest.mark.parametrize("path", PAGES)
def test_page_is_light_and_does_not_jump(browser, base_url, path):
    row = measure(browser, base_url, path)
    print(table([row]))
    heavy = sorted(row["files"].items(), key=lambda item: -item[1])[:5]
    biggest = ", ".join(f"{url.rsplit('/', 1)[-1]} {size / KB:.0f} kB" for url, size in heavy)
    limit = LIMIT_WIDGETS if row["widgets"] else LIMIT_PLAIN
    assert row["weight"] <= limit, (
        f"{path}: {row['weight'] / KB:.0f} kB > {limit / KB:.0f} kB ({biggest})"
    )
    loader = any(url.split("?")[0].endswith("/widgets-setup.js") for url in row["files"])
    assert loader == row["widgets"], (
        f"{path}: widget loader loaded {loader}, widgets shown {row['widgets']}"
    )
    assert row["cls"] <= LIMIT_CLS, f"{path}: layout shifts sum to {row['cls']:.3f} > {LIMIT_CLS}"
    scripts = [url for url in row["files"] if url.split("?")[0].endswith(".js")]
    mathjax = [url for url in scripts if "/mathjax/" in url]  # its fonts may load, not MathJax
    assert not mathjax, f"{path} loads MathJax ({mathjax}): its formulas should arrive typeset"


def main() -> int:
    import functools
    import http.server
    import threading

    from playwright.sync_api import sync_playwright

    from tests.site_fixtures import _QuietHandler, find_chromium

    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}/"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium())
        rows = [measure(browser, base_url, path) for path in site_pages()]
        browser.close()
    server.shutdown()
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
