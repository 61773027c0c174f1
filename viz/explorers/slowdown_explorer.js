// Front end of viz.explorers.slowdown_explorer.SlowdownExplorer (an anywidget ES module).
//
// Gradient descent on the logits of one example with 3 classes, started confidently wrong at
// z = (g, 0, 0) with true class 1, run in this page with the same learning rate for two costs:
//   cross-entropy   C = -log P_y                 gradient P - y
//   squared error   C = 1/2 sum_k (P_k - y_k)^2  gradient P_j ((P_j - y_j) - sum_k P_k (P_k - y_k))
// It draws the true class's probability P_y over the steps (log-log) and says the same as text.

let counter = 0;

function softmax(z) {
  const top = Math.max(...z);
  const terms = z.map((v) => Math.exp(v - top));
  let total = 0;
  for (const t of terms) total += t;
  return terms.map((t) => t / total);
}

const GRADIENTS = {
  cross_entropy: (p, y) => p.map((pj, j) => pj - y[j]),
  squared_error: (p, y) => {
    let inner = 0;
    p.forEach((pk, k) => (inner += pk * (pk - y[k])));
    return p.map((pj, j) => pj * (pj - y[j] - inner));
  },
};

/** P_y after 0..steps steps of gradient descent, and the first step where class y leads. */
export function descend(cost, gap, learningRate, steps, label = 1) {
  let z = [gap, 0, 0];
  const y = z.map((_, j) => (j === label ? 1 : 0));
  const curve = new Float64Array(steps + 1);
  let first = null;
  for (let k = 0; k <= steps; k++) {
    const p = softmax(z);
    curve[k] = p[label];
    if (first === null && p[label] >= Math.max(...p)) first = k;
    if (k < steps) {
      const g = GRADIENTS[cost](p, y);
      z = z.map((v, j) => v - learningRate * g[j]);
    }
  }
  return { curve, first };
}

const NAMES = { cross_entropy: "Cross-entropy", squared_error: "Squared error" };
const DASHES = { cross_entropy: "", squared_error: "7 5" };

// explorer.css (the Python class's _css) styles what all explorers share; this, the rest
const STYLE = `
.explorer.sd-explorer .explorer-row label { flex-basis: 16rem; }
.explorer.sd-explorer svg { display: block; max-width: 100%; height: auto; }
.explorer.sd-explorer svg text { fill: currentColor; font-size: 12px; }
`;

function slider(parent, id, text, { min, max, step, value }) {
  const row = document.createElement("div");
  row.className = "explorer-row";
  const label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = text;
  const input = document.createElement("input");
  Object.assign(input, { type: "range", id, min, max, step, value });
  const output = document.createElement("output");
  output.htmlFor = id;
  output.setAttribute("aria-hidden", "true"); // the slider says its value (aria-valuetext)
  row.append(label, input, output);
  parent.append(row);
  return { input, output };
}

const SVG = "http://www.w3.org/2000/svg";
function svgElement(name, attributes, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (parent) parent.append(node);
  return node;
}

function show(value) {
  return value >= 1e-3 ? value.toFixed(5) : value.toExponential(3);
}

