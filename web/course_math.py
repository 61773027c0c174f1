"""Sphinx extension: the website's formulas are typeset when the book is built, not in the browser.

Loaded by _config.yml (``sphinx.local_extensions``). Sphinx writes each formula as its TeX
source (``<span class="math">\\(…\\)</span>``, ``<div class="math">\\[…\\]</div>``) and adds
MathJax to the page, which typesets it after the page has been laid out: every formula then
grows to its typeset size and the text around it moves (layout shift 0.13–0.22 at a phone's
width on chapters 2, 3, 4, 7 and 8, against the 0.1 a page may have). Instead:

- no page loads MathJax (its loader and configuration scripts are left out of every page);
- after the build, every page still holding TeX source is typeset by MathJax itself, the version
  the site pins, in node (web/typeset_math.js), with _config.yml's ``mathjax3_config``: the same
  CommonHTML, hidden MathML for screen readers and web fonts as in the browser. Each page gets the
  style sheet of the characters it uses (inline, as MathJax puts it) and preloads the fonts they
  are drawn in, so that no line changes height when a font arrives; every formula is
  focusable, as MathJax's menu made it: one wider than its box scrolls, and the keyboard must
  reach it (WCAG 2.1.1, axe: scrollable-region-focusable);
- a TeX error fails the build, naming the page and the formula (warnings are errors).

A page is typeset once: one that Sphinx did not rewrite holds no TeX source and is left alone.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TYPESET_JS = HERE / "typeset_math.js"
# MathJax's CommonHTML web fonts: their folder in web/node_modules, which
# scripts/vendor_assets.py copies (it reads this name), and where the built site serves them
FONTS_IN_NPM = "mathjax/es5/output/chtml/fonts/woff-v2"
FONTS = Path("_static") / "npm" / FONTS_IN_NPM
STYLE_ID = "MJX-CHTML-styles"  # the id MathJax gives its style sheet in the browser

# A formula as Sphinx writes it: an element of class "math" (span: inline, div: display, which may
# hold the equation's number before the TeX), its TeX between \( \) or \[ \].
FORMULA = re.compile(
    r'(?P<open><(?P<tag>span|div) class="(?:[^"]* )?math(?: [^"]*)?"[^>]*>)'
    r"(?P<body>.*?)(?=</(?P=tag)>)",
    re.S,
)
TEX = re.compile(r"\\\((?P<inline>.*?)\\\)|\\\[(?P<display>.*?)\\\]", re.S)


class MathError(Exception):
    """A formula MathJax could not typeset."""


def is_mathjax_script(script: Any, app: Any) -> bool:
    """True for MathJax's loader and for the inline ``window.MathJax = …`` configuration."""
    filename = str(getattr(script, "filename", "") or "")
    body = str(getattr(script, "attributes", {}).get("body", ""))
    loader = filename.split("?")[0].endswith(app.config.mathjax_path)  # Sphinx prefixes _static/
    return loader or body.startswith("window.MathJax")


