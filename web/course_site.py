"""Sphinx extension for the course website: pages that load nothing from elsewhere, error-free.

Loaded by _config.yml (``sphinx.local_extensions``). It changes what Jupyter Book 1, its theme
and Sphinx put in the pages:

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
- The bibliography's style, ``course`` (bibliography.md): pybtex's "plain" with two changes.
  Titles print as references.bib writes them (plain lowers every word but the first, so "IEEE
  754" became "ieee 754" and "mpmath" "Mpmath"), and corporate authors, written in braces
  (``{IEEE}``), sort by their name: plain's key keeps the brace, which sorts after every letter.
- Light pages. pydata-sphinx-theme loads Font Awesome twice: its style sheet draws the icons
  from web fonts, and ``fontawesome.js`` (540 kB gzip) then redraws them as SVG, for icons a
  site could add by name at run time (this one adds none). The script is left out of every page,
  the theme's icon fonts are cut to the icons the pages show (fontTools' subsetter), and so are
  the style sheet's icon rules (``.fa-<name>:before``, one per icon of Font Awesome).
- Figures are served as lossless WebP (the same pixels, about a third of the PNG's bytes; the
  PNG stays beside it), and every figure's <img> gets its width and height, so the browser
  keeps its place before it has loaded (nothing below it jumps).
- The widget loader (web/static/widgets-setup.js) is left out of pages that show no widget.
- Every page has a ``<meta name="description">``: its first paragraph (search engines and link
  previews show it), and the site serves ``/favicon.ico`` (browsers ask for it whatever the
  page's icon link says), drawn from web/favicon.svg.
- The search page's result snippets show "…" where a formula was, not its TeX source
  (web/static/course-search.js, loaded on that page only).
- A downloaded chapter runs on its own: the build puts the course's packages (``lib``, ``viz``)
  as a wheel in ``_static/`` (``WHEEL_FOLDER``); the chapters' first cell installs it from
  beside the notebook or from the site (scripts/first_cell.py).
- Placeholder URLs: while a publishing setting (``PUBLISH_SETTINGS``) still holds a placeholder
  such as example-course, the build says so in one line. ``python web/course_site.py
  --check-publish`` prints the same line and fails (the Pages workflow runs it before
  publishing); ``--notice`` prints it and succeeds (``make book``).

Run as a script it only reads _config.yml (no Sphinx needed).
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DISTRIBUTION = "softmax-lecture-lib"  # pyproject.toml [project] name
WHEEL_FOLDER = "_static"  # inside the built site; scripts/first_cell.py downloads from here
# Settings (paths into _config.yml) that must name the real course before the site is published.
PUBLISH_SETTINGS = [
    ("repository", "url"),
    ("launch_buttons", "jupyterhub_url"),
    ("html", "baseurl"),
]
PLACEHOLDER = re.compile(r"example-course|(^|[./])example\.(edu|org|com|net)\b")
DESCRIPTION_LENGTH = 160  # what search engines show of a description
SEARCH_JS = "course-search.js"

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


# --- bibliography -------------------------------------------------------------------------------


def register_bibliography_style() -> None:
    """Register the pybtex formatting and sorting styles named ``course``."""
    from pybtex.plugin import register_plugin
    from pybtex.style.formatting.plain import Style as PlainStyle
    from pybtex.style.sorting.author_year_title import SortingStyle as PlainSorting
    from pybtex.style.template import field, sentence

    class CourseSorting(PlainSorting):
        def person_key(self, person):
            return super().person_key(person).replace("{", "").replace("}", "")

    class CourseStyle(PlainStyle):
        default_sorting_style = "course"

        def format_title(self, e, which_field, as_sentence=True):
            title = field(which_field)  # as written: references.bib gives the case
            return sentence[title] if as_sentence else title

    register_plugin("pybtex.style.sorting", "course", CourseSorting, force=True)
    register_plugin("pybtex.style.formatting", "course", CourseStyle, force=True)


# --- placeholders ------------------------------------------------------------------------------


def placeholder_settings(config: dict) -> list[str]:
    """The publishing settings of a _config.yml mapping that still hold a placeholder URL."""
    found = []
    for path in PUBLISH_SETTINGS:
        value: Any = config
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str) and PLACEHOLDER.search(value):
            found.append(f"{'.'.join(path)} = {value}")
    return found


def placeholder_line(config: dict) -> str | None:
    """One line naming every placeholder setting, or None when there is none."""
    found = placeholder_settings(config)
    if not found:
        return None
    return (
        "The site still has placeholder URLs: set "
        + "; ".join(found)
        + " in _config.yml to the course's own (README: Publishing the website)."
    )


def read_config(path: Path = ROOT / "_config.yml") -> dict:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))


# --- page contents ------------------------------------------------------------------------------


TEX_WORDS = {
    r"\\ge": "≥",
    r"\\le": "≤",
    r"\\sum": "Σ",
    r"\\prod": "Π",
    r"\\delta": "δ",
    r"\\sigma": "σ",
    r"\\eta": "η",
    r"\\cdot": "·",
    r"\\times": "×",
    r"\\to": "→",
}


def plain_tex(tex: str) -> str:
    """A formula as short plain text for a description: a few symbols, other commands dropped."""
    for command, symbol in TEX_WORDS.items():
        tex = re.sub(command + r"(?![a-zA-Z])", symbol, tex)
    tex = re.sub(r"\\[a-zA-Z]+", "", tex)
    return " ".join(tex.replace("{", "").replace("}", "").split())


def page_description(doctree: Any) -> str:
    """The page's first paragraph as plain text, cut at a word to DESCRIPTION_LENGTH."""
    from docutils import nodes

    for paragraph in doctree.findall(nodes.paragraph):
        if not isinstance(paragraph.parent, (nodes.section, nodes.document)):
            continue  # a list item or a box is not what the page is about
        paragraph = paragraph.deepcopy()
        for formula in list(paragraph.findall(nodes.math)):
            formula.replace_self(nodes.Text(plain_tex(formula.astext())))
        text = " ".join(paragraph.astext().split())
        if len(text) >= 40:
            if len(text) > DESCRIPTION_LENGTH:
                text = text[: DESCRIPTION_LENGTH - 1].rsplit(" ", 1)[0] + "…"
            return text
    return ""