function render({ model, el }) {
  const id = `sd${++counter}-${Math.random().toString(36).slice(2, 8)}`;
  const root = document.createElement("fieldset");
  root.className = "explorer sd-explorer";
  const style = document.createElement("style");
  style.textContent = STYLE;
  const legend = document.createElement("legend");
  legend.textContent = model.get("title");
  root.append(legend);
  const gap = slider(root, `${id}-gap`, "Gap g: the start is z = (g, 0, 0), true class 1", {
    min: 0,
    max: model.get("gap_max"),
    step: 0.5,
    value: model.get("gap"),
  });
  const rate = slider(root, `${id}-rate`, "Learning rate η (log scale)", {
    min: -2,
    max: 1,
    step: 0.05,
    value: Math.log10(model.get("learning_rate")),
  });
  const horizon = slider(root, `${id}-steps`, "Number of steps (log scale)", {
    min: 1,
    max: Math.log10(model.get("steps_max")),
    step: 0.1,
    value: Math.log10(model.get("steps")),
  });

  // The chart is drawn in CSS pixels for the width it has (560 at most, 300 at least), so its
  // 12 px labels stay 12 px on a phone instead of being scaled down with the picture.
  let width = 560;
  const height = 260;
  const margin = { left: 56, right: 110, top: 12, bottom: 40 };
  const svg = svgElement("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img" });
  const chart = svgElement("g", {}, svg);
  root.append(svg);

  const summary = document.createElement("div");
  summary.setAttribute("role", "status");
  const lines = { cross_entropy: document.createElement("p"), squared_error: document.createElement("p") };
  summary.append(lines.cross_entropy, lines.squared_error);
  root.append(summary);

  const table = document.createElement("table");
  table.createCaption().textContent = "Probability of the true class after k steps";
  const headRow = table.createTHead().insertRow();
  for (const text of ["step k", NAMES.cross_entropy, NAMES.squared_error]) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = text;
    headRow.append(th);
  }
  const body = table.createTBody();
  root.append(table);
  // "jupyter-widgets" is the class ipywidgets gives a rendered widget view (themes style it).
  el.classList.add("jupyter-widgets", "explorer-host");
  el.append(style, root);

  let drawn = null; // the last results drawn, redrawn when the width changes
  function draw(results, steps) {
    drawn = [results, steps];
    chart.replaceChildren();
    const x = (k) => margin.left + (Math.log10(k + 1) / Math.log10(steps + 1)) * (width - margin.left - margin.right);
    const low = -6; // log10 of the bottom of the y axis
    const yOf = (p) => {
      const v = Math.max(Math.log10(Math.max(p, 1e-300)), low);
      return margin.top + (v / low) * (height - margin.top - margin.bottom);
    };
    const axis = { stroke: "currentColor", "stroke-width": 1 };
    svgElement("line", { x1: margin.left, x2: margin.left, y1: margin.top, y2: yOf(1e-6), ...axis }, chart);
    svgElement("line", { x1: margin.left, x2: x(steps), y1: yOf(1e-6), y2: yOf(1e-6), ...axis }, chart);
    for (let e = low; e <= 0; e += 2) {
      svgElement("line", { x1: margin.left - 4, x2: margin.left, y1: yOf(10 ** e), y2: yOf(10 ** e), ...axis }, chart);
      svgElement("text", { x: margin.left - 6, y: yOf(10 ** e) + 4, "text-anchor": "end" }, chart).textContent = `1e${e}`;
    }
    for (const k of [0, 1, 10, 100, 1000, 10000, 100000].filter((k) => k <= steps)) {
      svgElement("line", { x1: x(k), x2: x(k), y1: yOf(1e-6), y2: yOf(1e-6) + 4, ...axis }, chart);
      svgElement("text", { x: x(k), y: yOf(1e-6) + 16, "text-anchor": "middle" }, chart).textContent = String(k);
    }
    svgElement("text", { x: (margin.left + x(steps)) / 2, y: height - 6, "text-anchor": "middle" }, chart).textContent = "step k (log scale of k + 1)";
    svgElement("text", { x: 14, y: margin.top + 100, transform: `rotate(-90 14 ${margin.top + 100})`, "text-anchor": "middle" }, chart).textContent = "P of the true class";
    for (const [cost, { curve }] of Object.entries(results)) {
      const every = Math.max(1, Math.floor(steps / 2000)); // at most ~2000 points per line
      const points = [];
      for (let k = 0; k <= steps; k += every) points.push(`${x(k).toFixed(1)},${yOf(curve[k]).toFixed(1)}`);
      points.push(`${x(steps).toFixed(1)},${yOf(curve[steps]).toFixed(1)}`);
      svgElement("polyline", { points: points.join(" "), fill: "none", stroke: "currentColor", "stroke-width": cost === "cross_entropy" ? 2.5 : 2, "stroke-dasharray": DASHES[cost] }, chart);
      svgElement("text", { x: x(steps) + 6, y: yOf(curve[steps]) + (cost === "cross_entropy" ? -4 : 12) }, chart).textContent = NAMES[cost];
    }
  }

  function update() {
    const g = Number(gap.input.value);
    const eta = Number((10 ** Number(rate.input.value)).toPrecision(3));
    const steps = Math.round(10 ** Number(horizon.input.value));
    gap.output.textContent = g.toFixed(1);
    gap.input.setAttribute("aria-valuetext", `g = ${g.toFixed(1)}`);
    rate.output.textContent = String(eta);
    rate.input.setAttribute("aria-valuetext", `η = ${eta}`);
    horizon.output.textContent = String(steps);
    horizon.input.setAttribute("aria-valuetext", `${steps} steps`);
    const results = {};
    for (const cost of Object.keys(GRADIENTS)) {
      results[cost] = descend(cost, g, eta, steps);
      const { curve, first } = results[cost];
      const when = first === null ? `is still not the most probable after ${steps} steps` : `becomes the most probable at step ${first}`;
      lines[cost].textContent = `${NAMES[cost]}: the true class ${when}; after ${steps} steps its probability is ${show(curve[steps])}.`;
      lines[cost].dataset.first = first === null ? "" : String(first);
    }
    svg.setAttribute("aria-label", `Line chart of the probability of the true class over ${steps} steps, for both costs; the table below gives its values.`);
    draw(results, steps);
    const checkpoints = [0];
    for (let k = 1; k < steps; k *= 10) checkpoints.push(k);
    checkpoints.push(steps);
    body.replaceChildren();
    for (const k of [...new Set(checkpoints)]) {
      const row = body.insertRow();
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = String(k);
      row.append(th);
      for (const cost of Object.keys(GRADIENTS)) {
        const cell = row.insertCell();
        cell.textContent = show(results[cost].curve[k]);
        Object.assign(cell.dataset, { cost, step: String(k), value: String(results[cost].curve[k]) });
      }
    }
    Object.assign(root.dataset, { gap: String(g), learningRate: String(eta), steps: String(steps) });
    return { g, eta, steps };
  }

  function save() {
    const state = update();
    model.set("gap", state.g);
    model.set("learning_rate", state.eta);
    model.set("steps", state.steps);
    model.save_changes();
  }
  for (const s of [gap, rate, horizon]) {
    s.input.addEventListener("input", update);
    s.input.addEventListener("change", save);
  }
  const fromModel = () => {
    gap.input.value = model.get("gap");
    rate.input.value = Math.log10(model.get("learning_rate"));
    horizon.input.value = Math.log10(model.get("steps"));
    update();
  };
  const names = ["gap", "learning_rate", "steps"];
  for (const name of names) model.on(`change:${name}`, fromModel);
  const fit = () => {
    const box = getComputedStyle(root);
    const inner = root.clientWidth - parseFloat(box.paddingLeft) - parseFloat(box.paddingRight);
    const fitted = inner > 0 ? Math.round(Math.min(560, Math.max(300, inner))) : 560;
    if (fitted === width) return;
    width = fitted;
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("width", String(width));
    if (drawn) draw(...drawn);
  };
  const resized = new ResizeObserver(fit);
  resized.observe(root);
  update();
  return () => {
    resized.disconnect();
    names.forEach((name) => model.off(`change:${name}`, fromModel));
  };
}

export default { render };
