// The playground page: TensorFlow Playground's controls, network picture and heatmaps; the model
// trains in the worker (webgrad.playground, Python on WebGPU) and this page draws what it sends.
// The whole state lives in the URL hash with the Playground's own keys, so its links open here.
import { PythonWorker } from "./python_worker.js";

const $ = (id) => document.getElementById(id);
const DENSITY = 100, NEURON = 10, MAX_LAYERS = 6, MAX_NEURONS = 8;
const EPOCHS_PER_DISPATCH = 5;   // webgrad.playground's: play asks for multiples of it
const FRAME_MS = 30;             // a call (training and the frame's pass) takes about this long while playing
const FEATURES = ["x", "y", "xSquared", "ySquared", "xTimesY", "sinX", "sinY"];
const FEATURE_LABELS = { x: "X₁", y: "X₂", xSquared: "X₁²", ySquared: "X₂²", xTimesY: "X₁X₂", sinX: "sin(X₁)", sinY: "sin(X₂)" };
const DEFAULTS = {
  activation: "tanh", regularization: "none", batchSize: 10, dataset: "circle", regDataset: "reg-plane",
  learningRate: 0.03, regularizationRate: 0, noise: 0, networkShape: [4, 2], seed: null,
  showTestData: false, discretize: false, percTrainData: 50, x: true, y: true, xTimesY: false,
  xSquared: false, ySquared: false, sinX: false, sinY: false, problem: "classification", initZero: false,
  hideText: false,
  // keys of our own: the Playground has SGD, ½(out - y)² and one activation for every layer
  optimizer: "sgd", loss: "squared", activations: [], epochsPerFrame: 0, classes: 2, dropout: 0, batchNorm: false,
};
const ACTIVATIONS = { relu: "ReLU", tanh: "Tanh", sigmoid: "Sigmoid", linear: "Linear" };
const KEYS = Object.keys(DEFAULTS);
const CLASSIFY = ["circle", "xor", "gauss", "spiral"], REGRESS = ["reg-plane", "reg-gauss"];
const MANY_CLASSES = ["gauss", "spiral"];      // the datasets that take 3 to 5 classes (a key of our own)

// ---- state <-> URL hash (the Playground's format: key=value&..., arrays comma-joined) -----------

