"""The formulas are typeset when the book is built (web/course_math.py, web/typeset_math.js).

- each formula's TeX (inline, display, numbered, amsmath) is replaced by MathJax's CommonHTML in
  page order, focusable, with its hidden MathML, and the number Sphinx set stays beside it;
- TeX as Sphinx escapes it in HTML (``&gt;``, ``&amp;``) reaches MathJax unescaped;
- each page gets the style sheet of its own characters, with the fonts' URL relative to it,
  and preloads just the fonts its formulas are drawn in;
- a page already typeset is left as it is (incremental builds rebuild only some pages);
- a TeX error stops with the page and the formula named;
- the built site (``make book``) holds no formula still in TeX.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "web"))
import course_math  # noqa: E402  (web/ is not a package)

from tests.site_fixtures import SITE, site_pages  # noqa: E402

if not (ROOT / "web" / "node_modules" / "mathjax").is_dir():
    pytest.skip("web/node_modules is not installed: run `make vendor`", allow_module_level=True)

PAGE = """<!DOCTYPE html>
<html><head><title>t</title>
</head><body>
<p>Inline <span class="math notranslate nohighlight">\\(T &gt; 0\\)</span> and
<span class="math notranslate nohighlight">\\(a \\&amp; b\\)</span>.</p>
<div class="math notranslate nohighlight" id="equation-x">
<span class="eqno">(2.1)<a class="headerlink" href="#equation-x">#</a></span>\\[
P_j = \\frac{e^{z_j}}{\\sum_k e^{z_k}}
\\]</div>
<div class="amsmath math notranslate nohighlight">
\\[\\begin{align*} a &amp;= b \\\\ c &amp;= d \\end{align*}\\]</div>
<p>Not a formula: \\(x\\) outside an element of class math.</p>
</body></html>
"""
CONFIG = {"loader": {"load": ["input/tex", "output/chtml", "a11y/assistive-mml"]}}


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    (tmp_path / "chapters").mkdir()
    (tmp_path / "index.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "chapters" / "one.html").write_text(PAGE, encoding="utf-8")
    return tmp_path


def test_formulas_are_found_in_page_order_and_unescaped():
    found = course_math.formulas(PAGE)
    assert [f["display"] for f in found] == [False, False, True, True]
    assert found[0]["tex"] == "T > 0"
    assert found[1]["tex"] == "a \\& b"
    assert "\\frac{e^{z_j}}" in found[2]["tex"]
    marked = course_math.replace_formulas(PAGE, [f"<m{i}/>" for i in range(4)])
    assert [marked.index(f"<m{i}/>") for i in range(4)] == sorted(
        marked.index(f"<m{i}/>") for i in range(4)
    )
    assert '(2.1)<a class="headerlink"' in marked  # Sphinx's number stays beside the formula
    assert "\\(x\\) outside" in marked  # only elements of class math are formulas
    assert course_math.formulas(marked) == []


def test_pages_are_typeset_with_their_own_style_sheet(site):
    assert course_math.typeset_site(site, CONFIG) == 8
    for page, fonts in [
        (site / "index.html", '"_static/npm/mathjax/es5/output/chtml/fonts/woff-v2/'),
        (site / "chapters" / "one.html", '"../_static/npm/mathjax/es5/output/chtml/fonts/woff-v2/'),
    ]:
        text = page.read_text(encoding="utf-8")
        assert course_math.formulas(text) == []
        assert text.count("<mjx-container") == 4
        assert text.count('tabindex="0"') == 4  # every formula is focusable
        assert text.count("<mjx-assistive-mml") == 4  # and spoken
        assert "<mo>&gt;</mo>" in text and ">&amp;</mi>" in text
        assert "NaN" not in text
        head = text[: text.index("</head>")]
        assert f'<style id="{course_math.STYLE_ID}">' in head
        assert f"url({fonts}MathJax_Main-Regular.woff" in head
        assert "mjx-mfrac" in head  # the rules for what the page uses
        preloads = re.findall(r'<link rel="preload" href="([^"]+)" as="font"', head)
        assert sorted(Path(url).name for url in preloads) == [
            "MathJax_Main-Regular.woff", "MathJax_Math-Italic.woff", "MathJax_Size1-Regular.woff",
            "MathJax_Zero.woff",
        ]  # fmt: skip
    # a second build's pass finds nothing to do and changes nothing
    before = {p: p.read_bytes() for p in site.rglob("*.html")}
    assert course_math.typeset_site(site, CONFIG) == 0
    assert {p: p.read_bytes() for p in site.rglob("*.html")} == before


def test_a_tex_error_names_the_page_and_the_formula(site):
    bad = PAGE.replace("\\frac{e^{z_j}}", "\\frac{e^{z_j}")
    (site / "chapters" / "one.html").write_text(bad, encoding="utf-8")
    with pytest.raises(course_math.MathError) as error:
        course_math.typeset_site(site, CONFIG)
    message = str(error.value)
    assert "chapters/one.html" in message and "\\frac{e^{z_j}" in message
    assert "index.html" not in message
    assert "\\(T &gt; 0\\)" in (site / "index.html").read_text(encoding="utf-8")  # nothing written


@pytest.mark.skipif(not (SITE / "index.html").is_file(), reason="site not built: make book")
@pytest.mark.parametrize("path", site_pages() if (SITE / "index.html").is_file() else [])
def test_built_page_holds_no_tex(path):
    text = (SITE / path).read_text(encoding="utf-8")
    assert course_math.formulas(text) == [], f"{path} still holds TeX source"
    assert "mathjax/es5/startup.js" not in text
