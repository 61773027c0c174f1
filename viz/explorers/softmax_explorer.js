// Front end of viz.explorers.softmax_explorer.SoftmaxExplorer (an anywidget ES module).
//
// It computes what it shows, in the browser: P = softmax((z + c) / T) for the logits z, the
// constant c added to every logit and the temperature T, in float64, float32 or float16, with
// the shifted formula (eq. (14), what lib.softmax does) and with the unshifted one (eqs. (2)-(3)).
// The same module runs in Jupyter (kernel attached: moves are saved to the Python model) and on
// the static website (no kernel: the saved state is the starting point).
//
// Every operation of the chosen format is rounded to that format: Math.fround for float32,
// Math.f16round for float16 (where the browser has it). The order is the one of
// lib.floating's float16 functions: x = (z + c) / T, then exp, a left-to-right sum, a division.

// exp: how an exponential is rounded. numpy computes a float16 exp in float32 and rounds the
// result to float16; the same two roundings are done here.
const FORMATS = {
  float64: { round: (v) => v, exp: Math.exp, largest: Number.MAX_VALUE },
  float32: { round: Math.fround, exp: (v) => Math.fround(Math.exp(v)), largest: 3.4028234663852886e38 },
  float16: {
    round: Math.f16round,
    exp: (v) => Math.f16round(Math.fround(Math.exp(v))),
    largest: 65504,
  },
};

let counter = 0; // ids unique on the page, also when one model has several views

/** softmax of (logits + shift) / temperature with every operation rounded to `format`. */
export function softmaxIn(format, logits, shift, temperature, shifted) {
  const { round: r, exp } = FORMATS[format];
  const x = logits.map((z) => r(r(r(z) + r(shift)) / r(temperature)));
  const top = x.reduce((a, b) => (b > a ? b : a), -Infinity);
  const terms = x.map((v) => exp(shifted ? r(v - top) : v));
  let total = 0;
  for (const t of terms) total = r(total + t);
  return { x, terms, total, probs: terms.map((t) => r(t / total)) };
}

/** One sentence on whether the formula survives in this format, and why not. */
function diagnose(format, result, shifted) {
  const { x, terms, total, probs } = result;
  const largest = FORMATS[format].largest;
  const name = shifted ? "Shifted formula" : "Unshifted formula";
  if (!x.every(Number.isFinite)) {
    return `${name}: broken, (z + c)/T overflows ${format} (largest ${largest.toPrecision(3)}).`;
  }
  if (!shifted && terms.some((t) => t === Infinity)) {
    const limit = Math.log(largest).toFixed(2);
    return `${name}: broken, e^x overflows ${format} for x > ${limit}, and inf/inf = nan.`;
  }
  if (!shifted && total === Infinity) {
    return `${name}: broken, every e^x is finite but their sum overflows ${format}, so every P = 0.`;
  }
  if (!shifted && total === 0) {
    return `${name}: broken, every e^x underflows to 0 in ${format}, and 0/0 = nan.`;
  }
  if (probs.some(Number.isNaN)) return `${name}: broken, P contains nan.`;
  const sum = probs.reduce((a, b) => a + b, 0);
  return `${name}: ok, the probabilities sum to ${sum.toPrecision(6)}.`;
}

function show(value) {
  if (Number.isNaN(value)) return "nan";
  if (value === 0) return "0";
  return value >= 1e-4 ? value.toFixed(6) : value.toExponential(3);
}

