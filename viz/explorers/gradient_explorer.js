// Front end of viz.explorers.gradient_explorer.GradientExplorer (an anywidget ES module).
//
// The gradient theorem in this page: for logits z and true class y, the cost C = -log P_y has
// the gradient dC/dz_j = P_j - [j = y]. Move a logit or choose another class and watch the
// gradient: P_y - 1 in (-1, 0) on the true logit, P_j > 0 on the others, a sum of 0. The button
// takes one gradient-descent step z <- z - eta (P - y), exactly: the logits are held in `z`, not
// read back from the sliders (which keep a 0.1 grid), so a step is never rounded to that grid
// and the sum of the logits stays what it was (the gradient sums to 0).

let counter = 0;

function softmax(z) {
  const top = Math.max(...z);
  const terms = z.map((v) => Math.exp(v - top));
  let total = 0;
  for (const t of terms) total += t;
  return terms.map((t) => t / total);
}

// explorer.css (the Python class's _css) styles what all explorers share; this, the rest
const STYLE = `
.explorer.gx-explorer .explorer-row label { flex-basis: 12rem; }
.explorer.gx-explorer output { min-width: 4rem; }
.explorer.gx-explorer .gx-track { width: 14rem; height: 0.9rem; border: 1px solid currentColor;
  position: relative; }
.explorer.gx-explorer .gx-zero { position: absolute; left: 50%; top: -2px; bottom: -2px;
  border-left: 1px dashed currentColor; }
.explorer.gx-explorer .gx-bar { position: absolute; top: 0; bottom: 0; background: currentColor; }
`;

function render({ model, el }) {
  const id = `gx${++counter}-${Math.random().toString(36).slice(2, 8)}`;
  const root = document.createElement("fieldset");
  root.className = "explorer gx-explorer";
  const style = document.createElement("style");
  style.textContent = STYLE;
  const legend = document.createElement("legend");
  legend.textContent = model.get("title");
  root.append(legend);
  const [low, high] = [model.get("logit_min"), model.get("logit_max")];
  // The state: the logits as numbers. A slider moved by the reader sets its logit to the
  // slider's value; a gradient step changes every logit by -eta (P_j - y_j), unrounded.
  let z = model.get("logits").slice();
  const sliders = model.get("logits").map((value, j) => {
    const row = document.createElement("div");
    row.className = "explorer-row";
    const label = document.createElement("label");
    label.htmlFor = `${id}-z${j}`;
    label.textContent = `Logit z${j} of class ${j}`;
    const input = document.createElement("input");
    Object.assign(input, { type: "range", id: `${id}-z${j}`, min: low, max: high, step: 0.1, value });
    const output = document.createElement("output");
    output.htmlFor = input.id;
    output.setAttribute("aria-hidden", "true"); // the slider says its value (aria-valuetext)
    row.append(label, input, output);
    root.append(row);
    return { input, output };
  });
  const classRow = document.createElement("div");
  classRow.className = "explorer-row";
  const classLabel = document.createElement("label");
  classLabel.htmlFor = `${id}-y`;
  classLabel.textContent = "True class y";
  const select = document.createElement("select");
  select.id = `${id}-y`;
  sliders.forEach((_, j) => select.append(new Option(String(j), String(j))));
  select.value = String(model.get("label"));
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = `Take one gradient step (η = ${model.get("learning_rate")})`;
  classRow.append(classLabel, select, button);
  root.append(classRow);

  const table = document.createElement("table");
  table.createCaption().textContent = "The gradient of C = -log P_y, computed in this page";
  const head = table.createTHead().insertRow();
  for (const text of ["class j", "P_j", "y_j", "dC/dz_j = P_j - y_j", "bar of P_j - y_j (0 in the middle)"]) {
    const th = document.createElement("th");
    if (text.startsWith("bar")) th.className = "explorer-bar-col";
    th.scope = "col";
    th.textContent = text;
    head.append(th);
  }
  const body = table.createTBody();
  const rows = sliders.map((_, j) => {
    const row = body.insertRow();
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = String(j);
    row.append(th);
    const [p, y, grad, barCell] = [0, 1, 2, 3].map(() => row.insertCell());
    barCell.className = "explorer-bar-col";
    const track = document.createElement("div");
    track.className = "gx-track";
    track.setAttribute("aria-hidden", "true"); // the number beside it says the same
    const zero = document.createElement("div");
    zero.className = "gx-zero";
    const bar = document.createElement("div");
    bar.className = "gx-bar";
    track.append(zero, bar);
    barCell.append(track);
    return { p, y, grad, bar };
  });
  root.append(table);
  const status = document.createElement("p");
  status.setAttribute("role", "status");
  root.append(status);
  // "jupyter-widgets" is the class ipywidgets gives a rendered widget view (themes style it).
  el.classList.add("jupyter-widgets", "explorer-host");
  el.append(style, root);

  function update() {
    const label = Number(select.value);
    const p = softmax(z);
    const gradient = p.map((pj, j) => pj - (j === label ? 1 : 0));
    sliders.forEach((s, j) => {
      s.input.value = String(z[j]); // the thumb goes to the nearest grid point; z keeps its value
      s.output.textContent = z[j].toFixed(2);
      s.input.setAttribute("aria-valuetext", `z${j} = ${z[j].toFixed(2)}`);
    });
    rows.forEach((row, j) => {
      row.p.textContent = p[j].toFixed(6);
      row.y.textContent = j === label ? "1" : "0";
      row.grad.textContent = gradient[j].toFixed(6);
      row.grad.dataset.value = String(gradient[j]);
      const half = 50 * Math.abs(gradient[j]);
      Object.assign(row.bar.style, { width: `${half}%`, left: `${gradient[j] < 0 ? 50 - half : 50}%` });
    });
    const sum = gradient.reduce((a, b) => a + b, 0);
    status.textContent =
      `Cost C = -log P_${label} = ${(-Math.log(p[label])).toFixed(6)}. ` +
      `The true logit's gradient P_${label} - 1 = ${gradient[label].toFixed(6)} lies in (-1, 0): ` +
      `a descent step raises z${label}. The gradient sums to ${sum.toExponential(1)} (0 up to rounding).`;
    // What the browser test reads: the exact logits, the class and the step size.
    Object.assign(root.dataset, {
      logits: JSON.stringify(z),
      label: String(label),
      learningRate: String(model.get("learning_rate")),
    });
    return { z, label, gradient };
  }

  function save() {
    const { z, label } = update();
    model.set("logits", z.slice());
    model.set("label", label);
    model.save_changes();
  }
  sliders.forEach((s, j) => {
    s.input.addEventListener("input", () => {
      z[j] = Number(s.input.value);
      update();
    });
    s.input.addEventListener("change", save);
  });
  select.addEventListener("change", save);
  button.addEventListener("click", () => {
    const { gradient } = update();
    const eta = model.get("learning_rate");
    z = z.map((v, j) => v - eta * gradient[j]);
    save();
  });
  const fromModel = () => {
    z = model.get("logits").slice(0, sliders.length);
    select.value = String(model.get("label"));
    update();
  };
  model.on("change:logits", fromModel);
  model.on("change:label", fromModel);
  update();
  return () => {
    model.off("change:logits", fromModel);
    model.off("change:label", fromModel);
  };
}

export default { render };