def drop_mathjax_scripts(
    app: Any, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    """Pages arrive typeset: none loads MathJax."""
    if "script_files" in context:
        context["script_files"] = [
            s for s in context["script_files"] if not is_mathjax_script(s, app)
        ]


def formulas(page_html: str) -> list[dict]:
    """The TeX of every formula on a page still to be typeset, in page order."""
    found = []
    for element in FORMULA.finditer(page_html):
        for tex in TEX.finditer(element.group("body")):
            display = tex.group("display") is not None
            source = tex.group("display") if display else tex.group("inline")
            found.append({"tex": html.unescape(source), "display": display})
    return found


def replace_formulas(page_html: str, typeset: list[str]) -> str:
    """The page with each formula's TeX (delimiters included) replaced by its typeset HTML."""
    rendered = iter(typeset)

    def element(match: re.Match) -> str:
        body = TEX.sub(lambda _tex: next(rendered), match.group("body"))
        return match.group("open") + body

    return FORMULA.sub(element, page_html)


# In MathJax's style sheet: a web font, and the font families a class of characters is drawn in.
FONT_FACE = re.compile(
    r'@font-face /\* \d+ \*/ \{\s*font-family: ([\w-]+);\s*src: url\("([^"]+)"\)'
)
FONT_CLASS = re.compile(r"^\.(TEX-[A-Z0-9]+) \{\s*font-family: ([^;]+);", re.M)
BASE_FONTS = ("MJXZERO", "MJXTEX")  # every formula's: .MJX-TEX, the unmarked characters


def fonts_in_use(css: str, typeset: list[str]) -> list[str]:
    """The URLs of the web fonts the page's formulas are drawn in (MathJax's style sheet
    declares all of its fonts; a browser fetches only those a character uses)."""
    urls = dict(FONT_FACE.findall(css))
    families = dict(FONT_CLASS.findall(css))
    used = set(BASE_FONTS)
    for name in set(re.findall(r"\bTEX-[A-Z0-9]+\b", "".join(typeset))):
        used.update(family.strip() for family in families.get(name, "").split(","))
    return sorted(urls[family] for family in used if family in urls)


def with_style_sheet(page_html: str, css: str, fonts: list[str]) -> str:
    """The page with MathJax's style sheet at the end of its <head>, after a preload of each
    font in use. Without the preload a font arrives after the first layout, and lines holding
    a formula change height when it does (a layout shift of 0.05 on chapter 7)."""
    preload = "".join(
        f'<link rel="preload" href="{url}" as="font" type="font/woff" crossorigin>\n'
        for url in fonts
    )
    style = f'<style id="{STYLE_ID}">\n{css}\n</style>\n'
    return page_html.replace("</head>", preload + style + "</head>", 1)


def run_mathjax(config: dict, pages: list[dict]) -> list[dict]:
    """Typeset the pages' formulas with MathJax in node (web/typeset_math.js)."""
    node = shutil.which("node")
    if node is None:
        raise MathError(
            "node not found: the formulas are typeset with MathJax in Node.js when the book "
            "is built. Install Node.js (Debian: apt-get install nodejs npm)."
        )
    request = json.dumps({"config": config, "pages": pages})
    result = subprocess.run(
        [node, str(TYPESET_JS)], input=request, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise MathError(result.stderr.strip() or f"{TYPESET_JS.name} failed")
    return json.loads(result.stdout)["pages"]


def typeset_site(outdir: Path, config: dict) -> int:
    """Typeset every page of ``outdir`` that holds TeX source; the number of formulas typeset."""
    todo = []
    for path in sorted(outdir.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        found = formulas(text)
        if found:
            font_url = Path(os.path.relpath(outdir / FONTS, path.parent)).as_posix()
            todo.append((path, text, {"fontURL": font_url, "formulas": found}))
    if not todo:
        return 0
    results = run_mathjax(config, [page for _path, _text, page in todo])
    errors = [
        f"{path.relative_to(outdir)}: {error}"
        for (path, _text, _page), result in zip(todo, results, strict=True)
        for error in result["errors"]
    ]
    if errors:
        raise MathError("TeX errors:\n  " + "\n  ".join(errors))
    for (path, text, _page), result in zip(todo, results, strict=True):
        fonts = fonts_in_use(result["css"], result["html"])
        typeset = with_style_sheet(replace_formulas(text, result["html"]), result["css"], fonts)
        path.write_text(typeset, encoding="utf-8")
    return sum(len(page["formulas"]) for _path, _text, page in todo)


def after_build(app: Any, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    from sphinx.errors import ExtensionError
    from sphinx.util import logging

    try:
        count = typeset_site(Path(app.outdir), dict(app.config.mathjax3_config or {}))
    except MathError as error:  # the build fails, with what went wrong and no traceback
        raise ExtensionError(f"formulas not typeset: {error}", modname=__name__) from None
    if count:
        logging.getLogger(__name__).info(f"typeset {count} formulas with MathJax (node)")


def setup(app: Any) -> dict:
    app.connect("html-page-context", drop_mathjax_scripts, priority=900)
    # before course_site's steps that read every page (its build-finished runs at 500)
    app.connect("build-finished", after_build, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