function parseHash(hash) {
  const map = Object.fromEntries(hash.replace(/^#/, "").split("&").filter(Boolean).map((kv) => kv.split("=")));
  const state = structuredClone(DEFAULTS);
  for (const key of KEYS) {
    const v = map[key];
    if (v === undefined || (v.trim() === "" && key !== "networkShape")) continue;
    const d = DEFAULTS[key];
    if (Array.isArray(d)) state[key] = v.trim() === "" ? [] : v.split(",").map(key === "activations" ? String : Number);
    else if (typeof d === "boolean") state[key] = v !== "false";
    else if (typeof d === "number") state[key] = +v;
    else state[key] = decodeURIComponent(v);
  }
  for (const [k, v] of Object.entries(map)) if (k.endsWith("_hide")) state[k] = v === "true";
  if (state.seed == null) state.seed = Math.random().toFixed(5);
  return state;
}

function serialize(state) {
  const parts = KEYS.filter((k) => state[k] != null && !(k === "activations" && !state[k].length))
    .map((k) => `${k}=${Array.isArray(state[k]) ? state[k].join(",") : state[k]}`);
  for (const k of Object.keys(state)) if (k.endsWith("_hide")) parts.push(`${k}=${state[k]}`);
  history.replaceState(null, "", "#" + parts.join("&"));
}

let state = parseHash(location.hash);

// `<control>_hide=true` hides a control, as the Playground's classroom links do (elements of class ui-<control>)
function hideControls() {
  for (const [key, hidden] of Object.entries(state)) {
    if (!key.endsWith("_hide")) continue;
    for (const el of document.querySelectorAll(`.ui-${key.slice(0, -5)}`)) el.style.display = hidden ? "none" : "";
  }
}
hideControls();

// ---- colours: -1 orange, 0 grey, +1 blue, as the Playground ------------------------------------

const NEG = [245, 147, 34], ZERO = [232, 234, 235], POS = [8, 119, 189];
// with more than two classes: class 0 blue, 1 orange, then green, purple, red
const CLASS_COLOURS = [POS, NEG, [58, 157, 35], [142, 68, 173], [214, 39, 40]];
const mix = (a, b, s) => [a[0] + (b[0] - a[0]) * s, a[1] + (b[1] - a[1]) * s, a[2] + (b[2] - a[2]) * s];
function rgb(v, discretize = false) {
  if (discretize) v = v >= 0 ? 1 : -1;
  const t = Math.max(-1, Math.min(1, v));
  return t < 0 ? mix(ZERO, NEG, -t) : mix(ZERO, POS, t);
}
const cssOf = ([r, g, b]) => `rgb(${r | 0},${g | 0},${b | 0})`;
const css = (v) => cssOf(rgb(v));
const labelCss = (label, classes) => (classes > 2 ? cssOf(CLASS_COLOURS[label]) : css(label));

// The colour of a map's value: the output's (with more than two classes the most likely class plus
// its probability: the class's colour, stronger as it is surer), a class's probability (an output
// neuron of those), or a neuron's value from -1 to 1.
function mapColour(l, k) {
  const classes = shown?.classes || 2, last = shown ? shown.network.length - 1 : -1;
  if (classes <= 2 || (l !== null && l < last)) return (v) => rgb(v, l !== 0 && state.discretize);
  if (l === last) return (v) => mix(ZERO, CLASS_COLOURS[k], state.discretize ? +(v >= 1 / classes) : v);
  return (v) => {
    const c = Math.min(classes - 1, Math.floor(v)), p = v - c;
    return mix(ZERO, CLASS_COLOURS[c], state.discretize ? 1 : Math.max(0, (p - 1 / classes) / (1 - 1 / classes)));
  };
}

function paint(canvas, values, n, offset, colour, alpha = 255) {
  if (canvas.width !== n) { canvas.width = n; canvas.height = n; }
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(n, n);
  for (let i = 0; i < n * n; i++) {
    const [r, g, b] = colour(values[offset + i]);
    image.data[4 * i] = r; image.data[4 * i + 1] = g; image.data[4 * i + 2] = b; image.data[4 * i + 3] = alpha;
  }
  ctx.putImageData(image, 0, 0);
}

// ---- the worker ------------------------------------------------------------------------------

let ready = false, playing = false, busy = null, shown = null, lastFrame = null, hovered = null;
const lossHistory = [];
const started = performance.now();

const py = new PythonWorker({
  app: "playground",
  onStatus: (text) => { $("status").textContent = text; },
  onReady: async ({ device, timings, python }) => {
    $("device").textContent = device;
    $("device").title = `Python from ${python}\n` + Object.entries(timings).map(([k, v]) => `${k}: ${v} ms`).join("\n");
    drawThumbnails(await py.call("thumbnails"));
    try {
      await configure();
    } catch (e) {          // a link with a state the playground cannot take: say what is wrong
      showError(e);
      return;
    }
    ready = true;
    document.body.dataset.state = "ready";
    $("status").textContent = `Ready in ${((performance.now() - started) / 1000).toFixed(1)} s`;
    window.webgradReady = { device, timings, python, total: Math.round(performance.now()) };
    for (const id of ["play-pause-button", "next-step-button", "download-script", "download-weights", "show-graph", "run-code"]) {
      $(id).disabled = false;
    }
  },
  onUnavailable: ({ kind, reason, help }) => {
    document.body.dataset.state = kind;
    $("status").textContent = kind === "nogpu" ? "WebGPU is not available" : "Loading failed";
    $("device").textContent = kind === "nogpu" ? "no WebGPU" : "no device";
    $("notice-reason").textContent = reason;
    $("notice-help").innerHTML = help || "";
  },
  onOutput: (stream, text) => console[stream === "stderr" ? "warn" : "log"](text),
});

// One call at a time: a control's change waits for the training call in flight, then applies.
function exclusive(fn) {
  const run = (busy || Promise.resolve()).then(fn, fn);
  busy = run.catch((e) => showError(e));
  return run;
}

function showError(e) {      // Python's last line: "PlaygroundError: networkShape: ..."
  const lines = String(e.message || e).split("\n").filter((ln) => /Error: /.test(ln));
  $("status").textContent = (lines.pop() || String(e)).replace(/^.*\.(\w+Error: )/, "$1").trim();
  $("status").classList.add("error");
  console.error(e);
}

async function configure() {
  serialize(state);
  shown = await py.call("configure", structuredClone(state));
  $("status").classList.remove("error");
  lossHistory.length = 0;
  drawNetwork();
  drawFrame(shown);
  showScript(shown);
  // compiles what play's first call needs while the page is looked at (a play waits its turn)
  exclusive(() => py.call("warm"));
}

// ---- the code panel: the network on screen as a script; edited and run, the page takes its model --

// CodeMirror, loaded after the worker has started (the page's first script must not wait for it)
let editor = null;
import("./editor.js").then(({ codeEditor }) => {
  editor = codeEditor($("code-editor"), { onRun: (text) => runCode(text), label: "the playground's script" });
  if (shown) editor.text = shown.script;
});
function showScript(from, printed = "") {
  if (editor) editor.text = from.script;
  $("code-output").textContent = printed;
  $("code-output").classList.remove("error");
}
const TAKEN = ["networkShape", "activations", "activation", "optimizer", "learningRate", "dropout", "batchNorm"];  // what a script decides
function runCode(text) {
  if (!ready) return;
  pause();
  $("code-output").textContent = "running…";
  $("code-output").classList.remove("error");
  exclusive(async () => {
    let out;
    try {
      out = await py.call("run", text);
    } catch (e) {      // the script's error, by its line; the network on screen stays
      const lines = String(e.message || e).split("\n").filter((ln) => /Error: /.test(ln));
      $("code-output").textContent = (lines.pop() || String(e)).replace(/^.*PlaygroundError: /, "").trim();
      $("code-output").classList.add("error");
      return;
    }
    for (const key of TAKEN) state[key] = out.state[key];
    serialize(state);
    syncControls();
    shown = out;
    lossHistory.length = 0;
    drawNetwork();
    drawFrame(shown);
    $("code-output").textContent = out.printed.trim();      // the person's text stays in the editor
    exclusive(() => py.call("warm"));
  });
}
$("run-code").onclick = () => { if (editor) runCode(editor.text); };

function reconfigure() {
  serialize(state);
  syncControls();
  if (ready) exclusive(configure);
}

// ---- training --------------------------------------------------------------------------------

let rate = { epochs: 0, t: 0 }, plays = 0, loops = 0;
// body[data-training] while a play loop runs: after pause, until the call then in flight has landed and is drawn
const looping = (by) => { loops += by; document.body.toggleAttribute("data-training", loops > 0); };

async function play() {
  playing = true;
  const mine = ++plays;       // a pause then play before the call in flight lands starts a new loop; this one ends
  document.body.classList.add("playing");
  $("play-pause-button").setAttribute("aria-label", "pause");
  rate = { epochs: shown.epoch, t: performance.now() };
  let epochs = state.epochsPerFrame || EPOCHS_PER_DISPATCH, asked = performance.now();
  const train = () => exclusive(() => py.call("train", epochs));
  let next = train();
  looping(+1);
  try {
    while (next) {       // the call in flight when pause is pressed lands and is drawn: the page shows the weights it holds
      const frame = await next;
      const took = performance.now() - asked;
      // as many epochs a call as keep it near FRAME_MS (fast networks train more between two frames),
      // or as many as the speed control says
      if (state.epochsPerFrame) epochs = state.epochsPerFrame;
      else if (took < FRAME_MS * 0.7 && epochs < 20 * EPOCHS_PER_DISPATCH) epochs += EPOCHS_PER_DISPATCH;
      else if (took > FRAME_MS * 1.4 && epochs > EPOCHS_PER_DISPATCH) epochs -= EPOCHS_PER_DISPATCH;
      asked = performance.now();
      next = playing && mine === plays ? train() : null;       // the worker trains on while this frame is drawn
      if (frame) drawFrame(frame);
      const now = performance.now();
      if (now - rate.t > 500 && frame) {
        $("steps-per-second").textContent = `${Math.round((frame.epoch - rate.epochs) / ((now - rate.t) / 1000))} epochs/s`;
        rate = { epochs: frame.epoch, t: now };
      }
    }
  } finally {
    looping(-1);
  }
}

function pause() {
  playing = false;
  document.body.classList.remove("playing");
  $("play-pause-button").setAttribute("aria-label", "play");
}

$("play-pause-button").onclick = () => (playing ? pause() : play());
$("next-step-button").onclick = () => { pause(); exclusive(async () => drawFrame(await py.call("train", 1))); };
$("reset-button").onclick = () => { pause(); if (ready) exclusive(() => py.call("reset").then((f) => { shown = f; lossHistory.length = 0; drawFrame(f); })); };
$("regenerate").onclick = () => { state.seed = Math.random().toFixed(5); reconfigure(); };

// ---- taking the model away: the script and the trained weights, as files ---------------------

function download(name, data, type) {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = Object.assign(document.createElement("a"), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// Between two training calls (play goes on): the weights are those of the epoch shown then.
const exported = (pick) => () => exclusive(async () => {
  const out = await py.call("export");
  const [scriptName, weightsName] = out.names;
  if (pick === "script") download(scriptName, out.script, "text/x-python");
  else download(weightsName, out.weights.buffer ? new Uint8Array(out.weights) : out.weights, "application/octet-stream");
});
$("download-script").onclick = exported("script");
$("download-weights").onclick = exported("weights");

// The graph viewer (/graph) in a dialog, given the traced step the worker trains with (wg.graph_view), by message.
let graphFrameReady = null;
function graphFrame() {
  graphFrameReady ||= new Promise((resolve) => {
    addEventListener("message", function ready(e) {
      if (e.source !== $("graph-frame").contentWindow || e.data?.type !== "webgrad.graph.ready") return;
      removeEventListener("message", ready);
      resolve();
    });
    $("graph-frame").src = "/graph?embed=1&from=parent";
  });
  return graphFrameReady;
}
$("show-graph").onclick = () => exclusive(async () => {
  const view = await py.call("graph");
  $("graph-dialog").showModal();
  await graphFrame();
  $("graph-frame").contentWindow.postMessage({ type: "webgrad.graph", view }, location.origin);
});
$("close-graph").onclick = () => $("graph-dialog").close();

// ---- drawing a frame -------------------------------------------------------------------------

function drawFrame(frame) {
  lastFrame = frame;
  shown.epoch = frame.epoch;
  const maps = new Float32Array(frame.maps.buffer || frame.maps);
  frame.values = maps;
  $("iter-number").textContent = String(frame.epoch).padStart(6, "0").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  $("loss-train").textContent = frame.loss_train.toFixed(3);
  $("loss-test").textContent = frame.loss_test.toFixed(3);
  drawMetrics(frame);
  lossHistory.push([frame.loss_train, frame.loss_test, frame.epoch]);
  drawLossChart();
  drawHeatmap();
  const sizes = shown.network;
  let at = DENSITY * DENSITY;
  for (let l = 1; l < sizes.length; l++) {
    for (let k = 0; k < sizes[l]; k++) {
      const canvas = document.querySelector(`#node-${l}-${k} canvas`);
      if (canvas) paint(canvas, maps, NEURON, at + k * NEURON * NEURON, mapColour(l, k));
    }
    at += sizes[l] * NEURON * NEURON;
  }
  frame.weightsAt = at;
  drawLinks();
}

function drawMetrics(frame) {
  const accuracy = frame.metric === "accuracy";
  $("metric-name").textContent = accuracy ? "Test accuracy" : "Test R²";
  $("metric-train-name").textContent = accuracy ? "Training accuracy" : "Training R²";
  $("metric-test").textContent = frame.metric_test.toFixed(3);
  $("metric-train").textContent = frame.metric_train.toFixed(3);
  $("confusion").hidden = !accuracy;
  confusionTable(frame.classes);
  if (frame.classes > 2) frame.confusion.forEach((v, i) => { $(`confusion-${Math.floor(i / frame.classes)}-${i % frame.classes}`).textContent = v; });
  else {
    const [pp, pn, np, nn] = frame.confusion;
    Object.entries({ pp, pn, np, nn }).forEach(([k, v]) => { $(`confusion-${k}`).textContent = v; });
  }
}

// The confusion table's cells: +1/-1 (ids confusion-pp, -pn, -np, -nn), or one row and column a
// class (ids confusion-<label>-<output>); the legend under the heatmap follows it.
const TWO_CLASSES = $("confusion").innerHTML, TWO_LEGEND = $("legend").innerHTML;
function confusionTable(classes) {
  const table = $("confusion");
  if (+table.dataset.classes === classes) return;
  table.dataset.classes = classes;
  if (classes <= 2) {
    table.innerHTML = TWO_CLASSES;
    $("legend").innerHTML = TWO_LEGEND;
    return;
  }
  const ids = [...Array(classes).keys()];
  const head = (c) => `<th style="color:${cssOf(CLASS_COLOURS[c])}">${c}</th>`;
  table.innerHTML = `<caption>test: label × output</caption><tr><th></th>${ids.map(head).join("")}</tr>` +
    ids.map((i) => `<tr>${head(i)}${ids.map((j) => `<td id="confusion-${i}-${j}">0</td>`).join("")}</tr>`).join("");
  $("legend").innerHTML = ids.map((c) => `<span class="swatch" style="background:${cssOf(CLASS_COLOURS[c])}"></span><span>class ${c}</span>`).join("");
}

function drawHeatmap() {
  if (!lastFrame) return;
  const canvas = $("heatmap");
  if (hovered) {       // a neuron's own map, as the Playground shows it on hover
    const small = document.createElement("canvas");
    const [l, k] = hovered;
    if (l === 0) paint(small, new Float32Array(shown.feature_maps.buffer || shown.feature_maps), NEURON, k * NEURON * NEURON, mapColour(0, k), 160);
    else paint(small, lastFrame.values, NEURON, neuronOffset(l, k), mapColour(l, k));
    const ctx = canvas.getContext("2d");
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
  } else {
    const full = document.createElement("canvas");
    paint(full, lastFrame.values, DENSITY, 0, mapColour(null, 0), 160);
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(full, 0, 0, canvas.width, canvas.height);
  }
}

function neuronOffset(l, k) {
  let at = DENSITY * DENSITY;
  for (let j = 1; j < l; j++) at += shown.network[j] * NEURON * NEURON;
  return at + k * NEURON * NEURON;
}

function drawPoints() {
  const canvas = $("points"), ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const scale = (v) => ((v + 6) / 12) * canvas.width;
  const draw = (flat, stroke) => {
    for (let i = 0; i < flat.length; i += 3) {
      ctx.beginPath();
      ctx.arc(scale(flat[i]), canvas.height - scale(flat[i + 1]), 3, 0, 2 * Math.PI);
      ctx.fillStyle = labelCss(flat[i + 2], shown.classes);
      ctx.fill();
      ctx.lineWidth = 1;
      ctx.strokeStyle = stroke;
      ctx.stroke();
    }
  };
  draw(shown.train, "#fff");
  if (state.showTestData) draw(shown.test, "#000");
  canvas.dataset.train = shown.train.length / 3;      // how many training points the plot shows (tests read it)
}

function drawLossChart() {
  const canvas = $("loss-chart"), ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  if (lossHistory.length < 2) return;
  const max = Math.max(...lossHistory.map(([a, b]) => Math.max(a, b)), 1e-6);
  for (const [k, color] of [[1, "#000"], [0, "#777"]]) {
    ctx.beginPath();
    lossHistory.forEach((p, i) => {
      const x = (i / (lossHistory.length - 1)) * w, y = h - (p[k] / max) * (h - 4) - 2;
      i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
    });
    ctx.strokeStyle = color;
    ctx.lineWidth = k ? 1.5 : 1;
    ctx.stroke();
  }
  if (chartHover !== null) {       // the read-out's epoch, as a line
    const i = Math.min(chartHover, lossHistory.length - 1), x = (i / (lossHistory.length - 1)) * w;
    ctx.fillStyle = "#183d4e88";
    ctx.fillRect(x - 0.5, 0, 1, h);
    const [train, test, at] = lossHistory[i];
    $("loss-readout").textContent = `epoch ${at.toLocaleString("en")}: test ${test.toFixed(3)}, training ${train.toFixed(3)}`;
  }
}

// Hovering the loss chart reads out the epoch under the pointer (TF Playground issue #47).
let chartHover = null;
$("loss-chart").addEventListener("mousemove", (e) => {
  const box = e.currentTarget.getBoundingClientRect();
  chartHover = Math.round(((e.clientX - box.left) / box.width) * Math.max(0, lossHistory.length - 1));
  drawLossChart();
});
$("loss-chart").addEventListener("mouseleave", () => { chartHover = null; $("loss-readout").textContent = ""; drawLossChart(); });

// ---- the network picture ---------------------------------------------------------------------

let positions = {};      // "l-k" -> [x, y] of the node's centre in the network area
function drawNetwork() {
  const area = $("network");
  area.querySelectorAll(".node, .node-label, .layer-head").forEach((e) => e.remove());
  positions = {};
  const sizes = shown.network, layers = sizes.length;
  const width = area.clientWidth || 600, top = 92, gap = 46;
  const x = (l) => 40 + (l * (width - 110)) / Math.max(1, layers - 1);
  // inputs: every feature, the chosen ones bright
  FEATURES.forEach((name, i) => {
    const on = state[name];
    const node = makeNode(`feature-${name}`, x(0), top + i * gap, ["feature", on ? "on" : "off"]);
    node.title = `${FEATURE_LABELS[name]}: click to ${on ? "remove" : "add"} it`;
    const label = document.createElement("div");
    label.className = "node-label";
    label.textContent = FEATURE_LABELS[name];
    label.style.left = `${x(0) - 38}px`;
    label.style.top = `${top + i * gap - 8}px`;
    label.style.width = "20px";
    area.append(label);
    node.onclick = () => { state[name] = !state[name]; if (!FEATURES.some((f) => state[f])) state[name] = true; reconfigure(); };
    const k = shown.features.findIndex(([f]) => f === name);
    if (k >= 0) {
      positions[`0-${k}`] = [x(0), top + i * gap];
      paint(node.querySelector("canvas"), new Float32Array(shown.feature_maps.buffer || shown.feature_maps), NEURON, k * NEURON * NEURON, mapColour(0, k));
      hoverable(node, 0, k);
    }
  });
  for (let l = 1; l < layers; l++) {
    for (let k = 0; k < sizes[l]; k++) {
      const node = makeNode(`node-${l}-${k}`, x(l), top + k * gap, [l === layers - 1 ? "output-node" : "hidden"]);
      positions[`${l}-${k}`] = [x(l), top + k * gap];
      hoverable(node, l, k);
    }
    if (l < layers - 1) {          // + and - neurons above each hidden layer
      const head = document.createElement("div");
      head.className = "layer-head";
      head.style.left = `${x(l) - 30}px`;
      head.style.top = "0px";
      head.style.width = "60px";
      head.innerHTML = `<div><button class="round tiny" aria-label="add a neuron">+</button>` +
        `<button class="round tiny" aria-label="remove a neuron">−</button></div><span>${sizes[l]} neuron${sizes[l] > 1 ? "s" : ""}</span>` +
        `<select class="layer-activation" aria-label="activation of hidden layer ${l}" id="activation-${l}">` +
        Object.entries(ACTIVATIONS).map(([v, t]) => `<option value="${v}">${t}</option>`).join("") + `</select>`;
      const [add, remove] = head.querySelectorAll("button");
      const own = head.querySelector("select");
      own.value = state.activations[l - 1] || state.activation;
      own.onchange = () => {        // this layer's own activation (the others keep theirs)
        if (!state.activations.length) state.activations = state.networkShape.map(() => state.activation);
        state.activations[l - 1] = own.value;
        if (state.activations.every((a) => a === state.activation)) state.activations = [];
        reconfigure();
      };
      add.onclick = () => { if (state.networkShape[l - 1] < MAX_NEURONS) { state.networkShape[l - 1]++; reconfigure(); } };
      remove.onclick = () => { if (state.networkShape[l - 1] > 1) { state.networkShape[l - 1]--; reconfigure(); } };
      area.append(head);
    }
  }
  area.style.minHeight = `${top + Math.max(FEATURES.length, ...sizes.slice(1)) * gap + 10}px`;
  $("num-layers").textContent = state.networkShape.length;
  $("layers-label").textContent = state.networkShape.length === 1 ? "hidden layer" : "hidden layers";
  drawPoints();
}

function makeNode(id, cx, cy, classes) {
  const node = document.createElement("div");
  node.className = ["node", ...classes].join(" ");
  node.id = id;
  node.style.left = `${cx - 15}px`;
  node.style.top = `${cy - 15}px`;
  node.append(document.createElement("canvas"));
  $("network").append(node);
  return node;
}

function hoverable(node, l, k) {
  node.onmouseenter = () => { hovered = [l, k]; node.classList.add("hovered"); drawHeatmap(); };
  node.onmouseleave = () => { hovered = null; node.classList.remove("hovered"); drawHeatmap(); };
}

function drawLinks() {
  const svg = $("links"), sizes = shown.network, values = lastFrame.values;
  let at = lastFrame.weightsAt;
  const paths = [];
  for (let l = 1; l < sizes.length; l++) {
    const n_in = sizes[l - 1], n_out = sizes[l];
    for (let i = 0; i < n_in; i++) {
      for (let k = 0; k < n_out; k++) {
        const w = values[at + i * n_out + k], a = positions[`${l - 1}-${i}`], b = positions[`${l}-${k}`];
        if (!a || !b) continue;
        const mx = (a[0] + b[0]) / 2;
        paths.push(`<path d="M${a[0] + 15},${a[1]} C${mx},${a[1]} ${mx},${b[1]} ${b[0] - 15},${b[1]}" ` +
          `stroke="${css(w)}" stroke-width="${Math.min(10, 1 + Math.abs(w) * 1.8).toFixed(2)}" stroke-opacity="0.8" ` +
          `data-weight="${w.toFixed(3)}" data-link="${l},${i},${k}"/>`);
      }
    }
    at += n_in * n_out + n_out;      // the kernel, then the bias
  }
  svg.innerHTML = paths.join("");
}

// Hovering a link shows its weight; clicking it makes the value editable (Enter sets it), as the Playground.
let editing = false;
function placeCard(e) {
  const card = $("weight-card"), box = $("network").getBoundingClientRect();
  card.style.left = `${e.clientX - box.left + 12}px`;
  card.style.top = `${e.clientY - box.top + 50}px`;
  card.hidden = false;
  return card;
}
$("links").addEventListener("mousemove", (e) => {
  if (editing) return;
  const w = e.target.dataset && e.target.dataset.weight;
  if (!w) { $("weight-card").hidden = true; return; }
  placeCard(e).textContent = `Weight is ${w}`;
});
$("links").addEventListener("mouseleave", () => { if (!editing) $("weight-card").hidden = true; });
$("links").addEventListener("click", (e) => {
  const link = e.target.dataset && e.target.dataset.link;
  if (!link) return;
  const [layer, source, target] = link.split(",").map(Number);
  const card = placeCard(e);
  editing = true;
  card.classList.add("editing");
  card.innerHTML = `Weight is <input id="weight-input" type="number" step="0.1" value="${e.target.dataset.weight}">`;
  const input = $("weight-input");
  input.focus();
  input.select();
  const done = () => { editing = false; card.classList.remove("editing"); card.hidden = true; };
  input.onblur = done;
  input.onkeydown = (k) => {
    if (k.key === "Escape") done();
    if (k.key !== "Enter" || !Number.isFinite(+input.value)) return;
    const value = +input.value;
    done();
    exclusive(async () => drawFrame(await py.call("set_weight", { layer, source, target, value })));
  };
});

// ---- the data thumbnails and the controls ----------------------------------------------------

let thumbnails = {};
function drawThumbnails(points) {
  thumbnails = points;
  const box = $("datasets");
  box.innerHTML = "";
  const names = state.problem === "classification" ? CLASSIFY : REGRESS;
  for (const name of names) {
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 72;
    canvas.title = name;
    canvas.dataset.dataset = name;
    const classes = state.problem === "classification" && MANY_CLASSES.includes(name) ? state.classes : 2;
    drawDots(canvas, [points[classes > 2 ? `${name}:${classes}` : name]], classes);
    const key = state.problem === "classification" ? "dataset" : "regDataset";
    canvas.className = state[key] === name && !shown?.own ? "selected" : "";
    canvas.onclick = () => {
      state[key] = name;
      if (!MANY_CLASSES.includes(name)) state.classes = 2;       // circle and xor have two
      if (shown?.own) useData(null, "");      // back to the Playground's points
      else { drawThumbnails(thumbnails); reconfigure(); }
    };
    box.append(canvas);
  }
  if (shown?.own) box.append(ownThumbnail());
}

function ownThumbnail() {      // a person's own points, drawn as a dataset's thumbnail
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 72;
  canvas.title = "your data";
  canvas.className = "selected";
  canvas.id = "own-thumbnail";
  drawDots(canvas, [shown.train, shown.test], shown.classes);
  return canvas;
}

function drawDots(canvas, lists, classes = 2) {    // a thumbnail: the points of each flat (x, y, label) list as dots
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#f3f4f5";
  ctx.fillRect(0, 0, 72, 72);
  for (const flat of lists) {
    for (let i = 0; i < flat.length; i += 3) {
      ctx.fillStyle = labelCss(flat[i + 2], classes);
      ctx.fillRect(((flat[i] + 6) / 12) * 72 - 1, 72 - ((flat[i + 1] + 6) / 12) * 72 - 1, 2.5, 2.5);
    }
  }
}

// A person's own points (text: a CSV; null: the dataset's again). A bad file gets its line's
// message, and the data on screen stays.
function useData(text, from) {
  pause();
  if (!ready) return;
  serialize(state);
  exclusive(async () => {
    shown = await py.call("own_data", { text, state: structuredClone(state) });
    $("status").classList.remove("error");
    if (text !== null) $("status").textContent = `${(shown.train.length + shown.test.length) / 3} points from ${from}`;
    lossHistory.length = 0;
    drawNetwork();
    drawFrame(shown);
    showScript(shown);
    drawThumbnails(thumbnails);
    exclusive(() => py.call("warm"));
  });
}
// A click on the plot adds a training point there (shift: of class -1), as ConvNetJS's 2-D demo;
// training goes on from the weights as they are. Clicks made while a call is in flight go together.
let clicked = [];
$("points").onclick = (e) => {
  if (!ready || !shown || state.problem !== "classification" || shown.classes > 2) return;
  const box = e.currentTarget.getBoundingClientRect();
  const x = ((e.clientX - box.left) / box.width) * 12 - 6, y = 6 - ((e.clientY - box.top) / box.height) * 12;
  clicked.push({ x, y, label: e.shiftKey ? -1 : 1 });
  if (clicked.length > 1) return;           // the call already queued takes this one too
  exclusive(async () => {
    const points = clicked;
    clicked = [];
    shown = await py.call("add_points", points);
    drawFrame(shown);
    drawPoints();
    drawThumbnails(thumbnails);
  });
};
$("own-data").onchange = async (e) => {
  const file = e.target.files[0];
  if (!file) return;
  const text = await file.text();
  e.target.value = "";          // choosing the same file again is a change too
  useData(text, file.name);
};

const SELECTS = ["learningRate", "activation", "regularization", "regularizationRate", "dropout", "optimizer", "loss", "epochsPerFrame",
                 "problem", "classes"];
const PAGE_ONLY = ["epochsPerFrame"];     // keys the page alone uses: a change trains on, rebuilding nothing
const SLIDERS = ["percTrainData", "noise", "batchSize"];
function syncControls() {
  for (const id of SELECTS) {
    const el = $(id);
    const value = String(state[id]);
    if (![...el.options].some((o) => (o.value || o.text) === value)) el.add(new Option(value, value));
    el.value = value;
  }
  for (const id of SLIDERS) { $(id).value = state[id]; $(`${id}-value`).textContent = state[id]; }
  $("showTestData").checked = state.showTestData;
  $("discretize").checked = state.discretize;
  $("batchNorm").checked = state.batchNorm;
  document.body.classList.toggle("many-classes", state.classes > 2);
  document.body.classList.toggle("regression", state.problem === "regression");
}
for (const id of SELECTS) {
  $(id).onchange = (e) => {
    const v = e.target.value;
    state[id] = typeof DEFAULTS[id] === "number" ? +v : v;
    if (id === "activation") state.activations = [];       // every layer takes it
    if (id === "problem" && Object.keys(thumbnails).length) drawThumbnails(thumbnails);
    if (id === "problem" && v === "regression" && state.loss === "crossentropy") state.loss = "squared";
    if (id === "problem" && v === "regression") state.classes = 2;
    if (id === "classes") {       // more classes: on a dataset that has them; the thumbnails show them
      if (state.classes > 2 && !MANY_CLASSES.includes(state.dataset)) state.dataset = "spiral";
      if (Object.keys(thumbnails).length) drawThumbnails(thumbnails);
    }
    if (PAGE_ONLY.includes(id)) { serialize(state); return; }
    reconfigure();       // (syncControls in it shows the loss it may have changed)
  };
}
for (const id of SLIDERS) {
  $(id).oninput = (e) => { $(`${id}-value`).textContent = e.target.value; };
  $(id).onchange = (e) => { state[id] = +e.target.value; reconfigure(); };
}
$("batchNorm").onchange = (e) => { state.batchNorm = e.target.checked; reconfigure(); };
$("showTestData").onchange = (e) => { state.showTestData = e.target.checked; serialize(state); drawPoints(); };
$("discretize").onchange = (e) => { state.discretize = e.target.checked; serialize(state); if (lastFrame) drawFrame(lastFrame); };
$("add-layer").onclick = () => {
  if (state.networkShape.length >= MAX_LAYERS) return;
  state.networkShape.push(2);
  if (state.activations.length) state.activations.push(state.activation);
  reconfigure();
};
$("remove-layer").onclick = () => {
  if (!state.networkShape.length) return;
  state.networkShape.pop();
  state.activations.pop();
  if (state.activations.every((a) => a === state.activation)) state.activations = [];
  reconfigure();
};
window.addEventListener("hashchange", () => { state = parseHash(location.hash); hideControls(); reconfigure(); });
window.addEventListener("resize", () => { if (shown) { drawNetwork(); if (lastFrame) drawFrame(lastFrame); } });
syncControls();
