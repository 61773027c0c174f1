/* Set-up for the saved ipywidgets on the course website (pages with widget state only; listed in
 * _config.yml `nb_ipywidgets_js` between require.js and the widget manager, embed-amd.js).
 *
 * 1. Where the widget manager finds things. embed-amd.js names its AMD modules as on an npm CDN
 *    ("@jupyter-widgets/html-manager/dist/...") and loads its font files relative to where
 *    RequireJS says those modules live. Pointing RequireJS's baseUrl at the site's own copy of
 *    the packages (_static/npm/, same layout) makes those fonts load from this site. The
 *    same folder is declared as the manager's "CDN", so a widget module the manager does not
 *    bundle is looked for here (and fails visibly) instead of on a third-party server.
 *
 * 2. Widget labels and MathJax 3. ipywidgets typesets a widget's description with MathJax 2's
 *    API, MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]); the site loads MathJax 3, which
 *    has no Hub. An adapter with that one method, implemented with MathJax 3's typesetPromise,
 *    is installed once MathJax 3 has replaced its configuration object (before the widgets are
 *    rendered, which happens on the window's load event).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var vendor = new URL("npm/", script.src).href;

  // "anywidget" (the explorers' front end) is an AMD module at npm/anywidget/dist/index.js
  window.require.config({ baseUrl: vendor, paths: { anywidget: "anywidget/dist/index" } });
  script.setAttribute("data-jupyter-widgets-cdn", vendor);

  function typeset(element) {
    var mathjax = window.MathJax;
    if (!mathjax || !mathjax.startup || !mathjax.typesetPromise) {
      return;
    }
    mathjax.startup.promise = mathjax.startup.promise.then(function () {
      return mathjax.typesetPromise(element ? [element] : undefined);
    });
  }

  var hub = {
    Queue: function () {
      for (var i = 0; i < arguments.length; i++) {
        var command = arguments[i];
        if (Array.isArray(command) && command[0] === "Typeset") {
          typeset(command[2]);
        }
      }
    },
  };

  function installHub() {
    if (window.MathJax && window.MathJax.version && !window.MathJax.Hub) {
      window.MathJax.Hub = hub;
    }
  }

  document.addEventListener("DOMContentLoaded", installHub);
  window.addEventListener("load", installHub, { capture: true });
})();
