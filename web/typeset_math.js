// Typesets the website's formulas at build time, with the MathJax the site pins (web/package.json),
// so that pages arrive typeset and load no MathJax. Run by web/course_math.py after the book is
// built; it is not a page script.
//
// In the browser, MathJax typeset each page after it had loaded and the text had been laid out:
// every formula then grew from its TeX source to its typeset size, and the paragraphs around it
// moved (a layout shift of 0.13-0.22 on chapters 2, 3, 4, 7 and 8). Typeset here, the page's first layout is
// its last. The output is MathJax's own CommonHTML, exactly as the browser made it: the same
// elements and styles, the same hidden MathML that screen readers speak (a11y/assistive-mml),
// the same style sheet (only the rules for the characters in use), and the same web fonts, which
// the site serves itself (scripts/vendor_assets.py).
//
// Why a script of our own: MathJax's node API (`require("mathjax").init`, the liteDOM adaptor)
// typesets one formula at a time; Sphinx has no step that hands it a page's formulas. This file
// is only that hand-over: JSON in, JSON out.
//
// stdin:  {"config": <_config.yml's mathjax3_config>, "pages": [{"fontURL": "<relative URL of
//          MathJax's woff-v2 folder>", "formulas": [{"tex": "...", "display": true}, ...]}, ...]}
// stdout: {"pages": [{"css": "<the page's MathJax style sheet>", "html": ["<mjx-container...>",
//          ...], "errors": ["<TeX error>: <formula>", ...]}, ...]}
"use strict";

const path = require("path");

const MATHJAX = path.join(__dirname, "node_modules", "mathjax");

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on("data", (chunk) => chunks.push(chunk));
    process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    process.stdin.on("error", reject);
  });
}

// The browser drops a style it cannot parse (a table row of "height: NaNem", which MathJax
// writes for a numbered equation); a string keeps it, so it is dropped here too.
function asBrowserWouldKeep(html) {
  return html.replace(/ ?height: NaNem;/g, "").replace(/ style=""/g, "");
}

async function main() {
  const request = JSON.parse(await readStdin());
  const config = request.config || {};
  const MathJax = await require(MATHJAX).init({
    ...config,
    loader: {
      ...config.loader,
      paths: { mathjax: path.join(MATHJAX, "es5") },
      // the page's components (TeX in and CommonHTML out at least), with node's DOM (liteDOM)
      // in place of the browser's
      load: [...new Set(["adaptors/liteDOM", "input/tex", "output/chtml", ...((config.loader || {}).load || [])])],
      versionWarnings: false, // liteDOM's component carries no version number to compare
    },
    startup: { ...config.startup, typeset: false },
  });
  const adaptor = MathJax.startup.adaptor;
  const pages = request.pages.map((page) => {
    MathJax.startup.output.font.options.fontURL = page.fontURL; // relative to the page
    MathJax.startup.output.clearCache(); // the style sheet holds this page's characters only
    MathJax.texReset(); // equation labels are per page, as in the browser
    const errors = [];
    const html = page.formulas.map(({ tex, display }) => {
      const node = MathJax.tex2chtml(tex, { display });
      adaptor.setAttribute(node, "tabindex", "0"); // see course_math.py: focusable formulas
      const error = adaptor.tags(node, "mjx-merror")[0];
      if (error) errors.push(`${adaptor.getAttribute(error, "data-mjx-error")}: ${tex.trim()}`);
      return asBrowserWouldKeep(adaptor.outerHTML(node));
    });
    const css = adaptor.textContent(MathJax.chtmlStylesheet());
    return { css, html, errors };
  });
  process.stdout.write(JSON.stringify({ pages }));
}

main().catch((error) => {
  process.stderr.write(`typeset_math.js: ${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
