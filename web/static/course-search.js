/* The search page's result snippets without TeX source (loaded on search.html only, by
 * web/course_site.py).
 *
 * Sphinx's search fetches each hit's page and cuts the snippet from its text. The pages keep
 * their formulas as TeX for MathJax to typeset in the browser, so a snippet read
 * "\(P_j = e^{z_j} / \sum_k e^{z_k}\)". Before Sphinx reads a page's text, each formula
 * (span.math, div.math) is replaced by "…", which says that something was there.
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
