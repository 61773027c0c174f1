/* The course's explorers on the static website: draws the saved anywidget state of a page.
 *
 * Loaded (by myst-nb, _config.yml `nb_ipywidgets_js`) only on pages that store widget state.
 * A page keeps its widgets' saved state in <script type="application/vnd.jupyter.widget-state+json">
 * and marks each displayed widget with <script type="application/vnd.jupyter.widget-view+json">
 * holding its model id. Every explorer (viz/explorers) is an anywidget: its saved state carries
 * its own ES module (`_esm`) and stylesheet (`_css`), and the module needs of its model only
 * get/set/save_changes/on/off (anywidget's documented model interface).
 *
 * Why our own loader: the one package that renders saved widget state,
 * @jupyter-widgets/html-manager, is a 3.5 MB bundle (RequireJS, Lumino, every ipywidgets control,
 * Font Awesome) that a page of this site would load to draw anywidgets only; anywidget itself ships
 * no renderer outside a widget manager, and no npm package does this part alone. This file is the
 * part the site needs: for each saved view, a model that holds the saved state in the browser
 * (no kernel: a move changes the page only), the module imported from its saved text, and its
 * render({model, el}) called, as anywidget does in Jupyter. A saved ipywidgets progress bar is
 * drawn as a plain <progress> (notebooks executed before viz.progress left text behind it); a
 * view of any other kind of widget says in the page that it needs Jupyter.
 *
 * The DOM is the one the html-manager made (the tests rely on it): a <div class="widget-subarea">
 * before the view's script, holding the widget's element, of class "jupyter-widgets".
 */
(function () {
  "use strict";
  var STATE = 'script[type="application/vnd.jupyter.widget-state+json"]';
  var VIEW = 'script[type="application/vnd.jupyter.widget-view+json"]';

  function same(a, b) {
    return a === b || JSON.stringify(a) === JSON.stringify(b);
  }

  /** A model in the browser: Backbone's semantics as ipywidgets has them (change:<name> fires
   * synchronously when a set changes a value, compared by value). */
  function browserModel(state) {
    var listeners = {};
    return {
      get: function (name) {
        return state[name];
      },
      set: function (name, value) {
        if (same(state[name], value)) return;
        state[name] = value;
        (listeners["change:" + name] || []).slice().forEach(function (callback) {
          callback(value);
        });
        (listeners.change || []).slice().forEach(function (callback) {
          callback();
        });
      },
      save_changes: function () {}, // no kernel to send the change to
      send: function () {},
      on: function (event, callback) {
        (listeners[event] = listeners[event] || []).push(callback);
      },
      off: function (event, callback) {
        if (!event) listeners = {};
        else if (!callback) delete listeners[event];
        else listeners[event] = (listeners[event] || []).filter((c) => c !== callback);
      },
    };
  }

  var modules = {}; // one import per module text, shared by every view of that module

  function load(esm) {
    if (!modules[esm]) {
      var url = URL.createObjectURL(new Blob([esm], { type: "text/javascript" }));
      modules[esm] = import(url).then(function (module) {
        URL.revokeObjectURL(url);
        var widget = module.default || module;
        return typeof widget === "function" ? widget() : widget;
      });
    }
    return modules[esm];
  }

  function addStyle(id, css) {
    if (!css || document.querySelector('style[data-anywidget="' + id + '"]')) return;
    var style = document.createElement("style");
    style.dataset.anywidget = id;
    style.textContent = css;
    document.head.appendChild(style);
  }

  /** A saved ipywidgets progress bar (finished training) as a static <progress>. */
  function drawProgress(area, state) {
    var el = document.createElement("div");
    el.className = "jupyter-widgets widget-progress";
    var bar = document.createElement("progress");
    bar.max = state.max - state.min;
    bar.value = state.value - state.min;
    bar.setAttribute("aria-label", state.description || "progress");
    el.append(bar, " " + (state.description || "") + ": " + state.value + "/" + state.max);
    area.appendChild(el);
  }

  async function draw(tag, models) {
    var saved = models[JSON.parse(tag.textContent).model_id];
    var area = document.createElement("div");
    area.className = "widget-subarea";
    tag.parentElement.insertBefore(area, tag);
    if (saved && /^(Int|Float)ProgressModel$/.test(saved.model_name)) {
      drawProgress(area, saved.state);
      return;
    }
    if (!saved || saved.model_module !== "anywidget") {
      area.textContent = "(An interactive widget: it runs when the notebook is opened in Jupyter.)";
      return;
    }
    var state = Object.assign({}, saved.state);
    addStyle(state._anywidget_id, state._css);
    var widget = await load(state._esm);
    var model = browserModel(state);
    var el = document.createElement("div");
    el.className = "jupyter-widgets";
    area.appendChild(el);
    if (widget.initialize) await widget.initialize({ model: model });
    await widget.render({ model: model, el: el });
  }

  function drawAll() {
    var tag = document.querySelector(STATE);
    var models = tag ? JSON.parse(tag.textContent).state : {};
    document.querySelectorAll(VIEW).forEach(function (view) {
      draw(view, models).catch(function (error) {
        console.error("widget not drawn:", error);
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawAll);
  else drawAll();
})();
