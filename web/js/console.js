// The console page: a Python editor, a Run button and the output, on the worker's webgrad.
import { PythonWorker } from "./python_worker.js";

const $ = (id) => document.getElementById(id);
const output = $("output"), run = $("run"), status = $("status"), device = $("device");
let editor = null;       // the code editor (CodeMirror), loaded once the worker has started

function append(stream, text) {
  const span = document.createElement("span");
  span.className = stream;
  span.textContent = text;
  output.append(span);
  output.scrollTop = output.scrollHeight;
}

const started = performance.now();
const tick = setInterval(() => {
  $("elapsed").textContent = `${((performance.now() - started) / 1000).toFixed(1)} s`;
}, 100);

const py = new PythonWorker({
  onStatus: (text) => { status.textContent = text; },
  onReady: ({ device: name, timings, python }) => {
    clearInterval(tick);
    const total = Math.round(performance.now());   // since navigation started
    document.body.dataset.state = "ready";
    device.textContent = name;
    device.title = `Python from ${python}\n` + Object.entries(timings).map(([k, v]) => `${k}: ${v} ms`).join("\n");
    status.textContent = `Ready in ${(total / 1000).toFixed(1)} s`;
    $("elapsed").textContent = "";
    window.webgradReady = { device: name, timings, total, python };
    run.disabled = false;
    editor?.view.focus();
  },
  onUnavailable: ({ kind, reason, help }) => {
    clearInterval(tick);
    document.body.dataset.state = kind;
    $("elapsed").textContent = "";
    status.textContent = kind === "nogpu" ? "WebGPU is not available" : "Loading failed";
    device.textContent = kind === "nogpu" ? "no WebGPU" : "no device";
    $("notice-reason").textContent = reason;
    $("notice-help").textContent = help || "";
  },
  onOutput: append,
});

// its editable element carries the id "editor" (tests fill it)
import("./editor.js").then(({ codeEditor }) => {
  editor = codeEditor($("editor-start").parentElement, { text: $("editor-start").value, onRun: () => runEditor(),
                                                         label: "Python code", id: "editor" });
  if (!run.disabled) editor.view.focus();
});

async function runEditor() {
  if (run.disabled || !editor) return;
  run.disabled = true;
  document.body.dataset.running = "true";
  const { ok, ms } = await py.run(editor.text);
  const text = output.textContent;
  append("meta", `${text && !text.endsWith("\n") ? "\n" : ""}— ${ok ? "done" : "failed"} in ${ms.toFixed(1)} ms\n`);
  delete document.body.dataset.running;
  run.disabled = false;
}

run.addEventListener("click", runEditor);
$("clear").addEventListener("click", () => { output.textContent = ""; });