def add_description(app: Any, pagename: str, templatename: str, context: dict, doctree: Any):
    """A <meta name="description"> from the page's first paragraph (or the book's title)."""
    text = (page_description(doctree) if doctree is not None else "") or app.config.project
    meta = f'<meta name="description" content="{html.escape(text, quote=True)}" />\n'
    context["metatags"] = context.get("metatags", "") + meta


WIDGET_LOADER = "widgets-setup.js"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def widget_loader_where_widgets_show(
    app: Any, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    """myst-nb adds the widget loader to every page whose notebook stores widget state; a page
    that shows no widget (state of widgets never displayed, or closed) goes without it."""
    if "script_files" in context and WIDGET_VIEW not in context.get("body", ""):
        context["script_files"] = [
            s
            for s in context["script_files"]
            if WIDGET_LOADER not in str(getattr(s, "filename", s))
        ]


def search_script_on_search_page_only(
    app: Any, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    """course-search.js is for the search page's snippets; other pages do not load it."""
    if pagename != "search" and "script_files" in context:
        context["script_files"] = [
            s for s in context["script_files"] if SEARCH_JS not in str(getattr(s, "filename", s))
        ]


# --- after the build: icons, favicon, wheel ---------------------------------------------------

FONTAWESOME_SCRIPT = re.compile(
    r'[ \t]*<script[^>]*src="[^"]*_static/scripts/fontawesome\.js[^"]*"[^>]*></script>\n?'
)
ICON_RULE = re.compile(r'((?:\.fa-[a-z0-9-]+:before,?)+)\{content:"\\([0-9a-f]+)"\}')


def drop_fontawesome_script(outdir: Path) -> None:
    """Remove the theme's SVG-replacement Font Awesome script from every page (and the file)."""
    for page in outdir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        cut = FONTAWESOME_SCRIPT.sub("", text)
        if cut != text:
            page.write_text(cut, encoding="utf-8")
    for leftover in (outdir / "_static" / "scripts").glob("fontawesome.js*"):
        leftover.unlink()


def used_icon_codepoints(outdir: Path) -> set[int]:
    """Codepoints of the Font Awesome icons the site's pages and scripts name."""
    css = (outdir / "_static" / "styles" / "pydata-sphinx-theme.css").read_text(encoding="utf-8")
    codes = {}
    for selectors, code in ICON_RULE.findall(css):
        for name in re.findall(r"\.(fa-[a-z0-9-]+):before", selectors):
            codes[name] = int(code, 16)
    return {codes[name] for name in used_icon_names(outdir) if name in codes}


def used_icon_names(outdir: Path) -> set[str]:
    """Every ``fa-<name>`` the site's pages and its own scripts mention."""
    named = set()
    sources = [*outdir.rglob("*.html"), *(outdir / "_static").glob("*.js")]
    sources += list((outdir / "_static" / "scripts").glob("*.js"))
    for source in sources:
        named.update(
            re.findall(r"fa-[a-z0-9-]+", source.read_text(encoding="utf-8", errors="ignore"))
        )
    return named


def drop_unused_icon_rules(outdir: Path) -> None:
    """Remove the style sheet's ``.fa-<name>:before`` rules of icons no page shows."""
    css_path = outdir / "_static" / "styles" / "pydata-sphinx-theme.css"
    css = css_path.read_text(encoding="utf-8")
    used = used_icon_names(outdir)

    def keep(match: re.Match) -> str:
        names = re.findall(r"\.(fa-[a-z0-9-]+):before", match.group(1))
        return match.group(0) if used.intersection(names) else ""

    css_path.write_text(ICON_RULE.sub(keep, css), encoding="utf-8")


def subset_icon_fonts(outdir: Path) -> None:
    """Cut the theme's icon fonts (woff2 and ttf) to the glyphs of the icons in use."""
    from fontTools import subset

    unicodes = used_icon_codepoints(outdir)
    for font_path in sorted((outdir / "_static" / "vendor" / "fontawesome").rglob("fa-*")):
        if font_path.suffix not in {".woff2", ".ttf"}:
            continue
        options = subset.Options()
        options.flavor = "woff2" if font_path.suffix == ".woff2" else None
        options.layout_features = ["*"]
        font = subset.load_font(str(font_path), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=unicodes)
        subsetter.subset(font)
        subset.save_font(font, str(font_path), options)


IMG_TAG = re.compile(r"<img\s[^>]*>")
IMG_SRC = re.compile(r'src="([^"]*_images/[^"/]+)\.png"')


def figures_as_webp(outdir: Path) -> None:
    """Lossless WebP beside each figure's PNG; pages show it, with the figure's size."""
    from PIL import Image

    sizes = {}
    for png in (outdir / "_images").glob("*.png"):
        webp = png.with_suffix(".webp")
        with Image.open(png) as image:
            sizes[png.stem] = image.size
            if not webp.is_file() or webp.stat().st_mtime < png.stat().st_mtime:
                image.save(webp, "WEBP", lossless=True, quality=100, method=2)

    def tag(match: re.Match) -> str:
        text = match.group(0)
        src = IMG_SRC.search(text)
        if src is None or Path(src.group(1)).name not in sizes:
            return text
        width, height = sizes[Path(src.group(1)).name]
        text = IMG_SRC.sub(lambda m: f'src="{m.group(1)}.webp"', text)
        if " width=" not in text and " height=" not in text:
            text = text.replace("<img ", f'<img width="{width}" height="{height}" ', 1)
        return text

    for page in outdir.rglob("*.html"):
        content = page.read_text(encoding="utf-8")
        changed = IMG_TAG.sub(tag, content)
        if changed != content:
            page.write_text(changed, encoding="utf-8")


def write_favicon(outdir: Path, svg: Path = ROOT / "web" / "favicon.svg") -> None:
    """favicon.ico at the site's root, drawn (Pillow) from the rectangles of web/favicon.svg."""
    from PIL import Image, ImageDraw

    tree = ElementTree.parse(svg).getroot()
    size = 32
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    for rect in tree.iter("{http://www.w3.org/2000/svg}rect"):
        x, y = float(rect.get("x", 0)), float(rect.get("y", 0))
        box = (x, y, x + float(rect.get("width")) - 1, y + float(rect.get("height")) - 1)
        draw.rounded_rectangle(box, radius=float(rect.get("rx", 0)), fill=rect.get("fill"))
    image.save(outdir / "favicon.ico", sizes=[(16, 16), (32, 32)])


def build_wheel(outdir: Path) -> Path:
    """The course's packages as a wheel in the site (pip, from a copy of the sources)."""
    target = outdir / WHEEL_FOLDER
    for old in target.glob(f"{DISTRIBUTION.replace('-', '_')}-*.whl"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "source"
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        for name in ("lib", "viz"):
            shutil.copytree(ROOT / name, source / name, ignore=ignore)
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(ROOT / name, source / name)
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
             "--quiet", "--disable-pip-version-check", "--wheel-dir", str(target), str(source)],
            check=True, capture_output=True,
        )  # fmt: skip
    return next(target.glob(f"{DISTRIBUTION.replace('-', '_')}-*.whl"))


def after_build(app: Any, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    drop_fontawesome_script(outdir)
    subset_icon_fonts(outdir)
    drop_unused_icon_rules(outdir)
    figures_as_webp(outdir)
    write_favicon(outdir)
    build_wheel(outdir)


def notice_placeholders(app: Any, config: Any) -> None:
    """One line in the build's output while a publishing setting holds a placeholder."""
    from sphinx.util import logging

    try:
        line = placeholder_line(read_config(Path(app.confdir) / "_config.yml"))
    except OSError:
        return
    if line:
        logging.getLogger(__name__).info(line)


def setup(app: Any) -> dict:
    register_bibliography_style()
    app.add_js_file(None, body=DEFAULT_MODE_JS, priority=100)
    app.add_js_file(SEARCH_JS, priority=600, defer="defer")  # after searchtools.js
    app.connect("config-inited", notice_placeholders)
    app.connect("html-page-context", drop_thebe_scripts, priority=900)
    app.connect("html-page-context", search_script_on_search_page_only, priority=900)
    app.connect("html-page-context", widget_loader_where_widgets_show, priority=900)
    app.connect("html-page-context", bibliography_entries_as_list_items)
    app.connect("html-page-context", add_description)
    app.connect("build-finished", after_build)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check _config.yml's publishing settings.")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check-publish", action="store_true", help="fail on a placeholder URL")
    mode.add_argument("--notice", action="store_true", help="print the line, do not fail")
    args = parser.parse_args(argv)
    line = placeholder_line(read_config())
    if line is None:
        return 0
    print(("notice: " if args.notice else "error: ") + line, file=sys.stderr)
    return 1 if args.check_publish else 0


if __name__ == "__main__":
    sys.exit(main())
