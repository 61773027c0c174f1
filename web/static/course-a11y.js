/* Accessible names for two header buttons of the theme (listed in _config.yml `html_js_files`).
 *
 * WCAG 2.5.3 "Label in Name" (axe: label-content-name-mismatch): a control's accessible name
 * must contain the text it shows. pydata-sphinx-theme gives
 * - the search buttons aria-label="Search" while they show "Search Ctrl+K": the label is
 *   dropped, so the name is the shown text;
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
})();