// explorer.css (the Python class's _css) styles what all explorers share; this, the rest
const STYLE = `
.explorer.sx-explorer th, .explorer.sx-explorer td { text-align: left; font-family: inherit; }
.explorer.sx-explorer td.sx-num { font-family: monospace; text-align: right; }
.explorer.sx-explorer .sx-track { width: 12rem; height: 0.9rem; border: 1px solid currentColor; }
.explorer.sx-explorer .sx-bar { height: 100%; background: currentColor; }
.explorer.sx-explorer .sx-status { margin: 0.2rem 0; }
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
  output.setAttribute("aria-hidden", "true"); // the slider says its value itself (aria-valuetext)
  row.append(label, input, output);
  parent.append(row);
  return { input, output };
}

function render({ model, el }) {
  const id = `sx${++counter}-${Math.random().toString(36).slice(2, 8)}`;
  const root = document.createElement("fieldset");
  root.className = "explorer sx-explorer";
  const style = document.createElement("style");
  style.textContent = STYLE;
  const legend = document.createElement("legend");
  legend.textContent = model.get("title");
  root.append(legend);

  const logits = model.get("logits");
  const [low, high, step] = [model.get("logit_min"), model.get("logit_max"), model.get("logit_step")];
  const logitSliders = logits.map((value, j) =>
    slider(root, `${id}-z${j}`, `Logit z${j} of class ${j}`, { min: low, max: high, step, value }),
  );
  const shiftSlider = slider(root, `${id}-shift`, "c, added to every logit", {
    min: model.get("shift_min"),
    max: model.get("shift_max"),
    step: model.get("shift_step"),
    value: model.get("shift"),
  });
  // T on a log scale: the slider holds 100 log10(T), whole numbers (a 0.01 grid of log10(T) that
  // contains 0, T = 1; whole numbers, because Chromium rounds a decimal minimum such as -1.31
  // onto its own grid). The grid's ends lie just outside [temperature_min, temperature_max]; T is
  // clamped to that range, so the ends of the slider are exactly its stated limits.
  const [tMin, tMax] = [model.get("temperature_min"), model.get("temperature_max")];
  const temperatureOf = (v) => Math.min(tMax, Math.max(tMin, 10 ** (Number(v) / 100)));
  const positionOf = (t) => Math.round(100 * Math.log10(t));
  const temperatureSlider = slider(root, `${id}-t`, "Temperature T (log scale)", {
    min: Math.floor(100 * Math.log10(tMin)),
    max: Math.ceil(100 * Math.log10(tMax)),
    step: 1,
    value: positionOf(model.get("temperature")),
  });
  const formatRow = document.createElement("div");
  formatRow.className = "explorer-row";
  const formatLabel = document.createElement("label");
  formatLabel.htmlFor = `${id}-format`;
  formatLabel.textContent = "Number format";
  const format = document.createElement("select");
  format.id = `${id}-format`;
  for (const name of Object.keys(FORMATS)) {
    const option = new Option(name, name);
    if (name === "float16" && typeof Math.f16round !== "function") {
      option.disabled = true;
      option.textContent = "float16 (this browser has no Math.f16round)";
    }
    format.append(option);
  }
  format.value = model.get("dtype");
  formatRow.append(formatLabel, format);
  root.append(formatRow);
  if (!model.get("show_shift")) shiftSlider.input.parentElement.hidden = true;
  if (!model.get("show_temperature")) temperatureSlider.input.parentElement.hidden = true;
  if (!model.get("show_dtype")) formatRow.hidden = true;

  const table = document.createElement("table");
  const caption = table.createCaption();
  caption.textContent = "P = softmax((z + c) / T), computed in this page";
  const head = table.createTHead().insertRow();
  for (const text of ["class", "z + c", "P (shifted, eq. 14)", "bar of P (shifted)", "P (unshifted)"]) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = text;
    if (text.startsWith("bar")) th.className = "explorer-bar-col";
    head.append(th);
  }
  const body = table.createTBody();
  const rows = logits.map((_, j) => {
    const row = body.insertRow();
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = String(j);
    row.append(th);
    const [value, shifted, barCell, naive] = [0, 1, 2, 3].map(() => row.insertCell());
    value.className = shifted.className = naive.className = "sx-num";
    barCell.className = "explorer-bar-col";
    const track = document.createElement("div");
    track.className = "sx-track";
    track.setAttribute("aria-hidden", "true"); // the number beside it says the same
    const bar = document.createElement("div");
    bar.className = "sx-bar";
    track.append(bar);
    barCell.append(track);
    return { value, shifted, bar, naive };
  });
  root.append(table);
  const status = document.createElement("div");
  status.setAttribute("role", "status"); // read out when a move breaks or mends a formula
  const statusShifted = document.createElement("p");
  const statusNaive = document.createElement("p");
  statusShifted.className = statusNaive.className = "sx-status";
  status.append(statusShifted, statusNaive);
  root.append(status);
  // "jupyter-widgets" is the class ipywidgets gives a rendered widget view (themes style it).
  el.classList.add("jupyter-widgets", "explorer-host");
  el.append(style, root);

  function update() {
    const z = logitSliders.map((s) => Number(s.input.value));
    const shift = Number(shiftSlider.input.value);
    const temperature = temperatureOf(temperatureSlider.input.value);
    // without Math.f16round the float16 option is disabled; a saved float16 state shows float64
    const dtype = FORMATS[format.value].round ? format.value : "float64";
    logitSliders.forEach((s, j) => {
      s.output.textContent = z[j].toFixed(2);
      s.input.setAttribute("aria-valuetext", `z${j} = ${z[j].toFixed(2)}`);
    });
    shiftSlider.output.textContent = shift.toFixed(2);
    shiftSlider.input.setAttribute("aria-valuetext", `c = ${shift.toFixed(2)}`);
    temperatureSlider.output.textContent = temperature.toPrecision(3);
    temperatureSlider.input.setAttribute("aria-valuetext", `T = ${temperature.toPrecision(3)}`);
    const good = softmaxIn(dtype, z, shift, temperature, true);
    const naive = softmaxIn(dtype, z, shift, temperature, false);
    rows.forEach((row, j) => {
      const p = good.probs[j];
      row.value.textContent = (z[j] + shift).toFixed(2);
      row.shifted.textContent = show(p);
      row.shifted.dataset.value = String(p);
      row.naive.textContent = show(naive.probs[j]);
      row.naive.dataset.value = String(naive.probs[j]);
      row.bar.style.width = `${Number.isFinite(p) ? 100 * p : 0}%`;
    });
    statusShifted.textContent = diagnose(dtype, good, true);
    statusNaive.textContent = diagnose(dtype, naive, false);
    for (const p of [statusShifted, statusNaive]) {
      p.classList.toggle("sx-broken", p.textContent.includes("broken"));
    }
    // What the browser test reads: the exact inputs of this computation.
    Object.assign(root.dataset, {
      logits: JSON.stringify(z),
      shift: String(shift),
      temperature: String(temperature),
      dtype,
    });
    return { z, shift, temperature, dtype };
  }

  function save() {
    const state = update();
    model.set("logits", state.z);
    model.set("shift", state.shift);
    model.set("temperature", state.temperature);
    model.set("dtype", state.dtype);
    model.save_changes();
  }

  for (const s of [...logitSliders, shiftSlider, temperatureSlider]) {
    s.input.addEventListener("input", update);
    s.input.addEventListener("change", save);
  }
  format.addEventListener("change", save);
  // A change made from Python (explorer.temperature = 2.0) moves the controls.
  const fromModel = () => {
    model.get("logits").forEach((v, j) => {
      if (logitSliders[j]) logitSliders[j].input.value = v;
    });
    shiftSlider.input.value = model.get("shift");
    // (not when it is the slider's own T: at an end, clamped, it would move the slider inwards)
    if (temperatureOf(temperatureSlider.input.value) !== model.get("temperature")) {
      temperatureSlider.input.value = positionOf(model.get("temperature"));
    }
    format.value = model.get("dtype");
    update();
  };
  for (const name of ["logits", "shift", "temperature", "dtype"]) {
    model.on(`change:${name}`, fromModel);
  }
  update();
  return () => {
    for (const name of ["logits", "shift", "temperature", "dtype"]) {
      model.off(`change:${name}`, fromModel);
    }
  };
}

export default { render };
