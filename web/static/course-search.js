/* The search page's result snippets without the formulas' hidden MathML text (loaded on
 * search.html only, by web/course_site.py).
 *
 * Sphinx's search fetches each hit's page and cuts the snippet from its text. The pages keep
 * their formulas typeset, with a hidden MathML copy for screen readers, so a snippet would read
 * that copy's letters run together ("Pj=ezj∑kezk"). Before Sphinx reads a page's text, each
 * formula (span.math, div.math) is replaced by "…", which says that something was there.
 */
(function () {
  "use strict";
  if (typeof Search === "undefined" || !Search.htmlToText) return;
  var htmlToText = Search.htmlToText;
  Search.htmlToText = function (htmlString, anchor) {
    var page = new DOMParser().parseFromString(htmlString, "text/html");
    page.querySelectorAll("span.math, div.math").forEach(function (formula) {
      formula.replaceWith(page.createTextNode("…"));
    });
    return htmlToText(page.documentElement.outerHTML, anchor);
  };
})();
