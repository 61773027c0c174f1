/* Accessible names for two header buttons of the theme, and a cue on what scrolls sideways
 * (listed in _config.yml `html_js_files`).
 *
 * WCAG 2.5.3 "Label in Name" (axe: label-content-name-mismatch): a control's accessible name
 * must contain the text it shows. pydata-sphinx-theme gives
 * - the search buttons aria-label="Search" while they show "Search Ctrl+K": the label is
 *   dropped, so the name is the shown text;
 * - myst-nb's "Show code cell source" toggles (hide-input cells) aria-label="Toggle hidden
 *   content": the label is dropped, so the name is the text the toggle shows;
 * - the colour-mode button aria-label="Color mode" while its icons carry the titles "Light",
 *   "Dark", "System Settings" (Font Awesome turns each into an SVG <title>): the icons become
 *   decorative (aria-hidden, no title); the button keeps its name and its "Color mode" tooltip.
 * Runs once the deferred scripts (Font Awesome's among them) have run, and again on load.
 */
(function () {
  "use strict";
  function nameButtonsByTheirText() {
    document.querySelectorAll(".search-button-field[aria-label]").forEach(function (button) {
      if (button.textContent.trim()) {
        button.removeAttribute("aria-label");
      }
    });
    document.querySelectorAll("details.hide > summary[aria-label]").forEach(function (toggle) {
      if (toggle.textContent.trim()) {
        toggle.removeAttribute("aria-label");
      }
    });
    document.querySelectorAll(".theme-switch-button .theme-switch").forEach(function (icon) {
      icon.removeAttribute("title");
      icon.removeAttribute("aria-labelledby");
      icon.removeAttribute("role");
      icon.setAttribute("aria-hidden", "true");
      icon.querySelectorAll("title").forEach(function (title) {
        title.remove();
      });
    });
  }
  document.addEventListener("DOMContentLoaded", nameButtonsByTheirText);
  window.addEventListener("load", nameButtonsByTheirText);

  // WCAG 1.4.10 reflow: a block wider than its box (a long equation, a wide table, a code line
  // on a phone) scrolls sideways. Nothing on a phone shows that (its scroll bars are hidden), so
  // each such block is marked: `course-scrolls`, and `course-scrolls-left` / `-right` while
  // there is more to see on that side; course.css draws an inner shadow there. Marked again
  // when the block is scrolled or resized (a rotated phone, a font arriving, a widget).
  var SCROLLERS = [
    "div.math",
    "div.math mjx-container",
    ".bd-content span.math",
    ".bd-content pre",
    ".bd-content .pst-scrollable-table-container",
    ".bd-content .table-wrapper",
    ".bd-content div.cell_output .output",
  ].join(", ");
  // The width of what a box shows: for an inline formula, MathJax's rendered math (the hidden
  // MathML for screen readers beside it may be wider, and would count in scrollWidth).
  function contentWidth(element) {
    var math = element.matches("span.math") && element.querySelector("mjx-math");
    return math ? math.getBoundingClientRect().width : element.scrollWidth;
  }
  function markScroller(element) {
    var overflow = contentWidth(element) - element.clientWidth;
    var scrolls = overflow > 1 && /(auto|scroll)/.test(getComputedStyle(element).overflowX);
    element.classList.toggle("course-scrolls", scrolls);
    element.classList.toggle("course-scrolls-left", scrolls && element.scrollLeft > 1);
    element.classList.toggle("course-scrolls-right", scrolls && element.scrollLeft < overflow - 1);
  }
  var watched = new WeakSet();
  var resized = new ResizeObserver(function (entries) {
    entries.forEach(function (entry) {
      markScroller(entry.target);
    });
  });
  function watchScrollers() {
    document.querySelectorAll(SCROLLERS).forEach(function (element) {
      if (!watched.has(element)) {
        watched.add(element);
        element.addEventListener("scroll", function () {
          markScroller(element);
        }, { passive: true });
        resized.observe(element);
      }
      markScroller(element);
    });
  }
  document.addEventListener("DOMContentLoaded", watchScrollers);
  window.addEventListener("load", watchScrollers);
  window.addEventListener("resize", watchScrollers);
  // The widgets draw after "load": look again when they do.
  new MutationObserver(function () {
    clearTimeout(watchScrollers.pending);
    watchScrollers.pending = setTimeout(watchScrollers, 100);
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
